import { SecretsProvider } from "@aws-lambda-powertools/parameters/secrets";
import { SSMProvider } from "@aws-lambda-powertools/parameters/ssm";
import { formatIssuePath } from "../config/load.js";
import type { ReporterEntry } from "../config/schema.js";
import type { ConfigProblem } from "../errors.js";
import { type SecretRef, secretRefSchema } from "./contract.js";
import { awsErrorName, type SecretFetchers, secretValueOf } from "./secrets.js";

/** A secret reference in a reporter entry's options, and where: `reporters[2].options.webhookUrl`. */
export interface FoundSecretReference {
  path: string;
  /** The entry's `use`, for messages. */
  reporter: string;
  ref: SecretRef;
}

/** The outcome of asking AWS for every secret reference of a configuration. */
export interface SecretReferenceCheck {
  /** Every reference of the reporter entries, where it is. */
  references: FoundSecretReference[];
  /** One per place whose reference does not resolve: `ssm:/x: ParameterNotFound — …`. */
  problems: ConfigProblem[];
  /**
   * Set when AWS could not be asked at all (no credentials, no region, no network): the references are unchecked,
   * which says nothing about the document. Problems of references AWS did answer for are listed all the same.
   */
  unchecked?: string;
}

/** A reference as `ssm:NAME` or `secretsmanager:ARN`: what the IAM action is on, in one token. */
export function secretRefLabel(ref: SecretRef): string {
  return "secretArn" in ref ? `secretsmanager:${ref.secretArn}` : `ssm:${ref.parameter}`;
}

/**
 * Every secret reference in the entries' options as written, found by its shape wherever it sits (a reporter's
 * options schema is its own: a Slack `webhookUrl`, a custom reporter's `routingKey`…). The same rule the Terraform
 * module uses to grant a reporter its secrets.
 */
export function findSecretReferences(
  entries: readonly Pick<ReporterEntry, "use" | "options">[],
): FoundSecretReference[] {
  const found: FoundSecretReference[] = [];
  const walk = (node: unknown, path: PropertyKey[], reporter: string) => {
    if (typeof node !== "object" || node === null) return;
    const ref = secretRefSchema.safeParse(node);
    if (ref.success) {
      found.push({ path: formatIssuePath(path), reporter, ref: ref.data });
      return;
    }
    // Object.entries of an array gives its indexes as strings: arrays are walked by number, for `[0]` in paths.
    const children: [PropertyKey, unknown][] = Array.isArray(node)
      ? [...node.entries()]
      : Object.entries(node);
    for (const [key, value] of children) walk(value, [...path, key], reporter);
  };
  for (const [index, entry] of entries.entries())
    walk(entry.options, ["reporters", index, "options"], entry.use);
  return found;
}

/** AWS errors that mean "AWS could not be asked", not "this reference is wrong". */
const CANNOT_ASK = new Set(["CredentialsProviderError", "TimeoutError"]);
const NETWORK_CODES = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "ETIMEDOUT", "ECONNRESET"]);

/** Why AWS could not be asked, when the error says so (no credentials, no region, no connection); else undefined. */
export function cannotAskAws(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 8 && current instanceof Error; depth++) {
    // An answer from the service: whatever it says is about the reference.
    if ("$metadata" in current && (current.$metadata as { httpStatusCode?: number })?.httpStatusCode)
      return undefined;
    if (current.message === "Region is missing") return "no AWS region";
    if (current.name === "CredentialsProviderError") return "no AWS credentials";
    if (CANNOT_ASK.has(current.name)) return `AWS could not be reached (${current.name})`;
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string" && NETWORK_CODES.has(code)) return `AWS could not be reached (${code})`;
    current = current.cause;
  }
  return undefined;
}

/** A hint for the AWS errors a reference usually fails with. */
function hintFor(name: string, ref: SecretRef): string {
  if (name === "ParameterNotFound" || name === "ResourceNotFoundException")
    return " — it does not exist in this account and region";
  if (name === "AccessDeniedException" || name === "AccessDenied") {
    return "secretArn" in ref
      ? " — needs secretsmanager:GetSecretValue (and kms:Decrypt for a customer managed key)"
      : " — needs ssm:GetParameter and kms:Decrypt";
  }
  return "";
}

/**
 * Fetchers over fresh Powertools providers, as the functions read secrets (SSM decrypted, Secrets Manager), but
 * with clients made now: the region, credentials and endpoint of the environment at this moment, and no cache
 * shared with another check.
 */
export function createSecretFetchers(): SecretFetchers {
  const ssm = new SSMProvider();
  const secrets = new SecretsProvider();
  return {
    parameter: (name) => ssm.get(name, { decrypt: true, forceFetch: true }),
    secret: (secretArn) => secrets.get(secretArn, { forceFetch: true }),
  };
}

/**
 * Asks AWS for every secret reference of the reporter entries (each once) and checks its value as a reporter
 * would read it (a string, the jsonKey present), without keeping or showing any value. Every failure is a problem
 * at the reference's place, in the form `ssm:/x: ParameterNotFound — …`, naming the AWS error.
 */
export async function checkSecretReferences(
  config: { reporters: readonly Pick<ReporterEntry, "use" | "options">[] },
  deps: { fetchers?: SecretFetchers } = {},
): Promise<SecretReferenceCheck> {
  const references = findSecretReferences(config.reporters);
  const fetchers = deps.fetchers ?? createSecretFetchers();
  const unique = new Map<string, SecretRef>(references.map(({ ref }) => [JSON.stringify(ref), ref]));
  let unchecked: string | undefined;
  const outcomes = new Map<string, string | undefined>();
  await Promise.all(
    [...unique].map(async ([key, ref]) => {
      let raw: unknown;
      try {
        raw =
          "secretArn" in ref ? await fetchers.secret(ref.secretArn) : await fetchers.parameter(ref.parameter);
      } catch (error) {
        const cannotAsk = cannotAskAws(error);
        if (cannotAsk) {
          unchecked ??= cannotAsk;
          return;
        }
        const name = awsErrorName(error);
        outcomes.set(key, `${secretRefLabel(ref)}: ${name}${hintFor(name, ref)}`);
        return;
      }
      const read = secretValueOf(raw, ref);
      if ("problem" in read) outcomes.set(key, `${secretRefLabel(ref)}: ${read.problem}`);
    }),
  );
  const problems = references.flatMap(({ path, ref }) => {
    const reason = outcomes.get(JSON.stringify(ref));
    return reason ? [{ path, reason }] : [];
  });
  return { references, problems, ...(unchecked ? { unchecked } : {}) };
}

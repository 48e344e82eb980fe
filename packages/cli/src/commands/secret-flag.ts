import { secretRefSchema } from "@ecr-scan-reporter/core";
import { SANDBOX_ACCOUNT, type SeedableSecretRef } from "@ecr-scan-reporter/sandbox";
import { UsageError } from "../usage-error.js";

// `demo --secret NAME=VALUE` and `sandbox --secret NAME=VALUE`: a secret for a custom reporter to try, stored where
// its configuration's reference looks. NAME is written as that reference is: the text of `{ "parameter": NAME }`
// or `{ "secretArn": NAME }`, or as `validate` names a reference (`ssm:NAME`, `secretsmanager:ARN`). No message
// here ever repeats a VALUE, or the text of a flag that has no "=" (it may be the value alone).

/** A secret to seed: where (a configuration's reference) and what. */
export interface SecretFlag {
  ref: SeedableSecretRef;
  value: string;
}

/** The sandbox's Secrets Manager ARNs up to the secret's name. */
export const SANDBOX_SECRET_ARN_PREFIX = `arn:aws:secretsmanager:${SANDBOX_ACCOUNT.region}:${SANDBOX_ACCOUNT.accountId}:secret:`;

/** What a --secret looks like, for the messages. */
export const SECRET_FLAG_FORM = `--secret NAME=VALUE, NAME as the configuration references the secret: an SSM parameter name (/acme/pagerduty-key, or ssm:/acme/pagerduty-key) for { "parameter": NAME }, or a Secrets Manager secret ARN (${SANDBOX_SECRET_ARN_PREFIX}NAME, or secretsmanager:NAME) for { "secretArn": ARN }`;

/** The reference NAME stands for, before validation. */
function referenceOf(name: string): SeedableSecretRef {
  if (name.startsWith("ssm:")) return { parameter: name.slice("ssm:".length) };
  if (name.startsWith("secretsmanager:")) {
    const rest = name.slice("secretsmanager:".length);
    return { secretArn: rest.startsWith("arn:") ? rest : `${SANDBOX_SECRET_ARN_PREFIX}${rest}` };
  }
  if (name.startsWith("arn:")) return { secretArn: name };
  return { parameter: name };
}

/** One `NAME=VALUE` (the `ordinal`-th --secret, for messages): split at the first "=", as a value may hold more. */
export function parseSecretFlag(text: string, ordinal: number): SecretFlag {
  const equals = text.indexOf("=");
  if (equals < 0)
    throw new UsageError(`--secret number ${ordinal} has no "=": expected ${SECRET_FLAG_FORM}.`);
  const name = text.slice(0, equals).trim();
  const value = text.slice(equals + 1);
  if (name === "")
    throw new UsageError(`--secret number ${ordinal} has no NAME before "=": expected ${SECRET_FLAG_FORM}.`);
  // `--secret dGVzdA==` (a base64 value given without its name) splits at the padding: neither part may be echoed.
  if (/^=+$/.test(value))
    throw new UsageError(
      `--secret number ${ordinal} has a VALUE of only "=": expected ${SECRET_FLAG_FORM}; a value given without its NAME is not repeated here.`,
    );
  const ref = referenceOf(name);
  const parsed = secretRefSchema.safeParse(ref);
  if (!parsed.success) {
    const why = parsed.error.issues[0]?.message ?? "not a secret reference";
    throw new UsageError(`--secret ${name}=…: ${why}; expected ${SECRET_FLAG_FORM}.`);
  }
  if ("secretArn" in ref && !ref.secretArn.startsWith(SANDBOX_SECRET_ARN_PREFIX)) {
    throw new UsageError(
      `--secret ${name}=…: the sandbox is account ${SANDBOX_ACCOUNT.accountId} in ${SANDBOX_ACCOUNT.region}: reference the secret as ${SANDBOX_SECRET_ARN_PREFIX}NAME, in the configuration and here.`,
    );
  }
  if (value === "") {
    throw new UsageError(
      `--secret ${name}=…: the value is empty, and a reporter reads an empty secret as none.`,
    );
  }
  return { ref, value };
}

/** Every --secret given, in order; the same reference twice is a mistake (which value would it hold?). */
export function parseSecretFlags(flags: readonly string[] = []): SecretFlag[] {
  const secrets = flags.map((flag, i) => parseSecretFlag(flag, i + 1));
  const seen = new Set<string>();
  for (const { ref } of secrets) {
    const key = "parameter" in ref ? `ssm:${ref.parameter}` : `secretsmanager:${ref.secretArn}`;
    if (seen.has(key)) throw new UsageError(`--secret ${key} is given twice: give each secret once.`);
    seen.add(key);
  }
  return secrets;
}

import { getSecret } from "@aws-lambda-powertools/parameters/secrets";
import { getParameter } from "@aws-lambda-powertools/parameters/ssm";
import { SecretError } from "../errors.js";
import type { SecretRef, SecretResolver } from "./contract.js";

/** Fetches the raw value of a reference; injected so tests need no AWS. */
export interface SecretFetchers {
  secret(secretArn: string): Promise<unknown>;
  parameter(name: string): Promise<unknown>;
}

/** Powertools Parameters, which cache too; our own cache below makes it "once per cold start" whatever their maxAge. */
export const powertoolsSecretFetchers: SecretFetchers = {
  secret: (secretArn) => getSecret(secretArn, { maxAge: 3600 }),
  parameter: (name) => getParameter(name, { decrypt: true, maxAge: 3600 }),
};

/** Names a secret reference in words (never its value), for error messages. */
export function describeSecretRef(ref: SecretRef): string {
  return "secretArn" in ref ? `Secrets Manager secret ${ref.secretArn}` : `SSM parameter ${ref.parameter}`;
}

/**
 * The name of the AWS error behind a failed fetch. Powertools wraps the SDK's error in its own GetParameterError
 * (the AWS one is its `cause`), so the chain is followed to the error AWS answered with (it carries `$metadata`),
 * else to its innermost error: `ParameterNotFound`, `AccessDeniedException`, `CredentialsProviderError`.
 */
export function awsErrorName(error: unknown): string {
  let current: unknown = error;
  let name = "Error";
  // A bounded walk: a cause chain can be circular.
  for (let depth = 0; depth < 8 && current instanceof Error; depth++) {
    name = current.name;
    if ("$metadata" in current) return name;
    current = current.cause;
  }
  return name;
}

/** What is wrong with a fetched secret's value (no string, not JSON, no jsonKey), or its value. Never the value in words. */
export function secretValueOf(raw: unknown, ref: SecretRef): { value: string } | { problem: string } {
  const text = raw instanceof Uint8Array ? Buffer.from(raw).toString("utf8") : raw;
  if (typeof text !== "string" || text === "") return { problem: "has no string value" };
  if (!("secretArn" in ref) || !ref.jsonKey) return { value: text.trim() };
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    return { problem: `is not JSON, so jsonKey "${ref.jsonKey}" cannot be read from it` };
  }
  const value = (document as Record<string, unknown> | null)?.[ref.jsonKey];
  if (typeof value !== "string" || value === "")
    return { problem: `has no string at jsonKey "${ref.jsonKey}"` };
  return { value };
}

/**
 * A resolver that fetches each reference once per process (cold start) and caches the promise. Errors name the
 * reference and the AWS error, never a value; a failed fetch is not cached, so the next invocation tries again.
 */
export function createSecretResolver(fetchers: SecretFetchers = powertoolsSecretFetchers): SecretResolver {
  const cache = new Map<string, Promise<string>>();
  return (ref) => {
    const key = JSON.stringify(ref);
    let value = cache.get(key);
    if (!value) {
      value = (async () => {
        let raw: unknown;
        try {
          raw =
            "secretArn" in ref
              ? await fetchers.secret(ref.secretArn)
              : await fetchers.parameter(ref.parameter);
        } catch (error) {
          const name = awsErrorName(error);
          throw new SecretError(
            `Could not read the ${describeSecretRef(ref)} (${name}). Check that it exists in this region and that the function may read it${"parameter" in ref ? " and decrypt it (kms:Decrypt)" : ""}.`,
            // Only the error's name travels on: AWS messages can echo what was asked for.
            { cause: new Error(name) },
          );
        }
        const read = secretValueOf(raw, ref);
        if ("problem" in read) throw new SecretError(`${describeSecretRef(ref)} ${read.problem}.`);
        return read.value;
      })();
      cache.set(key, value);
      value.catch(() => cache.delete(key));
    }
    return value;
  };
}

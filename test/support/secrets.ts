import type { Sandbox } from "@ecr-scan-reporter/sandbox";
import { expect } from "vitest";

// DESIGN §12: never a secret, token or webhook URL in a log line. The bundle and end-to-end tests that resolve a
// secret check everything the functions wrote, and what reporters sent, with expectNoSecretIn.

/** Shorter URL paths ("/webhook") are too common to stand for a credential on their own. */
const MIN_PATH_LENGTH = 12;

/**
 * The forms a secret takes when it is written out: as it is, inside a JSON string, URL-encoded; for a URL (a
 * webhook, whose path is the credential) also without its scheme and its path alone; for a JSON secret (read with
 * `jsonKey`) each of its string values.
 */
export function secretForms(value: string): string[] {
  const forms = new Set([value, JSON.stringify(value).slice(1, -1), encodeURIComponent(value)]);
  if (URL.canParse(value)) {
    const url = new URL(value);
    const path = `${url.pathname}${url.search}`;
    forms.add(`${url.host}${path}`);
    if (path.length >= MIN_PATH_LENGTH) forms.add(path);
  }
  try {
    const parsed: unknown = JSON.parse(value);
    if (parsed && typeof parsed === "object") {
      for (const field of Object.values(parsed)) {
        if (typeof field === "string" && field.length >= 8)
          for (const form of secretForms(field)) forms.add(form);
      }
    }
  } catch {
    // Not JSON: the value itself is the secret.
  }
  return [...forms];
}

/** Each place a secret shows up, as "output: secret" (the names, never the value). */
export function findSecrets(outputs: Record<string, unknown>, secrets: Record<string, string>): string[] {
  const leaks: string[] = [];
  for (const [outputName, output] of Object.entries(outputs)) {
    const text = typeof output === "string" ? output : (JSON.stringify(output) ?? "");
    for (const [secretName, value] of Object.entries(secrets)) {
      if (secretForms(value).some((form) => text.includes(form))) leaks.push(`${outputName}: ${secretName}`);
    }
  }
  return leaks;
}

/**
 * Fails when a secret value appears in any of the outputs: what the functions wrote (stdout, stderr, EMF lines)
 * and what reporters sent. The caller leaves out only where a target needs the secret: the webhook URL a request
 * went to, the Authorization header of a GitHub request.
 */
export function expectNoSecretIn(outputs: Record<string, unknown>, secrets: Record<string, string>): void {
  expect(Object.keys(secrets), "the secrets to look for").not.toEqual([]);
  expect(findSecrets(outputs, secrets), "secret values written out (output: secret)").toEqual([]);
}

/** Every secret the sandbox holds: Secrets Manager values and SecureString parameters, by name. */
export function sandboxSecrets(sandbox: Sandbox): Record<string, string> {
  const secrets: Record<string, string> = {};
  for (const secret of sandbox.secretsManager.secrets.values())
    secrets[`secret ${secret.name}`] = secret.value;
  for (const [name, parameter] of sandbox.ssm.parameters) {
    if (parameter.type === "SecureString") secrets[`parameter ${name}`] = parameter.value;
  }
  return secrets;
}

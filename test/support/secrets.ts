import type { Sandbox } from "@ecr-scan-reporter/sandbox";
import { secretForms } from "@ecr-scan-reporter/sandbox/demo";
import { expect } from "vitest";

// DESIGN §12: never a secret, token or webhook URL in a log line. The bundle and end-to-end tests that resolve a
// secret check everything the functions wrote, and what reporters sent, with expectNoSecretIn. The forms a secret
// takes (JSON-escaped, URL-encoded, a webhook's path) are the sandbox's own: the demo redacts the same ones.

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

import type { SecretRef } from "@ecr-scan-reporter/core";
import type { PolicyStatement } from "../iam/policy.js";
import { type AccountContext, ssmParameterArn } from "../iam/requests.js";
import type { SeedableSecretRef } from "../parameters.js";
import type { Sandbox } from "../sandbox.js";

// The secrets of the demo's custom reporters (`demo --secret`): what the module lets the functions read for the
// references their options make, and keeping every secret value out of what the demo prints.

/** A value to seed where a reference points, before any function runs. */
export interface SeededSecret {
  ref: SeedableSecretRef;
  value: string;
}

/**
 * The statements the module adds to report-findings' and send-digests' roles for the secrets a custom reporter's
 * options reference (terraform/iam.tf: a secret's ARN and the ARN with AWS's six-character suffix; a parameter's
 * ARN). The demo's secrets are under the AWS managed keys, which need no kms:Decrypt statement.
 */
export function secretReadStatements(refs: readonly SecretRef[], account: AccountContext): PolicyStatement[] {
  const arns = [...new Set(refs.flatMap((r) => ("secretArn" in r ? [r.secretArn] : [])))];
  const parameters = [...new Set(refs.flatMap((r) => ("parameter" in r ? [r.parameter] : [])))];
  const statements: PolicyStatement[] = [];
  if (arns.length > 0)
    statements.push({
      Sid: "ReadCustomReporterSecrets",
      Effect: "Allow",
      Action: "secretsmanager:GetSecretValue",
      Resource: arns.flatMap((arn) => [arn, `${arn}-??????`]),
    });
  if (parameters.length > 0)
    statements.push({
      Sid: "ReadCustomReporterParameters",
      Effect: "Allow",
      Action: "ssm:GetParameter",
      Resource: parameters.map((name) => ssmParameterArn(account, name)),
    });
  return statements;
}

/** Every secret value the sandbox holds: Secrets Manager secrets and SecureString parameters. */
export function secretValuesOf(sandbox: Pick<Sandbox, "ssm" | "secretsManager">): string[] {
  return [
    ...[...sandbox.secretsManager.secrets.values()].map((s) => s.value),
    ...[...sandbox.ssm.parameters.values()].filter((p) => p.type === "SecureString").map((p) => p.value),
  ];
}

/** Shorter pieces (a URL path like "/hook") are too common in messages to stand for a secret on their own. */
const MIN_PIECE_LENGTH = 12;
/** A value this short is no credential worth hiding, and hiding it would blank out ordinary words. */
const MIN_SECRET_LENGTH = 4;

/**
 * The forms a secret takes in a message: as it is, inside a JSON string, URL-encoded; a URL (a webhook, whose path
 * is the credential) also without its scheme and by its path; a JSON secret (read with `jsonKey`) by its values.
 */
export function secretForms(value: string): string[] {
  const forms = new Set([value, JSON.stringify(value).slice(1, -1), encodeURIComponent(value)]);
  if (URL.canParse(value)) {
    const url = new URL(value);
    const path = `${url.pathname}${url.search}`;
    forms.add(`${url.host}${path}`);
    if (path.length >= MIN_PIECE_LENGTH) forms.add(path);
  }
  try {
    const parsed: unknown = JSON.parse(value);
    if (parsed && typeof parsed === "object")
      for (const field of Object.values(parsed))
        if (typeof field === "string" && field.length >= MIN_PIECE_LENGTH / 2)
          for (const form of secretForms(field)) forms.add(form);
  } catch {
    // Not JSON: the value itself is the secret.
  }
  return [...forms].filter((form) => form.length >= MIN_SECRET_LENGTH);
}

/** `text` with every form of every secret replaced by `[redacted]`, the longest first (a URL before its path). */
export function withoutSecrets(text: string, secrets: readonly string[]): string {
  const forms = [...new Set(secrets.flatMap(secretForms))].sort((a, b) => b.length - a.length);
  return forms.reduce((out, form) => out.split(form).join("[redacted]"), text);
}

import { AwsError } from "./aws-error.js";

/** In-memory AWS Systems Manager Parameter Store: the parameter calls the project makes (AWS JSON 1.1). */
export class SsmSandbox {
  readonly parameters = new Map<
    string,
    { type: "String" | "SecureString"; value: string; version: number; kmsKeyArn?: string }
  >();

  constructor(private readonly options: { accountId: string; region: string }) {}

  /**
   * Stores a parameter. A SecureString is under the AWS managed key aws/ssm unless `kmsKeyArn` names a customer
   * managed key, whose kms:Decrypt the reader then needs (see iam/requests.ts).
   */
  putParameter(
    name: string,
    value: string,
    type: "String" | "SecureString" = "SecureString",
    kmsKeyArn?: string,
  ): void {
    const version = (this.parameters.get(name)?.version ?? 0) + 1;
    this.parameters.set(name, { type, value, version, ...(kmsKeyArn ? { kmsKeyArn } : {}) });
  }

  readonly operations: Record<string, (input: Record<string, unknown>) => unknown> = {
    PutParameter: (input) => {
      this.putParameter(
        String(input.Name),
        String(input.Value),
        input.Type === "String" ? "String" : "SecureString",
        typeof input.KeyId === "string" && input.KeyId.startsWith("arn:") ? input.KeyId : undefined,
      );
      return { Version: this.parameters.get(String(input.Name))?.version, Tier: "Standard" };
    },
    GetParameter: (input) => {
      const name = String(input.Name ?? "");
      const parameter = this.parameters.get(name);
      if (!parameter) throw new AwsError("ParameterNotFound", "");
      const encrypted = parameter.type === "SecureString" && input.WithDecryption !== true;
      return {
        Parameter: {
          Name: name,
          Type: parameter.type,
          // Without WithDecryption a SecureString comes back as ciphertext, never the plain value.
          Value: encrypted ? Buffer.from(`kms-encrypted:${name}`).toString("base64") : parameter.value,
          Version: parameter.version,
          ARN: `arn:aws:ssm:${this.options.region}:${this.options.accountId}:parameter${name.startsWith("/") ? "" : "/"}${name}`,
          DataType: "text",
        },
      };
    },
  };
}

/** A secret's ARN suffix: a hyphen and six letters or digits (Secrets Manager User Guide, "Secret ARNs"). */
const SECRET_SUFFIX = /^[A-Za-z0-9]{6}$/;

/** In-memory AWS Secrets Manager: GetSecretValue by ARN, partial ARN or name (AWS JSON 1.1). */
export class SecretsManagerSandbox {
  readonly secrets = new Map<string, { arn: string; name: string; value: string; kmsKeyArn?: string }>();

  constructor(private readonly options: { accountId: string; region: string }) {}

  /**
   * Stores a secret and returns its ARN, with the six-character suffix AWS adds (`suffix`, or one derived from the
   * name). It is under the AWS managed key aws/secretsmanager unless `kmsKeyArn` names a customer managed key,
   * whose kms:Decrypt the reader then needs (see iam/requests.ts).
   */
  createSecret(name: string, value: string, options: { suffix?: string; kmsKeyArn?: string } = {}): string {
    const suffix = options.suffix ?? Buffer.from(name).toString("hex").slice(0, 6).padEnd(6, "0");
    if (!SECRET_SUFFIX.test(suffix)) {
      throw new Error(`a secret's ARN suffix is six letters or digits; "${suffix}" is not`);
    }
    const arn = `arn:aws:secretsmanager:${this.options.region}:${this.options.accountId}:secret:${name}-${suffix}`;
    this.secrets.set(arn, {
      arn,
      name,
      value,
      ...(options.kmsKeyArn ? { kmsKeyArn: options.kmsKeyArn } : {}),
    });
    return arn;
  }

  /** The ARN of this account's secrets up to their name: `arn:aws:secretsmanager:REGION:ACCOUNT:secret:`. */
  arnPrefix(): string {
    return `arn:aws:secretsmanager:${this.options.region}:${this.options.accountId}:secret:`;
  }

  /**
   * The secret a SecretId names: its ARN, its name, or a partial ARN (the ARN without the suffix), which Secrets
   * Manager also accepts (Secrets Manager User Guide, "Finding a secret from a partial ARN").
   */
  find(id: string): { arn: string; name: string; value: string; kmsKeyArn?: string } | undefined {
    return (
      this.secrets.get(id) ??
      [...this.secrets.values()].find((s) => s.name === id || s.arn.slice(0, -"-XXXXXX".length) === id)
    );
  }

  readonly operations: Record<string, (input: Record<string, unknown>) => unknown> = {
    GetSecretValue: (input) => {
      const id = String(input.SecretId ?? "");
      const secret = this.find(id);
      if (!secret)
        throw new AwsError("ResourceNotFoundException", "Secrets Manager can't find the specified secret.");
      return {
        ARN: secret.arn,
        Name: secret.name,
        VersionId: "00000000-0000-0000-0000-000000000001",
        SecretString: secret.value,
        VersionStages: ["AWSCURRENT"],
        CreatedDate: 1_700_000_000,
      };
    },
  };
}

/** A secret as a configuration document references it (core's SecretRef, without what only reading needs). */
export type SeedableSecretRef = { secretArn: string } | { parameter: string };

/**
 * Keeps `value` where a configuration's secret reference will look for it, as an operator would have stored it
 * before deploying: `{ parameter }` as an SSM SecureString, `{ secretArn }` as a Secrets Manager secret whose ARN is
 * the one written, complete (`…:secret:NAME-AbCdEf`, the suffix AWS adds) or partial (`…:secret:NAME`, which Secrets
 * Manager resolves by the name). Both under the AWS managed key of their store. An ARN of another account or region
 * is an error: the sandbox holds one account's secrets.
 */
export function seedSecret(
  stores: { ssm: SsmSandbox; secretsManager: SecretsManagerSandbox },
  ref: SeedableSecretRef,
  value: string,
): void {
  if ("parameter" in ref) {
    stores.ssm.putParameter(ref.parameter, value, "SecureString");
    return;
  }
  const prefix = stores.secretsManager.arnPrefix();
  if (!ref.secretArn.startsWith(prefix) || ref.secretArn.length === prefix.length) {
    throw new Error(
      `${ref.secretArn} is not a secret of the sandbox's account and region: write it as ${prefix}NAME`,
    );
  }
  const rest = ref.secretArn.slice(prefix.length);
  const complete = /^(.+)-([A-Za-z0-9]{6})$/.exec(rest);
  if (complete?.[1] && complete[2]) {
    stores.secretsManager.createSecret(complete[1], value, { suffix: complete[2] });
  } else {
    stores.secretsManager.createSecret(rest, value);
  }
}

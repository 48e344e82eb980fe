import { AwsError } from "./aws-error.js";

/** In-memory AWS Systems Manager Parameter Store: the parameter calls the project makes (AWS JSON 1.1). */
export class SsmSandbox {
  readonly parameters = new Map<
    string,
    { type: "String" | "SecureString"; value: string; version: number }
  >();

  constructor(private readonly options: { accountId: string; region: string }) {}

  putParameter(name: string, value: string, type: "String" | "SecureString" = "SecureString"): void {
    const version = (this.parameters.get(name)?.version ?? 0) + 1;
    this.parameters.set(name, { type, value, version });
  }

  readonly operations: Record<string, (input: Record<string, unknown>) => unknown> = {
    PutParameter: (input) => {
      this.putParameter(
        String(input.Name),
        String(input.Value),
        input.Type === "String" ? "String" : "SecureString",
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

/** In-memory AWS Secrets Manager: GetSecretValue by ARN or name (AWS JSON 1.1). */
export class SecretsManagerSandbox {
  readonly secrets = new Map<string, { arn: string; name: string; value: string }>();

  constructor(private readonly options: { accountId: string; region: string }) {}

  /** Stores a secret and returns its ARN (with the six-character suffix AWS adds). */
  createSecret(name: string, value: string): string {
    const suffix = Buffer.from(name).toString("hex").slice(0, 6).padEnd(6, "0");
    const arn = `arn:aws:secretsmanager:${this.options.region}:${this.options.accountId}:secret:${name}-${suffix}`;
    this.secrets.set(arn, { arn, name, value });
    return arn;
  }

  readonly operations: Record<string, (input: Record<string, unknown>) => unknown> = {
    GetSecretValue: (input) => {
      const id = String(input.SecretId ?? "");
      const secret = this.secrets.get(id) ?? [...this.secrets.values()].find((s) => s.name === id);
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

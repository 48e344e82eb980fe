import { EcrSandbox } from "./ecr/sandbox.js";
import type { EcrOptions } from "./ecr/types.js";
import { SecretsManagerSandbox, SsmSandbox } from "./parameters.js";
import { AwsHttpServer, type ServerOptions } from "./server.js";
import { SesSandbox } from "./ses.js";
import { SnsSandbox } from "./sns.js";
import { SqsSandbox } from "./sqs.js";

export interface SandboxOptions extends ServerOptions, Partial<Omit<EcrOptions, "now">> {
  now?: () => number;
}

export interface Sandbox {
  /** Base URL for AWS_ENDPOINT_URL, e.g. http://127.0.0.1:41234. */
  endpoint: string;
  ecr: EcrSandbox;
  sqs: SqsSandbox;
  sns: SnsSandbox;
  ses: SesSandbox;
  ssm: SsmSandbox;
  secretsManager: SecretsManagerSandbox;
  server: AwsHttpServer;
  /** Environment for a process whose AWS SDK clients should talk to this sandbox. */
  env(): Record<string, string>;
  close(): Promise<void>;
}

/** Starts the local AWS on 127.0.0.1 (a free port unless `port` is given). */
export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const now = options.now ?? Date.now;
  const accountId = options.accountId ?? "123456789012";
  const region = options.region ?? "eu-west-1";
  const server = new AwsHttpServer(options);
  const ecr = new EcrSandbox({
    accountId,
    region,
    scanDurationMs: options.scanDurationMs ?? 200,
    scansPerRegistryPerDay: options.scansPerRegistryPerDay ?? 100_000,
    describeImagesScanData: options.describeImagesScanData ?? "omitted",
    enhancedFindingsAtEvent: options.enhancedFindingsAtEvent ?? 1,
    lateFindingsDelayMs: options.lateFindingsDelayMs,
    findingsFor: options.findingsFor,
    now,
  });
  let endpoint = "";
  const sqs = new SqsSandbox({ accountId, region, endpoint: () => endpoint, now });
  server.addJsonService({
    name: "ecr",
    targetPrefix: "AmazonEC2ContainerRegistry_V20150921",
    jsonVersion: "1.1",
    operations: ecr.operations,
  });
  server.addJsonService({
    name: "sqs",
    targetPrefix: "AmazonSQS",
    jsonVersion: "1.0",
    operations: sqs.operations,
  });
  const ssm = new SsmSandbox({ accountId, region });
  server.addJsonService({
    name: "ssm",
    targetPrefix: "AmazonSSM",
    jsonVersion: "1.1",
    operations: ssm.operations,
  });
  const secretsManager = new SecretsManagerSandbox({ accountId, region });
  server.addJsonService({
    name: "secretsmanager",
    targetPrefix: "secretsmanager",
    jsonVersion: "1.1",
    operations: secretsManager.operations,
  });
  const sns = new SnsSandbox({ accountId, region });
  sns.attach(server);
  const ses = new SesSandbox();
  ses.attach(server);
  endpoint = await server.listen();
  return {
    endpoint,
    ecr,
    sqs,
    sns,
    ses,
    ssm,
    secretsManager,
    server,
    env: () => ({
      AWS_ENDPOINT_URL: endpoint,
      AWS_REGION: region,
      AWS_ACCESS_KEY_ID: "sandbox",
      AWS_SECRET_ACCESS_KEY: "sandbox",
    }),
    close: async () => {
      ecr.close();
      await server.close();
    },
  };
}

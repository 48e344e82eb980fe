// `--account` of plan, scan and report ([8/8]), in-process with ECR mocked and STS answered by a stand-in on
// loopback: --endpoint-url points every client there, so the test also proves that AssumeRole goes to the same
// endpoint as ECR (the sandbox's case). Which credentials and which registryId every ECR call carries, and what the
// CLI says when an account is not in `accounts` or its role cannot be assumed.
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  DescribeImageScanFindingsCommand,
  DescribeImagesCommand,
  DescribeRepositoriesCommand,
  ECRClient,
  GetRegistryScanningConfigurationCommand,
  StartImageScanCommand,
} from "@aws-sdk/client-ecr";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { accountText } from "../src/context.js";
import { isolatedAwsEnvironment } from "./support/aws-env.js";
import { runCli } from "./support/run-cli.js";

const HUB = "123456789012";
const PROD = "222222222222";
const DEV = "333333333333";
const CALLER_KEY = "AKIACALLER";
const role = (id: string) => `arn:aws:iam::${id}:role/ecr-scan-reporter-member`;
const ACCOUNTS = [
  { accountId: HUB, name: "hub" },
  { accountId: PROD, roleArn: role(PROD), externalId: "ext-prod", name: "prod" },
  { accountId: DEV, roleArn: role(DEV), name: "dev" },
];
/** No threat-intel feeds: a unit test never goes out to CISA or FIRST. */
const NO_INTEL = { intel: { kevUrl: null, epssUrl: null } };
const DIGEST = `sha256:${"ab".repeat(32)}`;

// --- STS on loopback: AssumeRole as AWS answers it (query protocol, XML), refusing the roles in `refused`. ---

interface AssumeRoleRequest {
  form: URLSearchParams;
  /** The access key that signed the request: whose credentials assumed the role. */
  signedWith: string;
}
const assumed: AssumeRoleRequest[] = [];
const refused = new Set<string>();
let sts: Server;
let endpoint: string;

function stsAnswer(form: URLSearchParams): { status: number; body: string } {
  const roleArn = form.get("RoleArn") ?? "";
  if (refused.has(roleArn)) {
    return {
      status: 403,
      body: `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>User: arn:aws:iam::${HUB}:user/dev is not authorized to perform: sts:AssumeRole on resource: ${roleArn}</Message></Error><RequestId>r-1</RequestId></ErrorResponse>`,
    };
  }
  const account = /iam::(\d{12}):/.exec(roleArn)?.[1] ?? "";
  return {
    status: 200,
    body: `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult><Credentials><AccessKeyId>ASIA${account}</AccessKeyId><SecretAccessKey>secret</SecretAccessKey><SessionToken>token</SessionToken><Expiration>${new Date(Date.now() + 3_600_000).toISOString()}</Expiration></Credentials><AssumedRoleUser><AssumedRoleId>AROA:ecr-scan-reporter</AssumedRoleId><Arn>arn:aws:sts::${account}:assumed-role/ecr-scan-reporter-member/ecr-scan-reporter</Arn></AssumedRoleUser></AssumeRoleResult><ResponseMetadata><RequestId>r-2</RequestId></ResponseMetadata></AssumeRoleResponse>`,
  };
}

beforeAll(async () => {
  sts = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk) => {
      body += String(chunk);
    });
    request.on("end", () => {
      const form = new URLSearchParams(body);
      const signedWith = /Credential=([^/]+)\//.exec(request.headers.authorization ?? "")?.[1] ?? "";
      assumed.push({ form, signedWith });
      const answer = stsAnswer(form);
      response.writeHead(answer.status, { "content-type": "text/xml" }).end(answer.body);
    });
  });
  await new Promise<void>((resolve) => sts.listen(0, "127.0.0.1", resolve));
  endpoint = `http://127.0.0.1:${(sts.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => sts.close(() => resolve())));

// --- ECR: each registry answers only the credentials of its own account, as ECR does without a registry policy. ---

const ecr = mockClient(ECRClient);
afterAll(() => ecr.restore());

/** Every ECR call: its command, the registryId it named, and the access key it was signed with. */
const calls: { command: string; registryId?: string; signedWith: string }[] = [];

async function signingKeyOf(client: ECRClient): Promise<string> {
  const credentials = client.config.credentials as () => Promise<{ accessKeyId: string }>;
  return (await credentials()).accessKeyId;
}

function accessDenied(message: string): Error {
  return Object.assign(new Error(message), { name: "AccessDeniedException", $fault: "client" });
}

/** Records the call, then answers as the registry of the credentials' account (`own`) would. */
function registryFake(
  command: string,
  answer: (registry: string, input: Record<string, unknown>) => unknown,
) {
  return async (input: { registryId?: string }, getClient: () => ECRClient) => {
    const signedWith = await signingKeyOf(getClient());
    calls.push({ command, registryId: input.registryId, signedWith });
    const own = signedWith === CALLER_KEY ? HUB : signedWith.slice(4);
    const registry = input.registryId ?? own;
    if (registry !== own) throw accessDenied(`not authorized to perform ${command} on registry ${registry}`);
    return answer(registry, input as Record<string, unknown>);
  };
}

/**
 * Each registry holds one repository, `<account name>/api`, with one image scanned in January 2025: DescribeImages
 * does not say so (as ECR does not, for some images), so planning asks DescribeImageScanFindings too.
 */
const repositoryOf = (registry: string) => `${ACCOUNTS.find((a) => a.accountId === registry)?.name}/api`;

function imageOf(registry: string) {
  return {
    registryId: registry,
    repositoryName: repositoryOf(registry),
    imageDigest: DIGEST,
    imageTags: ["v1"],
    imagePushedAt: new Date("2025-01-01T00:00:00Z"),
    imageManifestMediaType: "application/vnd.docker.distribution.manifest.v2+json",
    artifactMediaType: "application/vnd.docker.container.image.v1+json",
  };
}

let restore: () => void;
let dir: string;
beforeEach(() => {
  ({ restore } = isolatedAwsEnvironment());
  process.env.AWS_ACCESS_KEY_ID = CALLER_KEY;
  process.env.AWS_SECRET_ACCESS_KEY = "caller-secret";
  dir = mkdtempSync(join(tmpdir(), "cli-accounts-"));
  assumed.length = 0;
  calls.length = 0;
  refused.clear();
  ecr.reset();
  ecr
    .on(DescribeRepositoriesCommand)
    .callsFake(
      registryFake("DescribeRepositories", (registry) => ({
        repositories: [{ registryId: registry, repositoryName: repositoryOf(registry) }],
      })),
    )
    .on(GetRegistryScanningConfigurationCommand)
    .callsFake(
      registryFake("GetRegistryScanningConfiguration", (registry) => ({
        registryId: registry,
        scanningConfiguration: { scanType: "BASIC", rules: [] },
      })),
    )
    .on(DescribeImagesCommand)
    .callsFake(registryFake("DescribeImages", (registry) => ({ imageDetails: [imageOf(registry)] })))
    .on(DescribeImageScanFindingsCommand)
    .callsFake(
      registryFake("DescribeImageScanFindings", (registry) => ({
        registryId: registry,
        repositoryName: repositoryOf(registry),
        imageId: { imageDigest: DIGEST },
        imageScanStatus: { status: "COMPLETE" },
        imageScanFindings: {
          imageScanCompletedAt: new Date("2025-01-02T00:00:00Z"),
          findings: [{ name: "CVE-2024-0001", severity: "CRITICAL" }],
        },
      })),
    )
    .on(StartImageScanCommand)
    .callsFake(
      registryFake("StartImageScan", (registry) => ({
        registryId: registry,
        repositoryName: repositoryOf(registry),
        imageId: { imageDigest: DIGEST },
        imageScanStatus: { status: "IN_PROGRESS" },
      })),
    );
});
afterEach(() => restore());

function configFile(document: unknown): string {
  const path = join(dir, "config.json");
  writeFileSync(path, JSON.stringify({ ...NO_INTEL, ...(document as object) }));
  return path;
}

/** Runs the CLI against the loopback endpoint with `accounts` configured (or `document`). */
function cli(args: string[], document: unknown = { accounts: ACCOUNTS }) {
  return runCli(
    ...args,
    "--config",
    configFile(document),
    "--region",
    "eu-west-1",
    "--endpoint-url",
    endpoint,
  );
}

describe("--account", () => {
  it("plans a member account with its role: AssumeRole with the caller's credentials and the ExternalId, registryId on every call", async () => {
    const { code, stdout, stderr } = await cli(["plan", "--account", "prod"]);
    expect(stderr).toContain("account prod (222222222222): 1 repositories, 1 images");
    expect(code).toBe(0);
    expect(stdout).toContain("prod/api\tv1\tscan\texpired");

    expect(assumed).toHaveLength(1);
    const [request] = assumed;
    expect(request?.signedWith).toBe(CALLER_KEY);
    expect(Object.fromEntries(request?.form ?? [])).toMatchObject({
      Action: "AssumeRole",
      RoleArn: role(PROD),
      RoleSessionName: "ecr-scan-reporter",
      ExternalId: "ext-prod",
    });
    expect(new Set(calls.map((c) => c.command))).toEqual(
      new Set([
        "DescribeRepositories",
        "GetRegistryScanningConfiguration",
        "DescribeImages",
        "DescribeImageScanFindings",
      ]),
    );
    for (const call of calls) {
      expect(call.signedWith, call.command).toBe(`ASIA${PROD}`);
      // GetRegistryScanningConfiguration has no registryId: it reads the credentials' own registry.
      if (call.command !== "GetRegistryScanningConfiguration")
        expect(call.registryId, call.command).toBe(PROD);
    }
  });

  it("reads the hub's own entry (no roleArn) with the caller's credentials, named by its id", async () => {
    const { code, stderr } = await cli(["plan", "--account", HUB, "--json"]);
    expect(stderr).toBe("");
    expect(code).toBe(0);
    expect(assumed).toEqual([]);
    expect(calls.length).toBeGreaterThan(0);
    for (const call of calls) expect(call.signedWith).toBe(CALLER_KEY);
    expect(calls.find((c) => c.command === "DescribeRepositories")?.registryId).toBe(HUB);
  });

  it("scans in the member's registry: StartImageScan names it and carries its role's credentials", async () => {
    const { code, stdout } = await cli(["scan", "--account", "prod", "--json"]);
    expect(code).toBe(0);
    const output = JSON.parse(stdout) as {
      account: unknown;
      scans: { repository: string; outcome: string }[];
    };
    expect(output.account).toEqual({ accountId: PROD, name: "prod" });
    expect(output.scans).toEqual([expect.objectContaining({ repository: "prod/api", outcome: "started" })]);
    expect(calls.filter((c) => c.command === "StartImageScan")).toEqual([
      { command: "StartImageScan", registryId: PROD, signedWith: `ASIA${PROD}` },
    ]);
  });

  it("names the account in report's output and in the report itself", async () => {
    const json = await cli(["report", "prod/api:v1", "--account", "prod", "--json"]);
    expect(json.code).toBe(0);
    const { report } = JSON.parse(json.stdout) as { report: Record<string, unknown> };
    expect(report).toMatchObject({
      account: PROD,
      accountName: "prod",
      registryId: PROD,
      repository: "prod/api",
    });
    for (const call of calls) {
      expect(call.signedWith, call.command).toBe(`ASIA${PROD}`);
      if (call.command !== "GetRegistryScanningConfiguration")
        expect(call.registryId, call.command).toBe(PROD);
    }
    expect(assumed.map((a) => a.form.get("ExternalId"))).toEqual(["ext-prod"]);

    const text = await cli(["report", "prod/api:v1", "--account", PROD]);
    expect(text.code).toBe(0);
    expect(text.stderr).toContain(
      "prod/api@sha256:abababababab in prod (222222222222) COMPLETE: 1 critical — over the thresholds",
    );
  });

  it("is a usage error (exit 2) naming the configured accounts when it names none of them, before any AWS call", async () => {
    for (const command of [["plan"], ["scan"], ["report", "prod/api:v1"]]) {
      const { code, stdout, stderr } = await cli([...command, "--account", "staging"]);
      expect(code).toBe(2);
      expect(stdout).toBe("");
      expect(stderr).toBe(
        "--account staging is not in the configuration's `accounts`; it lists hub (123456789012), prod (222222222222), dev (333333333333).\n",
      );
    }
    expect(assumed).toEqual([]);
    expect(calls).toEqual([]);
  });

  it("is a usage error (exit 2) when the configuration has no `accounts` list", async () => {
    const { code, stderr } = await cli(["plan", "--account", PROD], {});
    expect(code).toBe(2);
    expect(stderr).toMatch(/^--account 222222222222: the configuration has no `accounts` list/);
    expect(calls).toEqual([]);
  });

  it("says which role could not be assumed and how to fix it (exit 3), never reading with the caller's credentials", async () => {
    refused.add(role(DEV));
    const { code, stdout, stderr } = await cli(["plan", "--account", "dev"]);
    expect(code).toBe(3);
    expect(stdout).toBe("");
    expect(stderr).toMatch(
      new RegExp(
        `^error: cannot assume ${role(DEV)} for account ${DEV}: AccessDenied: User: .* is not authorized to perform: sts:AssumeRole .*--profile.*hub_role_arns`,
      ),
    );
    expect(assumed.map((a) => a.form.get("ExternalId"))).toEqual([null]);
    expect(calls.filter((c) => c.signedWith === CALLER_KEY)).toEqual([]);
  });
});

describe("without --account", () => {
  it("plans every listed account with its own credentials; one that cannot be read is a line and exit 3, the others are planned", async () => {
    refused.add(role(DEV));
    const { code, stdout, stderr } = await cli(["plan"]);
    expect(code).toBe(3);
    expect(stdout).toMatch(/^hub\thub\/api\tv1\tscan\texpired/m);
    expect(stdout).toMatch(/^prod\tprod\/api\tv1\tscan\texpired/m);
    expect(stdout).not.toMatch(/^dev\t/m);
    expect(stderr).toMatch(new RegExp(`^account dev \\(${DEV}\\) not read: cannot assume ${role(DEV)}`, "m"));
    expect(stderr).toContain("account hub (123456789012): 1 repositories, 1 images");
    expect(stderr).toContain("account prod (222222222222): 1 repositories, 1 images");
    const registriesRead = new Set(calls.map((c) => `${c.registryId}:${c.signedWith}`));
    expect(registriesRead).toEqual(
      new Set([
        `${HUB}:${CALLER_KEY}`,
        `undefined:${CALLER_KEY}`,
        `${PROD}:ASIA${PROD}`,
        `undefined:ASIA${PROD}`,
      ]),
    );
  });

  it("with no `accounts` list, plans the caller's own registry as before: no AssumeRole", async () => {
    const { code, stdout } = await cli(["plan"], {});
    expect(code).toBe(0);
    expect(stdout).toMatch(/^hub\/api\tv1\tscan\texpired/m);
    expect(assumed).toEqual([]);
    expect(calls.find((c) => c.command === "DescribeRepositories")?.registryId).toBeUndefined();
  });
});

describe("how the CLI names an account", () => {
  it("puts a configured name on one clean line beside the id (a tab or an escape would break a column)", () => {
    expect(accountText({ accountId: PROD, name: "prod" })).toBe("prod (222222222222)");
    expect(accountText({ accountId: PROD })).toBe(PROD);
    expect(accountText({ accountId: PROD, name: "pr\tod\n\u001b[2J" })).toBe("pr od [2J (222222222222)");
  });
});

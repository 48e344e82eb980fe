import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { startSandbox } from "@ecr-scan-reporter/sandbox";
import { DEMO_SCAN_CONFIG, seedDemoRegistry } from "@ecr-scan-reporter/sandbox/demo";

/** The ledger table the sandbox command creates (the module's would be `<name_prefix>-ledger`). */
export const SANDBOX_LEDGER_TABLE = "ecr-scan-reporter-ledger";

/**
 * `ecr-scan-reporter sandbox`: the demo's registry on a local sandbox that stays up until Ctrl-C, so `plan`,
 * `scan`, `report`, `digest` and `exposure` can be tried against it with --endpoint-url. Writes a matching
 * configuration file, and creates a findings ledger table as the Terraform module would.
 */
export async function sandboxCommand(options: { port?: string; writeConfig: string }): Promise<number> {
  const port = options.port ? Number(options.port) : undefined;
  const sandbox = await startSandbox({ port, scanDurationMs: 1_000 });
  const seeded = seedDemoRegistry(sandbox.ecr);
  const topicArn = sandbox.sns.createTopic("ecr-scan-reporter-findings");
  sandbox.ses.verifyIdentity("acme.example");
  await sandbox.dynamodb.createLedgerTable(SANDBOX_LEDGER_TABLE);
  const configPath = resolve(options.writeConfig);
  writeFileSync(
    configPath,
    `${JSON.stringify(
      {
        ...DEMO_SCAN_CONFIG,
        // The sandbox's KEV feed and EPSS API: reports, digests and exposure never reach CISA or FIRST from it.
        intel: { kevUrl: sandbox.intel.kevUrl, epssUrl: sandbox.intel.epssUrl },
        reporters: [
          { use: "sns", options: { topicArn } },
          { use: "email", options: { from: "scans@acme.example", to: ["security@acme.example"] } },
          { use: "metrics" },
        ],
      },
      null,
      2,
    )}\n`,
  );
  process.stdout.write(
    [
      `sandbox on ${sandbox.endpoint}: ${sandbox.ecr.repositories.size} repositories, ${seeded.length} images (the demo's registry)`,
      `configuration written to ${configPath}`,
      "",
      "try, in another terminal:",
      `  pnpm exec ecr-scan-reporter plan --endpoint-url ${sandbox.endpoint} --region eu-west-1 --config ${configPath}`,
      `  pnpm exec ecr-scan-reporter scan --endpoint-url ${sandbox.endpoint} --region eu-west-1 --config ${configPath}`,
      `  pnpm exec ecr-scan-reporter report team-a/api:v1.0.0 --endpoint-url ${sandbox.endpoint} --region eu-west-1 --config ${configPath} --out preview`,
      "",
      `with the findings ledger (table ${SANDBOX_LEDGER_TABLE}): scan, then report sends and records (the scan takes a second), then digest and exposure read it:`,
      `  export LEDGER_TABLE_NAME=${SANDBOX_LEDGER_TABLE}`,
      `  pnpm exec ecr-scan-reporter scan team-a/api --endpoint-url ${sandbox.endpoint} --region eu-west-1 --config ${configPath}`,
      `  pnpm exec ecr-scan-reporter report team-a/api:v1.0.0 --endpoint-url ${sandbox.endpoint} --region eu-west-1 --config ${configPath}`,
      `  pnpm exec ecr-scan-reporter digest --endpoint-url ${sandbox.endpoint} --region eu-west-1 --config ${configPath} --out digest-preview`,
      `  pnpm exec ecr-scan-reporter exposure CVE-2024-3094 --endpoint-url ${sandbox.endpoint} --region eu-west-1 --config ${configPath}`,
      "",
      "Ctrl-C stops it.",
      "",
    ].join("\n"),
  );
  await new Promise<void>((done) => {
    process.once("SIGINT", done);
    process.once("SIGTERM", done);
  });
  await sandbox.close();
  return 0;
}

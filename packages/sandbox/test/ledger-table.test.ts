// The sandbox and `pnpm demo` create the ledger table from core's LEDGER_TABLE "as the module would": this holds them
// to the table the Terraform module plans (module-policies.json, rendered from the plan and kept current by
// test/terraform-iam.test.ts).
import { createLedgerTableInput, LEDGER_TABLE } from "@ecr-scan-reporter/core";
import { describe, expect, it } from "vitest";
import { loadModulePolicies } from "../src/iam/module-policies.js";

describe("the ledger table core describes", () => {
  const { deployments } = loadModulePolicies();

  it.each(Object.entries(deployments))("is the table the module plans (%s)", (_name, deployment) => {
    const planned = deployment.ledger;
    if (!planned) throw new Error("the rendered deployment has no ledger table");
    const input = createLedgerTableInput(planned.tableName, { kmsKeyArn: planned.kmsKeyArn ?? undefined });
    expect(input.KeySchema).toEqual([
      { AttributeName: planned.hashKey, KeyType: "HASH" },
      { AttributeName: planned.rangeKey, KeyType: "RANGE" },
    ]);
    // The plan lists the attributes (a set) and the indexes by name.
    expect(
      input.AttributeDefinitions?.map((a) => ({ name: a.AttributeName, type: a.AttributeType })).sort(
        (a, b) => String(a.name).localeCompare(String(b.name)),
      ),
    ).toEqual(planned.attributes);
    expect(
      input.GlobalSecondaryIndexes?.map((index) => ({
        name: index.IndexName,
        hashKey: index.KeySchema?.find((key) => key.KeyType === "HASH")?.AttributeName,
        rangeKey: index.KeySchema?.find((key) => key.KeyType === "RANGE")?.AttributeName,
        projectionType: index.Projection?.ProjectionType,
      })).sort((a, b) => String(a.name).localeCompare(String(b.name))),
    ).toEqual(planned.globalSecondaryIndexes);
    // Each index has exactly a hash and a range key, and no capacity of its own (the table is on demand).
    for (const index of input.GlobalSecondaryIndexes ?? []) {
      expect(index.KeySchema?.map((key) => key.KeyType)).toEqual(["HASH", "RANGE"]);
      expect(index.ProvisionedThroughput).toBeUndefined();
    }
    expect(input.BillingMode).toBe(planned.billingMode);
    expect(input.DeletionProtectionEnabled).toBe(planned.deletionProtection);
    expect(LEDGER_TABLE.ttlAttribute).toBe(planned.ttlAttribute);
    expect(LEDGER_TABLE.pointInTimeRecovery).toBe(planned.pointInTimeRecovery);
    expect(input.SSESpecification?.KMSMasterKeyId).toBe(planned.kmsKeyArn ?? undefined);
  });
});

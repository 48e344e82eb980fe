import { describe, expect, it } from "vitest";
import {
  accountNameOf,
  accountOfArn,
  coveredAccounts,
  hubEntryProblem,
  isAccountRouted,
  lookUpAccount,
  reportAccountName,
} from "../src/accounts/accounts.js";
import { parseConfig } from "../src/config/load.js";
import { ConfigError } from "../src/errors.js";
import { emptySeverityCounts } from "../src/model.js";
import { routeReport } from "../src/policy/policy.js";
import { accountLabel } from "../src/view/image.js";

// The `accounts` list of a hub deployment ([8/8]): what the configuration accepts, and the pure decisions on it.

const HUB = "111111111111";
const PROD = "222222222222";
const DEV = "333333333333";
const role = (id: string, name = "ecr-scan-reporter-member") => `arn:aws:iam::${id}:role/${name}`;

function problemsOf(document: unknown): { path: string; reason: string }[] {
  try {
    parseConfig(document, "test.json");
  } catch (error) {
    if (error instanceof ConfigError) return error.problems.map(({ path, reason }) => ({ path, reason }));
    throw error;
  }
  return [];
}

const reasonAt = (document: unknown, path: string) =>
  problemsOf(document).find((p) => p.path === path)?.reason;

describe("accounts in the configuration", () => {
  const valid = {
    accounts: [
      { accountId: HUB, name: "hub" },
      { accountId: PROD, roleArn: role(PROD), externalId: "ecr-scan-reporter-7f3a", name: "prod" },
      { accountId: DEV, roleArn: "arn:aws:iam::333333333333:role/platform/ecr-reader" },
    ],
    reporters: [{ use: "sns", accounts: ["prod", DEV] }],
  };

  it("accepts ids, role ARNs with paths, an ExternalId, names, and reporter routes by id or name", () => {
    const config = parseConfig(valid, "test.json");
    expect(config.accounts?.map((a) => a.accountId)).toEqual([HUB, PROD, DEV]);
    expect(config.reporters[0]?.accounts).toEqual(["prod", DEV]);
  });

  it("names the entry of an account id that is not 12 digits, and of a number", () => {
    expect(
      reasonAt({ accounts: [{ accountId: "12345678901", roleArn: role(PROD) }] }, "accounts[0].accountId"),
    ).toMatch(/12-digit AWS account id/);
    expect(reasonAt({ accounts: [{ accountId: 222222222222 }] }, "accounts[0].accountId")).toBeDefined();
  });

  it("refuses a malformed role ARN, saying what one looks like", () => {
    for (const roleArn of [
      "arn:aws:iam::22222222222:role/x",
      "arn:aws:sts::222222222222:role/x",
      "ecr-reader",
      "arn:aws:iam::222222222222:user/x",
    ]) {
      expect(reasonAt({ accounts: [{ accountId: PROD, roleArn }] }, "accounts[0].roleArn"), roleArn).toMatch(
        /IAM role ARN like arn:aws:iam::123456789012:role/,
      );
    }
    expect(
      problemsOf({
        accounts: [{ accountId: "222222222222", roleArn: "arn:aws-cn:iam::222222222222:role/r" }],
      }),
    ).toEqual([]);
  });

  it("refuses a role in another account than the entry's", () => {
    expect(reasonAt({ accounts: [{ accountId: PROD, roleArn: role(DEV) }] }, "accounts[0].roleArn")).toBe(
      `the role is in account ${DEV}, not ${PROD}: the hub assumes a role in each member account itself`,
    );
  });

  it("refuses an account listed twice, a name used twice, and a name that is another account's id", () => {
    expect(
      reasonAt(
        {
          accounts: [
            { accountId: HUB },
            { accountId: PROD, roleArn: role(PROD) },
            { accountId: PROD, roleArn: role(PROD) },
          ],
        },
        "accounts[2].accountId",
      ),
    ).toMatch(/listed twice \(also accounts\[1\]\)/);
    expect(
      reasonAt(
        {
          accounts: [
            { accountId: HUB, name: "x" },
            { accountId: PROD, roleArn: role(PROD), name: "x" },
          ],
        },
        "accounts[1].name",
      ),
    ).toMatch(/also accounts\[0\]'s/);
    expect(reasonAt({ accounts: [{ accountId: HUB, name: DEV }] }, "accounts[0].name")).toMatch(
      /another account's id/,
    );
    expect(problemsOf({ accounts: [{ accountId: HUB, name: HUB }] })).toEqual([]);
  });

  it("allows one entry without a role (the hub's own account), and an ExternalId only with a role", () => {
    expect(reasonAt({ accounts: [{ accountId: HUB }, { accountId: PROD }] }, "accounts[1].roleArn")).toMatch(
      /only the hub's own account may go without a roleArn, and accounts\[0\] already does/,
    );
    expect(reasonAt({ accounts: [{ accountId: HUB, externalId: "abc" }] }, "accounts[0].externalId")).toMatch(
      /externalId needs a roleArn/,
    );
    expect(
      reasonAt(
        { accounts: [{ accountId: PROD, roleArn: role(PROD), externalId: "a" }] },
        "accounts[0].externalId",
      ),
    ).toMatch(/2 to 1224 characters/);
  });

  it("refuses a reporter route naming an account the configuration does not cover", () => {
    expect(
      reasonAt({ ...valid, reporters: [{ use: "sns", accounts: ["prdo"] }] }, "reporters[0].accounts[0]"),
    ).toBe('"prdo" is neither the accountId nor the name of an entry of `accounts`');
    expect(reasonAt({ reporters: [{ use: "sns", accounts: ["prod"] }] }, "reporters[0].accounts[0]")).toMatch(
      /not a 12-digit account id \(names need an `accounts` list/,
    );
    expect(problemsOf({ reporters: [{ use: "sns", accounts: [HUB] }] })).toEqual([]);
  });

  it("refuses an empty list and an unknown key, as every other list and object", () => {
    expect(reasonAt({ accounts: [] }, "accounts")).toBeDefined();
    expect(problemsOf({ accounts: [{ accountId: HUB, role: "x" }] }).length).toBeGreaterThan(0);
  });
});

describe("the accounts a run covers", () => {
  const config = parseConfig(
    {
      accounts: [
        { accountId: HUB, name: "hub" },
        { accountId: PROD, roleArn: role(PROD), name: "prod" },
      ],
    },
    "t",
  );

  it("is the deployment's own account, unnamed, without a list", () => {
    expect(coveredAccounts(parseConfig({}, "t"))).toEqual([{}]);
    expect(lookUpAccount(parseConfig({}, "t"), DEV)).toEqual({ kind: "own" });
  });

  it("is exactly the listed accounts with one, any other account unlisted", () => {
    expect(coveredAccounts(config).map((a) => a.accountId)).toEqual([HUB, PROD]);
    expect(lookUpAccount(config, PROD)).toMatchObject({ kind: "listed", account: { roleArn: role(PROD) } });
    expect(lookUpAccount(config, DEV)).toEqual({ kind: "unlisted" });
    expect(lookUpAccount(config, undefined)).toEqual({ kind: "unlisted" });
    expect(accountNameOf(config, PROD)).toBe("prod");
    expect(accountNameOf(config, DEV)).toBeUndefined();
  });
});

describe("routing and naming by account", () => {
  const report = { repository: "team/api", status: "COMPLETE" as const, counts: emptySeverityCounts() };

  it("routes by id or by name, and everything without a filter", () => {
    expect(isAccountRouted(undefined, { account: PROD })).toBe(true);
    expect(isAccountRouted([PROD], { account: PROD })).toBe(true);
    expect(isAccountRouted(["prod"], { account: PROD, accountName: "prod" })).toBe(true);
    expect(isAccountRouted(["prod"], { account: PROD })).toBe(false);
    expect(isAccountRouted(["dev", DEV], { account: PROD, accountName: "prod" })).toBe(false);
    expect(routeReport({ ...report, account: PROD, accountName: "prod" }, { accounts: ["prod"] })).toBe(true);
    expect(routeReport({ ...report, account: DEV }, { accounts: ["prod"] })).toBe(false);
    expect(routeReport({ ...report, account: DEV }, {})).toBe(true);
  });

  it("labels an account by name and id, or by id alone", () => {
    expect(accountLabel({ account: PROD, accountName: "prod" })).toBe(`prod (${PROD})`);
    expect(accountLabel({ account: PROD })).toBe(PROD);
    expect(accountLabel({ account: PROD, accountName: PROD })).toBe(PROD);
  });

  it("names a report's account by its name, by its id when listed unnamed, and not at all without accounts", () => {
    const config = parseConfig(
      {
        accounts: [
          { accountId: HUB, name: "hub" },
          { accountId: PROD, roleArn: role(PROD) },
        ],
      },
      "t",
    );
    expect(reportAccountName(config, HUB)).toBe("hub");
    expect(reportAccountName(config, PROD)).toBe(PROD);
    expect(reportAccountName(parseConfig({}, "t"), PROD)).toBeUndefined();
  });
});

describe("the hub's own entry", () => {
  const entries = [
    { accountId: PROD, roleArn: role(PROD) },
    { accountId: HUB, name: "hub" },
  ];

  it("is the account the functions run in, or a problem naming the entry", () => {
    expect(hubEntryProblem(entries, HUB)).toBeUndefined();
    expect(hubEntryProblem(undefined, HUB)).toBeUndefined();
    expect(hubEntryProblem(entries, DEV)).toEqual({
      path: "accounts[1].accountId",
      reason: `${HUB} has no roleArn, so it must be the account these functions run in (${DEV}): give it the roleArn of its member role, or correct the id`,
    });
  });

  it("reads the account from a function's ARN", () => {
    expect(accountOfArn(`arn:aws:lambda:eu-west-1:${HUB}:function:ecr-scan-reporter-schedule-scans`)).toBe(
      HUB,
    );
    expect(accountOfArn(`arn:aws-cn:lambda:cn-north-1:${DEV}:function:x:live`)).toBe(DEV);
    expect(accountOfArn(undefined)).toBeUndefined();
    expect(accountOfArn("not-an-arn")).toBeUndefined();
  });
});

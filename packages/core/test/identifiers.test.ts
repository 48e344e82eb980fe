import { beforeEach, describe, expect, it } from "vitest";
import { loadFresh } from "./support/fresh-modules.js";

// The identifier patterns are built while their module loads: each test loads it afresh
// (support/fresh-modules.ts says why).
type Identifiers = typeof import("../src/events/identifiers.js");
let ACCOUNT_ID_PATTERN: RegExp;
let isImageDigest: Identifiers["isImageDigest"];
let isRepositoryName: Identifiers["isRepositoryName"];
let parseImageArn: Identifiers["parseImageArn"];
let parseRepositoryArn: Identifiers["parseRepositoryArn"];

beforeEach(async () => {
  ({ ACCOUNT_ID_PATTERN, isImageDigest, isRepositoryName, parseImageArn, parseRepositoryArn } =
    await loadFresh(() => import("../src/events/identifiers.js")));
});

const HEX64 = "0123456789abcdef".repeat(4);
const DIGEST = `sha256:${HEX64}`;

describe("isImageDigest", () => {
  it("takes sha256: and exactly 64 lower-case hex digits, nothing around them", () => {
    expect(isImageDigest(DIGEST)).toBe(true);
    for (const bad of [`x${DIGEST}`, ` ${DIGEST}`, `${DIGEST}0`, `${DIGEST}\n`, `sha256:${HEX64.slice(1)}`]) {
      expect(isImageDigest(bad), JSON.stringify(bad)).toBe(false);
    }
  });
});

describe("isRepositoryName", () => {
  it.each([
    "ab",
    "api",
    "team/api",
    "team-ab/api",
    "my.group_x/api",
    "a/b/c/d",
    "api-v2",
    "team-a/api-v22",
    "x.y_z-1",
  ])("accepts %s", (name) => {
    expect(isRepositoryName(name)).toBe(true);
  });

  it.each([
    "-api",
    "api-",
    "/api",
    "api/",
    "team//api",
    "Team/api",
    "team/-api",
    "team-/api",
    "my__repo",
    "api\n",
    "a",
  ])("rejects %j", (name) => {
    expect(isRepositoryName(name)).toBe(false);
  });
});

describe("ACCOUNT_ID_PATTERN", () => {
  it("matches exactly 12 digits", () => {
    expect(ACCOUNT_ID_PATTERN.test("123456789012")).toBe(true);
    for (const bad of ["12345678901", "1234567890123", "x123456789012", "123456789012x"]) {
      expect(ACCOUNT_ID_PATTERN.test(bad), bad).toBe(false);
    }
  });
});

describe("parseRepositoryArn", () => {
  it("reads partitions with one or more suffixes, any region, a 12-digit account and a path name", () => {
    expect(parseRepositoryArn("arn:aws-us-gov:ecr:us-gov-west-1:123456789012:repository/a/b/c")).toEqual({
      partition: "aws-us-gov",
      region: "us-gov-west-1",
      registryId: "123456789012",
      repositoryName: "a/b/c",
    });
    expect(
      parseRepositoryArn("arn:aws-iso-b:ecr:us-isob-east-1:123456789012:repository/api")?.partition,
    ).toBe("aws-iso-b");
    expect(parseRepositoryArn("arn:aws-cn:ecr:cn-north-1:123456789012:repository/ab")?.repositoryName).toBe(
      "ab",
    );
  });

  it.each([
    ["text before the ARN", "x:arn:aws:ecr:us-east-1:123456789012:repository/api"],
    ["a line break in the name", "arn:aws:ecr:us-east-1:123456789012:repository/api\nx"],
    ["a partition suffix that is not letters", "arn:aws-1:ecr:us-east-1:123456789012:repository/api"],
    ["an empty region", "arn:aws:ecr::123456789012:repository/api"],
    ["a region in capitals", "arn:aws:ecr:US-EAST-1:123456789012:repository/api"],
    ["an 11-digit account", "arn:aws:ecr:us-east-1:12345678901:repository/api"],
    ["a 13-digit account", "arn:aws:ecr:us-east-1:1234567890123:repository/api"],
    ["another service", "arn:aws:s3:us-east-1:123456789012:repository/api"],
    ["a name ECR would refuse", "arn:aws:ecr:us-east-1:123456789012:repository/Api"],
  ])("rejects an ARN with %s", (_what, arn) => {
    expect(parseRepositoryArn(arn)).toBeUndefined();
  });
});

describe("parseImageArn", () => {
  it("splits the digest off the last slash", () => {
    expect(parseImageArn(`arn:aws:ecr:eu-west-1:123456789012:repository/team-a/api/${DIGEST}`)).toEqual({
      partition: "aws",
      region: "eu-west-1",
      registryId: "123456789012",
      repositoryName: "team-a/api",
      imageDigest: DIGEST,
    });
  });

  it("rejects a digest alone, a bad digest, and a digest on something that is not a repository ARN", () => {
    expect(parseImageArn(DIGEST)).toBeUndefined();
    expect(parseImageArn(`/${DIGEST}`)).toBeUndefined();
    expect(
      parseImageArn("arn:aws:ecr:eu-west-1:123456789012:repository/team-a/api/sha256:abc"),
    ).toBeUndefined();
    expect(parseImageArn(`arn:aws:ecr:eu-west-1:123456789012:team-a/${DIGEST}`)).toBeUndefined();
  });
});

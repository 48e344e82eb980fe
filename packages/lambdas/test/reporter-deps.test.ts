import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Logger } from "@aws-lambda-powertools/logger";
import { afterEach, describe, expect, it, onTestFinished, vi } from "vitest";
import { createLambdaReporterDeps, DEFAULT_TEMPLATES_PATH } from "../src/reporter-deps.js";

const fakeLogger = () =>
  ({ debug: vi.fn(), info: vi.fn(), warn: vi.fn(), error: vi.fn() }) as unknown as Logger & {
    info: ReturnType<typeof vi.fn>;
  };

afterEach(() => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
});

describe("createLambdaReporterDeps", () => {
  it("reads template overrides from the folder ECR_SCAN_REPORTER_TEMPLATES_PATH names", () => {
    const folder = mkdtempSync(join(tmpdir(), "templates-"));
    onTestFinished(() => rmSync(folder, { recursive: true, force: true }));
    mkdirSync(join(folder, "slack"));
    writeFileSync(join(folder, "slack", "finding.hbs"), "{{title}} from the layer");
    vi.stubEnv("ECR_SCAN_REPORTER_TEMPLATES_PATH", folder);
    const deps = createLambdaReporterDeps(fakeLogger());
    expect(deps.templates.override("slack/finding.hbs")).toBe("{{title}} from the layer");
    expect(deps.templates.names?.()).toEqual(["slack/finding.hbs"]);
  });

  it("looks in the layer's folder by default (where the Terraform layer unpacks template overrides)", () => {
    expect(DEFAULT_TEMPLATES_PATH).toBe("/opt/ecr-scan-reporter/templates");
  });

  it("writes raw lines (EMF metrics) to stdout, one per line", () => {
    const write = vi.spyOn(process.stdout, "write").mockImplementation(() => true);
    const deps = createLambdaReporterDeps(fakeLogger());
    deps.writeLine('{"_aws":{}}');
    expect(write).toHaveBeenCalledWith('{"_aws":{}}\n');
  });

  it("logs reporters' messages through the function's Powertools logger", () => {
    const logger = fakeLogger();
    createLambdaReporterDeps(logger).logger.info("sent", { reporter: "slack" });
    expect(logger.info).toHaveBeenCalledWith("sent", { reporter: "slack" });
  });
});

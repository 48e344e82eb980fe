// The files `ecr-scan-reporter new-reporter` writes: a reporter package that lives outside this repository, written
// against the public contract of @ecr-scan-reporter/core only. They are strings in a module (not files read at run
// time) so that they travel inside the CLI's one-file bundle. Each file's text is what a user reads first: keep it
// short, say why, and keep it in step with docs/writing-a-reporter.md. `${…}` in the generated code is escaped as
// `\${…}`; an unescaped `${…}` fills in the package's name.

/**
 * The versions the generated package pins: the ones this repository builds and tests with (a unit test keeps them
 * in step with the workspace). vite is pinned too, because vitest accepts a vite major that needs a newer Node.
 */
export const TEMPLATE_VERSIONS = {
  zod: "^4.6.7",
  esbuild: "0.28.2",
  fflate: "0.8.3",
  vitest: "4.1.12",
  vite: "8.3.8",
} as const;

export interface ReporterTemplateInput {
  /** The npm package name, as `use` in a configuration names it. */
  packageName: string;
  /** The version spec of `@ecr-scan-reporter/core` for package.json (`file:vendor/…tgz`, `^0.1.0`…). */
  coreSpec: string;
  /** The package's folder as the README's commands name it (relative to where new-reporter ran, shell-quoted). */
  folder: string;
}

/** The plugin's `name` (shown in logs and outcomes): the package name without its scope. */
export function pluginNameOf(packageName: string): string {
  return packageName.replace(/^@[^/]+\//, "");
}

/** The SSM parameter the generated tests and README use for the webhook URL: `/<plugin name>/webhook-url`. */
export function webhookParameterOf(packageName: string): string {
  return `/${pluginNameOf(packageName)}/webhook-url`;
}

/** `dist/<name>-layer.zip` of a package (the scope's `@` dropped, `/` as `-`), as build-layer.mjs names it. */
export function layerZipNameOf(packageName: string): string {
  return `${packageName.replace(/^@/, "").replace(/\//g, "-")}-layer.zip`;
}

function packageJson({ packageName, coreSpec }: ReporterTemplateInput): string {
  const manifest = {
    name: packageName,
    version: "0.1.0",
    private: true,
    description: "An ecr-scan-reporter reporter: posts each report it is due to send to a webhook, as JSON.",
    type: "module",
    sideEffects: false,
    engines: { node: ">=20" },
    // Recent npm versions run a dependency's install script only when allowScripts lists it (or warn that it is not
    // listed): esbuild's picks the binary for this platform.
    allowScripts: { esbuild: true },
    scripts: {
      test: "vitest run",
      build: "node scripts/build-layer.mjs",
    },
    dependencies: {
      "@ecr-scan-reporter/core": coreSpec,
      zod: TEMPLATE_VERSIONS.zod,
    },
    devDependencies: {
      esbuild: TEMPLATE_VERSIONS.esbuild,
      fflate: TEMPLATE_VERSIONS.fflate,
      vite: TEMPLATE_VERSIONS.vite,
      vitest: TEMPLATE_VERSIONS.vitest,
    },
  };
  return `${JSON.stringify(manifest, null, 2)}\n`;
}

const PNPM_WORKSPACE = `# For pnpm (npm reads allowScripts in package.json): pnpm 10 and later run a dependency's install script only when
# it is allowed here, and pnpm 11 and later stop the install otherwise. esbuild's picks the binary for this
# platform, which the layer build needs. This file also makes this folder its own pnpm root.
allowBuilds:
  esbuild: true
`;

const GITIGNORE = `node_modules/
dist/
`;

const TSCONFIG = `{
  // For editors, and for \`npx tsc\` if you add typescript: vitest and esbuild strip the types without checking them.
  "compilerOptions": {
    "target": "ES2023",
    // DOM for the fetch, Response and AbortSignal types (Node 20 has them at run time).
    "lib": ["ES2023", "DOM"],
    "module": "NodeNext",
    "moduleResolution": "NodeNext",
    "strict": true,
    "noEmit": true,
    "skipLibCheck": true,
    "verbatimModuleSyntax": true,
    "isolatedModules": true,
    "types": []
  },
  "include": ["src", "test"]
}
`;

function indexTs({ packageName }: ReporterTemplateInput): string {
  return `// ${packageName}: an ecr-scan-reporter reporter that posts each report it is due to send to a webhook, as JSON.
// Written against the public reporter contract of @ecr-scan-reporter/core: see its "Writing a reporter" guide.
// Import from "@ecr-scan-reporter/core/reporter": it holds what a reporter needs, and nothing of the scanning side.
import {
  backWithinThresholdsText,
  changesHeadline,
  cleanText,
  defineReporter,
  incompleteNote,
  isBackWithinThresholdsNotice,
  isFailedScan,
  linkableHttpUrl,
  type ReportContext,
  reportImageLabel,
  type ScanReport,
  secretRefSchema,
} from "@ecr-scan-reporter/core/reporter";
import * as z from "zod";

export const optionsSchema = z.strictObject({
  /** The webhook's URL is a secret: a reference to it ({ "parameter": … } or { "secretArn": … }), never the URL. */
  webhookUrl: secretRefSchema,
  /** How many findings the message lists, most severe first (the counts cover all of them). */
  maxFindings: z.number().int().min(0).max(100).default(10),
});
export type WebhookOptions = z.infer<typeof optionsSchema>;

/** Text from images and vulnerability feeds is untrusted: no control or bidi characters, one line. */
const line = (text: string) => cleanText(text, { singleLine: true });

/**
 * The JSON the webhook receives: a findings report, a failed scan, or the one "back within thresholds" notice.
 * JSON.stringify makes any text safe for JSON itself; whoever renders the fields must still treat them as text.
 */
export function webhookBody(
  report: ScanReport,
  options: WebhookOptions,
  ctx?: Pick<ReportContext, "notification">,
) {
  const image = line(reportImageLabel(report));
  const about = {
    image,
    repository: line(report.repository),
    tags: report.tags.map(line),
    digest: report.digest,
    consoleUrl: report.consoleUrl,
  };
  if (isBackWithinThresholdsNotice(report, ctx)) {
    return { kind: "back-within-thresholds", ...about, text: backWithinThresholdsText(report, image) };
  }
  if (isFailedScan(report.status)) {
    return {
      kind: "scan-failed",
      ...about,
      status: line(report.status),
      reason: line(report.statusDescription ?? "ECR gave no reason"),
    };
  }
  const listed = report.findings.slice(0, options.maxFindings);
  return {
    kind: "report",
    ...about,
    reason: report.verdict.reason,
    exceeded: report.verdict.exceeded,
    counts: report.counts,
    // "2 new since 2026-11-23: CVE-…; 1 fixed: CVE-…" with the findings ledger; absent on a first report.
    changes: changesHeadline(report),
    incomplete: incompleteNote(report),
    findings: listed.map((f) => ({
      id: line(f.id),
      severity: f.severity,
      title: line(f.title),
      package: f.packageName === undefined ? undefined : line(f.packageName),
      version: f.packageVersion === undefined ? undefined : line(f.packageVersion),
      fixedIn: f.fixedInVersion === undefined ? undefined : line(f.fixedInVersion),
      cvss: f.cvssScore,
      knownExploited: f.kev !== undefined,
      // Only http(s) links: a feed's "javascript:" URL is dropped.
      url: linkableHttpUrl(f.url)?.href,
    })),
    moreFindings: report.findings.length - listed.length,
  };
}

export default defineReporter({
  name: "${pluginNameOf(packageName)}",
  optionsSchema,
  contractVersion: 2,
  // "due" (the default): reports the policy says are due (over the thresholds, escalated, a failed scan to
  // notify) and, with the findings ledger, the one "back within thresholds" notice. "all" would be every report.
  receives: "due",
  // What report() would send, without sending: \`ecr-scan-reporter report IMAGE --out DIR\` writes it.
  preview(report, options) {
    return [{ name: "webhook.json", content: \`\${JSON.stringify(webhookBody(report, options), null, 2)}\\n\` }];
  },
  create(options, deps) {
    return {
      // Once per cold start; a failure is logged as a warning. The URL is never put in a message.
      async verify() {
        const url = linkableHttpUrl(await deps.resolveSecret(options.webhookUrl));
        if (!url) throw new Error("the webhook URL is not an http(s) URL");
      },
      async report(report, ctx) {
        // Anything not due that is not the notice (a caller that does not filter, like the conformance check):
        // skip it, saying why.
        if (!report.verdict.due && !isBackWithinThresholdsNotice(report, ctx)) {
          return { status: "skipped", detail: \`not due (\${report.verdict.reason})\` };
        }
        const url = await deps.resolveSecret(options.webhookUrl);
        let response: Response;
        try {
          response = await deps.fetch(url, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify(webhookBody(report, options, ctx)),
            signal: AbortSignal.timeout(10_000),
          });
        } catch (error) {
          // A failed fetch's error can quote the URL, which is the secret: keep only the error's name.
          throw new Error(\`webhook unreachable (\${error instanceof Error ? error.name : "error"})\`);
        }
        // Throwing is how a reporter says "not delivered": the dispatcher retries this reporter alone.
        if (!response.ok) throw new Error(\`webhook answered HTTP \${response.status}\`);
        return { status: "sent", detail: \`HTTP \${response.status}\` };
      },
    };
  },
});
`;
}

function reporterTest({ packageName }: ReporterTemplateInput): string {
  return `import {
  checkReporterConformance,
  cleanReport,
  failedScanReport,
  hostileReport,
  overThresholdReport,
  testDeps,
} from "@ecr-scan-reporter/core/testing";
import { describe, expect, it } from "vitest";
import reporter, { optionsSchema } from "../src/index.js";

const OPTIONS = { webhookUrl: { parameter: "${webhookParameterOf(packageName)}" } };
const WEBHOOK_URL = "https://hooks.example.test/services/T000/B000/secret-token";
const ctx = { reporterId: "${pluginNameOf(packageName)}", attempt: 1 };

interface RecordedRequest {
  url: string;
  method: string | undefined;
  contentType: string | null;
  body: Record<string, unknown>;
}

/** A fetch that records every request and answers \`status\`, or fails like an unreachable host. */
function recordingFetch(answer: number | "unreachable" = 200) {
  const requests: RecordedRequest[] = [];
  const fetch = (async (input: string | URL | Request, init?: RequestInit) => {
    if (answer === "unreachable") throw new TypeError(\`fetch failed: getaddrinfo ENOTFOUND \${String(input)}\`);
    requests.push({
      url: String(input),
      method: init?.method,
      contentType: new Headers(init?.headers).get("content-type"),
      body: JSON.parse(String(init?.body)) as Record<string, unknown>,
    });
    return new Response("ok", { status: answer });
  }) as typeof globalThis.fetch;
  return { fetch, requests };
}

/** The reporter created with \`options\`, its secret resolving to WEBHOOK_URL, sending through a recording fetch. */
function webhookReporter(options: unknown = OPTIONS, answer: number | "unreachable" = 200) {
  const recorder = recordingFetch(answer);
  const { deps } = testDeps({ fetch: recorder.fetch, resolveSecret: async () => WEBHOOK_URL });
  return { sender: reporter.create(optionsSchema.parse(options), deps), requests: recorder.requests };
}

describe("${packageName}", () => {
  it("passes the authoring kit's conformance check", async () => {
    const { problems } = await checkReporterConformance(reporter, {
      validOptions: OPTIONS,
      invalidOptions: [
        { options: { webhookUrl: WEBHOOK_URL }, why: "a bare URL instead of a secret reference" },
        { options: {}, why: "no webhookUrl" },
        { options: { ...OPTIONS, maxFindings: -1 }, why: "a negative maxFindings" },
        { options: { ...OPTIONS, webhook: "x" }, why: "an unknown option" },
      ],
    });
    expect(problems).toEqual([]);
  });

  it("posts a due report to the webhook as JSON: the image, the counts and the findings", async () => {
    const report = overThresholdReport();
    const { sender, requests } = webhookReporter();

    const outcome = await sender.report(report, ctx);

    expect(outcome).toEqual({ status: "sent", detail: "HTTP 200" });
    expect(requests).toHaveLength(1);
    const [request] = requests;
    expect(request?.url).toBe(WEBHOOK_URL);
    expect(request?.method).toBe("POST");
    expect(request?.contentType).toBe("application/json");
    expect(request?.body).toMatchObject({
      kind: "report",
      image: \`\${report.repository}:\${report.tags[0]}\`,
      digest: report.digest,
      reason: "over-threshold",
      counts: report.counts,
      moreFindings: 0,
    });
    const findings = request?.body.findings as { id: string; severity: string }[];
    expect(findings.map((f) => f.id)).toEqual(report.findings.map((f) => f.id));
    expect(findings[0]?.severity).toBe("CRITICAL");
  });

  it("lists at most maxFindings findings and counts the rest", async () => {
    const report = overThresholdReport();
    const { sender, requests } = webhookReporter({ ...OPTIONS, maxFindings: 1 });

    await sender.report(report, ctx);

    expect((requests[0]?.body.findings as unknown[]).length).toBe(1);
    expect(requests[0]?.body.moreFindings).toBe(report.findings.length - 1);
  });

  it("sends nothing for a report that is not due", async () => {
    const { sender, requests } = webhookReporter();

    const outcome = await sender.report(cleanReport(), ctx);

    expect(outcome).toEqual({ status: "skipped", detail: "not due (within-thresholds)" });
    expect(requests).toEqual([]);
  });

  it("sends the one back-within-thresholds notice, which is not due", async () => {
    const report = cleanReport();
    const { sender, requests } = webhookReporter();

    await sender.report(report, {
      ...ctx,
      notification: { kind: "back-within-thresholds", why: "back-within-thresholds" },
    });

    expect(requests[0]?.body).toMatchObject({
      kind: "back-within-thresholds",
      image: \`\${report.repository}:\${report.tags[0]}\`,
    });
    expect(requests[0]?.body.text).toContain("is back within the thresholds");
  });

  it("tells a failed scan with ECR's reason", async () => {
    const report = failedScanReport();
    const { sender, requests } = webhookReporter();

    await sender.report(report, ctx);

    expect(requests[0]?.body).toMatchObject({ kind: "scan-failed", reason: report.statusDescription });
  });

  it("rejects when the webhook does not take the message, without the URL in the error", async () => {
    const { sender } = webhookReporter(OPTIONS, 500);
    await expect(sender.report(overThresholdReport(), ctx)).rejects.toThrow("webhook answered HTTP 500");

    const unreachable = webhookReporter(OPTIONS, "unreachable").sender.report(overThresholdReport(), ctx);
    await expect(unreachable).rejects.toThrow("webhook unreachable (TypeError)");
    await expect(unreachable).rejects.not.toThrow("secret-token");
  });

  it("sends untrusted text without control characters and links only http(s) URLs", async () => {
    const { sender, requests } = webhookReporter();

    await sender.report(hostileReport(), ctx);

    const body = requests[0]?.body ?? {};
    // A CR/LF in a tag or a package version could start a new line (or header) wherever the text lands.
    expect(body.tags).toEqual(["v1 X-Injected: yes", "<!channel>"]);
    expect(JSON.stringify(body)).not.toMatch(/\\\\r|\\\\n/);
    const findings = body.findings as { url?: string }[];
    expect(findings[0]?.url).toBeUndefined();
  });
});
`;
}

const BUILD_LAYER = `// Builds the reporter into a Lambda layer: nodejs/node_modules/<package name>/{package.json,index.mjs}, unpacked
// under dist/layer/ and zipped as dist/<name>-layer.zip with fixed timestamps, so the zip is the same on every build.
// Layers unpack under /opt, where report-findings looks for reporter packages. Everything the reporter imports (zod,
// the helpers it uses from core) is bundled into index.mjs: the layer needs nothing else.
// Usage: node scripts/build-layer.mjs [--out DIR]
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { zipSync } from "fflate";

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const outIndex = process.argv.indexOf("--out");
const outDir = outIndex > -1 ? process.argv[outIndex + 1] : join(root, "dist");
const manifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
const packagePath = \`nodejs/node_modules/\${manifest.name}\`;
const zipName = \`\${manifest.name.replace(/^@/, "").replace(/\\//g, "-")}-layer.zip\`;

const result = await build({
  entryPoints: [join(root, "src", "index.ts")],
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  // Minified, the layer loads faster at cold start; zod is most of it (see the size report below).
  minify: true,
  legalComments: "eof",
  metafile: true,
  write: false,
  logLevel: "warning",
  absWorkingDir: root,
  outfile: "index.mjs",
});
const index = result.outputFiles[0].text;
const files = {
  [\`\${packagePath}/package.json\`]: \`\${JSON.stringify(
    { name: manifest.name, version: manifest.version, type: "module", exports: { ".": "./index.mjs" } },
    null,
    2,
  )}\\n\`,
  [\`\${packagePath}/index.mjs\`]: index,
};

rmSync(join(outDir, "layer"), { recursive: true, force: true });
for (const [path, content] of Object.entries(files)) {
  mkdirSync(dirname(join(outDir, "layer", path)), { recursive: true });
  writeFileSync(join(outDir, "layer", path), content);
}
const mtime = new Date("2000-01-01T00:00:00Z");
const zip = zipSync(
  Object.fromEntries(
    Object.entries(files).map(([path, content]) => [path, [Buffer.from(content), { mtime, level: 9 }]]),
  ),
);
writeFileSync(join(outDir, zipName), zip);

/** The npm package a bundled file came from (\`zod\`, \`@ecr-scan-reporter/core\`), or "your code". */
function packageOf(input) {
  const match = /node_modules\\/((?:@[^/]+\\/)?[^/]+)\\/(?!.*node_modules\\/)/.exec(input);
  return match ? match[1] : "your code";
}
const shares = new Map();
for (const output of Object.values(result.metafile.outputs)) {
  for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
    shares.set(packageOf(input), (shares.get(packageOf(input)) ?? 0) + bytesInOutput);
  }
}
const total = Buffer.byteLength(index);
const parts = [...shares]
  .sort((a, b) => b[1] - a[1])
  .map(([name, bytes]) => {
    const percent = Math.round((bytes / total) * 100);
    return \`\${name} \${percent === 0 && bytes > 0 ? "<1" : percent} %\`;
  });
console.log(\`layer: \${join(outDir, zipName)} (\${zip.length} bytes), unpacked in \${join(outDir, "layer")}\`);
console.log(\`index.mjs: \${total} bytes: \${parts.join(", ")}\`);
`;

function demoJson({ packageName }: ReporterTemplateInput): string {
  const config = {
    reporters: [
      {
        use: packageName,
        options: { webhookUrl: { parameter: "/ecr-scan-reporter/demo-webhook-url" } },
      },
    ],
  };
  return `${JSON.stringify(config, null, 2)}\n`;
}

function readme({ packageName, coreSpec, folder }: ReporterTemplateInput): string {
  const zip = layerZipNameOf(packageName);
  const core = coreSpec.startsWith("file:vendor/")
    ? `\`${coreSpec}\` in package.json: the tarball in \`vendor/\` (keep it with the package); once core is published, \`^0.1.0\``
    : `\`${coreSpec}\` in package.json`;
  return `# ${packageName}

An [ecr-scan-reporter](https://github.com/ecr-scan-reporter/ecr-scan-reporter) reporter, written by
\`ecr-scan-reporter new-reporter\`: it posts each report it is due to send to a webhook, as JSON. Make it yours in
\`src/index.ts\`. The guide, with every type and helper of the kit, is "Writing a reporter"
(docs/writing-a-reporter.md in the ecr-scan-reporter repository).

| file                      | what it is                                                                      |
| ------------------------- | ------------------------------------------------------------------------------- |
| \`src/index.ts\`            | the plugin (default export): options schema, \`report()\`, \`preview()\`, \`verify()\` |
| \`test/reporter.test.ts\`   | the kit's conformance check, and what the webhook receives (a recording fetch)  |
| \`scripts/build-layer.mjs\` | bundles the reporter into a Lambda layer                                        |
| \`demo.json\`               | a configuration that adds the reporter to the local demo                        |
| \`pnpm-workspace.yaml\`     | lets pnpm run esbuild's install script (\`allowScripts\` in package.json: npm)    |

The dependency on \`@ecr-scan-reporter/core\` is ${core}.

## Test and build

\`\`\`sh
npm install
npm test        # the conformance check, and the requests the webhook receives
npm run build   # dist/layer/nodejs/node_modules/${packageName}/ and dist/${zip}
\`\`\`

The build prints the size of \`index.mjs\` and each package's share of it.

## Try it on the local demo

From the folder you ran \`new-reporter\` in (where the CLI is installed):

\`\`\`sh
npx ecr-scan-reporter demo --config ${folder}/demo.json --reporters ${folder}/dist/layer/nodejs/node_modules
\`\`\`

The demo seeds the SSM parameter \`/ecr-scan-reporter/demo-webhook-url\`, which \`demo.json\` names, with the URL
of its local webhook receiver, and writes every request the receiver got to \`demo-output/webhooks/\`. A secret
of your own is seeded with \`--secret NAME=VALUE\` and named in the options as \`{ "parameter": "NAME" }\`.

## Deploy

Upload \`dist/${zip}\` as a Lambda layer and add the reporter to the Terraform module's \`custom_reporters\`
(package \`${packageName}\`, the layer's ARN, and its options with the webhook URL's secret reference): see
"Wiring it with Terraform" in the guide.
`;
}

/** Every file of a new reporter package, by its path inside the package folder. */
export function reporterPackageFiles(input: ReporterTemplateInput): Record<string, string> {
  return {
    "package.json": packageJson(input),
    "pnpm-workspace.yaml": PNPM_WORKSPACE,
    ".gitignore": GITIGNORE,
    "tsconfig.json": TSCONFIG,
    "src/index.ts": indexTs(input),
    "test/reporter.test.ts": reporterTest(input),
    "scripts/build-layer.mjs": BUILD_LAYER,
    "demo.json": demoJson(input),
    "README.md": readme(input),
  };
}

import { renderEmail } from "./packages/reporter-email/src/index.ts";
import { overThresholdReport, hostileReport, failedScanReport, untaggedReport, manyFindingsReport } from "./packages/core/src/testing/index.ts";
const which = process.argv[2] ?? "over";
const r = { over: overThresholdReport, hostile: hostileReport, failed: failedScanReport, untagged: untaggedReport, many: () => manyFindingsReport() }[which]!();
const e = renderEmail(r);
console.log(JSON.stringify(e.subject));
console.log(e.text);
if (process.argv[3]) console.log(e.html);
console.error("html bytes", Buffer.byteLength(e.html));

// Runs one built Lambda bundle the way the Lambda runtime would: a fresh Node process, the handler imported
// from terraform/dist/<name>/index.mjs, invoked with the event read from a file. Writes the handler's result
// (or error) and the process's peak RSS as JSON to the result file; the handler's own log lines go to stdout
// untouched.
import { readFileSync, writeFileSync } from "node:fs";

const [bundlePath, eventPath, resultPath] = process.argv.slice(2);
const event = JSON.parse(readFileSync(eventPath, "utf8"));
const context = {
  awsRequestId: "11111111-2222-3333-4444-555555555555",
  functionName: "bundle-under-test",
  functionVersion: "$LATEST",
  invokedFunctionArn: "arn:aws:lambda:eu-west-1:123456789012:function:bundle-under-test",
  memoryLimitInMB: "128",
  getRemainingTimeInMillis: () => 60_000,
};
try {
  const { handler } = await import(bundlePath);
  const result = await handler(event, context);
  writeFileSync(
    resultPath,
    JSON.stringify({ ok: true, result: result ?? null, maxRssKb: process.resourceUsage().maxRSS }),
  );
} catch (error) {
  writeFileSync(
    resultPath,
    JSON.stringify({
      ok: false,
      errorType: error?.name,
      errorMessage: error?.message,
      code: error?.code,
      maxRssKb: process.resourceUsage().maxRSS,
    }),
  );
}

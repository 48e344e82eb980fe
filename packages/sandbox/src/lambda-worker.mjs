// One warm "Lambda execution environment": a Node process that imports a built bundle once (the cold start)
// and runs its handler for each invocation the parent sends over IPC. Log lines go to stdout/stderr as in Lambda.
let handlerPromise;

// The sandbox's clock (LocalFunction's `clockOffsetMs`): the demo moves it days ahead between passes, as a real
// deployment lives through days between scheduled runs. Only `Date` moves; timers and performance.now() do not.
let clockOffsetMs = 0;
const RealDate = Date;
globalThis.Date = class SandboxDate extends RealDate {
  constructor(...args) {
    if (args.length === 0) super(RealDate.now() + clockOffsetMs);
    else super(...args);
  }
  static now() {
    return RealDate.now() + clockOffsetMs;
  }
};

function context(functionName, requestId) {
  return {
    awsRequestId: requestId,
    functionName,
    functionVersion: "$LATEST",
    invokedFunctionArn: `arn:aws:lambda:${process.env.AWS_REGION}:123456789012:function:${functionName}`,
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE ?? "256",
    logGroupName: `/aws/lambda/${functionName}`,
    getRemainingTimeInMillis: () => 60_000,
  };
}

process.on("message", async (message) => {
  const started = performance.now();
  clockOffsetMs = message.clockOffsetMs ?? 0;
  let coldStartMs;
  try {
    if (!handlerPromise) {
      const importStarted = performance.now();
      handlerPromise = import(message.bundleUrl).then((module) => {
        coldStartMs = performance.now() - importStarted;
        return module.handler;
      });
    }
    const handler = await handlerPromise;
    const result = await handler(message.event, context(message.functionName, message.requestId));
    process.send({
      id: message.id,
      ok: true,
      result: result ?? null,
      durationMs: performance.now() - started,
      coldStartMs,
      maxRssKb: process.resourceUsage().maxRSS,
    });
  } catch (error) {
    process.send({
      id: message.id,
      ok: false,
      errorType: error?.name ?? "Error",
      errorMessage: error?.message ?? String(error),
      durationMs: performance.now() - started,
      coldStartMs,
      maxRssKb: process.resourceUsage().maxRSS,
    });
  }
});

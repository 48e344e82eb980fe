/**
 * The retry settings of the SDK client a mocked command was sent through (aws-sdk-client-mock records the client
 * as the call's `this`): how many attempts, and which retry mode.
 */
export async function retrySettingsOf(call: {
  thisValue: unknown;
}): Promise<{ maxAttempts: number; mode: string }> {
  const config = (call.thisValue as { config: Record<string, () => Promise<unknown>> }).config;
  const strategy = (await config.retryStrategy?.()) as { mode: string };
  return { maxAttempts: (await config.maxAttempts?.()) as number, mode: strategy.mode };
}

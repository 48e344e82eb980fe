/** Exit codes, as the README and docs/cli.md document them. */
export const EXIT = {
  ok: 0,
  /** `report --fail-on-findings`: the image is over the thresholds. */
  findings: 1,
  /** A usage or configuration problem: the message says what to do. */
  usage: 2,
  /** Anything else: AWS unreachable, a reporter failed, the demo found a problem. */
  failure: 3,
  /** `report`: the image's scan is not complete (running, failed, never run) or it is not an image. */
  scanIncomplete: 4,
} as const;

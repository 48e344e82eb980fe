import * as z from "zod";
import { formatIssuePath } from "./config/load.js";
import { MessageError } from "./errors.js";

/** Version of the scan-queue message; bumped when its shape changes incompatibly. */
export const SCAN_MESSAGE_VERSION = 1;

/** The message schedule-scans sends per repository and scan-images consumes. */
export const scanRepositoryMessageSchema = z.strictObject({
  version: z.literal(SCAN_MESSAGE_VERSION),
  kind: z.literal("scan-repository"),
  registryId: z.string().regex(/^\d{12}$/),
  repositoryName: z.string().min(2).max(256),
  scanType: z.enum(["BASIC", "ENHANCED"]),
  /** Identifies the scheduler run, to tie the logs of one pass together. */
  runId: z.string().min(1).max(128),
});
export type ScanRepositoryMessage = z.infer<typeof scanRepositoryMessageSchema>;

/** Parses a scan-queue message body; a MessageError says exactly what is wrong with it. */
export function parseScanRepositoryMessage(body: string): ScanRepositoryMessage {
  let document: unknown;
  try {
    document = JSON.parse(body);
  } catch {
    throw new MessageError("the body is not JSON");
  }
  const result = scanRepositoryMessageSchema.safeParse(document);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${formatIssuePath(i.path) || "(body)"}: ${i.message}`);
    throw new MessageError(`not a scan-repository message v${SCAN_MESSAGE_VERSION}: ${problems.join("; ")}`);
  }
  return result.data;
}

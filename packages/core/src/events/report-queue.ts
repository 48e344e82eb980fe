import * as z from "zod";
import { problemsFromIssues } from "../config/load.js";
import { describeError, MessageError } from "../errors.js";
import { type ImageDeleted, isImageActionDocument, parseImageActionEvent } from "./image-deleted.js";
import { isKevEscalationDocument, type KevEscalation, parseKevEscalationMessage } from "./kev-escalation.js";
import { parseScanEvent, type ScanCompleted } from "./scan-event.js";

/** Version of our targeted-retry envelope; bumped when its shape changes incompatibly. */
export const RETRY_ENVELOPE_VERSION = 1;

/** The key that tells our retry envelope from an EventBridge event (which never has it). */
const ENVELOPE_KEY = "ecrScanReporter";

/**
 * The report-queue message report-findings sends itself when some reporters failed: the original
 * EventBridge event, and the reporters to run again (only those, so the others do not send twice).
 */
export const retryEnvelopeSchema = z.strictObject({
  [ENVELOPE_KEY]: z
    .strictObject({
      version: z.literal(RETRY_ENVELOPE_VERSION, {
        error: (issue) =>
          `retry envelope version ${JSON.stringify(issue.input)} is not one this release reads (${RETRY_ENVELOPE_VERSION})`,
      }),
      /** The reporters to run again; absent when the whole report waits for its findings. */
      retryReporters: z.array(z.string().min(1)).min(1).optional(),
      /** 2 for the first retry; bounded so a reporter that keeps failing ends in the DLQ, not in a loop. */
      attempt: z.number().int().min(1).max(100),
      /** How many times the report already waited for findings the event counted but ECR did not yet return. */
      findingsWaits: z.number().int().min(1).max(10).optional(),
    })
    .refine((e) => e.retryReporters !== undefined || e.findingsWaits !== undefined, {
      message: "a retry envelope names the reporters to retry (retryReporters) or counts findingsWaits",
    })
    .refine((e) => e.findingsWaits !== undefined || e.attempt >= 2, {
      message: "a targeted retry is attempt 2 or later",
      path: ["attempt"],
    }),
  event: z.record(z.string(), z.unknown()),
});
export type RetryEnvelope = z.infer<typeof retryEnvelopeSchema>;

/** What one report-queue message asks for. */
export type ReportQueueMessage =
  | {
      kind: "scan-completed";
      event: ScanCompleted;
      /** Set for a targeted retry: run only these reporters. Absent: run every routed reporter. */
      retryReporters?: string[];
      /** 1 for the EventBridge event itself, then 2, 3… for each targeted retry. */
      attempt: number;
      /** How many times this report already waited for findings the event counted (absent: never). */
      findingsWaits?: number;
      /** The original EventBridge event, to pass to buildRetryMessageBody when reporters fail. */
      rawEvent: Record<string, unknown>;
      /**
       * Set for a KEV escalation (a `kev-escalation` message of schedule-scans, events/kev-escalation.ts): `event`
       * then stands for it (source `kev-escalation`), and `rawEvent` is the escalation message, which a targeted
       * retry carries in its envelope like an EventBridge event.
       */
      escalation?: KevEscalation;
    }
  /** ECR deleted an image or one of its tags: the findings ledger forgets what no longer exists. */
  | { kind: "image-deleted"; event: ImageDeleted }
  | { kind: "ignored"; reason: string; eventId?: string };

function isEnvelope(document: unknown): document is Record<string, unknown> {
  return (
    typeof document === "object" && document !== null && !Array.isArray(document) && ENVELOPE_KEY in document
  );
}

/**
 * Parses a report-queue message body: a plain EventBridge event (a scan completion, or an image deleted), a KEV
 * escalation of schedule-scans, or our retry envelope around either.
 * Throws a MessageError, naming the message and what is wrong, for a body that is malformed.
 */
export function parseReportQueueMessage(body: string, messageId: string): ReportQueueMessage {
  const prefix = `report-queue message ${messageId}`;
  let document: unknown;
  try {
    document = JSON.parse(body);
  } catch (error) {
    throw new MessageError(`${prefix}: the body is not JSON (${describeError(error)})`, { cause: error });
  }

  let rawEvent: unknown = document;
  let retryReporters: string[] | undefined;
  let attempt = 1;
  let findingsWaits: number | undefined;
  if (isEnvelope(document)) {
    const result = retryEnvelopeSchema.safeParse(document);
    if (!result.success) {
      const problems = problemsFromIssues(result.error.issues).map(
        // Stryker disable next-line StringLiteral: unreachable, the body is an object here and its unknown keys are named
        (p) => `${p.path || "(body)"}: ${p.reason}`,
      );
      throw new MessageError(`${prefix}: not a valid retry envelope: ${problems.join("; ")}`);
    }
    rawEvent = result.data.event;
    const envelope = result.data[ENVELOPE_KEY];
    retryReporters = envelope.retryReporters && [...new Set(envelope.retryReporters)];
    attempt = envelope.attempt;
    findingsWaits = envelope.findingsWaits;
  }

  let parsed: ReturnType<typeof parseScanEvent>;
  let escalation: KevEscalation | undefined;
  try {
    // Nothing is sent for a deletion, so nothing retries one: it comes as the event itself.
    if (isImageActionDocument(rawEvent)) return parseImageActionEvent(rawEvent as Record<string, unknown>);
    if (isKevEscalationDocument(rawEvent)) {
      const kev = parseKevEscalationMessage(rawEvent, messageId);
      parsed = { kind: "scan-completed", event: kev.event };
      escalation = kev.escalation;
    } else parsed = parseScanEvent(rawEvent);
  } catch (error) {
    // Stryker disable next-line ConditionalExpression: neither parser throws anything else (safeParse never throws)
    if (error instanceof MessageError) {
      const where = isEnvelope(document) ? " (in a retry envelope)" : "";
      throw new MessageError(`${prefix}${where}: ${error.message}`, { cause: error });
    }
    throw error;
  }
  if (parsed.kind === "ignored") return parsed;
  // A parser accepted it, so it is a JSON object.
  const event = rawEvent as Record<string, unknown>;
  return {
    kind: "scan-completed",
    event: parsed.event,
    ...(retryReporters ? { retryReporters } : {}),
    attempt,
    ...(findingsWaits ? { findingsWaits } : {}),
    rawEvent: event,
    ...(escalation ? { escalation } : {}),
  };
}

/** The original EventBridge event of a retry: an object, its JSON text, or an envelope (unwrapped, never nested). */
function originalEventOf(originalEventJson: unknown, caller: string): Record<string, unknown> {
  let event: unknown = originalEventJson;
  if (typeof event === "string") event = JSON.parse(event);
  if (isEnvelope(event)) event = event.event;
  if (typeof event !== "object" || event === null || Array.isArray(event)) {
    throw new TypeError(`${caller}: the original event must be a JSON object (or its text)`);
  }
  return event as Record<string, unknown>;
}

/**
 * Builds the body of a report that waits for its findings: the original event, how many times it has waited, and
 * the reporters still to run (all when `reporters` is absent).
 */
export function buildFindingsWaitMessageBody(
  originalEventJson: unknown,
  findingsWaits: number,
  options: { reporters?: string[]; attempt?: number } = {},
): string {
  const event = originalEventOf(originalEventJson, "buildFindingsWaitMessageBody");
  const envelope: RetryEnvelope = {
    [ENVELOPE_KEY]: {
      version: RETRY_ENVELOPE_VERSION,
      ...(options.reporters ? { retryReporters: [...new Set(options.reporters)] } : {}),
      attempt: options.attempt ?? 1,
      findingsWaits,
    },
    event,
  };
  return JSON.stringify(envelope);
}

/**
 * Builds the body of a targeted retry: the original EventBridge event (an object, its JSON text, or a
 * retry envelope, which is unwrapped so retries never nest) and the reporters to run again.
 */
export function buildRetryMessageBody(originalEventJson: unknown, reporters: string[], attempt = 2): string {
  const event = originalEventOf(originalEventJson, "buildRetryMessageBody");
  const retryReporters = [...new Set(reporters)];
  if (retryReporters.length === 0 || retryReporters.some((name) => typeof name !== "string" || name === "")) {
    throw new RangeError(
      "buildRetryMessageBody: name at least one reporter to retry, each a non-empty string",
    );
  }
  const envelope: RetryEnvelope = {
    [ENVELOPE_KEY]: { version: RETRY_ENVELOPE_VERSION, retryReporters, attempt },
    event,
  };
  return JSON.stringify(envelope);
}

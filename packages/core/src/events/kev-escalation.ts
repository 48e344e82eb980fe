/**
 * KEV escalations on the report queue (issue 16, item 4): when CISA's KEV catalog gains CVE ids, schedule-scans
 * queues, for each image in use whose findings have some of them, one `kev-escalation` message
 * (use-cases/escalate-kev.ts); report-findings reports the image from its current findings, as for a completed
 * scan, with the findings now known exploited in `changes`, and the reporters send it under their `notify` rules.
 *
 * ```json
 * { "version": 1, "kind": "kev-escalation", "registryId": "123456789012", "region": "eu-west-1",
 *   "repository": "team-a/api", "digest": "sha256:…", "tags": ["v1"], "scanType": "BASIC",
 *   "cves": ["CVE-2021-44228"], "queuedAt": "2026-03-02T09:00:00.000Z" }
 * ```
 */

import { problemsFromIssues } from "../config/load.js";
import { MessageError } from "../errors.js";
import { scanKeyOf } from "../ledger/records.js";
import type { Finding } from "../model.js";
import type { ScanCompleted } from "./scan-event.js";
import {
  KEV_ESCALATION_KIND,
  KEV_ESCALATION_MESSAGE_VERSION,
  type KevEscalationMessage,
  kevEscalationMessageSchema,
} from "./schemas.js";

/** What an escalation asks of the report path beyond a scan completion: the CVE ids newly on KEV. */
export interface KevEscalation {
  /** Upper case, sorted, each once. */
  cves: string[];
}

/** True for a document that says it is a KEV escalation (whether or not it is a valid one). */
export function isKevEscalationDocument(document: unknown): document is Record<string, unknown> {
  return (
    typeof document === "object" &&
    document !== null &&
    !Array.isArray(document) &&
    (document as Record<string, unknown>).kind === KEV_ESCALATION_KIND
  );
}

/** The CVE ids of an escalation in the one form the send key and the look-ups use: upper case, sorted, once each. */
export function normalizeCveIds(cves: readonly string[]): string[] {
  return [...new Set(cves.map((id) => id.toUpperCase()))].sort();
}

/**
 * A KEV escalation message as the scan completion the report path works from: the image's last scan, read from
 * ECR as for any completed scan (`COMPLETE`: the report says FAILED if ECR does). `eventId` is the SQS message
 * id, `account` the registry (a private registry's id is its account's), `time` when it was queued. Throws a
 * MessageError naming the message and every problem.
 */
export function parseKevEscalationMessage(
  document: unknown,
  messageId: string,
): { event: ScanCompleted; escalation: KevEscalation } {
  const result = kevEscalationMessageSchema.safeParse(document);
  if (!result.success) {
    const problems = problemsFromIssues(result.error.issues).map(
      // Stryker disable next-line StringLiteral: unreachable, the document is an object here and its keys are named
      (p) => `${p.path || "(body)"}: ${p.reason}`,
    );
    throw new MessageError(`not a valid KEV escalation: ${problems.join("; ")}`);
  }
  const message = result.data;
  return {
    event: {
      kind: "scan-completed",
      source: "kev-escalation",
      eventId: messageId,
      account: message.registryId,
      region: message.region,
      registryId: message.registryId,
      repositoryName: message.repository,
      imageDigest: message.digest,
      imageTags: [...new Set(message.tags)],
      scanType: message.scanType,
      scanStatus: "COMPLETE",
      time: message.queuedAt,
    },
    escalation: { cves: normalizeCveIds(message.cves) },
  };
}

/** One escalation to queue: an image in use and the CVE ids newly on KEV that its findings have. */
export interface KevEscalationRequest {
  registryId: string;
  repository: string;
  digest: string;
  /** The tags that point at the image now (at least one). */
  tags: string[];
  cves: string[];
}

/** The message of one escalation, as schedule-scans queues it. */
export function buildKevEscalationMessage(
  request: KevEscalationRequest,
  context: { region: string; scanType: KevEscalationMessage["scanType"]; queuedAt: Date },
): KevEscalationMessage {
  return {
    version: KEV_ESCALATION_MESSAGE_VERSION,
    kind: KEV_ESCALATION_KIND,
    registryId: request.registryId,
    region: context.region,
    repository: request.repository,
    digest: request.digest,
    tags: [...request.tags],
    scanType: context.scanType,
    cves: normalizeCveIds(request.cves),
    queuedAt: context.queuedAt.toISOString(),
  };
}

/**
 * The send key of an escalation: `<digest>#<completedAt>#kev:<CVE ids, sorted, comma-separated>`. A reporter is
 * sent each key at most once (the ledger's SENT claim, as for a scan completion's `scanKeyOf`), so a redelivered or
 * doubled escalation is held as `duplicate-scan`, while an escalation of a scan already sent (whose key is the scan
 * key alone) is not mistaken for it; a later addition to KEV is another key, another message.
 */
export function kevEscalationSendKey(digest: string, completedAt: string, cves: readonly string[]): string {
  return `${scanKeyOf(digest, completedAt)}#kev:${normalizeCveIds(cves).join(",")}`;
}

/** The findings an escalation is about: those whose id is one of its CVE ids (compared case-insensitively). */
export function findingsNowKnownExploited(findings: readonly Finding[], cves: readonly string[]): Finding[] {
  const ids = new Set(normalizeCveIds(cves));
  return findings.filter((finding) => ids.has(finding.id.toUpperCase()));
}

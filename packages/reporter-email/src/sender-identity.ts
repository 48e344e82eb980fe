import { GetEmailIdentityCommand, type SESv2Client } from "@aws-sdk/client-sesv2";
import { describeError, ReporterError } from "@ecr-scan-reporter/core";
import { domainOf } from "./mailbox.js";

/** What SES says of one identity that could authorize the sender. */
export interface IdentityCheck {
  identity: string;
  /** `verified`: SES may send from it. `not-found`: no such identity in this account and region. */
  state: "verified" | "not-verified" | "not-found";
  /** SES's VerificationStatus (PENDING, FAILED, TEMPORARY_FAILURE, NOT_STARTED, SUCCESS), when it gave one. */
  verificationStatus?: string;
}

/**
 * The identities that can authorize sending from an address (or, in the SES sandbox, to it), in the order they are
 * asked: its domain (the usual set-up), the address itself, then the parent domains — a verified domain covers its
 * subdomains and every address in them (SES Developer Guide, "Creating and verifying identities").
 */
export function senderIdentityCandidates(address: string): string[] {
  const labels = domainOf(address).split(".");
  const domains = labels.slice(0, -1).map((_, i) => labels.slice(i).join("."));
  const [domain, ...parents] = domains;
  return domain === undefined ? [address] : [domain, address, ...parents];
}

function isNotFound(error: unknown): boolean {
  return error instanceof Error && error.name === "NotFoundException";
}

/** What SES says of one identity. An error other than NotFoundException (permissions, throttling) is thrown. */
export async function checkIdentity(ses: SESv2Client, identity: string): Promise<IdentityCheck> {
  try {
    const answer = await ses.send(new GetEmailIdentityCommand({ EmailIdentity: identity }));
    const check: IdentityCheck = {
      identity,
      state: answer.VerifiedForSendingStatus === true ? "verified" : "not-verified",
    };
    if (answer.VerificationStatus !== undefined) check.verificationStatus = answer.VerificationStatus;
    return check;
  } catch (error) {
    if (isNotFound(error)) return { identity, state: "not-found" };
    throw error;
  }
}

/** The region of the client, for messages; undefined when it cannot say. */
export async function regionOf(ses: SESv2Client): Promise<string | undefined> {
  try {
    return await ses.config.region();
  } catch {
    return undefined;
  }
}

function describeCheck(check: IdentityCheck): string {
  if (check.state === "not-found") return `${check.identity}: no such identity`;
  return `${check.identity}: not verified for sending (verification status ${check.verificationStatus ?? "unknown"})`;
}

/**
 * Checks with SES v2 GetEmailIdentity that the sender may send: the first verified identity among its domain, the
 * address and the parent domains ends the check. Throws a ReporterError naming every identity asked and how to fix
 * it when none is verified, or when SES cannot be asked (permissions).
 */
export async function verifySenderIdentity(
  ses: SESv2Client,
  address: string,
  reporterId = "email",
): Promise<IdentityCheck> {
  const checks: IdentityCheck[] = [];
  for (const identity of senderIdentityCandidates(address)) {
    let check: IdentityCheck;
    try {
      check = await checkIdentity(ses, identity);
    } catch (error) {
      throw new ReporterError(
        reporterId,
        `cannot check the SES identity ${identity} of the sender ${address} (${describeError(error)}): the ` +
          "function's role needs ses:GetEmailIdentity on the sender's identity, and ses:SendEmail to send",
        { cause: error },
      );
    }
    if (check.state === "verified") return check;
    checks.push(check);
  }
  const region = await regionOf(ses);
  const where = region ? ` in ${region}` : "";
  throw new ReporterError(
    reporterId,
    `SES cannot send from ${address}: no identity that covers it is verified in this account${where} ` +
      `(${checks.map(describeCheck).join("; ")}). Verify the domain ${checks[0]?.identity ?? domainOf(address)} ` +
      `(DNS records) or the address ${address} (confirmation e-mail) in SES${where} — console: Configuration › ` +
      "Identities, or `aws sesv2 create-email-identity --email-identity …` — or set the email reporter's " +
      '"from" to an address of an identity that is verified there.',
  );
}

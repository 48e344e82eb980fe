import { GetAccountCommand, type SESv2Client } from "@aws-sdk/client-sesv2";
import { describeError, type ReporterLogger } from "@ecr-scan-reporter/core";
import type { Mailbox } from "./mailbox.js";
import { checkIdentity, regionOf, senderIdentityCandidates } from "./sender-identity.js";

// An account in the SES sandbox (GetAccount: ProductionAccessEnabled false) sends only to verified identities
// and to the mailbox simulator (SES Developer Guide, "Request production access (Moving out of the Amazon SES
// sandbox)"); SendEmail answers anything else with MessageRejected "Email address is not verified". That only
// shows on the first report, so verify() says it at cold start, naming the recipients and the two ways out.

/** The mailbox simulator's domain: the SES sandbox sends there without verification. */
const SIMULATOR_DOMAIN = "simulator.amazonses.com";

/** Recipients the SES sandbox would refuse, and those SES would not say about (no permission to ask). */
export interface RecipientCheck {
  unverified: string[];
  unchecked: string[];
}

/**
 * Which recipients no verified identity covers, asking GetEmailIdentity about each one's domain, the address and
 * the parent domains (each identity once). A recipient SES does not let the function ask about is "unchecked".
 */
export async function checkRecipients(
  ses: SESv2Client,
  addresses: readonly string[],
): Promise<RecipientCheck> {
  const verified = new Map<string, Promise<boolean>>();
  const isVerified = (identity: string) => {
    let answer = verified.get(identity);
    if (!answer) {
      answer = checkIdentity(ses, identity).then((check) => check.state === "verified");
      verified.set(identity, answer);
    }
    return answer;
  };
  const result: RecipientCheck = { unverified: [], unchecked: [] };
  for (const address of new Set(addresses)) {
    if (address.endsWith(`@${SIMULATOR_DOMAIN}`)) continue;
    try {
      let covered = false;
      for (const identity of senderIdentityCandidates(address)) {
        if (await isVerified(identity)) {
          covered = true;
          break;
        }
      }
      if (!covered) result.unverified.push(address);
    } catch {
      result.unchecked.push(address);
    }
  }
  return result;
}

/**
 * Warns at cold start when the account is in the SES sandbox and some recipients are not verified identities,
 * naming them and how to fix it. Best effort: without ses:GetAccount the check is skipped, never failed.
 */
export async function warnWhenInSandbox(
  ses: SESv2Client,
  logger: ReporterLogger,
  recipients: readonly Mailbox[],
): Promise<void> {
  let productionAccess: boolean | undefined;
  try {
    productionAccess = (await ses.send(new GetAccountCommand({})))?.ProductionAccessEnabled;
  } catch (error) {
    logger.debug("SES GetAccount unavailable; sandbox check skipped", { error: describeError(error) });
    return;
  }
  if (productionAccess !== false) return;
  const region = await regionOf(ses);
  const where = region ? ` in ${region}` : "";
  const { unverified, unchecked } = await checkRecipients(
    ses,
    recipients.map((mailbox) => mailbox.address),
  );
  const fix =
    `verify them (or their domains) in SES${where} — console: Configuration › Identities — or request ` +
    "production access — console: Account dashboard › Request production access";
  if (unverified.length > 0) {
    logger.warn(
      `SES account is in the sandbox${where}: it sends only to verified addresses and domains, and ` +
        `${unverified.length} recipient(s) of the email reporter are not (${unverified.join(", ")}), so SES ` +
        `will reject every e-mail to them (MessageRejected). To fix it, ${fix}.`,
      { recipients: unverified, region },
    );
  }
  if (unchecked.length > 0) {
    logger.warn(
      `SES account is in the sandbox${where}: it sends only to verified addresses and domains, and SES would ` +
        `not say whether these recipients are (no ses:GetEmailIdentity on them): ${unchecked.join(", ")}. If ` +
        `they are not, ${fix}.`,
      { recipients: unchecked, region },
    );
  }
  if (unverified.length === 0 && unchecked.length === 0) {
    logger.info("SES account is in the sandbox; every recipient is a verified identity", { region });
  }
}

// What a bounce of a scheduling message means for the organizer's copy. A
// delivery status notification (RFC 3464) reports, per recipient, an Action
// and an RFC 3463 status; the organizer keeps a delivery status per ATTENDEE
// (SCHEDULE-STATUS, RFC 6638 section 3.2.9, with the codes of RFC 5546
// section 3.6). Pure: the agent passes in what the report says and what was
// sent, and stores what comes back.

import { normalizeAddress } from '../ical/address.js';
import type { SentScope } from './schedule-status.js';
import { withScheduleStatusOn } from './schedule-status.js';
import type { StoredObject } from './model.js';

/** One recipient's line of a delivery report, as plain data. */
export interface BouncedRecipient {
  /** mailto: URI. */
  address: string;
  /** failed, delayed, delivered, relayed, expanded (RFC 3464 section 2.3.3). */
  action: string;
  /** RFC 3463 status, e.g. 5.1.1. */
  status: string;
  diagnostic?: string;
}

export type BounceVerdict = { code: string; meaning: string } | { ignore: string };

/**
 * The SCHEDULE-STATUS a report line gives, or why it changes nothing.
 *
 * RFC 5546 section 3.6 offers three codes for a message that did not arrive:
 * 3.7 "invalid calendar user", 5.1 "could not be delivered" and 5.3 "no
 * scheduling support for user". A failed delivery is 5.1, whatever the
 * address problem (the MTA cannot tell whether a calendar user exists, only
 * that a mailbox did not take the mail). It is 5.3 where the status says the
 * receiving system cannot take the message as it is: RFC 3463's X.3.x (mail
 * system status: not accepting messages, not capable of the features asked,
 * message too big) and X.6.x (media: the content type or encoding is not
 * supported), which is what "no scheduling support" looks like to mail.
 *
 * A delayed report (Action: delayed, a 4.x.x status) says the MTA is still
 * trying: the status stays as it is (it is pending, 1.0, or sent, 1.1,
 * already). A success report (delivered, relayed, expanded; 2.x.x) changes
 * nothing either: the organizer's copy says sent or delivered already.
 */
export function bounceVerdict(recipient: BouncedRecipient): BounceVerdict {
  const action = recipient.action.toLowerCase();
  if (action === 'delayed') return { ignore: `delivery to ${recipient.address} is delayed (status ${recipient.status}); the mail system is still trying` };
  if (action !== 'failed') return { ignore: `the report says ${action} for ${recipient.address} (status ${recipient.status}); nothing to change` };
  const [klass, subject] = recipient.status.split('.');
  if (klass !== '5' && klass !== '4') return { ignore: `a failed report for ${recipient.address} with status ${recipient.status} is contradictory; nothing changed` };
  if (subject === '3' || subject === '6') return { code: '5.3', meaning: 'no scheduling support for user' };
  return { code: '5.1', meaning: 'could not be delivered' };
}

/** What a bounce does to one stored object: the new version (if any) and a line per recipient. */
export interface BounceResult {
  object?: StoredObject;
  applied: Array<{ address: string; code: string; reason: string }>;
  ignored: string[];
}

/**
 * Applies the report's lines to the organizer's copy of what was sent. Only
 * recipients the message went to (`sentTo`) and that are ATTENDEEs of the
 * components it was about get a code; the rest are listed as ignored, each
 * with why.
 */
export function applyBounce(
  stored: StoredObject | undefined,
  user: string,
  scope: SentScope,
  sentTo: string[],
  recipients: BouncedRecipient[],
  what: string,
): BounceResult {
  const out: BounceResult = { applied: [], ignored: [] };
  const sent = new Set(sentTo.map((a) => normalizeAddress(a)));
  let current = stored;
  for (const recipient of recipients) {
    const address = normalizeAddress(recipient.address) ?? recipient.address;
    if (!sent.has(address)) {
      out.ignored.push(`${address} was not a recipient of ${what}`);
      continue;
    }
    const verdict = bounceVerdict({ ...recipient, address });
    if ('ignore' in verdict) {
      out.ignored.push(verdict.ignore);
      continue;
    }
    if (!current) {
      out.ignored.push(`no event ${what} was about is stored any more`);
      continue;
    }
    const next = withScheduleStatusOn(current, user, scope, { [address]: verdict.code });
    const detail = `status ${recipient.status}${recipient.diagnostic ? `: ${recipient.diagnostic}` : ''}`;
    if (!next) {
      out.ignored.push(
        `nothing to change for ${address} (${detail}): it has SCHEDULE-STATUS ${verdict.code} already, is no ATTENDEE of what ${what} was about, or ${user} is not its organizer`,
      );
      continue;
    }
    current = next;
    out.object = next;
    out.applied.push({
      address,
      code: verdict.code,
      reason: `SCHEDULE-STATUS ${verdict.code} (${verdict.meaning}) for ATTENDEE ${address}: the mail system returned ${what} (${detail}) (RFC 3464; RFC 6638 section 3.2.9)`,
    });
  }
  return out;
}

// Mail the user's own client sent as ORGANIZER (the outgoing rule): what the
// agent keeps of it besides the calendar change. Each ATTENDEE the mail went
// to gets a delivery status on the organizer's copy (SCHEDULE-STATUS, RFC
// 6638 section 3.2.9), as the agent's own outbox items get one: 1.1 (sent)
// for a recipient the mail was handed on to, 1.2 (delivered) for a local
// calendar user whose store took it in this same delivery. And the message is
// recorded by its Message-ID, so that a bounce returning it (RFC 3464) can be
// matched to the event and attendees it was about (src/agent/delivery-report.ts).
// Both are written in the sender's one transaction for the mail.

import { normalizeAddress } from '../ical/address.js';
import type { AcceptedCalendar } from '../itip/rules/message-acceptance.js';
import type { Method, SentMessage } from '../itip/model.js';
import { SCHEDULE_STATUS, messageInstances, withScheduleStatusOn } from '../itip/schedule-status.js';
import type { UserTx } from '../store/store.js';

/** Methods an organizer sends to attendees (RFC 5546 section 1.4): their delivery is tracked. */
const ORGANIZER_METHODS = new Set<Method>(['REQUEST', 'ADD', 'CANCEL', 'PUBLISH', 'DECLINECOUNTER']);

export interface SentUnit {
  method: Method;
  uid: string;
  instances: string[];
}

/** The unit of one UID of a message the user sent, when its delivery is worth tracking. */
export function sentUnit(message: AcceptedCalendar, uid: string): SentUnit | undefined {
  if (!ORGANIZER_METHODS.has(message.method)) return undefined;
  return { method: message.method, uid, instances: messageInstances(message.vcalendar, uid) };
}

/**
 * Writes SCHEDULE-STATUS on the ATTENDEEs of the stored copy that the mail
 * went to; returns a note for the journal, or undefined when nothing changed
 * (the user is not the organizer, the event is gone, no recipient is an
 * attendee). `delivered`: recipients whose own store took the mail already.
 */
export function markSent(tx: UserTx, unit: SentUnit, recipients: string[], delivered: string[]): string | undefined {
  const stored = tx.getObject(unit.uid);
  if (!stored || recipients.length === 0) return undefined;
  const local = new Set(delivered.map((d) => normalizeAddress(d)));
  const statuses = Object.fromEntries(
    recipients.map((r) => [r, local.has(r) ? SCHEDULE_STATUS.DELIVERED : SCHEDULE_STATUS.SENT]),
  );
  const next = withScheduleStatusOn(stored, tx.user, unit, statuses);
  if (!next) return undefined;
  tx.putObject(next);
  const byCode = new Map<string, string[]>();
  for (const [address, code] of Object.entries(statuses)) {
    if (!next.ics.replace(/\r\n[ \t]/g, '').toLowerCase().includes(address)) continue;
    byCode.set(code, [...(byCode.get(code) ?? []), address]);
  }
  const parts = [...byCode].map(([code, addresses]) => `${code} (${code === SCHEDULE_STATUS.SENT ? 'sent' : 'delivered'}) for ${addresses.join(', ')}`);
  return parts.length ? `SCHEDULE-STATUS ${parts.join('; ')}` : undefined;
}

/**
 * A redelivered sent mail (the redelivery guard saw it) that local calendar
 * users' stores took only now: the first delivery committed the sender's copy
 * while theirs failed, so it recorded 1.1 (sent) for them, and the retry must
 * end where a clean delivery ends, at 1.2 (delivered). Only raises a code the
 * mail itself could have written (1.0 or 1.1), never lowers one (a bounce's
 * 5.1 stays), and changes nothing once raised: safe to run on every retry.
 * Returns a note for the journal, or undefined when nothing changed.
 */
export function raiseDelivered(tx: UserTx, unit: SentUnit, recipients: string[], delivered: string[]): string | undefined {
  const stored = tx.getObject(unit.uid);
  const to = new Set(recipients);
  const local = delivered.map((d) => normalizeAddress(d)).filter((d): d is string => !!d && to.has(d));
  if (!stored || local.length === 0) return undefined;
  const raised = new Set<string>();
  const raisable = (current: string | undefined, address: string) => {
    const ok = current === SCHEDULE_STATUS.PENDING || current === SCHEDULE_STATUS.SENT;
    if (ok) raised.add(address);
    return ok;
  };
  const statuses = Object.fromEntries(local.map((address) => [address, SCHEDULE_STATUS.DELIVERED]));
  const next = withScheduleStatusOn(stored, tx.user, unit, statuses, raisable);
  if (!next) return undefined;
  tx.putObject(next);
  return `SCHEDULE-STATUS ${SCHEDULE_STATUS.DELIVERED} (delivered) for ${[...raised].join(', ')}`;
}

/** Records the message by its Message-ID, for matching a bounce later. */
export function recordSent(tx: UserTx, messageId: string, units: SentUnit[], recipients: string[], at: string): void {
  // A mail without a Message-ID of its own cannot be named by a bounce.
  if (units.length === 0 || messageId.startsWith('sha256:')) return;
  const record: SentMessage = { messageId, units, to: recipients, sent: at };
  tx.putSent(record);
}

/** The recipients of a sent mail as mailto: URIs: the envelope's, else the To and Cc headers. */
export function sentRecipients(envelope: string[], headers: string[]): string[] {
  const listed = envelope.length > 0 ? envelope : headers;
  return [...new Set(listed.map((r) => normalizeAddress(r)).filter((r): r is string => !!r))];
}

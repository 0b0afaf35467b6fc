// Bounces of scheduling messages the user sent: a delivery status
// notification (RFC 3464) that reaches the user is matched to the iTIP
// message it returns, and the organizer's copy records, on the ATTENDEE the
// message did not reach, SCHEDULE-STATUS 5.1 or 5.3 (src/itip/bounce.ts).
//
// The message is found by its Message-ID (of the returned message or header,
// else the report's References): the agent's own outbox items carry a
// Message-ID that names the item (src/mail/compose-outbox-item.ts), and mail
// the user's client sent was recorded by the outgoing rule
// (src/agent/sent-record.ts). A report that matches nothing changes nothing
// and is journalled as ignored. The report itself is delivered to the mailbox
// unchanged, as every mail is.

import { parseCalendar } from '../ical/calendar.js';
import { formatUtc } from '../ical/times.js';
import { applyBounce, type BouncedRecipient } from '../itip/bounce.js';
import type { JournalEntry, OutboxItem, SentMessage } from '../itip/model.js';
import { messageInstances } from '../itip/schedule-status.js';
import { outboxMessageId } from '../mail/compose-outbox-item.js';
import type { ParsedMail } from '../mail/mail-facts.js';
import type { DeliveryReport, DsnRecipient } from '../mail/read-dsn.js';
import type { Store, UserTx } from '../store/store.js';
import { applyEffects } from './apply-effects.js';
import type { ProcessResult } from './process-message.js';

/** What the user sent that a report may return: the message's units and recipients. */
interface SentMatch {
  messageId: string;
  units: SentMessage['units'];
  to: string[];
  /** How the agent knows it: for the journal. */
  source: string;
}

/** The outbox item a Message-ID names, if it is this user's iTIP message. */
async function outboxMatch(store: Store, user: string, messageId: string): Promise<SentMatch | undefined> {
  const id = /^itip-([A-Za-z0-9._-]+)@/.exec(messageId)?.[1];
  if (!id) return undefined;
  let item: OutboxItem | undefined;
  try {
    item = await store.getOutbox(id);
  } catch {
    return undefined;
  }
  if (!item || item.user !== user || item.notice || outboxMessageId(item) !== messageId) return undefined;
  let instances: string[] = [];
  try {
    instances = messageInstances(parseCalendar(item.ics), item.uid);
  } catch {
    // An item whose text no longer reads still names its UID: the whole event then.
  }
  return { messageId, units: [{ method: item.method, uid: item.uid, instances }], to: item.to, source: 'sent by the agent' };
}

function recordMatch(tx: UserTx, messageId: string): SentMatch | undefined {
  const record = tx.getSent(messageId);
  return record ? { messageId, units: record.units, to: record.to, source: 'sent by the user' } : undefined;
}

/**
 * The address a report line stands for: the Original-Recipient when the
 * message went to it (an alias the MTA expanded), else the Final-Recipient.
 */
function bounced(line: DsnRecipient, to: string[]): BouncedRecipient {
  const address = line.originalRecipient && to.includes(line.originalRecipient) ? line.originalRecipient : line.finalRecipient;
  const recipient: BouncedRecipient = { address, action: line.action, status: line.status };
  if (line.diagnostic) recipient.diagnostic = line.diagnostic;
  return recipient;
}

export async function processDeliveryReport(
  store: Store,
  mail: ParsedMail,
  report: DeliveryReport,
  users: string[],
  now: number,
  result: ProcessResult,
): Promise<ProcessResult> {
  for (const user of users) {
    // Read before the transaction: an outbox item's text never changes once queued.
    let fromOutbox: SentMatch | undefined;
    for (const id of report.originalMessageIds) {
      fromOutbox = await outboxMatch(store, user, id);
      if (fromOutbox) break;
    }
    const entries = await store.transact(user, (tx) => handleReport(tx, mail, report, fromOutbox, now));
    result.users.push({ user, entries });
  }
  return result;
}

function handleReport(tx: UserTx, mail: ParsedMail, report: DeliveryReport, fromOutbox: SentMatch | undefined, now: number): JournalEntry[] {
  const at = formatUtc(now);
  const { messageId, digest } = mail.facts;
  const entries: JournalEntry[] = [];
  const journal = (method: string, uid: string, outcome: JournalEntry['outcome'], reason: string) => {
    const entry: JournalEntry = { messageId, recipient: tx.user, method, uid, outcome, reason, at };
    tx.addJournal(entry);
    entries.push(entry);
  };
  // No store yet: the user sent nothing the agent saw, and a bounce makes no calendar user.
  if (!tx.getRole()) return entries;

  const messageKey = `incoming:${messageId}:${digest}`;
  if (tx.hasSeen(messageKey)) {
    journal('', '', 'duplicate', 'this delivery report was processed before (same Message-ID and content); nothing changed');
    return entries;
  }
  tx.markSeen(messageKey, at);

  const match = fromOutbox ?? report.originalMessageIds.map((id) => recordMatch(tx, id)).find((m) => m !== undefined);
  if (!match) {
    const named = report.originalMessageIds.length ? `message <${report.originalMessageIds.join('>, <')}>` : 'a message it does not name';
    journal('', '', 'ignored', `a delivery report (RFC 3464) for ${named}, which is no scheduling message sent by ${tx.user}; nothing changed`);
    return entries;
  }

  const what = `the ${match.units.map((u) => u.method).filter((m, i, all) => all.indexOf(m) === i).join('/')} <${match.messageId}> (${match.source})`;
  const lines = report.recipients.map((line) => bounced(line, match.to));
  for (const unit of match.units) {
    const outcome = applyBounce(tx.getObject(unit.uid), tx.user, unit, match.to, lines, what);
    if (outcome.object) {
      applyEffects(tx, [{ type: 'put-object', object: outcome.object }], { messageId, messageKey, received: at }, { next: 0 });
    }
    for (const applied of outcome.applied) journal(unit.method, unit.uid, 'applied', applied.reason);
    if (outcome.applied.length === 0) {
      journal(unit.method, unit.uid, 'ignored', `a delivery report for ${what} changes nothing: ${outcome.ignored.join('; ')}`);
    }
  }
  return entries;
}

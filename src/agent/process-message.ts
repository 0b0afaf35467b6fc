// The person handlers: one mail in, each calendar user's store changed in one
// transaction, one journal outcome per message, recipient and UID.
//
// Incoming mail changes the stores of its envelope recipients; mail a user sent
// (the outgoing rule) changes the sender's store. A redelivered mail (same
// Message-ID and content) is journalled as a duplicate and changes nothing.

import { normalizeAddress } from '../ical/address.js';
import type { Direction, SenderFacts } from '../itip/effects.js';
import type { JournalEntry, Outcome } from '../itip/model.js';
import { schedule } from '../itip/schedule.js';
import { formatUtc } from '../ical/times.js';
import type { ParsedMail } from '../mail/mail-facts.js';
import { readMail } from '../mail/read-mail.js';
import type { Store, UserTx } from '../store/store.js';
import { applyEffects } from './apply-effects.js';
import { readCalendarMessages, type CalendarMessages } from './calendar-messages.js';

export interface MailEnvelope {
  /** Envelope recipients (RCPT TO). */
  recipients: string[];
  /** Envelope sender (MAIL FROM); empty for bounces. */
  sender?: string;
  /** The sender sent this mail: effects go to the sender's store. */
  outgoing?: boolean;
}

export interface UserOutcome {
  user: string;
  entries: JournalEntry[];
}

export interface ProcessResult {
  messageId: string;
  users: UserOutcome[];
  /** True if the mail holds at least one calendar part. */
  calendar: boolean;
}

/** Every address the mail claims to come from, for sender binding. */
export function senderFacts(mail: ParsedMail, envelopeSender?: string): SenderFacts {
  const addresses = [normalizeAddress(envelopeSender), mail.facts.from, mail.facts.sender];
  return { addresses: [...new Set(addresses.filter((a): a is string => !!a && a !== 'mailto:'))] };
}

/** The calendar users whose stores this mail changes. */
export function targetUsers(mail: ParsedMail, envelope: MailEnvelope): string[] {
  if (envelope.outgoing) {
    const sender = normalizeAddress(envelope.sender) ?? mail.facts.from;
    return sender ? [sender] : [];
  }
  const users = envelope.recipients.map((r) => normalizeAddress(r)).filter((r): r is string => !!r);
  return [...new Set(users)];
}

export async function processMail(store: Store, raw: Buffer, envelope: MailEnvelope, now: number): Promise<ProcessResult> {
  const mail = await readMail(raw);
  return processParsedMail(store, mail, envelope, now);
}

/** Processes a mail that was read already (the LMTP service reads once per transaction). */
export async function processParsedMail(
  store: Store,
  mail: ParsedMail,
  envelope: MailEnvelope,
  now: number,
): Promise<ProcessResult> {
  const calendars = readCalendarMessages(mail.calendars);
  const result: ProcessResult = { messageId: mail.facts.messageId, users: [], calendar: mail.calendars.length > 0 };
  if (mail.calendars.length === 0) return result;
  const direction: Direction = envelope.outgoing ? 'outgoing' : 'incoming';
  const sender = senderFacts(mail, envelope.sender);
  for (const user of targetUsers(mail, envelope)) {
    const entries = await store.transact(user, (tx) => handleForUser(tx, mail, calendars, sender, direction, now));
    result.users.push({ user, entries });
  }
  return result;
}

function handleForUser(
  tx: UserTx,
  mail: ParsedMail,
  calendars: CalendarMessages,
  sender: SenderFacts,
  direction: Direction,
  now: number,
): JournalEntry[] {
  const at = formatUtc(now);
  const { messageId, digest } = mail.facts;
  const entries: JournalEntry[] = [];
  const journal = (method: string, uid: string, outcome: Outcome, reason: string) => {
    const entry: JournalEntry = { messageId, recipient: tx.user, method, uid, outcome, reason, at };
    tx.addJournal(entry);
    entries.push(entry);
  };

  // A person store is made on the first mail to an unknown recipient (DESIGN).
  const role = tx.getRole() ?? 'person';
  if (!tx.getRole()) tx.setRole(role);

  const messageKey = `${direction}:${messageId}:${digest}`;
  if (tx.hasSeen(messageKey)) {
    // One duplicate record per UID the mail carries, so that the journal of a
    // redelivery lines up with the journal of the first delivery.
    const reason = 'this mail was processed before (same Message-ID and content); nothing changed';
    const units = calendars.messages.flatMap((message) => [...message.units.keys()].map((uid) => [message.method, uid] as const));
    if (units.length === 0) units.push([calendars.messages[0]?.method ?? calendars.unusable[0]?.method ?? '', '']);
    for (const [method, uid] of units) journal(method, uid, 'duplicate', reason);
    return entries;
  }

  for (const bad of calendars.unusable) journal(bad.method, bad.uid, bad.outcome, bad.reason);
  const sequence = { next: 0 };
  for (const message of calendars.messages) {
    for (const [uid, components] of message.units) {
      const stored = tx.getObject(uid);
      const outcome = schedule({
        method: message.method,
        uid,
        components,
        message: message.vcalendar,
        user: tx.user,
        role,
        prefs: tx.getPrefs(),
        stored,
        counters: tx.listCounters(uid),
        sender,
        direction,
        now,
      });
      // The core returns no calendar change for stale, duplicate or refused
      // messages; what it does return (a request entry cleared, a party
      // crasher queued) applies whatever the outcome.
      if (outcome.outcome !== 'error') {
        applyEffects(tx, outcome.effects, { messageId, messageKey, received: at }, sequence);
      }
      const reason = message.note ? `${outcome.reason}; ${message.note}` : outcome.reason;
      journal(message.method, uid, outcome.outcome, reason);
    }
  }
  tx.markSeen(messageKey, at);
  return entries;
}

// The person handlers: one mail in, each calendar user's store changed in one
// transaction, one journal outcome per message, recipient and UID.
//
// Incoming mail changes the stores of its envelope recipients; mail a user sent
// (the outgoing rule) changes the sender's store. A redelivered mail (same
// Message-ID and content) is journalled as a duplicate and changes nothing.

import { addressLengthProblem, normalizeAddress } from '../ical/address.js';
import type { Direction, SenderFacts } from '../itip/effects.js';
import type { JournalEntry, Outcome, OutboxItem } from '../itip/model.js';
import type { GroupMember } from '../itip/resource/bookings.js';
import { schedule } from '../itip/schedule.js';
import { SCHEDULE_STATUS } from '../itip/schedule-status.js';
import { formatUtc } from '../ical/times.js';
import type { ParsedMail } from '../mail/mail-facts.js';
import type { Refusal } from '../mail/refusal-header.js';
import type { Store, UserTx } from '../store/store.js';
import { applyEffects } from './apply-effects.js';
import { queueRequestNotices, type RequestNotices } from './request-notice.js';
import { readGroupMembers } from './resource-support.js';
import { eventSnapshot, freeBusySnapshot } from './read-snapshot.js';
import { readCalendarMessages, type CalendarMessages } from './calendar-messages.js';
import { DEFAULT_AGENT_POLICY, type AgentPolicy } from './policy.js';
import { readIncoming } from './read-incoming.js';
import { partiesOf, recordCorrespondents } from './correspondents.js';
import type { ExpansionLimits } from '../ical/expand.js';
import { evaluateAuthentication, type ArrivalFacts } from '../mail/authentication.js';
import { processDeliveryReport } from './delivery-report.js';
import { markSent, recordSent, sentRecipients, sentUnit, type SentUnit } from './sent-record.js';

export interface MailEnvelope {
  /** Envelope recipients (RCPT TO). */
  recipients: string[];
  /** Envelope sender (MAIL FROM); empty for bounces. */
  sender?: string;
  /** The sender sent this mail: effects go to the sender's store. */
  outgoing?: boolean;
  /** How the mail reached the MTA (client address, login), for sender authentication. */
  arrival?: ArrivalFacts;
  /**
   * With `outgoing`: the recipients whose own calendar store took this mail
   * already (local calendar users): their SCHEDULE-STATUS is 1.2, not 1.1.
   */
  delivered?: string[];
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

/** The refused journal entries of a result: what an optional mark on the delivered copy names. */
export function refusalsOf(result: ProcessResult | undefined): Refusal[] {
  return (result?.users ?? []).flatMap(({ entries }) =>
    entries.filter((e) => e.outcome === 'refused').map((e) => ({ recipient: e.recipient, method: e.method, uid: e.uid, reason: e.reason })),
  );
}

/**
 * Every address the mail claims to come from, for sender binding, and what the
 * mail system vouches for (SECURITY.md).
 */
export function senderFacts(
  mail: ParsedMail,
  envelopeSender?: string,
  policy: AgentPolicy = DEFAULT_AGENT_POLICY,
  arrival: ArrivalFacts = {},
): SenderFacts {
  const addresses = [normalizeAddress(envelopeSender), mail.facts.from, mail.facts.sender];
  return {
    addresses: [...new Set(addresses.filter((a): a is string => !!a && a !== 'mailto:'))],
    trust: evaluateAuthentication(mail.facts, policy.authentication, arrival),
  };
}

/**
 * The calendar users whose stores this mail changes. An address longer than
 * RFC 5321 4.5.3.1 allows is no one's: the doors refuse it (exit 64, 501 at
 * RCPT), and one that gets here anyway (a From header) makes no store.
 */
export function targetUsers(mail: ParsedMail, envelope: MailEnvelope): string[] {
  const fits = (user: string | undefined): user is string => !!user && !addressLengthProblem(user);
  if (envelope.outgoing) {
    const sender = normalizeAddress(envelope.sender) ?? mail.facts.from;
    return fits(sender) ? [sender] : [];
  }
  const users = envelope.recipients.map((r) => normalizeAddress(r)).filter(fits);
  return [...new Set(users)];
}

export async function processMail(
  store: Store,
  raw: Buffer,
  envelope: MailEnvelope,
  now: number,
  policy: AgentPolicy = DEFAULT_AGENT_POLICY,
): Promise<ProcessResult> {
  const { mail, arrival } = await readIncoming(raw, envelope.arrival, policy, now);
  return processParsedMail(store, mail, { ...envelope, arrival }, now, policy);
}

/** Processes a mail that was read already (the LMTP service reads once per transaction). */
export async function processParsedMail(
  store: Store,
  mail: ParsedMail,
  envelope: MailEnvelope,
  now: number,
  policy: AgentPolicy = DEFAULT_AGENT_POLICY,
): Promise<ProcessResult> {
  const calendars = readCalendarMessages(mail.calendars, policy.messageLimits);
  const result: ProcessResult = { messageId: mail.facts.messageId, users: [], calendar: mail.calendars.length > 0 };
  // A bounce (RFC 3464) of a mail the user sent; calendar parts inside it belong to the returned mail.
  if (mail.report && !envelope.outgoing) return processDeliveryReport(store, mail, mail.report, targetUsers(mail, envelope), now, result);
  if (mail.calendars.length === 0 && mail.skipped.length === 0) return result;
  const direction: Direction = envelope.outgoing ? 'outgoing' : 'incoming';
  const sender = senderFacts(mail, envelope.sender, policy, envelope.arrival);
  for (const user of targetUsers(mail, envelope)) {
    const extras: ResourceExtras = { groupMembers: () => readGroupMembers(store, user, now), handoffs: [], expansionLimits: policy.expansionLimits, notices: policy.notices };
    if (envelope.outgoing) extras.sent = { to: sentRecipients(envelope.recipients, [...mail.facts.to, ...mail.facts.cc]), delivered: envelope.delivered ?? [] };
    const entries = await store.transact(user, (tx) => handleForUser(tx, mail, calendars, sender, direction, now, extras));
    result.users.push({ user, entries });
    await handOver(store, mail, extras.handoffs, now, result, 0);
  }
  return result;
}

interface ResourceExtras {
  /** Bounds on recurrence expansion, from the policy. */
  expansionLimits?: ExpansionLimits;
  /**
   * A resource group's members. Read in the group's transaction, and only for
   * a resource: a read outside the transaction first had to renew the snapshot
   * the last commit ended, on every mail.
   */
  groupMembers?: () => GroupMember[] | undefined;
  /** Outbox items to hand to a local member after the commit. */
  handoffs: OutboxItem[];
  /** Notices of waiting requests, from the policy. */
  notices?: RequestNotices;
  /** Mail the user sent: its recipients, and those whose store took it already (src/agent/sent-record.ts). */
  sent?: { to: string[]; delivered: string[] };
}

/** How deep groups of groups may hand a request on. */
const MAX_HANDOFF_DEPTH = 3;

/**
 * A resource group delegated to a member of the same store: the member gets
 * the REQUEST at once, in its own transaction after the group's committed, so
 * the organizer hears from the member within this one delivery, with no round
 * trip through the MTA. The outbox item stays as the record and is marked
 * processed once the member's transaction committed; should the process stop
 * in between, the outbox sender mails it and the member, seeing the same
 * version again, changes nothing and answers nothing twice.
 */
async function handOver(store: Store, mail: ParsedMail, items: OutboxItem[], now: number, result: ProcessResult, depth: number): Promise<void> {
  if (depth >= MAX_HANDOFF_DEPTH) return;
  for (const item of items) {
    for (const member of item.to) {
      const local: ParsedMail = {
        ...mail,
        facts: { ...mail.facts, digest: `handoff:${item.id}` },
        calendars: [{ text: item.ics, methodParam: item.method, contentType: 'text/calendar' }],
        skipped: [],
      };
      // The group bound the sender already; the member hears from the group, its delegator.
      const sender: SenderFacts = { addresses: [item.from] };
      const extras: ResourceExtras = { groupMembers: () => readGroupMembers(store, member, now), handoffs: [] };
      const calendars = readCalendarMessages(local.calendars);
      const entries = await store.transact(member, (tx) => handleForUser(tx, local, calendars, sender, 'incoming', now, extras));
      result.users.push({ user: member, entries });
      await handOver(store, mail, extras.handoffs, now, result, depth + 1);
    }
    // Handed to the member's own store: delivered, in RFC 6638's words (1.2).
    const delivered = Object.fromEntries(item.to.map((to) => [to, SCHEDULE_STATUS.DELIVERED]));
    await store.updateOutbox({ ...item, state: 'processed', status: delivered });
  }
}

function handleForUser(
  tx: UserTx,
  mail: ParsedMail,
  calendars: CalendarMessages,
  sender: SenderFacts,
  direction: Direction,
  now: number,
  extras: ResourceExtras = { handoffs: [] },
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
  const known = tx.getRole();
  const role = known ?? 'person';
  if (!known) tx.setRole(role);

  const messageKey = `${direction}:${messageId}:${digest}`;
  if (tx.hasSeen(messageKey)) {
    // One duplicate record per UID the mail carries, so that the journal of a
    // redelivery lines up with the journal of the first delivery.
    const reason = 'this mail was processed before (same Message-ID and content); nothing changed';
    const units = calendars.messages.flatMap((message) =>
      [...message.units.keys(), ...message.freebusy.keys()].map((uid) => [message.method, uid] as const),
    );
    if (units.length === 0) units.push([calendars.messages[0]?.method ?? calendars.unusable[0]?.method ?? '', '']);
    for (const [method, uid] of units) journal(method, uid, 'duplicate', reason);
    return entries;
  }

  // A calendar part over a limit is refused, not silently dropped: the user
  // and the administrator see in the journal that it was there.
  for (const why of mail.skipped) journal('', '', 'refused', why);
  for (const bad of calendars.unusable) journal(bad.method, bad.uid, bad.outcome, bad.reason);
  const members = role === 'resource' ? extras.groupMembers?.() : undefined;
  const sequence = { next: 0 };
  const sentUnits: SentUnit[] = [];
  for (const message of calendars.messages) {
    for (const [uid, components] of message.units) {
      const unread = {
        method: message.method,
        uid,
        components,
        message: message.vcalendar,
        user: tx.user,
        role,
        prefs: tx.getPrefs(),
        stored: tx.getObject(uid),
        sender,
        direction,
        now,
        members,
        expansionLimits: extras.expansionLimits,
      };
      const outcome = schedule({ ...unread, ...eventSnapshot(tx, unread) });
      // Those the user wrote to become known to them (the incoming=known tier).
      if (direction === 'outgoing' && (outcome.outcome === 'applied' || outcome.outcome === 'duplicate')) recordCorrespondents(tx, partiesOf(components), at);
      // The core returns no calendar change for stale, duplicate or refused
      // messages; what it does return (a request entry cleared, a party
      // crasher queued) applies whatever the outcome.
      if (outcome.outcome !== 'error') {
        extras.handoffs.push(...applyEffects(tx, outcome.effects, { messageId, messageKey, received: at }, sequence));
        queueRequestNotices(tx, outcome.effects, extras.notices, { messageKey, received: at, now }, sequence);
      }
      let reason = message.note ? `${outcome.reason}; ${message.note}` : outcome.reason;
      const unit = extras.sent && outcome.outcome !== 'refused' && outcome.outcome !== 'error' ? sentUnit(message, uid) : undefined;
      if (unit && extras.sent) {
        sentUnits.push(unit);
        const marked = outcome.outcome === 'applied' ? markSent(tx, unit, extras.sent.to, extras.sent.delivered) : undefined;
        if (marked) reason = `${reason}; ${marked}`;
      }
      journal(message.method, uid, outcome.outcome, reason);
    }
    for (const [uid, component] of message.freebusy) {
      const unread = {
        kind: 'VFREEBUSY' as const,
        method: message.method,
        uid,
        component,
        message: message.vcalendar,
        user: tx.user,
        role,
        prefs: tx.getPrefs(),
        sender,
        direction,
        now,
      };
      const outcome = schedule({ ...unread, ...freeBusySnapshot(tx, unread) });
      if (outcome.outcome !== 'error') applyEffects(tx, outcome.effects, { messageId, messageKey, received: at }, sequence);
      const reason = message.note ? `${outcome.reason}; ${message.note}` : outcome.reason;
      journal(message.method, uid, outcome.outcome, reason);
    }
  }
  if (extras.sent) recordSent(tx, messageId, sentUnits, extras.sent.to, at);
  tx.markSeen(messageKey, at);
  return entries;
}

// The person handlers: one mail in, each calendar user's store changed in one
// transaction, one journal outcome per message, recipient and UID. The
// scheduling runs on a read of the user's data before that transaction, and
// the transaction commits only if the data did not change meanwhile
// (user-plan.ts, Store.commitIf).
//
// Incoming mail changes the stores of its envelope recipients; mail a user sent
// (the outgoing rule) changes the sender's store. A redelivered mail (same
// Message-ID and content) is journalled as a duplicate and changes nothing.

import { addressLengthProblem, normalizeAddress } from '../ical/address.js';
import type { Direction, SenderFacts } from '../itip/effects.js';
import type { JournalEntry, OutboxItem } from '../itip/model.js';
import { SCHEDULE_STATUS } from '../itip/schedule-status.js';
import type { ParsedMail } from '../mail/mail-facts.js';
import type { Refusal } from '../mail/refusal-header.js';
import type { Store } from '../store/store.js';
import { readGroupMembers } from './resource-support.js';
import { readCalendarMessages } from './calendar-messages.js';
import { commitPlan, planForUser, type PlanContext } from './user-plan.js';
import { DEFAULT_AGENT_POLICY, type AgentPolicy } from './policy.js';
import { readIncoming } from './read-incoming.js';
import { evaluateAuthentication, type ArrivalFacts } from '../mail/authentication.js';
import { processDeliveryReport } from './delivery-report.js';
import { sentRecipients } from './sent-record.js';

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
    const handoffs: OutboxItem[] = [];
    const context: PlanContext = { mail, calendars, sender, direction, now, groupMembers: () => readGroupMembers(store, user, now), expansionLimits: policy.expansionLimits, notices: policy.notices };
    if (envelope.outgoing) context.sent = { to: sentRecipients(envelope.recipients, [...mail.facts.to, ...mail.facts.cc]), delivered: envelope.delivered ?? [] };
    const entries = await handleForUser(store, user, context, handoffs);
    result.users.push({ user, entries });
    await handOver(store, mail, handoffs, now, result, 0);
  }
  return result;
}

/**
 * How often a mail is computed again when the user's data changed between its
 * read and its commit. Each round, one of the mails that read the same version
 * commits, so n mails for one user arriving at once need up to n rounds; past
 * this many the mail gets a temporary failure and the MTA brings it again.
 */
export const MAX_COMMIT_ATTEMPTS = 24;

/** The user's data kept changing under a mail: a temporary failure, worth a retry. */
export class StoreContentionError extends Error {
  override name = 'StoreContentionError';
}

/**
 * One mail for one user: read a view of the user's data and run the core on
 * it outside any write transaction, then commit the effects if nothing was
 * committed for the user since the read (Store.commitIf); if something was,
 * compute again on fresh data. The commits of concurrent mails share durable
 * commits, and none of them loses another's update.
 */
async function handleForUser(store: Store, user: string, context: PlanContext, handoffs: OutboxItem[]): Promise<JournalEntry[]> {
  for (let attempt = 1; ; attempt++) {
    const { version, value: plan } = await store.readUser(user, (view) => planForUser(view, context));
    const committed = await store.commitIf(user, version, (tx) => {
      // Only this attempt's handoffs: a failed check runs no callback.
      const mine: OutboxItem[] = [];
      const entries = commitPlan(tx, plan, context.notices, mine, context.now);
      return { entries, mine };
    });
    if (committed.committed) {
      handoffs.push(...committed.value.mine);
      return committed.value.entries;
    }
    if (attempt >= MAX_COMMIT_ATTEMPTS) {
      throw new StoreContentionError(
        `the calendar of ${user} changed ${attempt} times while this mail was being handled; the mail was not applied, and a retry will find it calm`,
      );
    }
  }
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
      const handoffs: OutboxItem[] = [];
      const calendars = readCalendarMessages(local.calendars);
      const context: PlanContext = { mail: local, calendars, sender, direction: 'incoming', now, groupMembers: () => readGroupMembers(store, member, now) };
      const entries = await handleForUser(store, member, context, handoffs);
      result.users.push({ user: member, entries });
      await handOver(store, mail, handoffs, now, result, depth + 1);
    }
    // Handed to the member's own store: delivered, in RFC 6638's words (1.2).
    const delivered = Object.fromEntries(item.to.map((to) => [to, SCHEDULE_STATUS.DELIVERED]));
    await store.updateOutbox({ ...item, state: 'processed', status: delivered });
  }
}

// One mail's work for one calendar user, in two halves. planForUser reads a
// view of the user's data and runs the core: reads, then pure computing, no
// writes. commitPlan writes what the plan says inside the user's write
// transaction, and computes nothing but ids and journal numbers there.
// process-message.ts runs the first outside any write transaction and the
// second through Store.commitIf, so that the commits of concurrent mails share
// one durable commit while their scheduling runs outside the writer's lock.
//
// A mail may carry several UIDs (or one UID in two calendar parts): each one
// sees what the ones before it changed, as it would one after the other in a
// write transaction, through the plan's staged changes (StagedView).

import { formatUtc } from '../ical/times.js';
import type { Direction, Effect, SenderFacts } from '../itip/effects.js';
import type { JournalEntry, Outcome, OutboxItem, Role } from '../itip/model.js';
import type { GroupMember } from '../itip/resource/bookings.js';
import { schedule } from '../itip/schedule.js';
import type { ExpansionLimits } from '../ical/expand.js';
import type { ParsedMail } from '../mail/mail-facts.js';
import type { UserTx, UserView } from '../store/store.js';
import { applyEffects } from './apply-effects.js';
import type { CalendarMessages } from './calendar-messages.js';
import { eventSnapshot, freeBusySnapshot } from './read-snapshot.js';
import { queueRequestNotices, type RequestNotices } from './request-notice.js';
import { StagedView } from './staged-view.js';
import { partiesOf, recordCorrespondents } from './correspondents.js';
import { markSent, raiseDelivered, recordSent, sentUnit, type SentUnit } from './sent-record.js';

/** The start of a redelivered mail's journal reason (the redelivery guard, UserTx.hasSeen). */
const SEEN_BEFORE = 'this mail was processed before (same Message-ID and content)';

/** What the handling of a mail needs besides the mail. */
export interface PlanContext {
  mail: ParsedMail;
  calendars: CalendarMessages;
  sender: SenderFacts;
  direction: Direction;
  now: number;
  /** Bounds on recurrence expansion, from the policy. */
  expansionLimits?: ExpansionLimits;
  /** A resource group's members, read from their own stores; asked only for a resource. */
  groupMembers?: () => Promise<GroupMember[] | undefined>;
  /** Notices of waiting requests, from the policy. */
  notices?: RequestNotices;
  /** Mail the user sent: its recipients, and those whose store took it already (src/agent/sent-record.ts). */
  sent?: { to: string[]; delivered: string[] };
}

/** One journal outcome, with the effects that go with it. */
interface PlanStep {
  method: string;
  uid: string;
  outcome: Outcome;
  reason: string;
  effects?: Effect[];
  /** Whether the step may queue request notices (an event's effects do; a VFREEBUSY's do not). */
  notices?: boolean;
  /** Those the user wrote to, who become known to them (the incoming=known tier). */
  correspondents?: string[];
  /**
   * What the user sent, tracked for delivery (SCHEDULE-STATUS) and bounces;
   * marked when applied. `redelivered`: the mail was seen before; only the
   * statuses of recipients whose store took it now are raised (raiseDelivered).
   */
  sent?: { unit: SentUnit; mark: boolean; redelivered?: boolean };
}

export interface UserPlan {
  user: string;
  /** A person store is made on the first mail to an unknown recipient (DESIGN). */
  newRole?: Role;
  messageId: string;
  messageKey: string;
  /** The transaction's time, ISO 8601 UTC. */
  at: string;
  /** False for a redelivery: it was marked when first seen. */
  markSeen: boolean;
  steps: PlanStep[];
  /** Mail the user sent (see PlanContext.sent). */
  sent?: { to: string[]; delivered: string[] };
}

/** Reads what the mail needs of the user's data and runs the core on it. Writes nothing. */
export async function planForUser(view: UserView, context: PlanContext): Promise<UserPlan> {
  const { mail, calendars, sender, direction, now } = context;
  const at = formatUtc(now);
  const { messageId, digest } = mail.facts;
  const messageKey = `${direction}:${messageId}:${digest}`;
  const known = await view.getRole();
  const role = known ?? 'person';
  const plan: UserPlan = { user: view.user, newRole: known ? undefined : role, messageId, messageKey, at, markSeen: true, steps: [], sent: context.sent };
  const step = (method: string, uid: string, outcome: Outcome, reason: string, extra: Partial<PlanStep> = {}) =>
    plan.steps.push({ method, uid, outcome, reason, ...extra });

  if (await view.hasSeen(messageKey)) {
    // One duplicate record per UID the mail carries, so that the journal of a
    // redelivery lines up with the journal of the first delivery.
    const reason = `${SEEN_BEFORE}; nothing changed`;
    // Sent mail: local recipients whose store failed the first time may have taken it now.
    const redelivered = (message: CalendarMessages['messages'][number], uid: string) => {
      const unit = context.sent?.delivered.length ? sentUnit(message, uid) : undefined;
      return unit ? { sent: { unit, mark: false, redelivered: true } } : {};
    };
    const units = calendars.messages.flatMap((message) => [
      ...[...message.units.keys()].map((uid) => [message.method, uid, redelivered(message, uid)] as const),
      ...[...message.freebusy.keys()].map((uid) => [message.method, uid, {}] as const),
    ]);
    if (units.length === 0) units.push([calendars.messages[0]?.method ?? calendars.unusable[0]?.method ?? '', '', {}]);
    for (const [method, uid, extra] of units) step(method, uid, 'duplicate', reason, extra);
    plan.markSeen = false;
    return plan;
  }

  // A calendar part over a limit is refused, not silently dropped: the user
  // and the administrator see in the journal that it was there.
  for (const why of mail.skipped) step('', '', 'refused', why);
  for (const bad of calendars.unusable) step(bad.method, bad.uid, bad.outcome, bad.reason);
  const members = role === 'resource' ? await context.groupMembers?.() : undefined;
  const prefs = await view.getPrefs();
  const staged = new StagedView(view);
  for (const message of calendars.messages) {
    const note = (reason: string) => (message.note ? `${reason}; ${message.note}` : reason);
    for (const [uid, components] of message.units) {
      const unread = {
        method: message.method,
        uid,
        components,
        message: message.vcalendar,
        user: view.user,
        role,
        prefs,
        stored: await staged.getObject(uid),
        sender,
        direction,
        now,
        members,
        expansionLimits: context.expansionLimits,
      };
      const outcome = schedule({ ...unread, ...(await eventSnapshot(staged, unread)) });
      // The core returns no calendar change for stale, duplicate or refused
      // messages; what it does return (a request entry cleared, a party
      // crasher queued) applies whatever the outcome.
      const effects = outcome.outcome === 'error' ? undefined : outcome.effects;
      if (effects) staged.stage(effects);
      const correspondents =
        direction === 'outgoing' && (outcome.outcome === 'applied' || outcome.outcome === 'duplicate') ? partiesOf(components) : undefined;
      const unit = context.sent && outcome.outcome !== 'refused' && outcome.outcome !== 'error' ? sentUnit(message, uid) : undefined;
      const sent = unit ? { unit, mark: outcome.outcome === 'applied' } : undefined;
      step(message.method, uid, outcome.outcome, note(outcome.reason), { effects, notices: true, correspondents, sent });
    }
    for (const [uid, component] of message.freebusy) {
      const unread = {
        kind: 'VFREEBUSY' as const,
        method: message.method,
        uid,
        component,
        message: message.vcalendar,
        user: view.user,
        role,
        prefs,
        sender,
        direction,
        now,
      };
      const outcome = schedule({ ...unread, ...(await freeBusySnapshot(staged, unread)) });
      const effects = outcome.outcome === 'error' ? undefined : outcome.effects;
      if (effects) staged.stage(effects);
      step(message.method, uid, outcome.outcome, note(outcome.reason), { effects });
    }
  }
  return plan;
}

/**
 * Writes the plan in the user's write transaction: the role, each step's
 * effects and journal entry in order, the redelivery mark. Resolves with the
 * journal entries; the outbox items to hand to a local group member go to
 * `handoffs`.
 */
export function commitPlan(tx: UserTx, plan: UserPlan, notices: RequestNotices | undefined, handoffs: OutboxItem[], now: number): JournalEntry[] {
  const { messageId, messageKey, at } = plan;
  if (plan.newRole) tx.setRole(plan.newRole);
  const entries: JournalEntry[] = [];
  const sequence = { next: 0 };
  const origin = { messageKey, received: at };
  const sentUnits: SentUnit[] = [];
  for (const step of plan.steps) {
    if (step.correspondents) recordCorrespondents(tx, step.correspondents, at);
    if (step.effects) {
      handoffs.push(...applyEffects(tx, step.effects, { ...origin, messageId }, sequence));
      if (step.notices) queueRequestNotices(tx, step.effects, notices, { ...origin, now }, sequence);
    }
    let reason = step.reason;
    if (step.sent?.redelivered && plan.sent) {
      // Recorded by the first delivery already (recordSent); only the statuses may rise.
      const raised = raiseDelivered(tx, step.sent.unit, plan.sent.to, plan.sent.delivered);
      if (raised) reason = `${SEEN_BEFORE}; ${raised}`;
    } else if (step.sent && plan.sent) {
      sentUnits.push(step.sent.unit);
      // Read in this transaction: the step's own effects are already written.
      const marked = step.sent.mark ? markSent(tx, step.sent.unit, plan.sent.to, plan.sent.delivered) : undefined;
      if (marked) reason = `${reason}; ${marked}`;
    }
    const entry: JournalEntry = { messageId, recipient: tx.user, method: step.method, uid: step.uid, outcome: step.outcome, reason, at };
    tx.addJournal(entry);
    entries.push(entry);
  }
  if (plan.sent) recordSent(tx, messageId, sentUnits, plan.sent.to, at);
  if (plan.markSeen) tx.markSeen(messageKey, at);
  return entries;
}

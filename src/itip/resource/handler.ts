// A resource (room, projector, car, shared mailbox) receiving iTIP: nobody
// reads its mail, so it decides by its scheduling functions and answers the
// organizer itself (DESIGN.md, "A resource receiving REQUEST/ADD decides").
//
// - REQUEST (RFC 5546 section 3.2.2) and ADD (3.2.4): the new or changed
//   instances are judged; accepted time is stored with the resource's
//   PARTSTAT=ACCEPTED and blocks its free/busy, declined time does not. The
//   answer is a REPLY, or a COUNTER with the next free slot where
//   `counter_offers` is on, or (a group) a delegation to a free member.
// - CANCEL (3.2.5): as for a person; the cancelled time is freed.
// - REFRESH (3.2.6): the current answer again, to the organizer.
// - DECLINECOUNTER (3.2.8): the resource's offer is forgotten.
//
// Sender binding and ordering are the person's (checkOrganizer, mergeRequest).
//
// When to answer: RFC 5545 section 3.2.17 makes RSVP=FALSE the default, yet
// organizer clients need the resource's answer to know whether it is booked,
// and many leave RSVP out. So a resource answers unless its ATTENDEE says
// RSVP=FALSE explicitly, and even then it answers a decline, a counter or a
// delegation: the organizer must learn that the resource is not booked.

import ICAL from 'ical.js';
import { findAttendee, textOf } from '../../ical/calendar.js';
import { expandObject, type Window } from '../../ical/expand.js';
import { formatUtcSeconds, utcTime } from '../../ical/times.js';
import type { CalendarObject } from '../calendar-object.js';
import { type Context, inboxEffect, objectEffects, organizerOfObject, workingCopy } from '../context.js';
import { type Effect, type ItipResult, result } from '../effects.js';
import { refreshMessage } from '../messages.js';
import { addInstances } from '../attendee/add.js';
import { receiveCancel } from '../attendee/cancel.js';
import { checkOrganizer } from '../attendee/check-organizer.js';
import { mergeRequest, unchangedOutcome } from '../attendee/request.js';
import { organizerSpeaker, senderProblem } from '../rules/sender.js';
import {
  type Answer,
  addDelegate,
  counterMessage,
  delegatedRequest,
  replyMessage,
  restamp,
  setPartstat,
} from './answers.js';
import { BookingIndex, bookingSpan, staticBookings } from './bookings.js';
import { findFreeSlot } from './counter-slot.js';
import { decideInstances, policiesOf, type InstanceDecision } from './decide.js';
import { LocalClock } from './local-time.js';
import type { Candidate, Judgement } from './policy.js';
import { DELEGATE, chainOf } from './registry.js';
import { zoneOf } from '../preferences.js';
import type { CounterEntry } from '../model.js';
import { objectPeriods } from '../freebusy/periods.js';
import { heldOffer, offerHoldMs, withHeldOffers } from './offers.js';
import { readSettings, type ResourceSettings } from './settings.js';
import { dropReplaced, replacedMembers, withdrawal } from './redelegation.js';

export function receiveAsResource(context: Context): ItipResult {
  switch (context.input.method) {
    case 'REQUEST':
    case 'ADD': {
      const plan = planOf(context);
      return 'outcome' in plan ? plan : decide(context, plan);
    }
    case 'CANCEL':
      return resourceCancel(context);
    case 'REFRESH':
      return resourceRefresh(context);
    case 'DECLINECOUNTER':
      return resourceDeclineCounter(context);
    default:
      // PUBLISH invites nobody; REPLY and COUNTER go to organizers, and a resource organizes nothing.
      return result('ignored', `a resource does not act on ${context.input.method}`);
  }
}

interface Setup {
  settings: ResourceSettings;
  chain: string[];
  problems: string[];
}

function setupOf(context: Context): Setup {
  const { settings, problems } = readSettings(context.input.prefs);
  const { chain, problem } = chainOf(context.input.prefs, ['freebusy']);
  if (problem) problems.push(`${problem}; used freebusy`);
  return { settings, chain, problems };
}

function ridProperty(key: string): ICAL.Property {
  const prop = new ICAL.Property('recurrence-id');
  if (key.length === 10) {
    prop.resetType('date');
    prop.setValue(ICAL.Time.fromDateString(key));
  } else {
    prop.setValue(utcTime(Date.parse(key)));
  }
  return prop;
}

function isCancelled(component: ICAL.Component): boolean {
  return (textOf(component, 'status') ?? '').toUpperCase() === 'CANCELLED';
}

/**
 * The instances to judge: of the whole series when the master changed, else of
 * the changed overrides; only those that name the resource, are not cancelled,
 * and have not ended yet (the past is not judged).
 */
function candidatesOf(context: Context, object: CalendarObject, keys: string[]): Candidate[] {
  const { input, window } = context;
  const expansion = expandObject(object.list(), object.zones, window);
  const all = keys.includes('');
  return expansion.instances
    .filter((i) => all || keys.includes(i.key))
    .filter((i) => !isCancelled(i.component) && findAttendee(i.component, input.user) && i.end > input.now)
    .map((i) => ({ key: i.key, start: i.start, end: Math.max(i.end, i.start + 1) }));
}

function allDayKeys(context: Context, object: CalendarObject): boolean {
  const start = object.master?.getFirstPropertyValue('dtstart') ?? object.list()[0]?.getFirstPropertyValue('dtstart');
  return start instanceof ICAL.Time && start.isDate;
}

function rsvpFalse(object: CalendarObject, user: string): boolean {
  return object.list().some((c) => String(findAttendee(c, user)?.prop.getParameter('rsvp') ?? '').toUpperCase() === 'FALSE');
}

function describeRefusals(decisions: InstanceDecision[]): string {
  const refused = decisions.filter((d) => d.refusal);
  const first = refused.slice(0, 3).map((d) => d.refusal!.reason).join('; ');
  return refused.length > 3 ? `${first}; and ${refused.length - 3} more` : first;
}

/** What a REQUEST or ADD has the resource judge: the object as it would be stored, what changed, and whom to answer. */
interface Plan {
  object: CalendarObject;
  /** The recurrence keys that changed ('' for the master: the whole series). */
  keys: string[];
  organizer: string;
  candidates: Candidate[];
}

/**
 * REQUEST: merged as a person merges it, and what changed is judged. ADD: the
 * new instances become overrides of the stored series, and only they are
 * judged. Or the outcome, when there is nothing to judge.
 */
function planOf(context: Context): Plan | ItipResult {
  const checked = checkOrganizer(context);
  if ('outcome' in checked) return checked;
  const { input } = context;
  const object = workingCopy(context);
  let keys: string[];
  if (input.method === 'ADD') {
    if (!context.stored?.master) {
      return result('applied', 'the event is not stored: asked the organizer for it with a REFRESH', [refreshMessage(context, checked.organizer)]);
    }
    keys = addInstances(context, object);
    if (keys.length === 0) return result('duplicate', 'every added instance is already stored');
  } else {
    const report = mergeRequest(context, object);
    if (report.changed.length === 0) return unchangedOutcome(report);
    if (!object.list().some((c) => findAttendee(c, input.user))) {
      return result('ignored', `${input.user} is not among the attendees (a list or a forward), so the resource books nothing`);
    }
    keys = report.changed;
  }
  return { object, keys, organizer: checked.organizer, candidates: candidatesOf(context, object, keys) };
}

/**
 * The span of its own bookings a resource's decision on this REQUEST or ADD
 * reads, and whether it needs their organizers (src/itip/snapshot.ts); an
 * empty span when it judges no instance.
 */
export function bookingsToRead(context: Context): { span: Window; organizers: boolean } {
  const plan = planOf(context);
  if ('outcome' in plan || plan.candidates.length === 0) return { span: { from: 0, to: 0 }, organizers: false };
  const judged = { from: Math.min(...plan.candidates.map((c) => c.start)), to: Math.max(...plan.candidates.map((c) => c.end)) };
  return bookingSpan(judged, context.input.prefs, readSettings(context.input.prefs).settings);
}

function resourceCancel(context: Context): ItipResult {
  const outcome = receiveCancel(context);
  if (outcome.outcome !== 'applied') return outcome;
  // An offer made for a cancelled event is void.
  const clear: Effect = { type: 'remove-counters', uid: context.input.uid, attendee: context.input.user };
  return { ...outcome, effects: [...outcome.effects, clear] };
}

/**
 * REFRESH: the resource's current answer again. Only the organizer it answers
 * to may ask (the binding of section 6.1.1 for the one correspondent a resource has).
 */
function resourceRefresh(context: Context): ItipResult {
  const { input, stored } = context;
  if (!stored) return result('ignored', 'no event with this UID is stored, so there is no answer to repeat');
  const organizer = organizerOfObject(stored);
  if (!organizer) return result('ignored', 'the stored event has no ORGANIZER to answer');
  // Whoever the stored event names as the organizer's SENT-BY may ask too.
  const problem = senderProblem(input, organizerSpeaker(organizer, stored.list(), stored.list()));
  if (problem) return result('refused', problem);
  const offer = input.counters.find((c) => c.attendee === input.user);
  if (offer) {
    const send: Effect = { type: 'send', method: 'COUNTER', uid: input.uid, to: [organizer], ics: restamp(offer.ics, input.now) };
    return result('applied', 'sent the open counter-proposal again', [send]);
  }
  const answers = new Map<string, Answer | undefined>();
  for (const key of stored.keys()) if (findAttendee(stored.get(key)!, input.user)) answers.set(key, undefined);
  const reply = replyMessage(context, stored, organizer, answers);
  if (!reply) return result('ignored', `${input.user} is not among the attendees of the stored event`);
  const partstats = [...answers.keys()].map((key) => `${key || 'master'}: ${findAttendee(stored.get(key)!, input.user)!.partstat}`);
  return result('applied', `sent the current answer again (${partstats.join(', ')})`, [reply]);
}

function resourceDeclineCounter(context: Context): ItipResult {
  const checked = checkOrganizer(context);
  if ('outcome' in checked) return checked;
  const { input } = context;
  const known = input.counters.some((c) => c.attendee === input.user);
  const effects: Effect[] = [
    { type: 'remove-counters', uid: input.uid, attendee: input.user },
    inboxEffect(context, checked.organizer),
  ];
  // A slot held for the offer (freebusy_offers) is free again: the own periods are the event's alone.
  if (context.stored && offerHoldMs(input.prefs) !== undefined) {
    effects.push({ type: 'own-periods', uid: input.uid, periods: objectPeriods(context.stored, input.user, context.window, input.expansionLimits).own });
  }
  return result('applied', known ? 'the organizer declined the offer; it is withdrawn' : 'declined an offer not on record', effects);
}

/** Judges the planned instances, sets the resource's answers in the object, and answers. */
function decide(context: Context, plan: Plan): ItipResult {
  const { input } = context;
  const { object, keys, organizer, candidates } = plan;
  const { settings, chain, problems } = setupOf(context);
  const delegating = chain.includes(DELEGATE);
  const policies = policiesOf(chain.filter((name) => name !== DELEGATE));
  const clock = new LocalClock(zoneOf(input.prefs));
  const bookings = new BookingIndex(input.bookings, input.uid);
  const judgement: Judgement = { user: input.user, uid: input.uid, organizer, settings, clock, bookings, accepted: [] };
  const decisions = decideInstances(policies, judgement, candidates);
  const refused = decisions.filter((d) => d.refusal);
  const note = problems.length ? `; settings ignored: ${problems.join('; ')}` : '';
  const seriesScope = keys.includes('') && object.isRecurring();

  if (delegating && refused.length === 0) {
    const member = chooseMember(context, settings, candidates, organizer);
    if (member) return delegate(context, object, keys, organizer, member, note);
  }

  // A counter-proposal needs one instance and a refusal another time can cure.
  if (settings.counterOffers && refused.length > 0 && !seriesScope && candidates.length === 1 && !allDayKeys(context, object)) {
    const refusal = refused[0].refusal!;
    if (refusal.retimable) {
      const probe: Judgement = { ...judgement, accepted: [] };
      const slot = findFreeSlot(policies, probe, candidates[0], input.now);
      if (slot) return counter(context, object, keys, organizer, candidates[0], slot, refusal, note);
    }
  }

  const answers = new Map<string, Answer>();
  const accept: Answer = { partstat: 'ACCEPTED' };
  const noMember: Answer | undefined =
    delegating && refused.length === 0
      ? {
          partstat: 'DECLINED',
          refusal: { reason: 'no member of the resource group is free then', status: '4.0', statusText: 'Event conflict. Date-time is busy.', retimable: true },
        }
      : undefined;
  const decisionOf = (key: string): Answer => {
    if (noMember) return noMember;
    const found = decisions.find((d) => d.candidate.key === key);
    return found?.refusal ? { partstat: 'DECLINED', refusal: found.refusal } : accept;
  };
  let summary: string;
  if (seriesScope) {
    const policy = settings.recurrencePolicy;
    const allRefused = candidates.length > 0 && refused.length === candidates.length;
    if (noMember || (refused.length > 0 && (policy === 'all-or-nothing' || allRefused))) {
      // The series is declined as a whole; overrides follow the master.
      const whole: Answer = noMember ?? { partstat: 'DECLINED', refusal: refused[0].refusal };
      for (const key of object.keys()) answers.set(key, whole);
      summary = `declined the series (${policy}): ${noMember ? noMember.refusal!.reason : describeRefusals(decisions)}`;
    } else {
      answers.set('', accept);
      for (const key of object.keys()) if (key !== '' && !isCancelled(object.get(key)!)) answers.set(key, decisionOf(key));
      for (const d of refused) answers.set(d.candidate.key, { partstat: 'DECLINED', refusal: d.refusal });
      summary = refused.length
        ? `accepted the series except ${refused.length} instance${refused.length > 1 ? 's' : ''} (per-instance): ${describeRefusals(decisions)}`
        : 'accepted the series';
    }
  } else {
    for (const key of keys) answers.set(key, decisionOf(key));
    const declined = [...answers.values()].filter((a) => a.partstat === 'DECLINED');
    const what = keys.includes('') ? 'the event' : `instance${keys.length > 1 ? 's' : ''} ${keys.join(', ')}`;
    summary = declined.length
      ? `declined ${what}: ${noMember ? noMember.refusal!.reason : describeRefusals(decisions)}`
      : `accepted ${what}`;
  }
  if (candidates.length === 0) summary += ' (nothing ahead to judge: past instances are not judged)';

  // No member is free at the new time: the one chosen before is released all the same.
  const released = noMember ? replacedMembers(context) : [];
  dropReplaced(object, input.user, released);
  for (const [key, answer] of answers) {
    let component = object.get(key);
    if (!component) {
      component = object.instanceOf(ridProperty(key));
      if (!component) continue;
      object.set(key, component);
    }
    setPartstat(component, input.user, answer);
  }

  const effects: Effect[] = [
    ...objectEffects(context, object),
    { type: 'remove-counters', uid: input.uid, attendee: input.user },
    inboxEffect(context, organizer),
    ...released.map((earlier) => withdrawal(context, object, earlier)),
  ];
  if (released.length) summary += `; CANCEL to ${released.join(', ')}, delegated to before`;
  const allAccepted = [...answers.values()].every((a) => a.partstat === 'ACCEPTED');
  if (allAccepted && rsvpFalse(context.incoming, input.user)) {
    return result('applied', `${summary}; no REPLY, as the organizer asked for none (RSVP=FALSE)${note}`, effects);
  }
  const reply = replyMessage(context, object, organizer, answers);
  if (reply) effects.push(reply);
  return result('applied', `${summary}; REPLY to ${organizer}${note}`, effects);
}

/** A counter-proposal: the requested time is declined, the offer is kept until answered. */
function counter(
  context: Context,
  object: CalendarObject,
  keys: string[],
  organizer: string,
  requested: Candidate,
  slot: Candidate,
  refusal: NonNullable<InstanceDecision['refusal']>,
  note: string,
): ItipResult {
  const { input } = context;
  const declined: Answer = { partstat: 'DECLINED', refusal };
  for (const key of keys) {
    const component = object.get(key);
    if (component) setPartstat(component, input.user, declined);
  }
  const ics = counterMessage(context, object, requested.key, slot, refusal);
  const recurrenceId = requested.key === '' ? null : requested.key;
  const offer: CounterEntry = { uid: input.uid, recurrenceId, attendee: input.user, received: context.received, ics };
  // With freebusy_offers, the offered slot is held as tentatively busy (src/itip/resource/offers.ts).
  const held = heldOffer(offer, input.user, input.prefs, input.now);
  const own = objectEffects(context, object).map((effect) =>
    held && effect.type === 'own-periods' ? { ...effect, periods: withHeldOffers(effect.periods, [offer], input.user, input.prefs, input.now) } : effect,
  );
  const effects: Effect[] = [
    ...own,
    { type: 'remove-counters', uid: input.uid, attendee: input.user },
    { type: 'put-counter', entry: offer },
    inboxEffect(context, organizer),
    { type: 'send', method: 'COUNTER', uid: input.uid, to: [organizer], ics },
  ];
  return result(
    'applied',
    `countered: ${refusal.reason}; offered ${formatUtcSeconds(slot.start)} to ${formatUtcSeconds(slot.end)} instead${held ? ` (held as tentative for ${input.prefs.freebusy_offers})` : ''}; COUNTER to ${organizer}${note}`,
    effects,
  );
}

/**
 * The first member (in `group_members` order) free for every instance by its
 * own capacity and permitted times. Members the store does not know are
 * skipped: their free/busy cannot be read.
 */
function chooseMember(context: Context, settings: ResourceSettings, candidates: Candidate[], organizer: string): string | undefined {
  const { input } = context;
  for (const address of settings.groupMembers) {
    const member = input.members?.find((m) => m.address === address);
    if (!member || address === input.user) continue;
    const own = readSettings(member.prefs).settings;
    // A member with a broken chain is judged by free/busy alone.
    const memberChain = chainOf(member.prefs, ['freebusy']).chain;
    const timeChecks = policiesOf(['freebusy', ...memberChain.filter((n) => n === 'permitted_times')]);
    const judgement: Judgement = {
      user: address,
      uid: input.uid,
      organizer,
      settings: own,
      clock: new LocalClock(zoneOf(member.prefs)),
      bookings: new BookingIndex(staticBookings(member.busy), input.uid),
      accepted: [],
    };
    if (decideInstances(timeChecks, judgement, candidates).every((d) => !d.refusal)) return address;
  }
  return undefined;
}

/** The group answers DELEGATED (RFC 5546 section 3.2.2.3) and hands the REQUEST to the member. */
function delegate(context: Context, object: CalendarObject, keys: string[], organizer: string, member: string, note: string): ItipResult {
  const { input } = context;
  const answer: Answer = { partstat: 'DELEGATED', delegatedTo: member };
  const answers = new Map<string, Answer>();
  const replaced = replacedMembers(context, member);
  dropReplaced(object, input.user, replaced);
  for (const key of object.keys()) {
    const component = object.get(key)!;
    if (!findAttendee(component, input.user)) continue;
    setPartstat(component, input.user, answer);
    addDelegate(component, input.user, member);
    if (keys.includes('') || keys.includes(key)) answers.set(key, answer);
  }
  const effects: Effect[] = [
    ...objectEffects(context, object),
    inboxEffect(context, organizer),
  ];
  const reply = replyMessage(context, object, organizer, answers);
  if (reply) effects.push(reply);
  effects.push(delegatedRequest(context, object, member));
  effects.push(...replaced.map((earlier) => withdrawal(context, object, earlier)));
  const moved = replaced.length ? `; CANCEL to ${replaced.join(', ')}, delegated to before` : '';
  return result('applied', `delegated to ${member}, a free member of the group; REPLY to ${organizer}${moved}${note}`, effects);
}

// The organizer answers an attendee's counter-proposal (RFC 5546 section
// 3.2.7): taking it makes the proposed time (and place) the event's, sent to
// every attendee as an updated REQUEST; declining it sends the proposer a
// DECLINECOUNTER (section 3.2.8) and leaves the event as it is.

import ICAL from 'ical.js';
import { normalizeAddress } from '../../ical/address.js';
import { scheduledComponentsOf, findAttendee, parseCalendar, recurrenceKey, uidOf } from '../../ical/calendar.js';
import { CalendarObject } from '../calendar-object.js';
import { type Effect, type ItipResult, result } from '../effects.js';
import type { CounterEntry } from '../model.js';
import type { ActionInput } from './action.js';
import { actionContext, recurrenceKeyOf, withNotes } from './organizer-context.js';
import { declineCounterComponent, scheduleAgentFor, sendEffects } from './organizer-messages.js';
import { scheduleVersion } from './organizer-version.js';

interface CounterAction {
  uid: string;
  attendee: string;
  recurrenceId?: string;
}

/** The proposal the action answers, or why there is none to answer. */
function findCounter(input: ActionInput, action: CounterAction): CounterEntry | string {
  const attendee = normalizeAddress(action.attendee) ?? action.attendee;
  const key = action.recurrenceId === undefined ? undefined : recurrenceKeyOf(action.recurrenceId);
  if (action.recurrenceId !== undefined && key === undefined) return `"${action.recurrenceId}" is not a recurrence id: give the instance's start in UTC, as 2026-12-01T09:00:00Z`;
  const theirs = input.counters.filter((c) => c.uid === action.uid && c.attendee === attendee);
  const matching = theirs.filter((c) => key === undefined || (c.recurrenceId ?? '') === key);
  if (matching.length === 1) return matching[0]!;
  if (matching.length === 0) {
    const where = key ? ` for the instance ${key}` : '';
    return `no proposal from ${attendee}${where} waits for ${action.uid}; nothing was changed`;
  }
  const instances = matching.map((c) => c.recurrenceId ?? 'the whole event').join(', ');
  return `${attendee} made several proposals for ${action.uid} (${instances}); name one with its recurrence id`;
}

/** The proposal's VEVENT, with the zones its times are read in. */
function proposalOf(counter: CounterEntry): { calendar: ICAL.Component; component: ICAL.Component } | undefined {
  const calendar = parseCalendar(counter.ics);
  const reader = new CalendarObject(counter.uid, null);
  reader.addTimezones(calendar);
  const events = scheduledComponentsOf(calendar).filter((event) => uidOf(event) === counter.uid);
  const component = events.find((event) => recurrenceKey(event, reader.zones) === (counter.recurrenceId ?? '')) ?? events[0];
  return component ? { calendar, component } : undefined;
}

function clearing(counter: CounterEntry): Effect[] {
  return [
    { type: 'remove-counters', uid: counter.uid, recurrenceId: counter.recurrenceId, attendee: counter.attendee },
    { type: 'remove-requests', uid: counter.uid, recurrenceId: counter.recurrenceId },
  ];
}

/**
 * Takes the proposed DTSTART and DTEND (or DURATION), and LOCATION when the
 * proposal names one, into the instance it is about (or the master). That is
 * a significant change: SEQUENCE raised, every attendee asked anew. RFC 5546
 * section 3.2.7 says no more than that the organizer sends the updated REQUEST
 * to all; the proposer keeps the answer their COUNTER carried (ACCEPTED or
 * TENTATIVE: they answered for this very time, as Outlook's "propose new
 * time" sends it with an answer), else is asked as everyone is.
 */
export function acceptCounter(input: ActionInput, action: CounterAction): ItipResult {
  const counter = findCounter(input, action);
  if (typeof counter === 'string') return result('refused', counter);
  const proposal = proposalOf(counter);
  if (!proposal || !proposal.component.hasProperty('dtstart')) {
    return result('refused', `the proposal of ${counter.attendee} names no time to take; decline it instead`);
  }
  const context = actionContext(input, action.uid, proposal.calendar);
  const next = CalendarObject.fromStored(context.stored!.toStored(), context.floating);
  next.addTimezones(proposal.calendar);
  const key = counter.recurrenceId ?? '';
  const rid = proposal.component.getFirstProperty('recurrence-id');
  const target = next.get(key) ?? (key !== '' && rid ? next.instanceOf(rid) : undefined);
  if (!target) return result('refused', `${action.uid} has no instance ${key} any more; the proposal cannot be taken`);
  for (const name of ['dtstart', 'dtend', 'duration']) {
    target.removeAllProperties(name);
    for (const prop of proposal.component.getAllProperties(name)) target.addProperty(cloneProperty(prop));
  }
  const location = proposal.component.getFirstProperty('location');
  if (location) {
    target.removeAllProperties('location');
    target.addProperty(cloneProperty(location));
  }
  next.set(key, target);
  const partstat = findAttendee(proposal.component, counter.attendee)?.partstat;
  const version = scheduleVersion(context, next, { proposer: { address: counter.attendee, key, partstat } });
  if (version.outcome === 'refused') return withNotes(result('refused', version.reason), context);
  if (version.outcome === 'duplicate') {
    return result('applied', `the proposal of ${counter.attendee} is the event as it stands; nothing to send`, clearing(counter));
  }
  return withNotes(
    result('applied', `took the proposal of ${counter.attendee}: ${version.reason}`, [...version.store, ...clearing(counter), ...version.sends]),
    context,
  );
}

function cloneProperty(prop: ICAL.Property): ICAL.Property {
  return ICAL.Property.fromString(prop.toICALString());
}

/** Declines the proposal: a DECLINECOUNTER to the proposer; the event stays as it is. */
export function declineCounter(input: ActionInput, action: CounterAction & { comment?: string }): ItipResult {
  const counter = findCounter(input, action);
  if (typeof counter === 'string') return result('refused', counter);
  const context = actionContext(input, action.uid);
  const stored = context.stored!;
  const agent = scheduleAgentFor(counter.attendee, stored);
  if (agent !== 'SERVER') {
    return result('refused', `${counter.attendee} has SCHEDULE-AGENT=${agent}: this agent sends them nothing (RFC 6638 section 7.1); answer from the calendar client`);
  }
  const key = counter.recurrenceId ?? '';
  const proposal = proposalOf(counter);
  const current = stored.get(key) ?? stored.master ?? stored.list()[0]!;
  const line =
    stored.list().map((c) => findAttendee(c, counter.attendee)).find((a) => a)?.prop ??
    (proposal ? findAttendee(proposal.component, counter.attendee)?.prop : undefined);
  if (!line) return result('refused', `${counter.attendee} is not an attendee of ${action.uid}`);
  const rid = key === '' ? undefined : stored.get(key)?.getFirstProperty('recurrence-id') ?? proposal?.component.getFirstProperty('recurrence-id') ?? undefined;
  const decline = declineCounterComponent(current, line, rid, action.comment, input.now);
  const sends = sendEffects(action.uid, [{ method: 'DECLINECOUNTER', to: [counter.attendee], ics: stored.toMessage('DECLINECOUNTER', [decline]) }]);
  return result('applied', `declined the proposal of ${counter.attendee}; DECLINECOUNTER to ${counter.attendee}`, [...clearing(counter), ...sends]);
}

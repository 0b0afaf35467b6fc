// The attendee proposes another time (COUNTER, RFC 5546 section 3.2.7): the
// event (or the instance) as the attendee would like it, with the proposed
// DTSTART and DTEND in UTC, the event's SEQUENCE (the proposal answers that
// version), DTSTAMP now, the ORGANIZER, the user's own ATTENDEE and the
// user's COMMENT. The user's copy keeps the proposal as the outgoing rule
// keeps a COUNTER the user mailed (recordSentCounter) until the organizer
// answers with an updated REQUEST or a DECLINECOUNTER.

import ICAL from 'ical.js';
import { cloneComponent, findAttendee } from '../../ical/calendar.js';
import { formatUtc, parseInstant, propertyInstant, utcTime } from '../../ical/times.js';
import { type CalendarObject, organizerOfObject } from '../calendar-object.js';
import { type ItipResult, result } from '../effects.js';
import type { ActionInput, UserAction } from './action.js';
import { clientSchedules, clientSchedulesReason, organizerProperty } from './attendee-reply.js';
import { attendeeTargets, type Target } from './attendee-target.js';
import { notesOf, recordAsSent, storedObject } from './record-as-sent.js';
import { withoutSchedulingParameters } from './scheduling-parameters.js';

/** An instant the user typed: ISO 8601 with a zone (Z or an offset); NaN otherwise. */
function proposedInstant(text: string): number {
  return /(Z|[+-]\d{2}:?\d{2})$/i.test(text.trim()) ? parseInstant(text.trim()) : Number.NaN;
}

/** The start and end of a component as instants, when it has both as times. */
function currentTimes(object: CalendarObject, component: ICAL.Component): { start: number; end: number } | undefined {
  const start = propertyInstant(component.getFirstProperty('dtstart'), object.zones);
  if (start === undefined) return undefined;
  const end = propertyInstant(component.getFirstProperty('dtend'), object.zones);
  if (end !== undefined) return { start, end };
  const duration = component.getFirstPropertyValue('duration');
  return duration instanceof ICAL.Duration ? { start, end: start + duration.toSeconds() * 1000 } : { start, end: start };
}

/** The COUNTER's VEVENT: the target as proposed. */
function counterComponent(object: CalendarObject, target: Target, user: string, start: number, end: number, now: number, comment?: string): ICAL.Component {
  const event = cloneComponent(target.component);
  event.removeAllSubcomponents('valarm');
  for (const name of ['dtstamp', 'dtstart', 'dtend', 'duration', 'comment', 'request-status']) event.removeAllProperties(name);
  event.addPropertyWithValue('dtstamp', utcTime(now));
  event.addPropertyWithValue('dtstart', utcTime(start));
  event.addPropertyWithValue('dtend', utcTime(end));
  if (!event.hasProperty('organizer')) {
    const organizer = organizerProperty(object, target.component);
    if (organizer) event.addProperty(ICAL.Property.fromString(organizer.toICALString()));
  }
  // The proposal speaks for the user alone: the other attendees' answers are not theirs to send.
  for (const prop of event.getAllProperties('attendee')) {
    if (prop !== findAttendee(event, user)?.prop) event.removeProperty(prop);
  }
  findAttendee(event, user)!.prop.removeParameter('rsvp');
  if (comment) event.addPropertyWithValue('comment', comment);
  return withoutSchedulingParameters(event);
}

export function propose(input: ActionInput, action: Extract<UserAction, { kind: 'propose' }>): ItipResult {
  const object = storedObject(input)!;
  const organizer = organizerOfObject(object)!;
  const start = proposedInstant(action.start);
  const end = proposedInstant(action.end);
  if (Number.isNaN(start) || Number.isNaN(end)) {
    return result('refused', `the proposed start "${action.start}" and end "${action.end}" must be times with a zone, such as 2026-12-01T09:00:00Z`);
  }
  if (end <= start) return result('refused', `the proposed end ${formatUtc(end)} is not after the proposed start ${formatUtc(start)}`);
  const agent = clientSchedules(object);
  if (agent) return result('refused', `${clientSchedulesReason(agent)}; a proposal is a message, so it cannot be made here; nothing changed`);
  const found = attendeeTargets(object, input.user, action.recurrenceId);
  if ('problem' in found) return result('refused', found.problem);
  // A proposal is about one thing: the series (its master) or one instance.
  const target = action.recurrenceId === undefined ? found.targets.find((t) => t.key === '') ?? (found.targets.length === 1 ? found.targets[0] : undefined) : found.targets[0];
  if (!target) return result('refused', `${object.uid} has no master the user attends; name the instance to propose another time for`);
  const where = target.key === '' ? 'the whole event' : `instance ${target.key}`;
  const current = currentTimes(object, target.component);
  if (current && current.start === start && current.end === end && !action.comment) {
    return result('duplicate', `${where} is at ${formatUtc(start)} to ${formatUtc(end)} already; nothing to propose`);
  }
  const ics = object.toMessage('COUNTER', [counterComponent(object, target, input.user, start, end, input.now, action.comment)]);
  const stored = recordAsSent(input, object.uid, 'COUNTER', ics);
  if (stored.outcome !== 'applied') return result('error', `the proposal could not be stored: ${stored.reason}`);
  return result(
    'applied',
    `proposed ${formatUtc(start)} to ${formatUtc(end)} for ${where}; a COUNTER to ${organizer} is queued${notesOf(stored)}`,
    [...stored.effects, { type: 'send', method: 'COUNTER', uid: object.uid, to: [organizer], ics }],
  );
}

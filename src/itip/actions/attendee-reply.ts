// The attendee's REPLY (RFC 5546 section 3.2.3) as the attendee's calendar
// program would send it, and the respond action that sends it. A REPLY carries
// per instance answered: UID, DTSTAMP (now), SEQUENCE as stored, RECURRENCE-ID
// for an instance, ORGANIZER, and the one ATTENDEE with the new PARTSTAT; the
// DTSTART, DTEND or DURATION and SUMMARY help the organizer's program show
// which event it answers; a COMMENT when the user wrote one. No VALARM: the
// alarms are the attendee's own.

import ICAL from 'ical.js';
import { findAttendee, isTask, organizerOf } from '../../ical/calendar.js';
import { progressFor, TASK_ONLY_ANSWERS } from '../task/progress.js';
import { utcTime } from '../../ical/times.js';
import { type CalendarObject, organizerOfObject } from '../calendar-object.js';
import { type Effect, type ItipResult, result } from '../effects.js';
import type { ActionInput, UserAction } from './action.js';
import { attendeeTargets, describeTargets, partstatIn, type Target } from './attendee-target.js';
import { notesOf, recordAsSent, storedObject } from './record-as-sent.js';
import { scheduleAgentOf, withoutSchedulingParameters } from './scheduling-parameters.js';

export interface ReplyOptions {
  comment?: string;
  /** Delegation (RFC 5546 section 3.2.2.3): DELEGATED-TO on the user, and the delegate's ATTENDEE. */
  delegate?: ICAL.Property;
  /** A task's PERCENT-COMPLETE to report (RFC 5546 section 3.4.3). */
  percentComplete?: number;
}

/** The ORGANIZER property of a component, else of the master (some programs leave it out of overrides). */
export function organizerProperty(object: CalendarObject, component: ICAL.Component): ICAL.Property | undefined {
  const own = component.getFirstProperty('organizer');
  if (own) return own;
  const holder = object.master && organizerOf(object.master) ? object.master : object.list().find((c) => organizerOf(c));
  return holder?.getFirstProperty('organizer') ?? undefined;
}

function copyProperties(target: ICAL.Component, source: ICAL.Component, names: string[]): void {
  for (const name of names) {
    for (const prop of source.getAllProperties(name)) target.addProperty(ICAL.Property.fromString(prop.toICALString()));
  }
}

/** The user's ATTENDEE of a component with the given PARTSTAT, fit for a message. */
export function answeringAttendee(component: ICAL.Component, user: string, partstat: string, delegatedTo?: string): ICAL.Property {
  const mine = findAttendee(component, user)!;
  const prop = ICAL.Property.fromString(mine.prop.toICALString());
  prop.setParameter('partstat', partstat);
  // RSVP is the organizer's ask for an answer; the answer does not carry it.
  prop.removeParameter('rsvp');
  if (delegatedTo) prop.setParameter('delegated-to', delegatedTo);
  else prop.removeParameter('delegated-to');
  return prop;
}

/** One VEVENT of a REPLY: the user's answer for the component `source` of `object`. */
export function replyComponent(object: CalendarObject, source: ICAL.Component, user: string, partstat: string, now: number, options: ReplyOptions = {}): ICAL.Component {
  // A task's REPLY is a VTODO (RFC 5546 section 3.4.3), with its DUE and the progress reported.
  const event = new ICAL.Component(source.name);
  event.addPropertyWithValue('uid', object.uid);
  event.addPropertyWithValue('dtstamp', utcTime(now));
  copyProperties(event, source, ['sequence', 'recurrence-id', 'dtstart', 'dtend', 'duration', 'due', 'summary']);
  if (isTask(source)) for (const prop of progressFor(partstat, utcTime(now), options.percentComplete)) event.addProperty(prop);
  const organizer = organizerProperty(object, source);
  if (organizer) event.addProperty(ICAL.Property.fromString(organizer.toICALString()));
  const delegatedTo = options.delegate ? String(options.delegate.getFirstValue()) : undefined;
  event.addProperty(answeringAttendee(source, user, partstat, delegatedTo));
  if (options.delegate) event.addProperty(ICAL.Property.fromString(options.delegate.toICALString()));
  if (options.comment) event.addPropertyWithValue('comment', options.comment);
  return withoutSchedulingParameters(event);
}

/** A REPLY with the user's answer for each target, as text. */
export function replyText(object: CalendarObject, targets: Target[], user: string, partstat: string, now: number, options: ReplyOptions = {}): string {
  const components = targets.map((target) => replyComponent(object, target.component, user, partstat, now, options));
  return object.toMessage('REPLY', components);
}

/**
 * Who sends the attendee's messages for this object: the server (this agent)
 * unless the ORGANIZER says SCHEDULE-AGENT=CLIENT or NONE (RFC 6638 section
 * 7.1), in which case the calendar program does, or nobody.
 */
export function clientSchedules(object: CalendarObject): string | undefined {
  const organizer = organizerProperty(object, object.master ?? object.list()[0]!);
  const agent = scheduleAgentOf(organizer);
  return agent === 'SERVER' ? undefined : agent;
}

/** Why nothing is sent for an object whose ORGANIZER has SCHEDULE-AGENT=CLIENT or NONE. */
export function clientSchedulesReason(agent: string): string {
  return agent === 'CLIENT'
    ? "the ORGANIZER has SCHEDULE-AGENT=CLIENT: the calendar program sends this event's messages itself (RFC 6638 section 7.1)"
    : `the ORGANIZER has SCHEDULE-AGENT=${agent}: no messages are sent for this event (RFC 6638 section 7.1)`;
}

/** A `send` effect of the REPLY to the organizer. */
export function replySend(object: CalendarObject, organizer: string, ics: string): Effect {
  return { type: 'send', method: 'REPLY', uid: object.uid, to: [organizer], ics };
}

/**
 * respond: the user answers the whole event (each component they attend) or
 * one instance. The REPLY goes through the outgoing rule for the user's own
 * copy (PARTSTAT per instance, own free/busy, request entries removed), then
 * to the organizer.
 */
export function respond(input: ActionInput, action: Extract<UserAction, { kind: 'respond' }>): ItipResult {
  const object = storedObject(input)!;
  const organizer = organizerOfObject(object)!;
  const found = attendeeTargets(object, input.user, action.recurrenceId);
  if ('problem' in found) return result('refused', found.problem);
  const { targets } = found;
  const taskOnly = (TASK_ONLY_ANSWERS as readonly string[]).includes(action.partstat) || action.percentComplete !== undefined;
  if (taskOnly && !targets.every((target) => isTask(target.component))) {
    return result('refused', `${action.percentComplete !== undefined ? 'PERCENT-COMPLETE' : action.partstat} answers a task (VTODO) only (RFC 5545 section 3.2.12); ${object.uid} is an event; nothing changed`);
  }
  const where = describeTargets(targets, action.recurrenceId === undefined);
  const waiting = input.requests.some((entry) => entry.uid === object.uid);
  const unchanged = targets.every((target) => partstatIn(target.component, input.user) === action.partstat);
  // Answering again what is stored, with nothing waiting and nothing to say, changes nothing.
  if (unchanged && !waiting && !action.comment && action.percentComplete === undefined) {
    return result('duplicate', `${input.user} has answered ${action.partstat} for ${where} already; nothing sent`);
  }
  const options: ReplyOptions = {};
  if (action.comment) options.comment = action.comment;
  if (action.percentComplete !== undefined) options.percentComplete = action.percentComplete;
  const ics = replyText(object, targets, input.user, action.partstat, input.now, options);
  const stored = recordAsSent(input, object.uid, 'REPLY', ics);
  if (stored.outcome !== 'applied') return result('error', `the answer could not be stored: ${stored.reason}`);
  const agent = clientSchedules(object);
  const notes = notesOf(stored);
  if (agent) return result('applied', `answered ${action.partstat} for ${where}; ${clientSchedulesReason(agent)}, so nothing is queued${notes}`, stored.effects);
  return result('applied', `answered ${action.partstat} for ${where}; a REPLY to ${organizer} is queued${notes}`, [
    ...stored.effects,
    replySend(object, organizer, ics),
  ]);
}

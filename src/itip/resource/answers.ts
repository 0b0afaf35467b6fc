// The messages a resource sends (RFC 5546 section 3.2): REPLY to the organizer
// with the resource's ATTENDEE only (section 3.2.3), per instance where the
// answers differ (RECURRENCE-ID overrides); COUNTER with another time (section
// 3.2.7); and, for a resource group, the REQUEST handed to the chosen member
// (section 3.2.2.3, delegation). Each carries DTSTAMP = now and the event's
// SEQUENCE, and REQUEST-STATUS (section 3.6) says why.

import ICAL from 'ical.js';
import { cloneComponent, findAttendee, organizerOf, parseCalendar } from '../../ical/calendar.js';
import { utcTime } from '../../ical/times.js';
import type { CalendarObject } from '../calendar-object.js';
import type { Context } from '../context.js';
import type { Effect } from '../effects.js';
import { sendableCopies } from '../messages.js';
import type { Candidate, Refusal } from './policy.js';

export interface Answer {
  partstat: 'ACCEPTED' | 'DECLINED' | 'DELEGATED' | 'TENTATIVE' | 'NEEDS-ACTION';
  refusal?: Refusal;
  delegatedTo?: string;
}

/** Text for a REQUEST-STATUS or COMMENT value: no separators a reader could split on. */
function plain(text: string): string {
  return text.replace(/[;,\\\r\n]+/g, ' ').replace(/\s+/g, ' ').trim();
}

export function requestStatus(answer: Answer): ICAL.Property | undefined {
  if (answer.refusal) {
    const r = answer.refusal;
    return ICAL.Property.fromString(`REQUEST-STATUS:${r.status};${plain(r.statusText)};${plain(r.reason)}`);
  }
  if (answer.partstat === 'ACCEPTED' || answer.partstat === 'DELEGATED') return ICAL.Property.fromString('REQUEST-STATUS:2.0;Success');
  return undefined;
}

/** Sets the user's PARTSTAT (and DELEGATED-TO) on a component; RSVP is the organizer's ask, so it goes. */
export function setPartstat(component: ICAL.Component, user: string, answer: Answer): void {
  const attendee = findAttendee(component, user);
  if (!attendee) return;
  attendee.prop.setParameter('partstat', answer.partstat);
  attendee.prop.removeParameter('rsvp');
  if (answer.delegatedTo) attendee.prop.setParameter('delegated-to', answer.delegatedTo);
  else attendee.prop.removeParameter('delegated-to');
}

function copy(target: ICAL.Component, source: ICAL.Component, names: string[]): void {
  for (const name of names) {
    for (const prop of source.getAllProperties(name)) target.addProperty(ICAL.Property.fromString(prop.toICALString()));
  }
}

/** The ORGANIZER property of a component, or of the master (overrides from some clients lack it). */
function organizerProperty(object: CalendarObject, component: ICAL.Component): ICAL.Property | undefined {
  const own = component.getFirstProperty('organizer');
  if (own) return own;
  return object.master?.getFirstProperty('organizer') ?? object.list().find((c) => organizerOf(c))?.getFirstProperty('organizer') ?? undefined;
}

/** One VEVENT of a REPLY: what identifies the instance, and the resource's answer. */
function replyComponent(context: Context, object: CalendarObject, key: string, answer: Answer | undefined): ICAL.Component | undefined {
  const source = object.get(key);
  if (!source) return undefined;
  const attendee = findAttendee(source, context.input.user);
  if (!attendee) return undefined;
  const event = new ICAL.Component('vevent');
  event.addPropertyWithValue('uid', context.input.uid);
  event.addPropertyWithValue('dtstamp', utcTime(context.input.now));
  copy(event, source, ['sequence', 'recurrence-id', 'dtstart', 'dtend', 'duration', 'summary']);
  const organizer = organizerProperty(object, source);
  if (organizer) event.addProperty(ICAL.Property.fromString(organizer.toICALString()));
  event.addProperty(ICAL.Property.fromString(attendee.prop.toICALString()));
  const status = answer ? requestStatus(answer) : undefined;
  if (status) event.addProperty(status);
  return event;
}

/** REPLY to the organizer for the given keys ('' is the master), from the object as stored. */
export function replyMessage(context: Context, object: CalendarObject, organizer: string, answers: Map<string, Answer | undefined>): Effect | undefined {
  const components = [...answers.keys()]
    .sort()
    .map((key) => replyComponent(context, object, key, answers.get(key)))
    .filter((c): c is ICAL.Component => c !== undefined);
  if (components.length === 0) return undefined;
  return { type: 'send', method: 'REPLY', uid: context.input.uid, to: [organizer], ics: object.toMessage('REPLY', components) };
}

/**
 * COUNTER (RFC 5546 section 3.2.7): the event as requested, at the offered time,
 * with the resource's PARTSTAT=TENTATIVE (an offer, not a booking) and a COMMENT
 * that says why. Times are written in UTC.
 */
export function counterMessage(
  context: Context,
  object: CalendarObject,
  key: string,
  slot: Candidate,
  refusal: Refusal,
): string {
  const source = object.get(key) ?? object.master!;
  const event = cloneComponent(source);
  event.removeAllSubcomponents('valarm');
  for (const name of ['dtstart', 'dtend', 'duration', 'dtstamp', 'comment', 'request-status']) event.removeAllProperties(name);
  event.addPropertyWithValue('dtstamp', utcTime(context.input.now));
  event.addPropertyWithValue('dtstart', utcTime(slot.start));
  event.addPropertyWithValue('dtend', utcTime(slot.end));
  if (!event.hasProperty('organizer')) {
    const prop = organizerProperty(object, source);
    if (prop) event.addProperty(ICAL.Property.fromString(prop.toICALString()));
  }
  setPartstat(event, context.input.user, { partstat: 'TENTATIVE' });
  event.addPropertyWithValue('comment', `The requested time is not available (${plain(refusal.reason)}); this is the next free time.`);
  event.addProperty(ICAL.Property.fromString(`REQUEST-STATUS:${refusal.status};${plain(refusal.statusText)};${plain(refusal.reason)}`));
  return object.toMessage('COUNTER', [event]);
}

/** A stored COUNTER again, with a fresh DTSTAMP (a REFRESH asks for the current answer). */
export function restamp(ics: string, now: number): string {
  const vcalendar = parseCalendar(ics);
  for (const event of vcalendar.getAllSubcomponents('vevent')) event.updatePropertyWithValue('dtstamp', utcTime(now));
  return vcalendar.toString() + '\r\n';
}

/**
 * The group's REQUEST to the member it chose (RFC 5546 section 3.2.2.3): the
 * organizer's event, unchanged in SEQUENCE and DTSTAMP, with the group as
 * DELEGATED and the member as a new ATTENDEE with DELEGATED-FROM.
 */
export function delegatedRequest(context: Context, object: CalendarObject, member: string): Effect {
  return {
    type: 'send',
    method: 'REQUEST',
    uid: context.input.uid,
    to: [member],
    ics: object.toMessage('REQUEST', sendableCopies(object)),
    handoff: true,
  };
}

/** Adds the member as an attendee delegated from the group (RFC 5545 section 3.2.4). */
export function addDelegate(component: ICAL.Component, group: string, member: string): void {
  const groupAttendee = findAttendee(component, group);
  if (!groupAttendee || findAttendee(component, member)) return;
  const prop = new ICAL.Property('attendee');
  prop.setValue(member);
  const cutype = groupAttendee.prop.getParameter('cutype');
  prop.setParameter('cutype', typeof cutype === 'string' ? cutype : 'RESOURCE');
  prop.setParameter('role', 'REQ-PARTICIPANT');
  prop.setParameter('partstat', 'NEEDS-ACTION');
  prop.setParameter('rsvp', 'TRUE');
  prop.setParameter('delegated-from', group);
  component.addProperty(prop);
}

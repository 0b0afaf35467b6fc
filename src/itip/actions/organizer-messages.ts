// The messages the organizer's actions send (RFC 5546 sections 3.2.2, 3.2.5,
// 3.2.8), and what each attendee gets to see of the event: the components
// they take part in, without what belongs to the organizer or the server.
// Only the organizer's side composes here; the attendee's actions compose
// their own REPLY, COUNTER and REFRESH.

import ICAL from 'ical.js';
import { attendeesOf, findAttendee, organizerOf, recurrenceKey, timeProperty } from '../../ical/calendar.js';
import { tzidOf, utcTime } from '../../ical/times.js';
import type { CalendarObject } from '../calendar-object.js';
import type { Effect } from '../effects.js';
import type { Method } from '../model.js';
import { sendableCopies } from '../messages.js';
import { changedProperties, type Side } from '../rules/significant-change.js';

/**
 * Parameters only the organizer's server reads (RFC 6638 sections 7.2, 7.3):
 * never sent (section 3.2.3 has the server remove them from what it sends).
 */
const SERVER_PARAMETERS = ['schedule-status', 'schedule-force-send'];

/** The SCHEDULE-AGENT of a property (RFC 6638 section 7.1), SERVER when absent. */
export function scheduleAgentOf(prop: ICAL.Property): string {
  return String(prop.getParameter('schedule-agent') ?? 'SERVER').toUpperCase();
}

/**
 * Who handles scheduling for an attendee, as the latest version that names
 * them says: SERVER (this agent sends their messages) unless a line of theirs
 * says CLIENT or NONE (RFC 6638 section 7.1: the calendar client does it, or
 * nobody does).
 */
export function scheduleAgentFor(address: string, ...versions: Array<CalendarObject | undefined>): string {
  for (const object of versions) {
    if (!object) continue;
    const lines = object.list().flatMap((component) => attendeesOf(component).filter((a) => a.address === address));
    if (lines.length === 0) continue;
    const other = lines.map((line) => scheduleAgentOf(line.prop)).find((agent) => agent !== 'SERVER');
    return other ?? 'SERVER';
  }
  return 'SERVER';
}

/** Attendees whose line asks for a REQUEST whatever changed (SCHEDULE-FORCE-SEND=REQUEST, RFC 6638 section 7.2). */
export function forcedRequests(object: CalendarObject): Set<string> {
  const forced = new Set<string>();
  for (const component of object.list()) {
    for (const attendee of attendeesOf(component)) {
      if (String(attendee.prop.getParameter('schedule-force-send') ?? '').toUpperCase() === 'REQUEST') forced.add(attendee.address);
    }
  }
  return forced;
}

/** Removes SCHEDULE-FORCE-SEND: a server must not keep it (RFC 6638 section 7.2). */
export function dropForceSend(component: ICAL.Component): void {
  for (const prop of [...component.getAllProperties('attendee'), ...component.getAllProperties('organizer')]) {
    prop.removeParameter('schedule-force-send');
  }
}

function stripServerParameters(component: ICAL.Component): void {
  for (const prop of [...component.getAllProperties('attendee'), ...component.getAllProperties('organizer')]) {
    for (const name of SERVER_PARAMETERS) prop.removeParameter(name);
  }
}

/**
 * What an attendee is sent of the object: the components they appear in,
 * without the organizer's alarms (sendableCopies) and server parameters, an
 * ATTENDEE without PARTSTAT written as NEEDS-ACTION (its default, RFC 5545
 * section 3.2.12, which some clients only show as a question when written).
 * When they are in the master but not in an override, the master they get
 * excludes that instance (EXDATE), as sabre/vobject does: they are not
 * invited to it.
 */
export function attendeeView(object: CalendarObject, address: string): ICAL.Component[] {
  const copies = sendableCopies(object);
  const keys = object.keys();
  const mine = copies.filter((copy) => findAttendee(copy, address));
  const master = mine.find((copy) => !copy.hasProperty('recurrence-id'));
  if (master) {
    keys.forEach((key, index) => {
      const copy = copies[index]!;
      if (key === '' || mine.includes(copy)) return;
      const rid = copy.getFirstProperty('recurrence-id')!;
      master.addProperty(timeProperty('exdate', rid.getFirstValue() as ICAL.Time, tzidOf(rid)));
    });
  }
  for (const copy of mine) {
    stripServerParameters(copy);
    for (const attendee of copy.getAllProperties('attendee')) {
      if (!attendee.getParameter('partstat')) attendee.setParameter('partstat', 'NEEDS-ACTION');
    }
  }
  return mine;
}

/** Whether two views differ in meaning (which instances, and what each says, SEQUENCE included). */
export function viewsDiffer(before: ICAL.Component[], beforeZones: Side['zones'], after: ICAL.Component[], afterZones: Side['zones']): boolean {
  const byKey = (components: ICAL.Component[], zones: Side['zones']) => new Map(components.map((c) => [recurrenceKey(c, zones), c]));
  const a = byKey(before, beforeZones);
  const b = byKey(after, afterZones);
  if (a.size !== b.size) return true;
  for (const [key, component] of a) {
    const other = b.get(key);
    if (!other) return true;
    if (changedProperties({ component, zones: beforeZones }, { component: other, zones: afterZones }, true).length > 0) return true;
  }
  return false;
}

/** The components stamped with the time they are sent (DTSTAMP, RFC 5545 section 3.8.7.2). */
export function stamped(components: ICAL.Component[], now: number): ICAL.Component[] {
  for (const component of components) component.updatePropertyWithValue('dtstamp', utcTime(now));
  return components;
}

/** A copy of an ORGANIZER or ATTENDEE line as it may be sent: without server parameters. */
export function sendableLine(prop: ICAL.Property): ICAL.Property {
  const copy = ICAL.Property.fromString(prop.toICALString());
  for (const name of SERVER_PARAMETERS) copy.removeParameter(name);
  return copy;
}

export interface CancelSpec {
  /** The instance (its own component, or the master's instance of it) or the master being cancelled. */
  source: ICAL.Component;
  /** The ORGANIZER line (the source's when absent). */
  organizer?: ICAL.Property;
  /** The RECURRENCE-ID to name, for one instance. */
  recurrenceId?: ICAL.Property;
  sequence: number;
  /** The ATTENDEE lines to list: those removed, or all of the cancelled event or instance. */
  attendees: ICAL.Property[];
  /** STATUS:CANCELLED, for a cancelled event or instance; not when attendees are only uninvited (RFC 5546 section 3.2.5). */
  cancelled: boolean;
  now: number;
}

/**
 * One VEVENT of a CANCEL (RFC 5546 section 3.2.5): UID, DTSTAMP, SEQUENCE,
 * ORGANIZER, the attendees it concerns, RECURRENCE-ID for an instance, and
 * SUMMARY and the times so that a person reading the mail knows which event.
 */
export function cancelComponent(spec: CancelSpec): ICAL.Component {
  const { source } = spec;
  // A task's CANCEL is a VTODO (RFC 5546 section 3.4.5), with its DUE.
  const event = new ICAL.Component(source.name);
  event.addPropertyWithValue('uid', String(source.getFirstPropertyValue('uid') ?? ''));
  event.addPropertyWithValue('dtstamp', utcTime(spec.now));
  event.addPropertyWithValue('sequence', spec.sequence);
  const organizer = spec.organizer ?? source.getFirstProperty('organizer');
  if (organizer) event.addProperty(sendableLine(organizer));
  for (const attendee of spec.attendees) event.addProperty(sendableLine(attendee));
  if (spec.recurrenceId) event.addProperty(ICAL.Property.fromString(spec.recurrenceId.toICALString()));
  for (const name of ['summary', 'dtstart', 'dtend', 'duration', 'due']) {
    const prop = source.getFirstProperty(name);
    if (prop) event.addProperty(ICAL.Property.fromString(prop.toICALString()));
  }
  if (spec.cancelled) event.addPropertyWithValue('status', 'CANCELLED');
  return event;
}

/**
 * DECLINECOUNTER (RFC 5546 section 3.2.8): ORGANIZER, the ATTENDEE whose
 * proposal is declined, UID, DTSTAMP, SEQUENCE of the event as it stands,
 * RECURRENCE-ID when the proposal was for one instance, COMMENT when given.
 */
export function declineCounterComponent(
  current: ICAL.Component,
  attendee: ICAL.Property,
  recurrenceId: ICAL.Property | undefined,
  comment: string | undefined,
  now: number,
): ICAL.Component {
  const event = new ICAL.Component(current.name);
  event.addPropertyWithValue('uid', String(current.getFirstPropertyValue('uid') ?? ''));
  event.addPropertyWithValue('dtstamp', utcTime(now));
  event.addPropertyWithValue('sequence', Number(current.getFirstPropertyValue('sequence') ?? 0) || 0);
  const organizer = current.getFirstProperty('organizer');
  if (organizer) event.addProperty(sendableLine(organizer));
  event.addProperty(sendableLine(attendee));
  if (recurrenceId) event.addProperty(ICAL.Property.fromString(recurrenceId.toICALString()));
  if (comment) event.addPropertyWithValue('comment', comment);
  return event;
}

/** The organizer's address of an object's components, for the reasons and checks. */
export function organizerIn(components: ICAL.Component[]): string | undefined {
  for (const component of components) {
    const organizer = organizerOf(component);
    if (organizer) return organizer;
  }
  return undefined;
}

/** A message to send: its text and who gets it. */
export interface Outgoing {
  method: Method;
  to: string[];
  ics: string;
}

/**
 * The send effects: messages of the same text go out once to all their
 * recipients (an outbox item keeps a status per recipient), in the order given.
 */
export function sendEffects(uid: string, messages: Outgoing[]): Effect[] {
  const merged: Outgoing[] = [];
  for (const message of messages) {
    const same = merged.find((m) => m.method === message.method && m.ics === message.ics);
    if (same) same.to.push(...message.to.filter((to) => !same.to.includes(to)));
    else merged.push({ ...message, to: [...message.to] });
  }
  return merged.map((m) => ({ type: 'send', method: m.method, uid, to: m.to, ics: m.ics }));
}

/** "a, b and c" for reasons. */
export function listed(addresses: string[]): string {
  if (addresses.length <= 1) return addresses.join('');
  return `${addresses.slice(0, -1).join(', ')} and ${addresses[addresses.length - 1]}`;
}

/** What was sent, for the reason: "REQUEST to a and b; CANCEL to c". */
export function describeSends(sends: Effect[]): string {
  const byMethod = new Map<string, string[]>();
  for (const send of sends) {
    if (send.type !== 'send') continue;
    const list = byMethod.get(send.method) ?? [];
    for (const to of send.to) if (!list.includes(to)) list.push(to);
    byMethod.set(send.method, list);
  }
  return [...byMethod].map(([method, to]) => `${method} to ${listed(to)}`).join('; ');
}

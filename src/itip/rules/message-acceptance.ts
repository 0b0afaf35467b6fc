// Which calendars are scheduling messages the core takes, and what they hold
// (RFC 5546 section 1.4, RFC 6047 section 2.4). A calendar part of a mail is
// taken when it can be read, stays within the limits, has an iTIP METHOD for
// events, and holds a VEVENT, VTODO or VFREEBUSY with a UID. Otherwise it is refused
// (unreadable, over a limit) or ignored (not scheduling), with the reason the
// journal records; the mail goes on to the mailbox either way.
//
// The reasons quote the sender's METHOD and component names; they pass
// through oneLine() (as all calendar text in generated text and headers
// does), so that a reason stays one line in the journal, in logs and in the
// X-Itip-Agent-Refused header.

import type ICAL from 'ical.js';
import { CalendarError, calendarMethod, scheduledComponentsOf, parseCalendar, uidOf } from '../../ical/calendar.js';
import { oneLine } from '../../ical/display-text.js';
import { isMethod, type Method } from '../model.js';

/** Bounds on what one calendar may hold; a calendar over one is refused whole. */
export interface MessageLimits {
  /** Components (VEVENT, VTODO, VTIMEZONE, ...) in one calendar part. */
  maxComponents: number;
  /** ATTENDEE properties in one component. */
  maxAttendees: number;
}

export const DEFAULT_MESSAGE_LIMITS: MessageLimits = { maxComponents: 2000, maxAttendees: 2000 };

/** A calendar taken as an iTIP message. */
export interface AcceptedCalendar {
  method: Method;
  vcalendar: ICAL.Component;
  /** The VEVENTs and VTODOs by UID, in order of appearance. */
  units: Map<string, ICAL.Component[]>;
  /** The VFREEBUSYs by UID (the first of a UID). */
  freebusy: Map<string, ICAL.Component>;
  /** Something to add to every journal reason for this message. */
  note?: string;
}

/** A calendar part that cannot be scheduled, and why. */
export interface Unusable {
  method: string;
  uid: string;
  outcome: 'refused' | 'ignored';
  reason: string;
}

/**
 * Reads one calendar part. `methodParam` is the Content-Type `method`
 * parameter of its MIME part, if any.
 */
export function acceptCalendar(text: string, methodParam: string | undefined, limits: MessageLimits = DEFAULT_MESSAGE_LIMITS): AcceptedCalendar | Unusable {
  let vcalendar: ICAL.Component;
  try {
    vcalendar = parseCalendar(text);
  } catch (error) {
    const reason = error instanceof CalendarError ? error.message : `unreadable calendar: ${(error as Error).message}`;
    return { method: methodParam ?? '', uid: '', outcome: 'refused', reason };
  }
  const tooMuch = overLimit(vcalendar, limits);
  if (tooMuch) return { method: calendarMethod(vcalendar) ?? methodParam ?? '', uid: '', outcome: 'refused', reason: tooMuch };
  // The METHOD inside the calendar decides; iMIP says the Content-Type's must
  // agree (RFC 6047 section 2.4), and when it does not, the journal says so.
  const inside = calendarMethod(vcalendar);
  const method = inside ?? methodParam;
  const note =
    inside && methodParam && inside !== methodParam
      ? `the Content-Type says method=${oneLine(methodParam)} but the calendar says METHOD:${oneLine(inside)}; METHOD was used`
      : undefined;
  if (!isMethod(method)) {
    const reason = method
      ? `METHOD:${oneLine(method)} is not an iTIP method for events`
      : 'the calendar has no METHOD, so it is not a scheduling message (RFC 5546 section 1.4)';
    return { method: method ?? '', uid: '', outcome: 'ignored', reason };
  }
  const units = eventsByUid(vcalendar);
  const freebusy = freeBusyByUid(vcalendar);
  if (units.size === 0 && freebusy.size === 0) {
    const kinds = [...new Set(vcalendar.getAllSubcomponents().map((c) => oneLine(c.name.toUpperCase())))].filter((name) => name !== 'VTIMEZONE');
    const reason = kinds.length
      ? `only VEVENT, VTODO and VFREEBUSY are scheduled; the calendar holds ${kinds.join(', ')}`
      : 'the calendar holds no VEVENT, VTODO or VFREEBUSY with a UID';
    return { method, uid: '', outcome: 'ignored', reason };
  }
  return { method, vcalendar, units, freebusy, note };
}

/** Why a calendar is over a limit, if it is. */
function overLimit(vcalendar: ICAL.Component, limits: MessageLimits): string | undefined {
  const components = vcalendar.getAllSubcomponents();
  if (components.length > limits.maxComponents) {
    return `the calendar holds ${components.length} components, over the limit of ${limits.maxComponents}`;
  }
  for (const component of components) {
    const attendees = component.getAllProperties('attendee').length;
    if (attendees > limits.maxAttendees) {
      return `a ${oneLine(component.name.toUpperCase())} has ${attendees} attendees, over the limit of ${limits.maxAttendees}`;
    }
  }
  return undefined;
}

/**
 * The scheduling units of a message: its VEVENTs and VTODOs grouped by UID, in
 * order of appearance. A UID names one calendar object of one kind (RFC 4791
 * section 4.1): components of another kind than the UID's first are left out.
 */
export function eventsByUid(vcalendar: ICAL.Component): Map<string, ICAL.Component[]> {
  const units = new Map<string, ICAL.Component[]>();
  for (const event of scheduledComponentsOf(vcalendar)) {
    const uid = uidOf(event);
    if (!uid) continue;
    const list = units.get(uid) ?? [];
    if (list.length > 0 && list[0]!.name !== event.name) continue;
    list.push(event);
    units.set(uid, list);
  }
  return units;
}

/** The VFREEBUSYs of a calendar by UID, the first of each UID (RFC 5546 section 3.3). */
function freeBusyByUid(vcalendar: ICAL.Component): Map<string, ICAL.Component> {
  const found = new Map<string, ICAL.Component>();
  for (const component of vcalendar.getAllSubcomponents('vfreebusy')) {
    const uid = uidOf(component);
    if (uid && !found.has(uid)) found.set(uid, component);
  }
  return found;
}

// From calendar parts of a mail to iTIP messages: parsed once per mail and shared
// by every recipient. The METHOD inside the calendar decides; iMIP says the
// Content-Type `method` parameter must agree (RFC 6047 section 2.4), and when it
// does not, the disagreement is noted in the journal.
//
// The journal reasons written here quote the sender's METHOD and component
// names; they pass through oneLine() (as all calendar text in generated text
// and headers does), so that a reason stays one line in the journal, in logs
// and in the X-Itip-Agent-Refused header.

import type ICAL from 'ical.js';
import { CalendarError, calendarMethod, parseCalendar, uidOf } from '../ical/calendar.js';
import { isMethod, type Method } from '../itip/model.js';
import { eventsByUid } from '../itip/schedule.js';
import { oneLine } from '../ical/display-text.js';
import type { CalendarPart } from '../mail/mail-facts.js';

export interface ItipMessage {
  method: Method;
  vcalendar: ICAL.Component;
  /** The VEVENTs by UID. */
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

export interface CalendarMessages {
  messages: ItipMessage[];
  unusable: Unusable[];
}

/** Bounds on what one calendar may hold; a calendar over one is refused whole. */
export interface MessageLimits {
  /** Components (VEVENT, VTODO, VTIMEZONE, ...) in one calendar part. */
  maxComponents: number;
  /** ATTENDEE properties in one component. */
  maxAttendees: number;
}

export const DEFAULT_MESSAGE_LIMITS: MessageLimits = { maxComponents: 2000, maxAttendees: 2000 };

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

/** The VFREEBUSYs of a calendar by UID, the first of each UID (RFC 5546 section 3.3). */
function freeBusyByUid(vcalendar: ICAL.Component): Map<string, ICAL.Component> {
  const found = new Map<string, ICAL.Component>();
  for (const component of vcalendar.getAllSubcomponents('vfreebusy')) {
    const uid = uidOf(component);
    if (uid && !found.has(uid)) found.set(uid, component);
  }
  return found;
}

export function readCalendarMessages(parts: CalendarPart[], limits: MessageLimits = DEFAULT_MESSAGE_LIMITS): CalendarMessages {
  const messages: ItipMessage[] = [];
  const unusable: Unusable[] = [];
  for (const part of parts) {
    let vcalendar: ICAL.Component;
    try {
      vcalendar = parseCalendar(part.text);
    } catch (error) {
      const reason = error instanceof CalendarError ? error.message : `unreadable calendar: ${(error as Error).message}`;
      unusable.push({ method: part.methodParam ?? '', uid: '', outcome: 'refused', reason });
      continue;
    }
    const tooMuch = overLimit(vcalendar, limits);
    if (tooMuch) {
      unusable.push({ method: calendarMethod(vcalendar) ?? part.methodParam ?? '', uid: '', outcome: 'refused', reason: tooMuch });
      continue;
    }
    const inside = calendarMethod(vcalendar);
    const method = inside ?? part.methodParam;
    let note: string | undefined;
    if (inside && part.methodParam && inside !== part.methodParam) {
      note = `the Content-Type says method=${oneLine(part.methodParam)} but the calendar says METHOD:${oneLine(inside)}; METHOD was used`;
    }
    if (!isMethod(method)) {
      const reason = method
        ? `METHOD:${oneLine(method)} is not an iTIP method for events`
        : 'the calendar has no METHOD, so it is not a scheduling message (RFC 5546 section 1.4)';
      unusable.push({ method: method ?? '', uid: '', outcome: 'ignored', reason });
      continue;
    }
    const units = eventsByUid(vcalendar);
    const freebusy = freeBusyByUid(vcalendar);
    if (units.size === 0 && freebusy.size === 0) {
      const kinds = [...new Set(vcalendar.getAllSubcomponents().map((c) => oneLine(c.name.toUpperCase())))]
        .filter((name) => name !== 'VTIMEZONE');
      const reason = kinds.length
        ? `only VEVENT and VFREEBUSY are scheduled; the calendar holds ${kinds.join(', ')}`
        : 'the calendar holds no VEVENT or VFREEBUSY with a UID';
      unusable.push({ method, uid: '', outcome: 'ignored', reason });
      continue;
    }
    messages.push({ method, vcalendar, units, freebusy, note });
  }
  return { messages, unusable };
}

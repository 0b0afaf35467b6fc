// From calendar parts of a mail to iTIP messages: parsed once per mail and shared
// by every recipient. The METHOD inside the calendar decides; iMIP says the
// Content-Type `method` parameter must agree (RFC 6047 section 2.4), and when it
// does not, the disagreement is noted in the journal.

import type ICAL from 'ical.js';
import { CalendarError, calendarMethod, parseCalendar } from '../ical/calendar.js';
import { isMethod, type Method } from '../itip/model.js';
import { eventsByUid } from '../itip/schedule.js';
import type { CalendarPart } from '../mail/mail-facts.js';

export interface ItipMessage {
  method: Method;
  vcalendar: ICAL.Component;
  units: Map<string, ICAL.Component[]>;
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

export function readCalendarMessages(parts: CalendarPart[]): CalendarMessages {
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
    const inside = calendarMethod(vcalendar);
    const method = inside ?? part.methodParam;
    let note: string | undefined;
    if (inside && part.methodParam && inside !== part.methodParam) {
      note = `the Content-Type says method=${part.methodParam} but the calendar says METHOD:${inside}; METHOD was used`;
    }
    if (!isMethod(method)) {
      const reason = method
        ? `METHOD:${method} is not an iTIP method for events`
        : 'the calendar has no METHOD, so it is not a scheduling message (RFC 5546 section 1.4)';
      unusable.push({ method: method ?? '', uid: '', outcome: 'ignored', reason });
      continue;
    }
    const units = eventsByUid(vcalendar);
    if (units.size === 0) {
      const kinds = [...new Set(vcalendar.getAllSubcomponents().map((c) => c.name.toUpperCase()))]
        .filter((name) => name !== 'VTIMEZONE');
      const reason = kinds.length
        ? `only VEVENT is scheduled; the calendar holds ${kinds.join(', ')}`
        : 'the calendar holds no VEVENT with a UID';
      unusable.push({ method, uid: '', outcome: 'ignored', reason });
      continue;
    }
    messages.push({ method, vcalendar, units, note });
  }
  return { messages, unusable };
}

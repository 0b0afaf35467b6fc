// Party crashers: a REPLY, REFRESH or COUNTER from someone the event does not
// invite. Nothing of it is merged; it waits for the organizer to decide
// (DESIGN.md, sender binding), as Cyrus and CalendarServer do not merge it either.

import { attendeesOf, type Participant } from '../../ical/calendar.js';
import type { CalendarObject } from '../calendar-object.js';
import { type Context, inboxEffect, queueRequest } from '../context.js';
import { type ItipResult, result } from '../effects.js';

/** Is the address invited (or a delegate of someone invited, RFC 5545 section 3.2.4)? */
export function isInvited(object: CalendarObject, attendee: Participant): boolean {
  const all = object.list().flatMap(attendeesOf);
  if (all.some((a) => a.address === attendee.address)) return true;
  const from = attendee.prop.getParameter('delegated-from');
  const delegators = (Array.isArray(from) ? from : from ? [from] : []).map((d) => String(d).toLowerCase());
  return all.some((a) => delegators.includes(a.address));
}

/** A party crasher's message is not merged; the organizer decides (DESIGN: sender binding). */
export function queueForOrganizer(context: Context, attendee: string): ItipResult {
  return result(
    'queued',
    `${attendee} is not an attendee of this event; the ${context.input.method} is queued for the organizer to decide`,
    [queueRequest(context, attendee), inboxEffect(context, attendee)],
  );
}

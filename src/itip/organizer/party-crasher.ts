// Party crashers: a REPLY, REFRESH or COUNTER from someone the event does not
// invite. Nothing of it is merged; it waits for the organizer to decide
// (DESIGN.md, sender binding), as Cyrus and CalendarServer do not merge it either.
// A delegate counts as invited only where the organizer's copy shows the
// delegation (src/itip/rules/delegation.ts).

import { attendeesOf, type Participant } from '../../ical/calendar.js';
import type { CalendarObject } from '../calendar-object.js';
import { type Context, inboxEffect, queueRequest } from '../context.js';
import { type ItipResult, result } from '../effects.js';
import { unbackedDelegation } from '../rules/delegation.js';

/**
 * Why the address is not invited, or undefined when it is: it is an ATTENDEE
 * of the organizer's copy, or a delegate of one that the copy shows
 * delegating to it (RFC 5545 sections 3.2.4 and 3.2.5, RFC 5546 section 4.2.5).
 */
export function invitationProblem(object: CalendarObject, attendee: Participant): string | undefined {
  const all = object.list().flatMap(attendeesOf);
  if (all.some((a) => a.address === attendee.address)) return undefined;
  const unbacked = unbackedDelegation(object, attendee);
  if (unbacked) return unbacked;
  if (attendee.prop.getParameter('delegated-from')) return undefined;
  return `${attendee.address} is not an attendee of this event`;
}

/** Is the address invited (or a delegate the organizer's copy shows)? */
export function isInvited(object: CalendarObject, attendee: Participant): boolean {
  return invitationProblem(object, attendee) === undefined;
}

/** A party crasher's message is not merged; the organizer decides (DESIGN: sender binding). */
export function queueForOrganizer(context: Context, attendee: string, why = `${attendee} is not an attendee of this event`): ItipResult {
  return result(
    'queued',
    `${why}; the ${context.input.method} is queued for the organizer to decide`,
    [queueRequest(context, attendee), inboxEffect(context, attendee)],
  );
}

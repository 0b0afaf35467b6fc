// What an organizer checks of every message an attendee sends (REPLY, REFRESH,
// COUNTER): the event is stored and organized by this user, the ORGANIZER is
// the stored one, and the mail comes from the one ATTENDEE it speaks for
// (RFC 5546 section 6.1.1, src/itip/rules/sender.ts). A REPLY carries that one
// ATTENDEE only (section 3.2.3).

import { attendeesOf, type Participant } from '../../ical/calendar.js';
import { normalizeAddress } from '../../ical/address.js';
import type { CalendarObject } from '../calendar-object.js';
import { type Context, organizerOfObject } from '../context.js';
import { type ItipResult, result } from '../effects.js';
import { attendeeSpeaker, senderProblem, speakingAttendee } from '../rules/sender.js';

type Checked = { attendee: Participant } | ItipResult;

/**
 * Checks shared by the attendee-sent methods: the event is stored, this user
 * organizes it, and the mail comes from the one attendee it speaks for.
 * Outlook leaves ORGANIZER out of replies: the stored organizer counts then.
 */
export function checkAttendee(context: Context): Checked {
  const { input, incoming, stored } = context;
  if (!stored) return result('ignored', `no event with this UID is stored, so the ${input.method} has nothing to apply to`);
  const organizer = organizerOfObject(stored);
  if (organizer !== input.user) {
    return result('ignored', `${input.user} is not the organizer of this event (the organizer is ${organizer ?? 'unknown'})`);
  }
  const messageOrganizer = organizerOfObject(incoming);
  if (messageOrganizer && messageOrganizer !== organizer) {
    return result('refused', `the ORGANIZER ${messageOrganizer} differs from the stored organizer ${organizer}`);
  }
  const attendees = incoming.list().flatMap(attendeesOf);
  const attendee = speakingAttendee(input, attendees);
  if (input.method === 'REPLY') {
    const malformed = replyShapeProblem(incoming, attendee?.address);
    if (malformed) return result('refused', malformed);
  }
  if (!attendee) {
    const names = [...new Set(attendees.map((a) => a.address))];
    return result(
      'refused',
      names.length === 0
        ? `the ${input.method} carries no ATTENDEE`
        : `the ${input.method} carries ${names.join(', ')}, none of whom sent it (${input.sender.addresses.join(', ') || 'no sender'})`,
    );
  }
  // A SENT-BY counts when the organizer's own copy already names it for this attendee (src/itip/rules/sender.ts).
  const problem = senderProblem(input, attendeeSpeaker(attendee.address, incoming.list(), stored.list()));
  if (problem) return result('refused', problem);
  return { attendee };
}

/**
 * A REPLY carries exactly one ATTENDEE, the replying one (RFC 5546 section
 * 3.2.3), in each of its components (one per instance answered). The one
 * exception is a delegation (section 3.2.2.3): the delegator's REPLY also
 * carries the delegates its DELEGATED-TO names. Anything more would have the
 * organizer's copy take answers from someone who did not send them.
 */
function replyShapeProblem(incoming: CalendarObject, replier: string | undefined): string | undefined {
  for (const key of incoming.keys()) {
    const attendees = attendeesOf(incoming.get(key)!);
    if (attendees.length <= 1) continue;
    const delegator = attendees.find((candidate) => delegatesAllOthers(candidate, attendees));
    if (delegator && (replier === undefined || delegator.address === replier)) continue;
    const where = key ? ` for instance ${key}` : '';
    const names = attendees.map((a) => a.address).join(', ');
    return `the REPLY carries ${attendees.length} attendees${where} (${names}) where RFC 5546 section 3.2.3 allows one, the replying one; nothing is merged`;
  }
  return undefined;
}

/** Every other ATTENDEE of the component is a delegate that `delegator` names in DELEGATED-TO. */
function delegatesAllOthers(delegator: Participant, attendees: Participant[]): boolean {
  const to = delegator.prop.getParameter('delegated-to');
  const delegates = (Array.isArray(to) ? to : to ? [to] : []).map((d) => normalizeAddress(String(d)));
  return attendees.every((a) => a === delegator || (a.address !== delegator.address && delegates.includes(a.address)));
}

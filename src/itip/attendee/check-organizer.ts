// What an attendee checks of every message the organizer sends (REQUEST,
// PUBLISH, ADD, CANCEL, DECLINECOUNTER): one ORGANIZER per UID (RFC 5546
// section 2.1.1), the same one as stored, and sender binding (section 6.1.1,
// src/itip/rules/sender.ts), with the delegator's forward of section 3.2.2.3.
// A resource is an attendee too and checks the same (src/itip/resource/).

import { findAttendee, organizerOf } from '../../ical/calendar.js';
import { normalizeAddress } from '../../ical/address.js';
import { type Context, organizerOfObject } from '../context.js';
import { type ItipResult, result } from '../effects.js';
import { withdrawnByDelegator } from '../rules/delegation.js';
import { organizerSpeaker, senderProblem } from '../rules/sender.js';

/** Checks shared by every organizer-sent method; returns a refusal or the organizer. */
export function checkOrganizer(context: Context): ItipResult | { organizer: string } {
  const { input, incoming, stored } = context;
  const storedOrganizer = organizerOfObject(stored);
  const messageOrganizer = organizerOfObject(incoming);
  const organizer = messageOrganizer ?? storedOrganizer;
  if (!organizer) return result('refused', `the ${input.method} has no ORGANIZER, so its sender cannot be checked`);
  // One UID is one event with one organizer (RFC 5546 section 2.1.1): components
  // that disagree are either broken or a try to slip a second organizer past
  // the check on the first one.
  const named = new Set(incoming.list().map((c) => organizerOf(c)).filter((o): o is string => !!o));
  if (named.size > 1) {
    return result('refused', `the ${input.method} names several organizers for one UID: ${[...named].sort().join(', ')}`);
  }
  if (storedOrganizer && messageOrganizer && storedOrganizer !== messageOrganizer) {
    return result('refused', `the ORGANIZER ${messageOrganizer} differs from the stored organizer ${storedOrganizer}`);
  }
  if (organizer === input.user && input.direction === 'incoming') {
    return result('ignored', `${input.user} is the organizer of this event; a ${input.method} to the organizer changes nothing`);
  }
  // A SENT-BY counts when the invitation stored earlier already names it (src/itip/rules/sender.ts).
  const problem = senderProblem(input, organizerSpeaker(organizer, incoming.list(), stored?.list()));
  const delegatorWithdraws = () => withdrawnByDelegator(input.method, input.user, stored, (d) => !senderProblem(input, d));
  if (problem && !forwardedByDelegator(context) && !delegatorWithdraws()) return result('refused', problem);
  return { organizer };
}

/**
 * A REQUEST forwarded by the attendee who delegated to this user (RFC 5546
 * section 3.2.2.3: the delegator forwards the organizer's REQUEST to the
 * delegate). Both sides must say so: this user's ATTENDEE names the delegator
 * in DELEGATED-FROM, the delegator's names this user in DELEGATED-TO, and the
 * mail comes from the delegator.
 */
function forwardedByDelegator(context: Context): boolean {
  const { input, incoming } = context;
  if (input.method !== 'REQUEST') return false;
  const listOf = (value: unknown): string[] =>
    (Array.isArray(value) ? value : value ? [value] : []).map((v) => normalizeAddress(String(v))).filter((v): v is string => !!v);
  return incoming.list().every((component) => {
    const mine = findAttendee(component, input.user);
    if (!mine) return false;
    return listOf(mine.prop.getParameter('delegated-from')).some((delegator) => {
      const theirs = findAttendee(component, delegator);
      return !!theirs && listOf(theirs.prop.getParameter('delegated-to')).includes(input.user) && !senderProblem(input, delegator);
    });
  });
}

// An attendee receives DECLINECOUNTER (RFC 5546 section 3.2.8): the organizer
// turned down the attendee's counter-proposal.

import { type Context, inboxEffect, singleInstance } from '../context.js';
import { type Effect, type ItipResult, result } from '../effects.js';
import { checkOrganizer } from './check-organizer.js';

/**
 * DECLINECOUNTER (RFC 5546 section 3.2.8): the organizer turned down this user's
 * counter-proposal; forget the proposal and the request entry.
 */
export function receiveDeclineCounter(context: Context): ItipResult {
  const checked = checkOrganizer(context);
  if ('outcome' in checked) return checked;
  const { input, incoming } = context;
  const recurrenceId = singleInstance(incoming);
  const known = input.counters.some((c) => c.attendee === input.user && c.recurrenceId === recurrenceId);
  const effects: Effect[] = [
    { type: 'remove-counters', uid: input.uid, recurrenceId, attendee: input.user },
    { type: 'remove-requests', uid: input.uid, recurrenceId },
    inboxEffect(context, checked.organizer),
  ];
  return result('applied', known ? 'the counter-proposal was declined' : 'declined a counter-proposal not on record', effects);
}

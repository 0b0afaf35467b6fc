// The organizer receives COUNTER (RFC 5546 section 3.2.7): an attendee proposes
// a change, kept per attendee and instance until the organizer answers.

import { type Context, inboxEffect, queueRequest, singleInstance } from '../context.js';
import { type Effect, type ItipResult, result } from '../effects.js';
import { orderInstance } from '../rules/ordering.js';
import { checkAttendee } from './check-attendee.js';
import { invitationProblem, queueForOrganizer } from './party-crasher.js';

/** COUNTER: keep the proposal per attendee and instance for the organizer to decide. */
export function receiveCounter(context: Context): ItipResult {
  const checked = checkAttendee(context);
  if ('outcome' in checked) return checked;
  const { input, incoming, stored } = context;
  const attendee = checked.attendee.address;
  const uninvited = invitationProblem(stored!, checked.attendee);
  if (uninvited) return queueForOrganizer(context, attendee, uninvited);
  // A proposal answers a version of the event: one to an older SEQUENCE is stale (RFC 5546 section 2.1.5).
  const ordered = orderInstance(incoming, incoming.keys()[0] ?? '', stored, 'sequence');
  if (ordered.order < 0) {
    return result('stale', `a counter-proposal to SEQUENCE ${ordered.version.sequence}, the event is at ${ordered.stored!.sequence}`);
  }
  const recurrenceId = singleInstance(incoming);
  const effects: Effect[] = [
    {
      type: 'put-counter',
      entry: { uid: input.uid, recurrenceId, attendee, received: context.received, ics: incoming.toMessage('COUNTER') },
    },
    queueRequest(context, attendee),
    inboxEffect(context, attendee),
  ];
  return result('queued', `stored the counter-proposal of ${attendee}`, effects);
}

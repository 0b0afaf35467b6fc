// The organizer receives COUNTER (RFC 5546 section 3.2.7): an attendee proposes
// a change, kept per attendee and instance until the organizer answers.

import { type Context, inboxEffect, singleInstance } from '../context.js';
import { type Effect, type ItipResult, result } from '../effects.js';
import { versionOf } from '../rules/ordering.js';
import { checkAttendee } from './check-attendee.js';
import { isInvited, queueForOrganizer } from './party-crasher.js';

/** COUNTER: keep the proposal per attendee and instance for the organizer to decide. */
export function receiveCounter(context: Context): ItipResult {
  const checked = checkAttendee(context);
  if ('outcome' in checked) return checked;
  const { input, incoming, stored } = context;
  const attendee = checked.attendee.address;
  if (!isInvited(stored!, checked.attendee)) return queueForOrganizer(context, attendee);
  const key = incoming.keys()[0] ?? '';
  const reference = stored!.get(key) ?? stored!.master;
  const version = versionOf(incoming.get(key)!, incoming.zones);
  if (reference && version.sequence < versionOf(reference, stored!.zones).sequence) {
    return result('stale', `a counter-proposal to SEQUENCE ${version.sequence}, the event is at ${versionOf(reference, stored!.zones).sequence}`);
  }
  const recurrenceId = singleInstance(incoming);
  const effects: Effect[] = [
    {
      type: 'put-counter',
      entry: { uid: input.uid, recurrenceId, attendee, received: context.received, ics: incoming.toMessage('COUNTER') },
    },
    { type: 'put-request', entry: { uid: input.uid, recurrenceId, method: 'COUNTER', from: attendee, received: context.received } },
    inboxEffect(context, attendee),
  ];
  return result('applied', `stored the counter-proposal of ${attendee}`, effects);
}

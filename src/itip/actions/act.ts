// The entry point of the user's own actions, beside schedule() for messages
// received and sent: one action in, an outcome and effects out. The role the
// user plays in the event decides who handles it: the organizer's actions
// (RFC 5546 sections 3.2.2, 3.2.5, 3.2.7, 3.2.8; RFC 6638 section 3.2.1) in
// organizer.ts, the attendee's (sections 3.2.3, 3.2.6, 3.2.7, 4.2.5; RFC 6638
// section 3.2.2) in attendee.ts. Pure: the same input gives the same result.

import { CalendarError } from '../../ical/calendar.js';
import { type ItipResult, result } from '../effects.js';
import { etagOf, type ActionInput } from './action.js';
import { attendeeAction } from './attendee.js';
import { organizerAction } from './organizer.js';
import { actingRole } from './role.js';

export function act(input: ActionInput): ItipResult {
  try {
    if (input.ifMatch !== undefined && (!input.stored || etagOf(input.stored) !== input.ifMatch)) {
      return result(
        'stale',
        input.stored
          ? 'the event changed since you looked (a newer version arrived); look at it again and decide anew'
          : 'the event is gone since you looked; nothing was changed',
      );
    }
    const role = actingRole(input);
    if (role.kind === 'problem') return result('refused', role.reason);
    return role.kind === 'organizer' ? organizerAction(input) : attendeeAction(input);
  } catch (error) {
    // Input the user gave that turns out unusable (a PUT whose calendar does not parse).
    if (error instanceof CalendarError) return result('refused', `the ${input.action.kind} cannot be done: ${error.message}`);
    return result('error', `the ${input.action.kind} could not be done: ${(error as Error).message}`);
  }
}

// The organizer receives REFRESH (RFC 5546 section 3.2.6): an attendee asks for
// the current version of the event.

import { type Context, inboxEffect, queueRequest } from '../context.js';
import { type ItipResult, result } from '../effects.js';
import { currentRequest } from '../messages.js';
import { answersRefreshAtOnce } from '../preferences.js';
import { checkAttendee } from './check-attendee.js';
import { invitationProblem, queueForOrganizer } from './party-crasher.js';

/**
 * REFRESH: the attendee asks for the current event. The `event_refreshing`
 * preference decides: `always` answers at once with the stored event as a
 * REQUEST; otherwise (default `never`) the request waits for the organizer.
 */
export function receiveRefresh(context: Context): ItipResult {
  const checked = checkAttendee(context);
  if ('outcome' in checked) return checked;
  const { input, stored } = context;
  const attendee = checked.attendee.address;
  const uninvited = invitationProblem(stored!, checked.attendee);
  if (uninvited) return queueForOrganizer(context, attendee, uninvited);
  if (answersRefreshAtOnce(input.prefs)) {
    return result('applied', `sent the current event to ${attendee}`, [currentRequest(context, stored!, attendee)]);
  }
  return result('queued', `queued the refresh request of ${attendee}`, [queueRequest(context, attendee), inboxEffect(context, attendee)]);
}

// The organizer answers a REFRESH that waits in the request queue (RFC 5546
// section 3.2.6; the `event_refreshing` preference leaves it there unless set
// to answer at once, src/itip/organizer/refresh.ts): the attendee gets the
// event as it stands, as a REQUEST.

import { normalizeAddress } from '../../ical/address.js';
import { recurrenceKey } from '../../ical/calendar.js';
import { type ItipResult, result } from '../effects.js';
import type { ActionInput } from './action.js';
import { actionContext, withNotes } from './organizer-context.js';
import { attendeeView, scheduleAgentFor, sendEffects, stamped } from './organizer-messages.js';

/**
 * The REQUEST is what the attendee would get from an update (attendeeView):
 * the components they take part in, without the organizer's alarms and
 * server parameters; only the instance they asked about when the REFRESH
 * named one. (messages.ts currentRequest, which the preference's automatic
 * answer uses, sends every component as stored.)
 */
export function answerRefresh(input: ActionInput, uid: string, attendeeText: string): ItipResult {
  const attendee = normalizeAddress(attendeeText) ?? attendeeText;
  const entry = input.requests.find((r) => r.uid === uid && r.method === 'REFRESH' && r.from === attendee);
  if (!entry) {
    const waiting = input.requests.filter((r) => r.uid === uid).map((r) => `${r.method} from ${r.from}`);
    const what = waiting.length > 0 ? ` (waiting: ${waiting.join(', ')})` : '';
    return result('refused', `no REFRESH from ${attendee} waits for ${uid}${what}; nothing was sent`);
  }
  const context = actionContext(input, uid);
  const stored = context.stored!;
  const agent = scheduleAgentFor(attendee, stored);
  if (agent !== 'SERVER') {
    return result('refused', `${attendee} has SCHEDULE-AGENT=${agent}: this agent sends them nothing (RFC 6638 section 7.1); answer from the calendar client`);
  }
  let view = attendeeView(stored, attendee);
  if (view.length === 0) {
    return result('refused', `${attendee} is not an attendee of ${uid}; add them to the event to send it to them`);
  }
  if (entry.recurrenceId !== null) {
    const asked = view.filter((component) => recurrenceKey(component, stored.zones) === entry.recurrenceId);
    if (asked.length > 0) view = asked;
  }
  const sends = sendEffects(uid, [{ method: 'REQUEST', to: [attendee], ics: stored.toMessage('REQUEST', stamped(view, input.now)) }]);
  return withNotes(
    result('applied', `sent the current event to ${attendee}; REQUEST to ${attendee}`, [
      ...sends,
      { type: 'remove-requests', uid, recurrenceId: entry.recurrenceId },
    ]),
    context,
  );
}

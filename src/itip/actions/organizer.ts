// The organizer's own actions (RFC 5546 sections 3.2.2, 3.2.5, 3.2.7, 3.2.8;
// RFC 6638 section 3.2.1): a new version of the event compared with the stored
// one, and the REQUESTs and CANCELs it takes to bring every attendee there
// (organizer-put.ts, organizer-version.ts), deleting the event or an instance
// (organizer-delete.ts), answering a counter-proposal (counter-answer.ts) and
// a queued REFRESH (refresh-answer.ts).

import { type ItipResult, result } from '../effects.js';
import type { ActionInput } from './action.js';
import { acceptCounter, declineCounter } from './counter-answer.js';
import { deleteAsOrganizer } from './organizer-delete.js';
import { putAsOrganizer } from './organizer-put.js';
import { answerRefresh } from './refresh-answer.js';

export function organizerAction(input: ActionInput): ItipResult {
  const { action } = input;
  switch (action.kind) {
    case 'put':
      return putAsOrganizer(input, action.ics);
    case 'delete':
      return deleteAsOrganizer(input, action.uid, action.recurrenceId);
    case 'counter-accept':
      return acceptCounter(input, action);
    case 'counter-decline':
      return declineCounter(input, action);
    case 'refresh-answer':
      return answerRefresh(input, action.uid, action.attendee);
    default:
      return result('refused', `${input.user} organizes this event; ${action.kind} is an attendee's action`);
  }
}

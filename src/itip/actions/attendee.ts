// The attendee's own actions (RFC 5546 sections 3.2.3, 3.2.6, 3.2.7, 4.2.5;
// RFC 6638 section 3.2.2): each becomes the message the attendee's calendar
// program would have sent, stored as the outgoing rule stores it, and queued.

import { type ItipResult, result } from '../effects.js';
import type { ActionInput } from './action.js';

export function attendeeAction(input: ActionInput): ItipResult {
  return result('refused', `${input.action.kind} is not built yet for an attendee`);
}

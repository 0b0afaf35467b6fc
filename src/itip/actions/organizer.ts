// The organizer's own actions (RFC 5546 sections 3.2.2, 3.2.5, 3.2.7, 3.2.8;
// RFC 6638 section 3.2.1): a new version of the event compared with the stored
// one, and the REQUESTs and CANCELs it takes to bring every attendee there.

import { type ItipResult, result } from '../effects.js';
import type { ActionInput } from './action.js';

export function organizerAction(input: ActionInput): ItipResult {
  return result('refused', `${input.action.kind} is not built yet for an organizer`);
}

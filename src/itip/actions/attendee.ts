// The attendee's own actions (RFC 5546 sections 3.2.3, 3.2.6, 3.2.7, 4.2.5;
// RFC 6638 section 3.2.2): each becomes the message the attendee's calendar
// program would have sent, stored as the outgoing rule stores it, and queued.
// One file per action: attendee-reply.ts (respond, and the REPLY every action
// sends), attendee-delegate.ts, attendee-propose.ts (COUNTER),
// attendee-refresh.ts, attendee-delete.ts, attendee-put.ts (a CalDAV PUT).

import { type ItipResult, result } from '../effects.js';
import type { ActionInput } from './action.js';
import { delegate } from './attendee-delegate.js';
import { deleteAsAttendee } from './attendee-delete.js';
import { propose } from './attendee-propose.js';
import { putAsAttendee } from './attendee-put.js';
import { askRefresh } from './attendee-refresh.js';
import { respond } from './attendee-reply.js';

export function attendeeAction(input: ActionInput): ItipResult {
  const { action } = input;
  switch (action.kind) {
    case 'respond':
      return respond(input, action);
    case 'delegate':
      return delegate(input, action);
    case 'propose':
      return propose(input, action);
    case 'ask-refresh':
      return askRefresh(input, action);
    case 'delete':
      return deleteAsAttendee(input, action);
    case 'put':
      return putAsAttendee(input, action);
    default:
      // role.ts sends the organizer's own actions to organizer.ts.
      return result('refused', `${action.kind} is the organizer's to do, and ${input.user} attends this event`);
  }
}

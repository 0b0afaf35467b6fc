// The one entry point of the scheduling core: one UID of one iTIP message for
// one calendar user in, an outcome and effects out. VEVENTs (and VTODOs, which
// take the same paths: RFC 5546 section 3.4, src/itip/task/) are dispatched by
// the role the user plays (RFC 5546 section 1.4): the attendee side
// (src/itip/attendee/) receives REQUEST, PUBLISH, ADD, CANCEL and
// DECLINECOUNTER; the organizer side (src/itip/organizer/) receives REPLY,
// REFRESH and COUNTER; a resource decides on its own (src/itip/resource/).
// Mail the user sent goes through the outgoing rule (src/itip/outgoing/).
// A VFREEBUSY (section 3.3) goes to src/itip/freebusy/vfreebusy.ts. What the
// rules read besides the message comes in the input, as snapshotNeeds
// (src/itip/snapshot.ts) names it.

import { CalendarError, isTask } from '../ical/calendar.js';
import { makeContext, type Context } from './context.js';
import { type ItipResult, type ScheduleInput, result } from './effects.js';
import type { Method } from './model.js';
import { receiveAdd } from './attendee/add.js';
import { receiveCancel } from './attendee/cancel.js';
import { receiveDeclineCounter } from './attendee/decline-counter.js';
import { receiveRequest } from './attendee/request.js';
import { receiveCounter } from './organizer/counter.js';
import { receiveRefresh } from './organizer/refresh.js';
import { receiveReply } from './organizer/reply.js';
import { recordSentCounter, recordSentRefresh, recordSentReply } from './outgoing/sent-as-attendee.js';
import { recordSentCancel, recordSentDeclineCounter, recordSentRequest } from './outgoing/sent-as-organizer.js';
import { scheduleFreeBusy } from './freebusy/vfreebusy.js';
import { receiveAsResource } from './resource/handler.js';
import { cleanForeignContent, describeRemoved } from './rules/hostile-content.js';
import { outgoingProblem } from './rules/sender.js';
import { unknownZoneNote } from './rules/unknown-zones.js';
import { withheldByPreferences } from './rules/withheld.js';
import { kindProblem } from './task/kind.js';

type Handler = (context: Context) => ItipResult;

const INCOMING: Record<Method, Handler> = {
  PUBLISH: receiveRequest,
  REQUEST: receiveRequest,
  ADD: receiveAdd,
  CANCEL: receiveCancel,
  DECLINECOUNTER: receiveDeclineCounter,
  REPLY: receiveReply,
  REFRESH: receiveRefresh,
  COUNTER: receiveCounter,
};

const OUTGOING: Record<Method, Handler> = {
  PUBLISH: recordSentRequest,
  REQUEST: recordSentRequest,
  ADD: recordSentRequest,
  CANCEL: recordSentCancel,
  DECLINECOUNTER: recordSentDeclineCounter,
  REPLY: recordSentReply,
  REFRESH: recordSentRefresh,
  COUNTER: recordSentCounter,
};

/** Pure: the same input always gives the same result. Never throws. */
export function schedule(input: ScheduleInput): ItipResult {
  // The user's own switches first: no participation, the incoming tier (spam).
  const withheld = withheldByPreferences(input);
  if (withheld) return withheld;
  if (input.kind === 'VFREEBUSY') return scheduleFreeBusy(input);
  try {
    const forged = outgoingProblem(input);
    if (forged) return result('refused', forged);
    const context = makeContext(input);
    if (input.direction === 'incoming') {
      // What others send is made harmless before anything of it is stored
      // (the context holds copies of the message's components).
      const removed = describeRemoved(cleanForeignContent(context.incoming.list()));
      if (removed) context.notes.push(removed);
    }
    const otherKind = kindProblem(context);
    if (otherKind) return result('refused', otherKind);
    if (input.role === 'resource' && input.direction === 'incoming' && context.incoming.list().some(isTask)) {
      // A resource books time; a task blocks none (src/itip/task/progress.ts), so there is nothing for it to decide.
      return result('ignored', 'a resource books time for events; a task (VTODO) is not for it to accept or decline');
    }
    // A resource decides on its own what it receives (src/itip/resource/).
    const handler =
      input.role === 'resource' && input.direction === 'incoming'
        ? receiveAsResource
        : (input.direction === 'outgoing' ? OUTGOING : INCOMING)[input.method];
    const outcome = handler(context);
    const zoneNote = unknownZoneNote(context);
    if (zoneNote) context.notes.push(zoneNote);
    if (context.notes.length === 0) return outcome;
    return { ...outcome, reason: `${outcome.reason}; ${context.notes.join('; ')}` };
  } catch (error) {
    // Input that turns out invalid only when used (a rule without FREQ, a date
    // that does not exist) is the sender's fault: refused, not our error.
    if (error instanceof CalendarError) return result('refused', `the ${input.method} cannot be used: ${error.message}`);
    return result('error', `the ${input.method} could not be processed: ${(error as Error).message}`);
  }
}

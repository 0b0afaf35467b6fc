// The user removes an event they were invited to, or one instance of it
// (RFC 6638 section 3.2.2.4, and 3.2.2.3 for an instance: "If the Attendee
// adds an EXDATE property value to effectively remove a recurrence instance,
// the server MUST deliver an iTIP REPLY ... that the Attendee has declined
// the instance"). The organizer gets a DECLINED REPLY for what the user had
// not declined already; a cancelled event or instance gets none, since the
// organizer has called it off (as sabre/vobject's broker does too).

import type ICAL from 'ical.js';
import { timeProperty } from '../../ical/calendar.js';
import { tzidOf } from '../../ical/times.js';
import { CalendarObject, organizerOfObject } from '../calendar-object.js';
import { type Effect, type ItipResult, result } from '../effects.js';
import type { ActionInput, UserAction } from './action.js';
import { clientSchedules, clientSchedulesReason, replySend, replyText } from './attendee-reply.js';
import { instanceAt, instanceKey, isCancelled, partstatIn, type Target } from './attendee-target.js';
import { floatingZone, storeObject, storedObject } from './record-as-sent.js';

/** The targets the user still attends: answered otherwise than DECLINED, and not cancelled. */
function stillAttended(targets: Target[], user: string): Target[] {
  return targets.filter((target) => {
    const partstat = partstatIn(target.component, user);
    return partstat !== undefined && partstat !== 'DECLINED' && !isCancelled(target.component);
  });
}

/** The DECLINED REPLY for `targets`, or why none goes out. */
function declining(input: ActionInput, object: CalendarObject, targets: Target[]): { effects: Effect[]; said: string } {
  const organizer = organizerOfObject(object)!;
  const answered = stillAttended(targets, input.user);
  if (answered.length === 0) return { effects: [], said: 'no REPLY: it was declined or cancelled already' };
  if (input.action.kind === 'delete' && input.action.noReply) return { effects: [], said: 'no REPLY: the client asked for none (Schedule-Reply: F)' };
  const agent = clientSchedules(object);
  if (agent) return { effects: [], said: `no REPLY: ${clientSchedulesReason(agent)}` };
  const ics = replyText(object, answered, input.user, 'DECLINED', input.now);
  return { effects: [replySend(object, organizer, ics)], said: `a DECLINED REPLY to ${organizer} is queued` };
}

/** Everything kept of the UID goes: the object, its periods, the request entries and proposals. */
function removeAll(uid: string): Effect[] {
  return [
    { type: 'delete-object', uid },
    { type: 'own-periods', uid, periods: [] },
    { type: 'remove-others-periods', uid },
    { type: 'remove-requests', uid },
    { type: 'remove-counters', uid },
  ];
}

export function deleteAsAttendee(input: ActionInput, action: Extract<UserAction, { kind: 'delete' }>): ItipResult {
  const object = storedObject(input)!;
  const { uid } = object;
  if (action.recurrenceId === undefined) {
    const targets = object.keys().map((key) => ({ key, component: object.get(key)!, stored: true }));
    const reply = declining(input, object, targets);
    return result('applied', `removed ${uid} from the calendar of ${input.user}; ${reply.said}`, [...removeAll(uid), ...reply.effects]);
  }
  const key = instanceKey(action.recurrenceId);
  if (key === undefined) {
    return result('refused', `"${action.recurrenceId}" is not an instance time: give the original start in UTC (2026-12-08T09:00:00Z) or, for an all-day series, a date (2026-12-08)`);
  }
  const target = instanceAt(object, key);
  if (!target) return result('refused', `${uid} has no instance ${key} in the calendar of ${input.user}`);
  const reply = declining(input, object, [target]);
  const copy = CalendarObject.fromStored(object.toStored(), floatingZone(input));
  copy.delete(key);
  if (!copy.master) {
    if (copy.isEmpty) return result('applied', `removed ${uid}, whose one instance was ${key}; ${reply.said}`, [...removeAll(uid), ...reply.effects]);
  } else {
    // The attendee's own EXDATE (RFC 6638 section 3.2.2.1, item 8), in the form of the instance's RECURRENCE-ID.
    const rid = target.component.getFirstProperty('recurrence-id')!;
    copy.master.addProperty(timeProperty('exdate', rid.getFirstValue() as ICAL.Time, tzidOf(rid)));
  }
  const stored = storeObject(input, copy);
  const notes = stored.notes.length > 0 ? `; ${stored.notes.join('; ')}` : '';
  const effects: Effect[] = [
    ...stored.effects,
    { type: 'remove-requests', uid, recurrenceId: key },
    { type: 'remove-counters', uid, recurrenceId: key },
    ...reply.effects,
  ];
  return result('applied', `removed instance ${key} of ${uid} from the calendar of ${input.user}; ${reply.said}${notes}`, effects);
}

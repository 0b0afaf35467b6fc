// The attendee asks for the current version of the event, or of one instance
// (REFRESH, RFC 5546 section 3.2.6): UID, DTSTAMP, ORGANIZER, the asking
// ATTENDEE, and RECURRENCE-ID for an instance, as src/itip/messages.ts
// writes it. Nothing else changes: the answer comes as a REQUEST, which the
// receiving side stores as any other.

import ICAL from 'ical.js';
import { utcTime } from '../../ical/times.js';
import { organizerOfObject } from '../calendar-object.js';
import { type ItipResult, result } from '../effects.js';
import type { ActionInput, UserAction } from './action.js';
import { clientSchedules, clientSchedulesReason, organizerProperty } from './attendee-reply.js';
import { attendeeTargets } from './attendee-target.js';
import { storedObject } from './record-as-sent.js';
import { withoutSchedulingParameters } from './scheduling-parameters.js';

export function askRefresh(input: ActionInput, action: Extract<UserAction, { kind: 'ask-refresh' }>): ItipResult {
  const object = storedObject(input)!;
  const organizer = organizerOfObject(object)!;
  const agent = clientSchedules(object);
  if (agent) return result('refused', `${clientSchedulesReason(agent)}; asking for the current version is a message, so it cannot be done here; nothing changed`);
  let ridSource: ICAL.Component | undefined;
  let where = 'the event';
  if (action.recurrenceId !== undefined) {
    const found = attendeeTargets(object, input.user, action.recurrenceId, 'allow');
    if ('problem' in found) return result('refused', found.problem);
    ridSource = found.targets[0]!.component;
    where = `instance ${found.targets[0]!.key}`;
  }
  // A task's REFRESH is a VTODO (RFC 5546 section 3.4.6).
  const event = new ICAL.Component((object.master ?? object.list()[0]!).name);
  event.addPropertyWithValue('uid', object.uid);
  event.addPropertyWithValue('dtstamp', utcTime(input.now));
  const organizerProp = organizerProperty(object, ridSource ?? object.master ?? object.list()[0]!);
  if (organizerProp) event.addProperty(ICAL.Property.fromString(organizerProp.toICALString()));
  const attendee = new ICAL.Property('attendee');
  attendee.setValue(input.user);
  event.addProperty(attendee);
  const rid = ridSource?.getFirstProperty('recurrence-id');
  if (rid) event.addProperty(ICAL.Property.fromString(rid.toICALString()));
  const ics = object.toMessage('REFRESH', [withoutSchedulingParameters(event)]);
  return result('applied', `asked ${organizer} for the current version of ${where}; a REFRESH is queued`, [
    { type: 'send', method: 'REFRESH', uid: object.uid, to: [organizer], ics },
  ]);
}

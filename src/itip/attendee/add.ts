// An attendee receives ADD (RFC 5546 section 3.2.4): new instances of a
// recurring event. addInstances is the one rule for how an ADD's components
// become instances; the outgoing rule and resources use it too.

import ICAL from 'ical.js';
import { cloneComponent, timeKey, timeProperty } from '../../ical/calendar.js';
import { tzidOf } from '../../ical/times.js';
import type { CalendarObject } from '../calendar-object.js';
import { type Context, inboxEffect, objectEffects, queueRequest, workingCopy } from '../context.js';
import { type ItipResult, result } from '../effects.js';
import { refreshMessage } from '../messages.js';
import { addMethodResponse } from '../preferences.js';
import { checkOrganizer } from './check-organizer.js';

/**
 * ADD (RFC 5546 section 3.2.4): new instances of a recurring event, as RDATEs with
 * overrides. The `add_method_response` preference says what to do: `add`
 * (default), `ignore`, or `refresh` (ask the organizer for the whole event).
 * Without the event stored, the only sensible answer is a REFRESH. The request
 * entry is the series' (no RECURRENCE-ID): the user decides on the added
 * instances with the event they belong to.
 */
export function receiveAdd(context: Context): ItipResult {
  const checked = checkOrganizer(context);
  if ('outcome' in checked) return checked;
  const { input, stored } = context;
  const response = addMethodResponse(input.prefs);
  if (response === 'ignore') return result('ignored', 'add_method_response is "ignore"');
  const askForEvent = (why: string): ItipResult =>
    result('applied', why, [
      refreshMessage(context, checked.organizer),
      queueRequest(context, checked.organizer, null),
    ]);
  if (!stored?.master) return askForEvent('the event is not stored: asked the organizer for it with a REFRESH');
  if (response === 'refresh') return askForEvent('add_method_response is "refresh": asked the organizer with a REFRESH');

  const object = workingCopy(context);
  const added = addInstances(context, object);
  if (added.length === 0) return result('duplicate', 'every added instance is already stored');
  const effects = objectEffects(context, object);
  effects.push(queueRequest(context, checked.organizer, null));
  effects.push(inboxEffect(context, checked.organizer));
  return result('applied', `added instance${added.length > 1 ? 's' : ''} ${added.join(', ')}`, effects);
}

/** Adds the message's components as new instances: an RDATE on the master plus an override. */
export function addInstances(context: Context, object: CalendarObject): string[] {
  const { incoming } = context;
  const master = object.master;
  const added: string[] = [];
  if (!master) return added;
  for (const component of incoming.list()) {
    const dtstart = component.getFirstProperty('dtstart');
    const start = dtstart?.getFirstValue();
    if (!(start instanceof ICAL.Time)) continue;
    const key = timeKey(start, tzidOf(dtstart), incoming.zones);
    if (object.has(key)) continue;
    const tzid = tzidOf(dtstart);
    master.addProperty(timeProperty('rdate', start, tzid));
    const override = cloneComponent(component);
    override.removeAllProperties('recurrence-id');
    override.addProperty(timeProperty('recurrence-id', start, tzid));
    object.set(key, override);
    added.push(key);
  }
  return added;
}

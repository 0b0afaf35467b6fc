// The organizer's new version of a calendar object, as a CalDAV PUT gives it
// (RFC 6638 section 3.2.1; RFC 4791 section 4.1: one UID per object), and a
// brand-new event: checked, then scheduled and stored by scheduleVersion.

import { cloneComponent, isTask, scheduledComponentsOf, organizerOf, parseCalendar, recurrenceKey, uidOf } from '../../ical/calendar.js';
import { CalendarObject } from '../calendar-object.js';
import { type ItipResult, result } from '../effects.js';
import type { ActionInput } from './action.js';
import { actionContext, withNotes } from './organizer-context.js';
import { scheduleVersion } from './organizer-version.js';

export function putAsOrganizer(input: ActionInput, ics: string): ItipResult {
  const calendar = parseCalendar(ics);
  const events = scheduledComponentsOf(calendar);
  if (events.length === 0) return result('refused', 'the new version holds no VEVENT or VTODO; only events and tasks are scheduled');
  const uids = [...new Set(events.map(uidOf))];
  if (uids.includes(undefined)) return result('refused', 'a component of the new version has no UID');
  if (new Set(events.map((event) => event.name)).size > 1) return result('refused', 'the new version mixes VEVENT and VTODO; a calendar object holds one kind (RFC 4791 section 4.1)');
  if (uids.length > 1) {
    return result('refused', `the new version holds several events (UIDs ${uids.join(', ')}); a calendar object holds one (RFC 4791 section 4.1)`);
  }
  const uid = uids[0]!;
  if (input.stored && input.stored.uid !== uid) {
    return result('error', `the stored copy handed to the put is of ${input.stored.uid}, not of ${uid}`);
  }
  const organizers = new Set(events.map(organizerOf).filter((o): o is string => !!o));
  if (organizers.size > 1) {
    return result('refused', `the new version names several organizers (${[...organizers].sort().join(', ')}); one event has one (RFC 5546 section 2.1.1)`);
  }
  const context = actionContext(input, uid, calendar);
  const next = new CalendarObject(uid, context.floating);
  next.addTimezones(calendar);
  for (const event of events) {
    const key = recurrenceKey(event, next.zones);
    if (next.has(key)) return result('refused', `the new version has two VEVENTs for ${key ? `the instance ${key}` : 'the master'}`);
    // A to-do may go without DTSTART, timed by DUE or not at all (RFC 5545 section 3.6.2).
    if (!event.hasProperty('dtstart') && !isTask(event)) return result('refused', `the VEVENT for ${key ? `the instance ${key}` : 'the master'} has no DTSTART`);
    next.set(key, cloneComponent(event));
  }
  const version = scheduleVersion(context, next);
  if (version.outcome !== 'applied') return withNotes(result(version.outcome, version.reason), context);
  // Whatever waited in the request queue for this event is answered by the new version (DESIGN.md, outgoing rule).
  return withNotes(result('applied', version.reason, [...version.store, { type: 'remove-requests', uid }, ...version.sends]), context);
}

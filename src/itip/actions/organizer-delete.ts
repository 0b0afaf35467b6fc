// The organizer deletes an event or one instance of it (RFC 6638 section
// 3.2.1.3; RFC 5546 section 3.2.5): the attendees get a CANCEL, the stored copy
// goes, or its master excludes the instance (EXDATE) and its override goes.

import ICAL from 'ical.js';
import { attendeesOf, findAttendee, sequenceOf, textOf, timeProperty } from '../../ical/calendar.js';
import { wallTimeAt } from '../../ical/expand.js';
import { parseInstant, tzidOf, utcTime } from '../../ical/times.js';
import { compareText } from '../../ical/text-order.js';
import { CalendarObject } from '../calendar-object.js';
import { type Context, organizerOfObject } from '../context.js';
import { type Effect, type ItipResult, result } from '../effects.js';
import type { ActionInput } from './action.js';
import { actionContext, recurrenceKeyOf, withNotes } from './organizer-context.js';
import { cancelComponent, describeSends, listed, scheduleAgentFor, sendEffects } from './organizer-messages.js';
import { seriesHas } from './organizer-removals.js';
import { scheduleVersion } from './organizer-version.js';

export function deleteAsOrganizer(input: ActionInput, uid: string, recurrenceId: string | undefined): ItipResult {
  const context = actionContext(input, uid);
  if (recurrenceId === undefined) return withNotes(deleteWhole(context), context);
  const key = recurrenceKeyOf(recurrenceId);
  if (key === undefined) {
    return result('refused', `"${recurrenceId}" is not a recurrence id: give the instance's start in UTC, as 2026-12-01T09:00:00Z (a date for an all-day series)`);
  }
  const old = context.stored!;
  const next = CalendarObject.fromStored(old.toStored(), context.floating);
  const own = next.get(key);
  const master = next.master;
  const rid = own?.getFirstProperty('recurrence-id') ?? (master ? recurrenceIdFor(master, key, next) : undefined);
  if (!own && !(master && next.isRecurring() && rid && seriesHas(next, key, rid))) {
    return result('refused', next.isRecurring() ? `${uid} has no instance at ${key}` : `${uid} does not recur; delete it without a recurrence id`);
  }
  next.delete(key);
  // An object of overrides only (an organizer's copy as some clients keep it) that loses its last one is gone.
  if (next.isEmpty) return withNotes(deleteWhole(context), context);
  if (master && rid) master.addProperty(timeProperty('exdate', rid.getFirstValue() as ICAL.Time, tzidOf(rid)));
  const version = scheduleVersion(context, next);
  if (version.outcome === 'refused') return withNotes(result('refused', version.reason), context);
  const clearing: Effect[] = [
    { type: 'remove-requests', uid, recurrenceId: key },
    { type: 'remove-counters', uid, recurrenceId: key },
  ];
  return withNotes(result('applied', `deleted instance ${key}: ${version.reason}`, [...version.store, ...clearing, ...version.sends]), context);
}

/**
 * The RECURRENCE-ID of an instance, written as the master's DTSTART is (in
 * its zone, floating, UTC, or a date), so that the EXDATE it becomes reads
 * like the series' own times (RFC 5545 section 3.8.5.1).
 */
function recurrenceIdFor(master: ICAL.Component, key: string, object: CalendarObject): ICAL.Property | undefined {
  const dtstart = master.getFirstProperty('dtstart');
  const start = dtstart?.getFirstValue();
  if (!(start instanceof ICAL.Time)) return undefined;
  if (key.length === 10) {
    if (!start.isDate) return undefined;
    return timeProperty('recurrence-id', ICAL.Time.fromDateString(key));
  }
  if (start.isDate) return undefined;
  const instant = parseInstant(key);
  if (start.zone?.tzid === 'UTC' || start.zone === ICAL.Timezone.utcTimezone) return timeProperty('recurrence-id', utcTime(instant));
  const tzid = tzidOf(dtstart);
  const zone = tzid ? object.zones.zone(tzid) : object.zones.floating;
  const wall = zone ? instant + zone.offsetAtInstant(instant) : instant;
  return timeProperty('recurrence-id', wallTimeAt(wall), tzid);
}

/** Deletes the whole event: one CANCEL to every attendee this agent schedules, and the stored copy goes. */
function deleteWhole(context: Context): ItipResult {
  const { input } = context;
  const old = context.stored!;
  const uid = input.uid;
  const organizer = organizerOfObject(old);
  const components = old.list();
  const everyone = [...new Set(components.flatMap((c) => attendeesOf(c).map((a) => a.address)))].filter((a) => a !== organizer).sort(compareText);
  const recipients = everyone.filter((a) => scheduleAgentFor(a, old) === 'SERVER');
  const byClient = everyone.filter((a) => !recipients.includes(a));
  const master = old.master ?? components[0]!;
  const alreadyCancelled = (textOf(master, 'status') ?? '').trim().toUpperCase() === 'CANCELLED';
  const sends: Effect[] = [];
  if (organizer && recipients.length > 0 && !alreadyCancelled) {
    // Newer than every instance the attendees hold (RFC 5546 section 2.1.5).
    const sequence = Math.max(...components.map(sequenceOf)) + 1;
    const attendees = recipients.map((a) => components.map((c) => findAttendee(c, a)).find((line) => line)!.prop);
    const cancel = cancelComponent({ source: master, sequence, attendees, cancelled: true, now: input.now });
    sends.push(...sendEffects(uid, [{ method: 'CANCEL', to: recipients, ics: old.toMessage('CANCEL', [cancel]) }]));
  }
  const effects: Effect[] = [
    { type: 'delete-object', uid },
    { type: 'own-periods', uid, periods: [] },
    { type: 'remove-others-periods', uid },
    { type: 'remove-counters', uid },
    { type: 'remove-requests', uid },
    ...sends,
  ];
  const told = sends.length > 0
    ? describeSends(sends)
    : !organizer || everyone.length === 0
      ? 'nothing to send: nobody else takes part'
      : alreadyCancelled
        ? 'nothing to send: the attendees were told of the cancellation already'
        : 'nothing to send';
  const skipped = byClient.length > 0 ? `; nothing sent to ${listed(byClient)}: SCHEDULE-AGENT is not SERVER (RFC 6638 section 7.1)` : '';
  return result('applied', `deleted the event; ${told}${skipped}`, effects);
}

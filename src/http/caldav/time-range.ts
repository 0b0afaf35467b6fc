// Time ranges of calendar-query (RFC 4791 section 9.9): whether an event
// overlaps [start, end), and the expanded form of calendar-data (section
// 9.6.5: each instance as its own VEVENT in UTC with a RECURRENCE-ID, no
// recurrence rules). Recurring series are expanded with the agent's own
// expansion, under its bounds.

import { expandObject, type Instance } from '../../ical/expand.js';
import { cloneComponent, newCalendar, timeProperty } from '../../ical/calendar.js';
import { utcTime } from '../../ical/times.js';
import { userZone } from '../../ical/zones.js';
import { CalendarObject } from '../../itip/calendar-object.js';
import type { Preferences, StoredObject } from '../../itip/model.js';
import { zoneOf } from '../../itip/preferences.js';

export interface Range {
  from: number;
  to: number;
}

const FAR_PAST = Date.UTC(1900, 0, 1);
const FAR_FUTURE = Date.UTC(2200, 0, 1);

/** Reads a CalDAV time (RFC 5545 UTC DATE-TIME, "20260101T000000Z"); undefined when it is none. */
export function davTime(text: string | undefined): number | undefined {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text?.trim() ?? '');
  if (!match) return undefined;
  const [, y, mo, d, h, mi, s] = match.map(Number) as [number, number, number, number, number, number, number];
  return Date.UTC(y, mo - 1, d, h, mi, s);
}

/** A range from start/end attributes; either may be missing (open). undefined: one does not parse. */
export function rangeOf(attrs: Record<string, string>): Range | undefined {
  const from = attrs.start === undefined ? FAR_PAST : davTime(attrs.start);
  const to = attrs.end === undefined ? FAR_FUTURE : davTime(attrs.end);
  if (from === undefined || to === undefined) return undefined;
  return { from, to };
}

function objectOf(stored: StoredObject, prefs: Preferences): CalendarObject {
  return CalendarObject.fromStored(stored, userZone(zoneOf(prefs)));
}

/** Whether an instance overlaps the range (an instant event counts at its start; RFC 4791 section 9.9). */
function inRange(i: Instance, range: Range): boolean {
  return i.end > i.start ? i.start < range.to && i.end > range.from : i.start >= range.from && i.start < range.to;
}

/** The object's instances that overlap the range. */
export function instancesOf(stored: StoredObject, prefs: Preferences, range: Range): Instance[] {
  const object = objectOf(stored, prefs);
  return expandObject(object.list(), object.zones, range).instances.filter((i) => inRange(i, range));
}

/** Whether any instance of the object overlaps the range. */
export function overlaps(stored: StoredObject, prefs: Preferences, range: Range): boolean {
  return instancesOf(stored, prefs, range).length > 0;
}

/** The object's instances in the range, each a VEVENT in UTC (RFC 4791 section 9.6.5). */
export function expandedText(stored: StoredObject, prefs: Preferences, range: Range): string {
  const object = objectOf(stored, prefs);
  const recurring = object.isRecurring();
  const { instances } = expandObject(object.list(), object.zones, range);
  const vcalendar = newCalendar();
  for (const instance of instances) {
    if (!inRange(instance, range)) continue;
    const event = cloneComponent(instance.component);
    for (const name of ['rrule', 'rdate', 'exdate', 'recurrence-id', 'dtstart', 'dtend', 'duration']) event.removeAllProperties(name);
    if (recurring) event.addProperty(timeProperty('recurrence-id', utcTime(instanceKeyTime(instance.key, instance.start))));
    event.addProperty(timeProperty('dtstart', utcTime(instance.start)));
    event.addProperty(timeProperty('dtend', utcTime(instance.end)));
    vcalendar.addSubcomponent(event);
  }
  return vcalendar.toString();
}

/** The original start of an instance: its key when it is an instant, else its start. */
function instanceKeyTime(key: string, start: number): number {
  const at = Date.parse(key);
  return Number.isNaN(at) ? start : at;
}

// Time ranges of calendar-query (RFC 4791 section 9.9): whether an event
// overlaps [start, end), and the expanded form of calendar-data (section
// 9.6.5: each instance as its own VEVENT in UTC with a RECURRENCE-ID, no
// recurrence rules). Recurring series are expanded with the agent's own
// expansion, under its bounds.

import { expandObject, type Instance } from '../../ical/expand.js';
import ICAL from 'ical.js';
import { cloneComponent, isTask, newCalendar, timeProperty } from '../../ical/calendar.js';
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

/** A VTODO timed by its DUE alone (its instances are instants at DUE). */
function dueOnly(component: ICAL.Component): boolean {
  return isTask(component) && !component.hasProperty('dtstart') && component.hasProperty('due');
}

/**
 * Whether an instance overlaps the range (RFC 4791 section 9.9): one with a
 * length overlaps it; an instant event, or a to-do with a DTSTART alone,
 * counts at its start; a to-do with a DUE alone counts when
 * start < DUE <= end.
 */
function inRange(i: Instance, range: Range): boolean {
  if (i.end > i.start) return i.start < range.to && i.end > range.from;
  if (dueOnly(i.component)) return range.from < i.start && range.to >= i.start;
  return i.start >= range.from && i.start < range.to;
}

function instantOf(component: ICAL.Component, name: string): number | undefined {
  const value = component.getFirstPropertyValue(name);
  return value instanceof ICAL.Time ? value.toJSDate().getTime() : undefined;
}

/**
 * A to-do with neither DTSTART nor DUE (RFC 4791 section 9.9's last rows):
 * placed by COMPLETED and CREATED (UTC by RFC 5545 sections 3.8.2.1 and
 * 3.8.7.1), and in every range when it has neither.
 */
function undatedTaskOverlaps(task: ICAL.Component, range: Range): boolean {
  const created = instantOf(task, 'created');
  const completed = instantOf(task, 'completed');
  if (created !== undefined && completed !== undefined) {
    return (range.from <= created || range.from <= completed) && (range.to >= created || range.to >= completed);
  }
  if (completed !== undefined) return range.from <= completed && range.to >= completed;
  if (created !== undefined) return range.to > created;
  return true;
}

/** The object's instances that overlap the range. */
export function instancesOf(stored: StoredObject, prefs: Preferences, range: Range): Instance[] {
  const object = objectOf(stored, prefs);
  return expandObject(object.list(), object.zones, range).instances.filter((i) => inRange(i, range));
}

/** Whether any instance of the object overlaps the range. */
export function overlaps(stored: StoredObject, prefs: Preferences, range: Range): boolean {
  const object = objectOf(stored, prefs);
  const components = object.list();
  if (expandObject(components, object.zones, range).instances.some((i) => inRange(i, range))) return true;
  const master = components.find((c) => !c.hasProperty('recurrence-id'));
  return !!master && isTask(master) && !master.hasProperty('dtstart') && !master.hasProperty('due') && undatedTaskOverlaps(master, range);
}

/**
 * The object's instances in the range, each a VEVENT or VTODO in UTC (RFC
 * 4791 section 9.6.5). A to-do keeps the times it had: DTSTART where it had
 * one, DUE where it had a DUE or a DURATION (the instance's end).
 */
export function expandedText(stored: StoredObject, prefs: Preferences, range: Range): string {
  const object = objectOf(stored, prefs);
  const recurring = object.isRecurring();
  const { instances } = expandObject(object.list(), object.zones, range);
  const vcalendar = newCalendar();
  for (const instance of instances) {
    if (!inRange(instance, range)) continue;
    const event = cloneComponent(instance.component);
    const source = instance.component;
    for (const name of ['rrule', 'rdate', 'exdate', 'recurrence-id', 'dtstart', 'dtend', 'duration', 'due']) event.removeAllProperties(name);
    if (recurring) event.addProperty(timeProperty('recurrence-id', utcTime(instanceKeyTime(instance.key, instance.start))));
    if (!isTask(source) || source.hasProperty('dtstart')) event.addProperty(timeProperty('dtstart', utcTime(instance.start)));
    if (!isTask(source)) event.addProperty(timeProperty('dtend', utcTime(instance.end)));
    else if (source.hasProperty('due') || source.hasProperty('duration')) event.addProperty(timeProperty('due', utcTime(instance.end)));
    vcalendar.addSubcomponent(event);
  }
  return vcalendar.toString();
}

/** The original start of an instance: its key when it is an instant, else its start. */
function instanceKeyTime(key: string, start: number): number {
  const at = Date.parse(key);
  return Number.isNaN(at) ? start : at;
}

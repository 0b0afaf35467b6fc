// Significant change (RFC 5546 section 2.1.4): which differences between two
// versions of an event (or of one instance) ask the attendees anew. The
// organizer raises SEQUENCE for them, and the attendees' answers to the old
// version no longer hold. Everything else (SUMMARY, DESCRIPTION, the list of
// attendees) is an update without a new SEQUENCE.
//
// Values are compared by what they mean, not by how they are written: times
// by instant (a TZID written another way, or UTC instead of a zone, that keeps
// the instant is no change), rules by their parts in any order, lists as
// sets, calendar addresses in any case.

import ICAL from 'ical.js';
import { normalizeAddress } from '../../ical/address.js';
import { formatDate, formatUtc, instantOf, tzidOf } from '../../ical/times.js';
import type { Zone, ZoneResolver } from '../../ical/zones.js';

/**
 * The properties whose change is significant, in the order reasons name them.
 * RFC 5546 section 2.1.4 names the first eight; LOCATION is ours (the issue
 * asks for it): a meeting moved to another place asks the attendees anew as
 * one moved to another time does, as Cyrus and CalendarServer treat it.
 */
export const SIGNIFICANT_PROPERTIES = [
  /** When it starts: the time the attendee agreed to. */
  'DTSTART',
  /** When it ends: a longer meeting may no longer fit. */
  'DTEND',
  /** The same as DTEND, written as a length (RFC 5545 section 3.8.2.5). */
  'DURATION',
  /** A VTODO's deadline, the to-do's counterpart of DTEND. */
  'DUE',
  /** Which days it recurs on: the attendee agreed to those days. */
  'RRULE',
  /** Added instances: dates nobody was asked about yet. */
  'RDATE',
  /** Removed (or restored) instances. */
  'EXDATE',
  /** Cancelled, tentative or confirmed: whether it takes place at all. */
  'STATUS',
  /** Where it is: the attendee may not be able to go there. */
  'LOCATION',
] as const;

export type SignificantProperty = (typeof SIGNIFICANT_PROPERTIES)[number];

/** One version of a component, with the zones its TZIDs resolve in. */
export interface Side {
  component: ICAL.Component;
  zones: ZoneResolver;
}

/**
 * Parameters the server keeps for itself (RFC 6638 sections 7.2 and 7.3):
 * they say how scheduling went, not what the event is, and never change it.
 */
const SERVER_PARAMETERS = new Set(['schedule-status', 'schedule-force-send']);

/** Properties that say when and by whom a version was written, not what it is. */
const VERSION_STAMPS = new Set(['dtstamp', 'last-modified']);

/** The significant properties whose meaning differs between two versions, in list order. */
export function significantChanges(before: Side, after: Side): SignificantProperty[] {
  return SIGNIFICANT_PROPERTIES.filter((name) => differs(name.toLowerCase(), before, after));
}

/**
 * Every property (upper case) whose meaning differs between two versions, the
 * significant ones first in list order, then the others by name; VALARM when
 * the alarms differ. DTSTAMP and LAST-MODIFIED never count, nor SEQUENCE
 * unless `withSequence`.
 */
export function changedProperties(before: Side, after: Side, withSequence = false): string[] {
  const significant = significantChanges(before, after);
  const listed = new Set<string>(SIGNIFICANT_PROPERTIES.map((name) => name.toLowerCase()));
  const names = new Set<string>();
  for (const side of [before, after]) for (const prop of side.component.getAllProperties()) names.add(prop.name);
  const others = [...names]
    .filter((name) => !listed.has(name) && !VERSION_STAMPS.has(name) && (withSequence || name !== 'sequence'))
    .filter((name) => genericMeaning(name, before) !== genericMeaning(name, after))
    .map((name) => name.toUpperCase())
    .sort();
  const alarms = alarmsMeaning(before.component) !== alarmsMeaning(after.component) ? ['VALARM'] : [];
  return [...significant, ...others, ...alarms];
}

function differs(name: string, before: Side, after: Side): boolean {
  switch (name) {
    case 'dtstart':
      return startDiffers(before, after);
    case 'dtend':
      // A switch between DTEND and DURATION that keeps the end is no change.
      if (!before.component.hasProperty('dtend') && !after.component.hasProperty('dtend')) return false;
      return endOf(before) !== endOf(after);
    case 'duration':
      if (!before.component.hasProperty('duration') && !after.component.hasProperty('duration')) return false;
      return lengthOf(before) !== lengthOf(after);
    case 'rrule':
      return rulesMeaning(before) !== rulesMeaning(after);
    case 'status':
    case 'location':
      return textMeaning(before.component, name) !== textMeaning(after.component, name);
    default:
      // DUE, RDATE, EXDATE: sets of instants.
      return timesMeaning(before, name) !== timesMeaning(after, name);
  }
}

/** A DATE as its date, a DATE-TIME as its instant, a PERIOD as both ends. */
export function timeValueMeaning(prop: ICAL.Property, value: unknown, zones: ZoneResolver): string {
  if (value instanceof ICAL.Time) return value.isDate ? formatDate(value) : formatUtc(instantOf(value, tzidOf(prop), zones));
  if (value instanceof ICAL.Period) {
    const start = value.start;
    const end = value.end ?? endAfter(start, value.duration);
    return `${timeValueMeaning(prop, start, zones)}/${timeValueMeaning(prop, end, zones)}`;
  }
  return String(value);
}

function endAfter(start: ICAL.Time, duration: ICAL.Duration | null): ICAL.Time {
  const end = start.clone();
  if (duration) end.addDuration(duration);
  return end;
}

/** Every value of every property of that name (RDATE, EXDATE), as a set of instants or dates. */
export function timeValues(side: Side, name: string): Set<string> {
  const values = new Set<string>();
  for (const prop of side.component.getAllProperties(name)) {
    for (const value of prop.getValues()) values.add(timeValueMeaning(prop, value, side.zones));
  }
  return values;
}

function timesMeaning(side: Side, name: string): string {
  return [...timeValues(side, name)].sort().join(',');
}

function textMeaning(component: ICAL.Component, name: string): string {
  const value = component.getFirstPropertyValue(name);
  const text = value == null ? '' : String(value).trim();
  return name === 'status' ? text.toUpperCase() : text;
}

function startInstant(side: Side): number | string | undefined {
  const prop = side.component.getFirstProperty('dtstart');
  const value = prop?.getFirstValue();
  if (!(value instanceof ICAL.Time)) return undefined;
  return value.isDate ? formatDate(value) : instantOf(value, tzidOf(prop), side.zones);
}

/**
 * DTSTART by instant; for a series also by zone, since its later instances
 * keep the wall-clock time in the zone of DTSTART (RFC 5545 section 3.8.5.3):
 * the same first instant in another zone moves instances after a change of
 * daylight time. A zone written another way (a Windows name for an Olson one,
 * a VTIMEZONE of the same rules) is the same zone.
 */
function startDiffers(before: Side, after: Side): boolean {
  const a = startInstant(before);
  const b = startInstant(after);
  if (a !== b) return true;
  if (typeof a !== 'number' || !recurs(before.component) || !recurs(after.component)) return false;
  return !sameZone(zoneOfStart(before), zoneOfStart(after), a);
}

function recurs(component: ICAL.Component): boolean {
  return component.hasProperty('rrule') || component.hasProperty('rdate');
}

/** The zone DTSTART is read in: 'utc', 'floating', or a Zone. */
function zoneOfStart(side: Side): Zone | 'utc' | 'floating' {
  const prop = side.component.getFirstProperty('dtstart')!;
  const value = prop.getFirstValue() as ICAL.Time;
  if (value.zone?.tzid === 'UTC' || value.zone === ICAL.Timezone.utcTimezone) return 'utc';
  const tzid = tzidOf(prop);
  if (!tzid) return 'floating';
  return side.zones.zone(tzid) ?? 'floating';
}

const WEEK = 7 * 86_400_000;
/** How far ahead two zones are compared: two years of weekly samples catch every yearly rule. */
const SAMPLES = 106;

function sameZone(a: Zone | 'utc' | 'floating', b: Zone | 'utc' | 'floating', from: number): boolean {
  if (typeof a === 'string' || typeof b === 'string') return a === b;
  const olson = (zone: Zone) => (zone as { olsonName?: string }).olsonName;
  if (olson(a) !== undefined && olson(a) === olson(b)) return true;
  for (let i = 0; i < SAMPLES; i++) {
    const at = from + i * WEEK;
    if (a.offsetAtInstant(at) !== b.offsetAtInstant(at)) return false;
  }
  return true;
}

/** The end as an instant (or date): DTEND, else DTSTART plus DURATION. */
function endOf(side: Side): string {
  const { component, zones } = side;
  const dtend = component.getFirstProperty('dtend');
  if (dtend) return timeValueMeaning(dtend, dtend.getFirstValue(), zones);
  const dtstart = component.getFirstProperty('dtstart');
  const start = dtstart?.getFirstValue();
  const duration = component.getFirstPropertyValue('duration');
  if (!(start instanceof ICAL.Time)) return '';
  if (!(duration instanceof ICAL.Duration)) return '';
  return timeValueMeaning(dtstart!, endAfter(start, duration), zones);
}

/** The length in seconds: DURATION, else DTEND less DTSTART. */
function lengthOf(side: Side): string {
  const duration = side.component.getFirstPropertyValue('duration');
  if (duration instanceof ICAL.Duration) return String(duration.toSeconds());
  const start = startInstant(side);
  const end = endOf(side);
  if (start === undefined || end === '') return '';
  // An all-day event's dates read as UTC midnights: their difference is the length in days.
  return String((Date.parse(end) - (typeof start === 'number' ? start : Date.parse(start))) / 1000);
}

/** RRULEs by their parts: order, the default INTERVAL=1 and WKST=MO do not count; UNTIL by instant. */
function rulesMeaning(side: Side): string {
  const dtstart = side.component.getFirstProperty('dtstart');
  const rules = side.component.getAllProperties('rrule').map((prop) => {
    const recur = prop.getFirstValue() as ICAL.Recur;
    const parts: string[] = [];
    for (const [key, value] of Object.entries(recur.toJSON() as Record<string, unknown>)) {
      if (key === 'interval' && Number(value) === 1) continue;
      if (key === 'wkst' && String(value).toUpperCase() === 'MO') continue;
      if (key === 'until' && recur.until) {
        // A floating UNTIL is read in the zone of DTSTART (RFC 5545 section 3.3.10).
        parts.push(`until=${recur.until.isDate ? formatDate(recur.until) : formatUtc(instantOf(recur.until, tzidOf(dtstart), side.zones))}`);
        continue;
      }
      const values = (Array.isArray(value) ? value : [value]).map((v) => String(v).toUpperCase()).sort();
      parts.push(`${key}=${values.join(',')}`);
    }
    return parts.sort().join(';');
  });
  return rules.sort().join('|');
}

/**
 * Any other property: each occurrence's parameters (sorted, server parameters
 * left out) and values; calendar addresses in lower case; the occurrences as a
 * set, so that reordered ATTENDEE lines are no change.
 */
function genericMeaning(name: string, side: Side): string {
  const texts = side.component.getAllProperties(name).map((prop) => {
    // A time's TZID is part of its instant, compared as such.
    const timed = TIME_TYPES.has(prop.type);
    const params = Object.entries(prop.toJSON()[1] as Record<string, unknown>)
      .filter(([key]) => !SERVER_PARAMETERS.has(key) && !(timed && (key === 'tzid' || key === 'value')))
      .map(([key, value]) => `${key}=${paramText(key, value)}`)
      .sort();
    const values = prop.getValues().map((value) => (prop.type === 'cal-address' ? normalizeAddress(String(value)) ?? '' : valueText(prop, value, side.zones)));
    return `${params.join(';')}:${values.join(',')}`;
  });
  return texts.sort().join('\n');
}

function valueText(prop: ICAL.Property, value: unknown, zones: ZoneResolver): string {
  if (value instanceof ICAL.Time || value instanceof ICAL.Period) return timeValueMeaning(prop, value, zones);
  if (value !== null && typeof value === 'object' && 'toString' in value) return String(value);
  return JSON.stringify(value);
}

const TIME_TYPES = new Set(['date', 'date-time', 'period']);

/** Parameters whose values are calendar addresses, and those whose values are tokens of any case (RFC 5545 section 3.2). */
const ADDRESS_PARAMETERS = new Set(['delegated-to', 'delegated-from', 'sent-by', 'member']);
const TOKEN_PARAMETERS = new Set(['cutype', 'fbtype', 'partstat', 'range', 'related', 'reltype', 'role', 'rsvp', 'schedule-agent']);

function paramText(key: string, value: unknown): string {
  const values = listOf(value);
  if (ADDRESS_PARAMETERS.has(key)) return values.map((v) => normalizeAddress(v) ?? v).sort().join(',');
  if (TOKEN_PARAMETERS.has(key)) return values.map((v) => v.toUpperCase()).join(',');
  return values.join(',');
}

function listOf(value: unknown): string[] {
  return (Array.isArray(value) ? value : [value]).map((v) => String(v));
}

function alarmsMeaning(component: ICAL.Component): string {
  return component
    .getAllSubcomponents('valarm')
    .map((alarm) => JSON.stringify(alarm.toJSON()))
    .sort()
    .join('\n');
}

// What an attendee may change in their copy of an event, and what stays the
// organizer's (RFC 6638 section 3.2.2.1, "Allowed Attendee Changes"): their
// own PARTSTAT, TRANSP, PERCENT-COMPLETE, COMPLETED, VALARMs, CREATED,
// DTSTAMP, LAST-MODIFIED, and EXDATEs they add. Everything else (times,
// summary, place, attendees, the recurrence) is the organizer's. Calendar
// programs also keep X- properties of their own in the copy (when an alarm
// was last acknowledged, say): those are the attendee's too.
//
// Values are compared by meaning, not as text: a time written in another zone
// for the same instant, parameters in another order, or a mail address in
// another case is the same value.

import ICAL from 'ical.js';
import { normalizeAddress } from '../../ical/address.js';
import { cloneComponent, sequenceOf, timeKey } from '../../ical/calendar.js';
import { propertyInstant, tzidOf } from '../../ical/times.js';
import type { ZoneResolver } from '../../ical/zones.js';
import { partstatIn } from './attendee-target.js';

/** Properties the attendee may add, change or remove (items 2 to 4). */
const ATTENDEE_OWNED = new Set(['transp', 'percent-complete', 'completed']);
/**
 * Properties that say when and by which program, not what (item 9): not
 * compared, and not taken either: the stored DTSTAMP is the organizer's,
 * which orders the organizer's next message (RFC 5546 section 2.1.5).
 */
const BOOKKEEPING = new Set(['dtstamp', 'created', 'last-modified']);
/** Compared on their own: EXDATE (item 8), SEQUENCE (absent is 0), the end (DTEND or DURATION). */
const APART = new Set(['exdate', 'sequence', 'dtend', 'duration']);
/** Only a master's: on an override they mean nothing. */
const RECURRENCE = new Set(['rrule', 'rdate']);
const SCHEDULING = ['schedule-agent', 'schedule-status', 'schedule-force-send'];

export function isAttendeeOwned(name: string): boolean {
  return ATTENDEE_OWNED.has(name) || name.startsWith('x-');
}

/** A property's parameters as sorted pairs, without those `drop` names and without X- parameters. */
function parameters(prop: ICAL.Property, drop: Set<string>): string[][] {
  const params = prop.toJSON()[1] as Record<string, unknown>;
  return Object.entries(params)
    .filter(([name]) => !drop.has(name) && !name.startsWith('x-'))
    .map(([name, value]) => [name, Array.isArray(value) ? value.map(String).join(',') : String(value)])
    .sort(([a], [b]) => a!.localeCompare(b!));
}

function valueText(value: unknown, prop: ICAL.Property, zones: ZoneResolver): string {
  if (value instanceof ICAL.Time) return timeKey(value, tzidOf(prop), zones);
  if (value instanceof ICAL.Period) {
    const end = value.end ? timeKey(value.end, tzidOf(prop), zones) : String(value.duration);
    return `${timeKey(value.start, tzidOf(prop), zones)}/${end}`;
  }
  if (prop.name === 'attendee' || prop.name === 'organizer') return normalizeAddress(String(value)) ?? '';
  return typeof value === 'object' && value !== null ? value.toString() : String(value);
}

/** A property's meaning as text: parameters that matter, and values (times as instants). */
function signature(prop: ICAL.Property, zones: ZoneResolver, user: string): string {
  const drop = new Set<string>();
  if (prop.name === 'attendee' || prop.name === 'organizer') for (const name of SCHEDULING) drop.add(name);
  const values = prop.getValues().map((value) => valueText(value, prop, zones));
  // The user's PARTSTAT is theirs to change (item 1), and RSVP goes with an answer.
  if (prop.name === 'attendee' && values[0] === user) for (const name of ['partstat', 'rsvp']) drop.add(name);
  if (values.some((_, i) => prop.getValues()[i] instanceof ICAL.Time || prop.getValues()[i] instanceof ICAL.Period)) {
    drop.add('tzid');
    drop.add('value');
  }
  return JSON.stringify([parameters(prop, drop), prop.name === 'rdate' ? [...values].sort() : values]);
}

function signatures(component: ICAL.Component, name: string, zones: ZoneResolver, user: string): string[] {
  return component
    .getAllProperties(name)
    .map((prop) => signature(prop, zones, user))
    .sort();
}

/** The end of a component as an instant, from DTEND or DTSTART plus DURATION. */
function endOf(component: ICAL.Component, zones: ZoneResolver): number | undefined {
  const end = propertyInstant(component.getFirstProperty('dtend'), zones);
  if (end !== undefined) return end;
  const start = propertyInstant(component.getFirstProperty('dtstart'), zones);
  const duration = component.getFirstPropertyValue('duration');
  return start !== undefined && duration instanceof ICAL.Duration ? start + duration.toSeconds() * 1000 : undefined;
}

/** The EXDATEs of a master as recurrence keys. */
export function exdateKeys(component: ICAL.Component, zones: ZoneResolver): Set<string> {
  const keys = new Set<string>();
  for (const prop of component.getAllProperties('exdate')) {
    for (const value of prop.getValues()) if (value instanceof ICAL.Time) keys.add(timeKey(value, tzidOf(prop), zones));
  }
  return keys;
}

/**
 * The organizer's properties (upper case) that differ between the stored
 * component and the attendee's: what the attendee may not change.
 */
export function organizerChanges(stored: ICAL.Component, put: ICAL.Component, storedZones: ZoneResolver, putZones: ZoneResolver, user: string): string[] {
  const override = put.hasProperty('recurrence-id');
  const names = new Set([...stored.getAllProperties(), ...put.getAllProperties()].map((prop) => prop.name));
  const changed: string[] = [];
  for (const name of [...names].sort()) {
    if (isAttendeeOwned(name) || BOOKKEEPING.has(name) || APART.has(name) || (override && RECURRENCE.has(name))) continue;
    const before = signatures(stored, name, storedZones, user);
    const after = signatures(put, name, putZones, user);
    if (JSON.stringify(before) !== JSON.stringify(after)) changed.push(name.toUpperCase());
  }
  if (sequenceOf(stored) !== sequenceOf(put)) changed.push('SEQUENCE');
  if (endOf(stored, storedZones) !== endOf(put, putZones)) changed.push('DTEND');
  const others = (component: ICAL.Component) =>
    component
      .getAllSubcomponents()
      .filter((sub) => sub.name !== 'valarm')
      .map((sub) => sub.toString())
      .sort();
  if (JSON.stringify(others(stored)) !== JSON.stringify(others(put))) changed.push('components other than VALARM');
  return changed.sort();
}

/** What the attendee changed of their own in one component. */
export interface OwnChanges {
  /** The new PARTSTAT, when it changed. */
  partstat?: string;
  alarms: boolean;
  /** Names of the attendee's own properties that changed (TRANSP, X-...). */
  properties: string[];
}

export function ownChanges(stored: ICAL.Component, put: ICAL.Component, storedZones: ZoneResolver, putZones: ZoneResolver, user: string): OwnChanges {
  const before = partstatIn(stored, user);
  const after = partstatIn(put, user);
  const alarms = (component: ICAL.Component) =>
    component
      .getAllSubcomponents('valarm')
      .map((alarm) => alarm.toString())
      .sort();
  const names = new Set([...stored.getAllProperties(), ...put.getAllProperties()].map((prop) => prop.name).filter(isAttendeeOwned));
  const properties = [...names]
    .sort()
    .filter((name) => JSON.stringify(signatures(stored, name, storedZones, user)) !== JSON.stringify(signatures(put, name, putZones, user)));
  return {
    ...(before !== undefined && after !== undefined && before !== after ? { partstat: after } : {}),
    alarms: JSON.stringify(alarms(stored)) !== JSON.stringify(alarms(put)),
    properties,
  };
}

export function hasOwnChanges(changes: OwnChanges): boolean {
  return changes.partstat !== undefined || changes.alarms || changes.properties.length > 0;
}

/** Takes the attendee's own changes from `put` into `target` (a copy of the stored component). */
export function takeOwnChanges(target: ICAL.Component, put: ICAL.Component, user: string, changes: OwnChanges): void {
  if (changes.partstat) {
    const mine = target.getAllProperties('attendee').find((prop) => normalizeAddress(String(prop.getFirstValue())) === user)!;
    mine.setParameter('partstat', changes.partstat);
    mine.removeParameter('rsvp');
  }
  if (changes.alarms) {
    target.removeAllSubcomponents('valarm');
    for (const alarm of put.getAllSubcomponents('valarm')) target.addSubcomponent(cloneComponent(alarm));
  }
  for (const name of changes.properties) {
    target.removeAllProperties(name);
    for (const prop of put.getAllProperties(name)) target.addProperty(ICAL.Property.fromString(prop.toICALString()));
  }
}

// What an attendee's action is about: the whole event (every component the
// user attends) or one instance of a series, named by its original start
// (RFC 5545 section 3.8.4.4, RECURRENCE-ID). An instance without an override
// of its own gets one made from the master (CalendarObject.instanceOf), with
// a RECURRENCE-ID written as the master's DTSTART is written (a date, UTC, or
// the wall clock of its TZID), as calendar programs write it.

import ICAL from 'ical.js';
import { findAttendee, textOf, timeProperty } from '../../ical/calendar.js';
import { expandObject, wallTimeAt } from '../../ical/expand.js';
import { formatUtc, tzidOf, utcTime } from '../../ical/times.js';
import type { CalendarObject } from '../calendar-object.js';

/** One component an action is about, keyed by recurrence ('' for the master). */
export interface Target {
  key: string;
  /** The stored component, or a new override for an instance that had none. */
  component: ICAL.Component;
  /** The component is stored already (false: made from the master). */
  stored: boolean;
}

export type Targets = { targets: Target[] } | { problem: string };

const DAY = 86_400_000;

/**
 * The recurrence key of an instance as a user names it: an instant in UTC
 * (`2026-12-08T09:00:00Z`, `20261208T090000Z`, or with an offset) or a date
 * for an all-day series (`2026-12-08`, `20261208`). A time without a zone
 * would be read in the machine's zone, so it is not taken.
 */
export function instanceKey(text: string): string | undefined {
  const value = text.trim();
  const basicDate = /^(\d{4})(\d{2})(\d{2})$/.exec(value);
  if (basicDate) return `${basicDate[1]}-${basicDate[2]}-${basicDate[3]}`;
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) return Number.isNaN(Date.parse(`${value}T00:00:00Z`)) ? undefined : value;
  const basic = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/i.exec(value);
  const iso = basic ? `${basic[1]}-${basic[2]}-${basic[3]}T${basic[4]}:${basic[5]}:${basic[6]}Z` : value;
  if (!/(Z|[+-]\d{2}:?\d{2})$/i.test(iso)) return undefined;
  const instant = Date.parse(iso);
  return Number.isNaN(instant) ? undefined : formatUtc(instant);
}

/** Whether a component is cancelled by the organizer (RFC 5545 section 3.8.1.11). */
export function isCancelled(component: ICAL.Component): boolean {
  return (textOf(component, 'status') ?? '').toUpperCase() === 'CANCELLED';
}

/** The user's PARTSTAT in a component, upper case; undefined when not an attendee there. */
export function partstatIn(component: ICAL.Component, user: string): string | undefined {
  return findAttendee(component, user)?.partstat;
}

/**
 * A RECURRENCE-ID for the instance of the master starting at `start` (key
 * `key`), written in the form of the master's DTSTART.
 */
function recurrenceIdFor(object: CalendarObject, master: ICAL.Component, key: string, start: number): ICAL.Property {
  const dtstart = master.getFirstProperty('dtstart')!;
  const first = dtstart.getFirstValue() as ICAL.Time;
  if (first.isDate) return timeProperty('recurrence-id', ICAL.Time.fromDateString(key));
  if (first.zone?.tzid === 'UTC') return timeProperty('recurrence-id', utcTime(start));
  const tzid = tzidOf(dtstart);
  const zone = tzid ? object.zones.zone(tzid) : object.zones.floating;
  return timeProperty('recurrence-id', wallTimeAt(zone ? start + zone.offsetAtInstant(start) : start), tzid);
}

/**
 * The instance `key` of the stored object: its override, or a new one made
 * from the master when the series has such an instance (not excluded by an
 * EXDATE); undefined when the event has no such instance.
 */
export function instanceAt(object: CalendarObject, key: string): Target | undefined {
  const own = object.get(key);
  if (own && key !== '') return { key, component: own, stored: true };
  const master = object.master;
  if (!master || !object.isRecurring()) return undefined;
  const around = Date.parse(key.length === 10 ? `${key}T00:00:00Z` : key);
  if (Number.isNaN(around)) return undefined;
  // Only the master is expanded: an instance with an override was found above.
  const expansion = expandObject([master], object.zones, { from: around - 2 * DAY, to: around + 2 * DAY });
  const instance = expansion.instances.find((candidate) => candidate.key === key);
  if (!instance) return undefined;
  const component = object.instanceOf(recurrenceIdFor(object, master, key, instance.start));
  return component ? { key, component, stored: false } : undefined;
}

/**
 * The components an action on the whole event or on one instance is about,
 * or why there are none: the user must attend each of them, and a cancelled
 * one cannot be answered (`cancelled: 'allow'` takes a cancelled instance,
 * which one may still ask about).
 */
export function attendeeTargets(object: CalendarObject, user: string, recurrenceId: string | undefined, cancelled: 'refuse' | 'allow' = 'refuse'): Targets {
  const uid = object.uid;
  if (recurrenceId === undefined) {
    const master = object.master;
    if (master && isCancelled(master)) return { problem: `the organizer cancelled ${uid}; there is nothing to answer` };
    const targets = object
      .keys()
      .map((key) => ({ key, component: object.get(key)!, stored: true }))
      .filter((target) => partstatIn(target.component, user) !== undefined && !isCancelled(target.component));
    if (targets.length === 0) return { problem: `${user} is not invited to any instance of ${uid} that is not cancelled` };
    return { targets };
  }
  const key = instanceKey(recurrenceId);
  if (key === undefined) {
    return { problem: `"${recurrenceId}" is not an instance time: give the original start in UTC (2026-12-08T09:00:00Z) or, for an all-day series, a date (2026-12-08)` };
  }
  const target = instanceAt(object, key);
  if (!target) return { problem: `${uid} has no instance ${key}` };
  if (cancelled === 'refuse' && isCancelled(target.component)) return { problem: `the organizer cancelled instance ${key} of ${uid}; there is nothing to answer` };
  if (partstatIn(target.component, user) === undefined) return { problem: `${user} is not invited to instance ${key} of ${uid}` };
  return { targets: [target] };
}

/** Where the action applies, for a reason: "the whole event" or "instance T". */
export function describeTargets(targets: Target[], whole: boolean): string {
  if (whole) return 'the whole event';
  return targets.length === 1 ? `instance ${targets[0]!.key}` : `instances ${targets.map((t) => t.key).join(', ')}`;
}

// RECURRENCE-ID;RANGE=THISANDFUTURE (RFC 5545 sections 3.2.13 and 3.8.4.4):
// an override that changes its instance and every later one of the series.
//
// How it is kept: the override is stored as the organizer sent it, RANGE and
// all, in the one calendar object of the UID, and expansion applies it to the
// later instances. The series is not split, because:
// - the organizer keeps naming every instance by its original RECURRENCE-ID
//   ("subsequent instances are determined by their RECURRENCE-ID value and
//   not their current scheduled start time", section 3.2.13), so a later
//   REPLY, CANCEL or single-instance REQUEST must still find instance N of
//   this UID. A split gives the later part a second UID (a CalDAV collection
//   holds one resource per UID, RFC 4791 section 4.1) that no organizer knows;
// - one override serves a series without end; writing one override per later
//   instance would need a bound and grow without limit;
// - a CalDAV client reading the object gets the RFC's own form of the change.
//
// What the range does to a later instance: "the difference in time between
// the original start of the instance being rescheduled and the new start is
// applied to all subsequent instances" and the instance takes the override's
// length and properties (section 3.8.4.4). Instances that have an override
// of their own keep it ("subsequent instances defined in separate components
// are not impacted", section 3.2.13). With several ranges, an instance follows
// the latest one that starts at or before it.

import ICAL from 'ical.js';
import { recurrenceKey } from './calendar.js';
import { instantOf, tzidOf, wallMs } from './times.js';
import type { Zone, ZoneResolver } from './zones.js';

export interface FutureRange {
  key: string;
  /** The original start of the instance the range begins with (its RECURRENCE-ID). */
  from: number;
  /** The override that describes the instances of the range. */
  component: ICAL.Component;
  /** How far the instances move, in wall-clock ms. */
  shift: number;
  /** Their length, in wall-clock ms. */
  length: number;
}

/** True when an override's RECURRENCE-ID carries RANGE=THISANDFUTURE. */
export function isFutureRange(component: ICAL.Component): boolean {
  const range = component.getFirstProperty('recurrence-id')?.getParameter('range');
  return typeof range === 'string' && range.toUpperCase() === 'THISANDFUTURE';
}

/**
 * The ranges among a UID's overrides, latest first. `lengthOf` gives an
 * override's length in wall-clock ms (DTEND, DURATION or DUE).
 */
export function futureRanges(overrides: Iterable<ICAL.Component>, zones: ZoneResolver, lengthOf: (c: ICAL.Component) => number | undefined): FutureRange[] {
  const ranges: FutureRange[] = [];
  for (const component of overrides) {
    if (!isFutureRange(component)) continue;
    const rid = component.getFirstProperty('recurrence-id')!;
    const dtstart = component.getFirstProperty('dtstart') ?? component.getFirstProperty('due');
    const ridTime = rid.getFirstValue();
    const start = dtstart?.getFirstValue();
    const length = lengthOf(component);
    if (!(ridTime instanceof ICAL.Time) || !(start instanceof ICAL.Time) || length === undefined) continue;
    const from = instantOf(ridTime, tzidOf(rid), zones);
    // Written in the same zone, the move is a wall-clock one (09:00 to 10:00
    // stays so across a change to summer time); otherwise it is an instant's.
    const sameZone = tzidOf(rid) === tzidOf(dtstart) && ridTime.isDate === start.isDate;
    const shift = sameZone ? wallMs(start) - wallMs(ridTime) : instantOf(start, tzidOf(dtstart), zones) - from;
    if (!Number.isFinite(from) || !Number.isFinite(shift)) continue;
    ranges.push({ key: recurrenceKey(component, zones), from, component, shift, length });
  }
  return ranges.sort((a, b) => b.from - a.from);
}

/** How far beyond a window a range may bring instances into it: expand that much wider. */
export function rangeReach(ranges: FutureRange[]): number {
  return ranges.reduce((most, range) => Math.max(most, Math.abs(range.shift) + range.length), 0);
}

/** The range an instance of the series that starts at `start` (its original start) falls in, if any. */
export function rangeOf(ranges: FutureRange[], start: number): FutureRange | undefined {
  return ranges.find((range) => range.from < start);
}

/**
 * The start and end of a later instance moved by its range; `zone` is the
 * series' zone (null: UTC), in which the move is made on the wall clock.
 */
export function movedTimes(range: FutureRange, start: number, zone: Zone | null): { start: number; end: number } {
  const wall = (zone ? start + zone.offsetAtInstant(start) : start) + range.shift;
  const toInstant = (w: number) => (zone ? zone.wallToInstant(w) : w);
  const moved = toInstant(wall);
  const end = range.length === 0 ? moved : toInstant(wall + range.length);
  return { start: moved, end: Math.max(moved, end) };
}

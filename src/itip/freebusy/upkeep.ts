// Free/busy upkeep: recurring series are expanded only within a window around
// "now" (the `freebusy_window_days` preference), so as days pass the window
// must move, or a series without end would stop blocking time a year after it
// arrived. Pure: the stored object and now in; the periods out.
//
// The periods are those a message about the object leaves (objectPeriods in
// src/itip/freebusy/periods.ts, the rule every message's effects use), for the window
// of the day: run right after a message, the upkeep changes nothing; run a
// day later, it moves the window and nothing else. What a restart does (serve
// runs the upkeep at start) therefore never depends on when it happens.

import { userZone } from '../../ical/zones.js';
import type { ExpansionLimits } from '../../ical/expand.js';
import { CalendarObject } from '../calendar-object.js';
import type { OthersPeriod, Period, Preferences, StoredObject } from '../model.js';
import { freeBusyWindow, objectPeriods } from './periods.js';
import { zoneOf } from '../preferences.js';

export interface RefreshedPeriods {
  own: Period[];
  /** Every other participant's periods the object implies, each with its participant. */
  others: OthersPeriod[];
  truncated: boolean;
}

/** Whether the object's periods depend on the window: it recurs. */
export function movesWithWindow(stored: StoredObject): boolean {
  return /^(RRULE|RDATE)[;:]/im.test(stored.ics);
}

/**
 * The periods of a recurring object for the window around `now`, the user's
 * and the others' it implies; undefined for an object that does not recur
 * (its periods never change with time).
 */
export function refreshPeriods(
  stored: StoredObject,
  user: string,
  prefs: Preferences,
  now: number,
  limits?: ExpansionLimits,
): RefreshedPeriods | undefined {
  if (!movesWithWindow(stored)) return undefined;
  const object = CalendarObject.fromStored(stored, userZone(zoneOf(prefs)));
  return objectPeriods(object, user, freeBusyWindow(prefs, now), limits);
}

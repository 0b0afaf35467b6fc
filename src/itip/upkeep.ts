// Free/busy upkeep: recurring series are expanded only within a window around
// "now" (the `freebusy_window_days` preference), so as days pass the window
// must move, or a series without end would stop blocking time a year after it
// arrived. Pure: the stored object, the people whose periods are kept, and
// now in; the periods out.

import { userZone } from '../ical/zones.js';
import type { ExpansionLimits } from '../ical/expand.js';
import { CalendarObject } from './calendar-object.js';
import type { OthersPeriod, Period, Preferences, StoredObject } from './model.js';
import { freeBusyWindow, periodsByAddress } from './periods.js';

export interface RefreshedPeriods {
  own: Period[];
  /** Per participant whose periods the store keeps for this UID. */
  others: Map<string, OthersPeriod[]>;
  truncated: boolean;
}

/** Whether the object's periods depend on the window: it recurs. */
export function movesWithWindow(stored: StoredObject): boolean {
  return /^(RRULE|RDATE)[;:]/im.test(stored.ics);
}

/**
 * The periods of a recurring object for the window around `now`, for the
 * user and for the given participants; undefined for an object that does not
 * recur (its periods never change with time).
 */
export function refreshPeriods(
  stored: StoredObject,
  user: string,
  participants: readonly string[],
  prefs: Preferences,
  now: number,
  limits?: ExpansionLimits,
): RefreshedPeriods | undefined {
  if (!movesWithWindow(stored)) return undefined;
  const object = CalendarObject.fromStored(stored, userZone(prefs.TZID ?? prefs.tzid));
  const others = participants.filter((p) => p !== user);
  const byAddress = periodsByAddress(object, [user, ...others], freeBusyWindow(prefs, now), limits);
  const own = byAddress.get(user)!;
  return {
    own: own.periods,
    others: new Map(others.map((p) => [p, byAddress.get(p)!.periods.map((period) => ({ ...period, participant: p }))])),
    truncated: own.truncated,
  };
}

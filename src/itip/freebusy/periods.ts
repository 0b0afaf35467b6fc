// Free/busy periods of a participant in one calendar object (RFC 5545 section
// 3.2.9 FBTYPE, section 3.8.2.7 TRANSP), and whose periods besides the user's
// own an object implies (othersOf). Every message's effects and the free/busy
// upkeep derive periods from the stored object with these rules alone, so the
// upkeep run right after a message changes nothing. The same rule serves the
// user's own periods and those learned of others:
// - the organizer is busy for every instance that is not cancelled;
// - an attendee is BUSY when ACCEPTED and BUSY-TENTATIVE when TENTATIVE;
//   NEEDS-ACTION, DECLINED and DELEGATED give no period;
// - STATUS:TENTATIVE makes a busy instance BUSY-TENTATIVE;
// - TRANSP:TRANSPARENT and STATUS:CANCELLED instances block no time;
// - a task (VTODO) blocks no time (src/itip/task/progress.ts says why).

import type ICAL from 'ical.js';
import { attendeesOf, findAttendee, isTask, organizerOf, textOf } from '../../ical/calendar.js';
import { expandObject, type ExpansionLimits, DEFAULT_EXPANSION_LIMITS, type Window } from '../../ical/expand.js';
import { formatUtc } from '../../ical/times.js';
import { compareText } from '../../ical/text-order.js';
import { organizerOfObject, type CalendarObject } from '../calendar-object.js';
import type { FbType, OthersPeriod, Period, Preferences } from '../model.js';
import { freeBusyWindowDays } from '../preferences.js';

const DAY = 86_400_000;

/**
 * The window recurring series are expanded in: the `freebusy_window_days`
 * preference (default 365) before and after now. Single events always count.
 */
export function freeBusyWindow(prefs: Preferences, now: number): Window {
  const span = freeBusyWindowDays(prefs) * DAY;
  return { from: now - span, to: now + span };
}

function fbtypeFor(component: ICAL.Component, master: ICAL.Component | undefined, address: string): FbType | undefined {
  if (isTask(component)) return undefined;
  const status = (textOf(component, 'status') ?? '').toUpperCase();
  if (status === 'CANCELLED') return undefined;
  if ((textOf(component, 'transp') ?? '').toUpperCase() === 'TRANSPARENT') return undefined;
  const tentative = status === 'TENTATIVE';
  const organizer = organizerOf(component) ?? (master ? organizerOf(master) : undefined);
  if (organizer === address) return tentative ? 'BUSY-TENTATIVE' : 'BUSY';
  const attendee = findAttendee(component, address);
  if (!attendee) return undefined;
  if (attendee.partstat === 'ACCEPTED') return tentative ? 'BUSY-TENTATIVE' : 'BUSY';
  if (attendee.partstat === 'TENTATIVE') return 'BUSY-TENTATIVE';
  return undefined;
}

export interface PeriodResult {
  periods: Period[];
  truncated: boolean;
  /** Which limit cut the expansion, and where. */
  cut?: string;
}

/**
 * The busy periods of several people from one expansion: expanding is the
 * costly part, and the same instances serve the user and every participant.
 */
export function periodsByAddress(
  object: CalendarObject,
  addresses: readonly string[],
  window: Window,
  limits: ExpansionLimits = DEFAULT_EXPANSION_LIMITS,
): Map<string, PeriodResult> {
  const expansion = expandObject(object.list(), object.zones, window, limits);
  const master = object.master;
  const results = new Map<string, PeriodResult>();
  // Each instance's times as text, made once for all the addresses that need them.
  const starts: string[] = [];
  const ends: string[] = [];
  for (const address of addresses) {
    const periods: Period[] = [];
    // Most instances share the master: its type is worked out once.
    const types = new Map<ICAL.Component, FbType | undefined>();
    for (let index = 0; index < expansion.instances.length; index++) {
      const instance = expansion.instances[index]!;
      if (instance.end <= instance.start) continue;
      let fbtype = types.get(instance.component);
      if (fbtype === undefined && !types.has(instance.component)) {
        fbtype = fbtypeFor(instance.component, master, address);
        types.set(instance.component, fbtype);
      }
      if (!fbtype) continue;
      periods.push({
        start: (starts[index] ??= formatUtc(instance.start)),
        end: (ends[index] ??= formatUtc(instance.end)),
        fbtype,
        uid: object.uid,
        recurrenceId: instance.key === '' ? null : instance.key,
      });
    }
    results.set(address, { periods, truncated: expansion.truncated, ...(expansion.cut ? { cut: expansion.cut } : {}) });
  }
  return results;
}

/**
 * Whose periods besides the user's own the store keeps for an object:
 * - in a copy the user attends (someone else organizes it), the organizer's:
 *   the invitation says when the organizer is busy (RFC 5546 section 3.2.2);
 * - in the user's own event, every attendee's, as far as the event records an
 *   answer: replies are merged into it (section 3.2.3), and a new version the
 *   user sends may ask an attendee again (PARTSTAT=NEEDS-ACTION), who then
 *   blocks nothing until answering anew;
 * - an object that names no organizer implies nobody else's time.
 * Everyone else's periods of the UID go: an attendee the event no longer
 * lists, or the old times of a series the organizer moved.
 */
export function othersOf(object: CalendarObject, user: string): string[] {
  const organizer = organizerOfObject(object);
  if (!organizer) return [];
  if (organizer !== user) return [organizer];
  const attendees = new Set(object.list().flatMap((component) => attendeesOf(component).map((a) => a.address)));
  attendees.delete(user);
  return [...attendees].sort(compareText);
}

export interface ObjectPeriods {
  own: Period[];
  /** Every participant's that othersOf names, each period with its participant. */
  others: OthersPeriod[];
  /** The expansion stopped at a limit: the periods cover part of the series. */
  truncated: boolean;
  /** Which limit, and after which instance. */
  cut?: string;
}

/** The user's periods and the others' periods an object implies, from one expansion. */
export function objectPeriods(
  object: CalendarObject,
  user: string,
  window: Window,
  limits?: ExpansionLimits,
): ObjectPeriods {
  const others = othersOf(object, user);
  const byAddress = periodsByAddress(object, [user, ...others], window, limits);
  const own = byAddress.get(user)!;
  return {
    own: own.periods,
    others: others.flatMap((participant) => byAddress.get(participant)!.periods.map((period) => ({ ...period, participant }))),
    truncated: own.truncated,
    ...(own.cut ? { cut: own.cut } : {}),
  };
}

// Recurrence expansion (RFC 5545 section 3.8.5): RRULE, RDATE, EXDATE and
// RECURRENCE-ID overrides of one UID, into instances with UTC start and end,
// within a window and under hard bounds.
//
// Iteration runs on wall-clock times in the zone of DTSTART and each instance is
// converted to UTC on its own, so a 09:00 weekly meeting in Europe/Berlin stays at
// 09:00 local across a DST change. EXDATEs and overrides match by instant.

import ICAL from 'ical.js';
import { CalendarError, recurrenceKey, timeKey } from './calendar.js';
import { formatDate, formatUtc, tzidOf, wallMs } from './times.js';
import type { Zone, ZoneResolver } from './zones.js';
import { compareText } from './text-order.js';
import { CandidateBudget, CandidateBudgetSpent, countedIterator } from './counted-recurrence.js';
import { futureRanges, movedTimes, rangeOf, rangeReach, type FutureRange } from './future-range.js';

export interface Instance {
  /** Recurrence key: ISO UTC original start, a date for all-day series, '' for a single event. */
  key: string;
  start: number;
  end: number;
  allDay: boolean;
  /** The component that describes this instance: the master or its override. */
  component: ICAL.Component;
}

export interface ExpansionLimits {
  /** Most instances generated from one master before expansion stops. */
  maxInstances: number;
  /** Most iterator steps, counting instances skipped by EXDATE or before the window. */
  maxSteps: number;
  /** Most candidate times ical.js may test against the BYxxx parts, over all steps. */
  maxCandidates: number;
}

/**
 * Every bound is a count, never a time: the same object expands to the same
 * instances on any machine under any load. The steps and candidates are spent
 * by one expansion of an object as a whole, the probes of its overrides
 * included, so that no object can multiply them.
 */
export const DEFAULT_EXPANSION_LIMITS: ExpansionLimits = {
  maxInstances: 20_000,
  maxSteps: 200_000,
  maxCandidates: 500_000,
};

/** What one expansion of an object may still spend. */
interface Budget {
  steps: number;
  candidates: CandidateBudget;
  limits: ExpansionLimits;
}

export interface Expansion {
  instances: Instance[];
  /** True when a limit cut the expansion short. */
  truncated: boolean;
  /** Which limit, and after which instance (for the journal). */
  cut?: string;
}

export interface Window {
  from: number;
  to: number;
}

const DAY = 86_400_000;

/** Reads a time in a zone (null: UTC). */
function toInstant(time: ICAL.Time, zone: Zone | null): number {
  const wall = wallMs(time);
  return zone ? wall - zone.utcOffset(time) * 1000 : wall;
}

/** The wall-clock time of an instant in a zone (null: UTC), as an ICAL.Time. */
function toWall(epochMs: number, zone: Zone | null): ICAL.Time {
  return wallTimeAt(zone ? epochMs + zone.offsetAtInstant(epochMs) : epochMs);
}

/** A floating date-time whose fields read like the UTC fields of `wall`. */
export function wallTimeAt(wall: number): ICAL.Time {
  const date = new Date(wall);
  return new ICAL.Time({
    year: date.getUTCFullYear(),
    month: date.getUTCMonth() + 1,
    day: date.getUTCDate(),
    hour: date.getUTCHours(),
    minute: date.getUTCMinutes(),
    second: date.getUTCSeconds(),
    isDate: false,
  }, ICAL.Timezone.localTimezone);
}

/** Start time, zone and length of a component, as expansion needs them. */
interface Timing {
  start: ICAL.Time;
  zone: Zone | null;
  allDay: boolean;
  /** Length in wall-clock ms (nominal: a day is a calendar day). */
  length: number;
}

/**
 * A VTODO ends at DUE where an event ends at DTEND (RFC 5545 section 3.6.2);
 * one with DUE and no DTSTART recurs from its DUE, as its RECURRENCE-IDs then
 * name instances by their due time (section 3.8.4.4 leaves a to-do's
 * reference to its DTSTART, and to DUE where there is none).
 */
function timingOf(component: ICAL.Component, zones: ZoneResolver): Timing | undefined {
  const due = component.name === 'vtodo' ? component.getFirstProperty('due') : null;
  const dtstart = component.getFirstProperty('dtstart') ?? due;
  const start = dtstart?.getFirstValue();
  if (!(start instanceof ICAL.Time)) return undefined;
  const allDay = start.isDate;
  const isUtc = !allDay && (start.zone?.tzid === 'UTC');
  const zone = allDay ? zones.floating : isUtc ? null : zones.zone(tzidOf(dtstart));
  let length = allDay && dtstart !== due ? DAY : 0;
  const dtend = dtstart === due ? null : component.getFirstProperty('dtend') ?? due;
  const end = dtend?.getFirstValue();
  const duration = component.getFirstPropertyValue('duration');
  if (end instanceof ICAL.Time) {
    if (end.isDate || tzidOf(dtend) === tzidOf(dtstart)) length = wallMs(end) - wallMs(start);
    else {
      const endZone = end.zone?.tzid === 'UTC' ? null : zones.zone(tzidOf(dtend));
      length = toInstant(end, endZone) - toInstant(start, zone);
    }
  } else if (duration instanceof ICAL.Duration) {
    length = duration.toSeconds() * 1000;
  }
  return { start, zone, allDay, length: Math.max(0, length) };
}

/** The instant of a wall-clock reading given in ms, in a zone (null: UTC). */
function wallMsToInstant(wall: number, zone: Zone | null): number {
  return zone ? zone.wallToInstant(wall) : wall;
}

/** The instance that starts at `wall`; `start` is its instant when the caller has it already. */
function instanceAt(wall: ICAL.Time, timing: Timing, key: string, component: ICAL.Component, start = toInstant(wall, timing.zone)): Instance {
  const end = timing.length === 0 ? start : wallMsToInstant(wallMs(wall) + timing.length, timing.zone);
  return { key, start, end: Math.max(start, end), allDay: timing.allDay, component };
}

/** The recurrence key of the instance at `wall`: its date (all-day) or its instant in UTC. */
function keyOfWall(wall: ICAL.Time, timing: Timing, start = toInstant(wall, timing.zone)): string {
  return timing.allDay ? formatDate(wall) : formatUtc(start);
}

function isRecurring(master: ICAL.Component): boolean {
  return master.hasProperty('rrule') || master.hasProperty('rdate');
}

/**
 * Expands one calendar object (all VEVENTs of one UID). A non-recurring event gives
 * one instance whatever the window; a series gives the instances that overlap it.
 */
export function expandObject(
  components: ICAL.Component[],
  zones: ZoneResolver,
  window: Window,
  limits: ExpansionLimits = DEFAULT_EXPANSION_LIMITS,
): Expansion {
  const master = components.find((c) => !c.hasProperty('recurrence-id'));
  const overrides = new Map<string, ICAL.Component>();
  for (const c of components) {
    if (c.hasProperty('recurrence-id')) overrides.set(recurrenceKey(c, zones), c);
  }
  const instances = new Map<string, Instance>();
  let cut: string | undefined;
  // Overrides with RANGE=THISANDFUTURE move the later instances (src/ical/future-range.ts).
  const ranges = futureRanges(overrides.values(), zones, (c) => timingOf(c, zones)?.length);

  if (master) {
    const timing = timingOf(master, zones);
    if (timing && !isRecurring(master)) {
      instances.set('', instanceAt(timing.start, timing, '', master));
    } else if (timing) {
      const reach = rangeReach(ranges);
      const wider = { from: window.from - reach, to: window.to + reach };
      cut = expandMaster(master, timing, zones, wider, newBudget(limits), instances);
      if (ranges.length > 0) moveLaterInstances(instances, master, ranges, timing.zone, window);
    }
  }

  // Overrides replace their instance; they count wherever they were moved to.
  // One outside the window is checked against the series (below) first.
  const series = master && isRecurring(master) ? master : undefined;
  const probed = series ? seriesAround(series, [...overrides.keys()].filter((key) => !instances.has(key)), zones, limits) : undefined;
  if (probed?.cut) cut ??= `checking its overrides, ${probed.cut}`;
  for (const [key, override] of overrides) {
    // A probe cut short cannot tell: the override is then kept.
    if (series && !instances.has(key) && !(probed?.cut || probed?.keys.has(key))) continue;
    const timing = timingOf(override, zones);
    if (!timing) continue;
    const instance = instanceAt(timing.start, timing, key, override);
    instances.delete(key);
    if (instance.end > window.from && instance.start < window.to) instances.set(key, instance);
    else if (instance.start === instance.end && instance.start >= window.from && instance.start < window.to) {
      instances.set(key, instance);
    }
  }

  const sorted = [...instances.values()].sort((a, b) => a.start - b.start || compareText(a.key, b.key));
  return { instances: sorted, truncated: cut !== undefined, ...(cut ? { cut } : {}) };
}

/**
 * Moves the master's instances that fall in a RANGE=THISANDFUTURE override's
 * range (those with an override of their own are set apart later), then
 * keeps those that overlap the window.
 */
function moveLaterInstances(instances: Map<string, Instance>, master: ICAL.Component, ranges: FutureRange[], zone: Zone | null, window: Window): void {
  for (const [key, instance] of instances) {
    const range = instance.component === master ? rangeOf(ranges, instance.start) : undefined;
    const moved = range ? { ...instance, ...movedTimes(range, instance.start, zone), component: range.component } : instance;
    const inside = moved.end > window.from && moved.start < window.to;
    const pointInside = moved.start === moved.end && moved.start >= window.from && moved.start < window.to;
    if (inside || pointInside) instances.set(key, moved);
    else instances.delete(key);
  }
}

/** Generates the master's instances within the window; says which limit cut it short, if one did. */
const FREQUENCIES = new Set(['SECONDLY', 'MINUTELY', 'HOURLY', 'DAILY', 'WEEKLY', 'MONTHLY', 'YEARLY']);

function expandMaster(
  master: ICAL.Component,
  timing: Timing,
  zones: ZoneResolver,
  window: Window,
  budget: Budget,
  into: Map<string, Instance>,
): string | undefined {
  const limits = budget.limits;
  const excluded = new Set<string>();
  for (const prop of master.getAllProperties('exdate')) {
    for (const value of prop.getValues()) {
      if (value instanceof ICAL.Time) excluded.add(exclusionKey(value, tzidOf(prop), timing, zones));
    }
  }
  const consider = (instance: Instance) => {
    if (excluded.has(instance.key)) return;
    if (instance.end > window.from && instance.start < window.to) into.set(instance.key, instance);
    else if (instance.start === instance.end && instance.start >= window.from && instance.start < window.to) {
      into.set(instance.key, instance);
    }
  };

  let generated = 0;
  let cut: string | undefined;
  /** Where the rule had got to: the start of the last instance it reached. */
  let reached: number | undefined;
  const stop = (limit: string) => {
    cut ??= `${limit} stopped it${reached === undefined ? ' before its first instance' : ` after the instance at ${formatUtc(reached)}`}`;
  };
  const earliest = window.from - timing.length - DAY;

  /**
   * One step of a rule, to the instance starting at `startMs`: counted against
   * the limits, kept if the window may hold it. False when the rule must stop.
   */
  const advance = (startMs: number, instance: () => Instance): boolean => {
    if (--budget.steps < 0) {
      stop(`the limit of ${limits.maxSteps} steps`);
      return false;
    }
    if (startMs >= window.to) return false;
    if (startMs + timing.length < earliest) return true;
    if (++generated > limits.maxInstances) {
      stop(`the limit of ${limits.maxInstances} instances`);
      return false;
    }
    reached = startMs;
    consider(instance());
    return true;
  };

  const iterateRules = () => {
    for (const prop of master.getAllProperties('rrule')) {
      const recur = prop.getFirstValue();
      if (!(recur instanceof ICAL.Recur)) continue;
      if (!FREQUENCIES.has(String(recur.freq))) {
        // ical.js reads such a rule without complaint and then fails deep inside its iterator.
        throw new CalendarError('an RRULE has no valid FREQ, which RFC 5545 section 3.3.10 requires');
      }
      const rule = recur.clone();
      const start = timing.start.clone();
      // Iterate on floating wall-clock times; UNTIL becomes the same wall clock.
      if (timing.zone || timing.allDay) start.zone = ICAL.Timezone.localTimezone;
      if (rule.until) {
        const untilInstant = rule.until.zone?.tzid === 'UTC' ? wallMs(rule.until) : toInstant(rule.until, timing.zone);
        const untilWall = rule.until.isDate ? rule.until.clone() : toWall(untilInstant, timing.zone);
        if (timing.allDay) untilWall.isDate = true;
        else untilWall.isDate = false;
        untilWall.zone = start.zone;
        rule.until = untilWall;
      }
      const step = expansionPaths.arithmetic ? arithmeticStep(rule, timing) : undefined;
      if (step !== undefined) {
        // Every instance is DTSTART plus a whole number of steps: start at the
        // first one the window can hold instead of walking from DTSTART.
        const first = wallMs(start);
        const until = rule.until ? wallMs(rule.until) : Number.POSITIVE_INFINITY;
        const count = rule.count ?? Number.POSITIVE_INFINITY;
        const skip = Math.max(0, Math.floor((earliest - DAY - timing.length - first) / step));
        for (let k = skip; k < count; k++) {
          const wall = first + k * step;
          if (wall > until) break;
          const startMs = wallMsToInstant(wall, timing.zone);
          const instance = (): Instance => {
            const end = timing.length === 0 ? startMs : wallMsToInstant(wall + timing.length, timing.zone);
            const key = timing.allDay ? formatUtc(wall).slice(0, 10) : formatUtc(startMs);
            return { key, start: startMs, end: Math.max(startMs, end), allDay: timing.allDay, component: master };
          };
          if (!advance(startMs, instance)) break;
        }
        continue;
      }
      const iterator = countedIterator(rule, start, budget.candidates);
      for (let wall = iterator.next(); wall; wall = iterator.next()) {
        const at = wall;
        const startMs = toInstant(at, timing.zone);
        if (!advance(startMs, () => instanceAt(at, timing, keyOfWall(at, timing, startMs), master, startMs))) break;
      }
    }
    return false;
  };
  // A rule that needs too many candidate times is cut short like one with too many instances.
  try {
    iterateRules();
  } catch (error) {
    if (!(error instanceof CandidateBudgetSpent)) throw error;
    stop(`the limit of ${limits.maxCandidates} candidate times`);
  }

  // DTSTART is always the first instance (RFC 5545 section 3.8.5.3), RDATEs add more.
  if (!master.hasProperty('rrule')) consider(instanceAt(timing.start, timing, keyOfWall(timing.start, timing), master));
  for (const prop of master.getAllProperties('rdate')) {
    for (const value of prop.getValues()) {
      let startTime: ICAL.Time | undefined;
      let explicitEnd: ICAL.Time | undefined;
      if (value instanceof ICAL.Time) startTime = value;
      else if (value instanceof ICAL.Period) {
        startTime = value.start;
        explicitEnd = value.getEnd();
      }
      if (!startTime) continue;
      const zone = startTime.isDate ? zones.floating : startTime.zone?.tzid === 'UTC' ? null : zones.zone(tzidOf(prop));
      const rdTiming: Timing = { ...timing, zone };
      const instance = instanceAt(startTime, rdTiming, keyOfWall(startTime, rdTiming), master);
      if (explicitEnd) instance.end = Math.max(instance.start, toInstant(explicitEnd, zone));
      if (++generated > limits.maxInstances) {
        stop(`the limit of ${limits.maxInstances} instances`);
        break;
      }
      consider(instance);
    }
  }
  return cut;
}

/**
 * Which way series are stepped through. Tests turn the arithmetic path off to
 * check it against ical.js's iterator on the same rules.
 */
export const expansionPaths = { arithmetic: true };

const WEEKDAYS = ['SU', 'MO', 'TU', 'WE', 'TH', 'FR', 'SA'];

/**
 * The fixed wall-clock step of a rule whose instances are DTSTART plus whole
 * days: FREQ=DAILY with no BYxxx part, or FREQ=WEEKLY with none or with one
 * BYDAY that is DTSTART's own weekday (what Outlook and Google send for a
 * weekly meeting). RFC 5545 section 3.3.10: INTERVAL multiplies the step, COUNT
 * counts from DTSTART, UNTIL bounds it inclusively. Undefined for any other
 * rule, which ical.js's iterator expands.
 */
function arithmeticStep(rule: ICAL.Recur, timing: Timing): number | undefined {
  const interval = rule.interval ?? 1;
  if (!Number.isInteger(interval) || interval < 1) return undefined;
  // COUNT=0 means nothing to RFC 5545 and no bound to ical.js: ical.js decides.
  if (rule.count !== null && rule.count !== undefined && !(Number.isInteger(rule.count) && rule.count >= 1)) return undefined;
  const parts = Object.entries(rule.parts ?? {}).filter(([, values]) => values !== undefined);
  if (rule.freq === 'DAILY' && parts.length === 0) return interval * DAY;
  if (rule.freq !== 'WEEKLY') return undefined;
  if (parts.length === 0) return interval * 7 * DAY;
  const [name, values] = parts[0]!;
  if (parts.length > 1 || name !== 'BYDAY' || !Array.isArray(values) || values.length !== 1) return undefined;
  const weekday = WEEKDAYS[new Date(wallMs(timing.start)).getUTCDay()];
  return String(values[0]).toUpperCase() === weekday ? interval * 7 * DAY : undefined;
}

function exclusionKey(value: ICAL.Time, tzid: string | undefined, timing: Timing, zones: ZoneResolver): string {
  if (timing.allDay) return formatDate(value);
  if (value.isDate) {
    // A DATE EXDATE on a timed series excludes the instance that starts that day.
    const wall = timing.start.clone();
    wall.year = value.year;
    wall.month = value.month;
    wall.day = value.day;
    return keyOfWall(wall, timing);
  }
  return timeKey(value, tzid, zones);
}

/**
 * The instance keys of a series around the given keys, to tell which overrides
 * belong to it at all (an override for a date the rule never produces is
 * ignored by clients; RFC 5545 section 3.8.4.4). One expansion over the span of
 * all of them, with a budget of its own: an object with many overrides costs
 * at most two expansions.
 */
function seriesAround(master: ICAL.Component, keys: string[], zones: ZoneResolver, limits: ExpansionLimits): { keys: Set<string>; cut?: string } | undefined {
  const instants = keys.map((key) => (key.length === 10 ? Date.parse(`${key}T00:00:00Z`) : Date.parse(key))).filter(Number.isFinite);
  const timing = timingOf(master, zones);
  if (instants.length === 0 || !timing) return undefined;
  const probe = new Map<string, Instance>();
  const span = { from: Math.min(...instants) - 2 * DAY, to: Math.max(...instants) + 2 * DAY };
  const cut = expandMaster(master, timing, zones, span, newBudget(limits), probe);
  return { keys: new Set(probe.keys()), ...(cut ? { cut } : {}) };
}

function newBudget(limits: ExpansionLimits): Budget {
  return { steps: limits.maxSteps, candidates: new CandidateBudget(limits.maxCandidates), limits };
}

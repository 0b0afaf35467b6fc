// Time zones defined by a VTIMEZONE (RFC 5545 section 3.6.5), read by our own
// code instead of ical.js's Timezone, for two reasons:
// - Bounds. ical.js expands every observance's rule from its DTSTART on, with
//   no limit: one STANDARD part with RRULE:FREQ=SECONDLY held a process for
//   good. Here every rule is counted, and a VTIMEZONE that cannot be read
//   within the bounds is refused: its TZID is then resolved as if it had come
//   without one (zones.ts), and the caller reports it.
// - Cost. Real clients' observances are yearly rules ("the last Sunday of
//   March"). The onsets of such a rule in any year are worked out directly,
//   not reached by stepping year by year from DTSTART (Outlook writes 1601).
//
// Each observance switches the offset from TZOFFSETFROM to TZOFFSETTO at its
// onsets: DTSTART, each RDATE, and each instance of its RRULE, all written in
// the local time before the switch (section 3.6.5). The offset at an instant is
// the TZOFFSETTO of the latest onset at or before it.

import ICAL from 'ical.js';
import { CandidateBudget, CandidateBudgetSpent, countedIterator } from './counted-recurrence.js';
import { wallMs } from './times.js';
import { wallToInstantBy } from './wall-clock.js';

/** Bounds on reading one VTIMEZONE; the same text always gets the same answer. */
export const VTIMEZONE_LIMITS = {
  /** Onsets listed (DTSTART, RDATE) or made by rules of other than the yearly shape. */
  maxOnsets: 5_000,
  /** Candidate times such rules may try in all. */
  maxCandidates: 20_000,
  /** VTIMEZONEs with such rules read from one calendar; real clients send none. */
  maxWithOtherRules: 4,
  /** Such rules are followed up to this year; after it their last onset holds. */
  lastYear: 2200,
} as const;

const DAY = 86_400_000;
const WEEKDAYS = ['SU', 'MO', 'TU', 'WE', 'TH', 'FR', 'SA'];

/**
 * A rule of the shape every real client writes: FREQ=YEARLY in one month, on
 * one (nth) weekday and/or some days of the month, at DTSTART's time of day,
 * with no COUNT. Its onsets in a year are computed, not iterated.
 */
interface YearlyRule {
  firstYear: number;
  interval: number;
  month: number;
  weekday?: number;
  /** 1..5 from the start of the month, -1..-5 from its end, 0: every such weekday. */
  nth: number;
  monthDays?: number[];
  timeOfDay: number;
  /** The last instant an onset may have (UNTIL), or Infinity. */
  until: number;
}

interface Observance {
  from: number;
  to: number;
  /** DTSTART as an instant: no onset of this observance comes before it. */
  start: number;
  /** Onsets known by list (DTSTART, RDATEs, the instances of a rule of another shape), sorted. */
  listed: number[];
  yearly?: YearlyRule;
  /** Onsets of the yearly rule per year, worked out on first use. */
  byYear: Map<number, number[]>;
}

/** Whether a VTIMEZONE has a rule of other than the yearly shape, which costs candidates to follow. */
export function hasOtherRules(vtimezone: ICAL.Component): boolean {
  return vtimezone.getAllSubcomponents().some((part) => {
    const dtstart = part.getFirstPropertyValue('dtstart');
    return part.getAllProperties('rrule').some((prop) => {
      const rule = prop.getFirstValue();
      return rule instanceof ICAL.Recur && (!(dtstart instanceof ICAL.Time) || !yearlyShape(rule, dtstart, Number.POSITIVE_INFINITY));
    });
  });
}

/** A VTIMEZONE that could not be read within bounds, or not at all: why. */
export class ZoneRefused extends Error {}

/**
 * The offsets of one UTC year: `first` from its start, then `offsets[i]` from
 * `changes[i]` on (each a point at which the offset may change).
 */
interface YearOffsets {
  from: number;
  to: number;
  first: number;
  changes: number[];
  offsets: number[];
}

/** Points a year's table may hold; a year with more is answered by the search each time. */
const MAX_CHANGES_IN_YEAR = 64;
/** Years' tables kept per zone; a zone is shared by every message that defines it. */
const MAX_YEARS = 128;

export class DefinedZone {
  /** The offset before the first onset of all: the earliest observance's TZOFFSETFROM. */
  private readonly initial: number;
  /** Tables of UTC years asked about; null for a year with too many onsets for one. */
  private readonly years = new Map<number, YearOffsets | null>();
  private lastYear: YearOffsets | undefined;

  constructor(
    readonly tzid: string,
    private readonly observances: Observance[],
  ) {
    const earliest = observances.reduce((a, b) => (b.start < a.start ? b : a));
    this.initial = earliest.from;
  }

  /**
   * UTC offset in milliseconds at an instant. A series asks for each of its
   * instances, two or three times: the answer comes from a table of the
   * instant's UTC year, made from the search below at the year's start and at
   * each onset in it, so it is the search's answer at every instant.
   */
  offsetAtInstant(instant: number): number {
    let table = this.lastYear;
    if (table === undefined || instant < table.from || instant >= table.to) {
      const year = new Date(instant).getUTCFullYear();
      if (!Number.isFinite(year)) return this.offsetBySearch(instant);
      table = this.years.get(year) ?? undefined;
      if (table === undefined) {
        if (this.years.has(year)) return this.offsetBySearch(instant);
        const made = this.yearOffsets(year);
        if (this.years.size >= MAX_YEARS) this.years.clear();
        this.years.set(year, made);
        if (made === null) return this.offsetBySearch(instant);
        table = made;
      }
      this.lastYear = table;
    }
    let offset = table.first;
    const { changes, offsets } = table;
    for (let i = 0; i < changes.length && changes[i]! <= instant; i++) offset = offsets[i]!;
    return offset;
  }

  /**
   * The table of a UTC year. Within one UTC year each observance's latest
   * onset (latestOnset) is the latest of a fixed set of onsets at or before
   * the instant: its listed ones, and its rule's in the years latestOnset
   * looks at, which are the same for every instant of the year. So the offset
   * can change only at an onset in the year: its listed onsets there, and
   * those of its rule's years around it (an onset lies within days of its
   * rule year, whatever TZOFFSETFROM says). Extra points do no harm: each is
   * answered by the search.
   */
  private yearOffsets(year: number): YearOffsets | null {
    const from = new Date(0).setUTCFullYear(year, 0, 1);
    const to = new Date(0).setUTCFullYear(year + 1, 0, 1);
    if (!Number.isFinite(from) || !Number.isFinite(to)) return null;
    const points = new Set<number>();
    for (const observance of this.observances) {
      const listed = observance.listed;
      for (let i = firstAtOrAfter(listed, from); i < listed.length && listed[i]! < to; i++) points.add(listed[i]!);
      const rule = observance.yearly;
      if (rule) {
        for (let ruleYear = year - 1; ruleYear <= year + 1; ruleYear++) {
          if (ruleYear < rule.firstYear || (ruleYear - rule.firstYear) % rule.interval !== 0) continue;
          for (const onset of yearOnsets(observance, rule, ruleYear)) if (onset >= from && onset < to) points.add(onset);
        }
      }
      if (points.size > MAX_CHANGES_IN_YEAR) return null;
    }
    const changes = [...points].sort((a, b) => a - b);
    return { from, to, first: this.offsetBySearch(from), changes, offsets: changes.map((at) => this.offsetBySearch(at)) };
  }

  /**
   * The offset at an instant from each observance's latest onset at or before
   * it: what the year tables hold (tests compare the two).
   */
  offsetBySearch(instant: number): number {
    let latest = Number.NEGATIVE_INFINITY;
    let offset = this.initial;
    for (const observance of this.observances) {
      const onset = latestOnset(observance, instant);
      if (onset !== undefined && onset >= latest) {
        latest = onset;
        offset = observance.to;
      }
    }
    return offset;
  }

  wallToInstant(wall: number): number {
    return wallToInstantBy((instant) => this.offsetAtInstant(instant), wall);
  }

  /** UTC offset in seconds of a wall-clock time (what ical.js asks a zone). */
  utcOffset(time: ICAL.Time): number {
    const wall = wallMs(time);
    return (wall - this.wallToInstant(wall)) / 1000;
  }
}

function offsetMs(value: unknown): number | undefined {
  return value instanceof ICAL.UtcOffset ? value.toSeconds() * 1000 : undefined;
}

/** The zone a VTIMEZONE defines; throws ZoneRefused when it cannot be read within bounds. */
export function readVtimezone(tzid: string, vtimezone: ICAL.Component): DefinedZone {
  const budget = new CandidateBudget(VTIMEZONE_LIMITS.maxCandidates);
  const onsets = { left: VTIMEZONE_LIMITS.maxOnsets };
  const observances: Observance[] = [];
  for (const part of vtimezone.getAllSubcomponents()) {
    if (part.name !== 'standard' && part.name !== 'daylight') continue;
    const dtstart = part.getFirstPropertyValue('dtstart');
    const from = offsetMs(part.getFirstPropertyValue('tzoffsetfrom'));
    const to = offsetMs(part.getFirstPropertyValue('tzoffsetto'));
    // Without these the part says nothing usable (ical.js skips such parts too).
    if (!(dtstart instanceof ICAL.Time) || from === undefined || to === undefined) continue;
    observances.push(readObservance(part, dtstart, from, to, budget, onsets));
  }
  if (observances.length === 0) throw new ZoneRefused('it has no STANDARD or DAYLIGHT part with DTSTART, TZOFFSETFROM and TZOFFSETTO');
  return new DefinedZone(tzid, observances);
}

function readObservance(
  part: ICAL.Component,
  dtstart: ICAL.Time,
  from: number,
  to: number,
  budget: CandidateBudget,
  onsets: { left: number },
): Observance {
  // DTSTART is local time before the onset (section 3.6.5), whatever its form.
  const start = wallMs(dtstart) - from;
  const listed = [start];
  const take = (instant: number) => {
    if (--onsets.left < 0) throw new ZoneRefused(`it has more than ${VTIMEZONE_LIMITS.maxOnsets} onsets up to ${VTIMEZONE_LIMITS.lastYear}`);
    listed.push(instant);
  };
  for (const prop of part.getAllProperties('rdate')) {
    for (const value of prop.getValues()) {
      const time = value instanceof ICAL.Period ? value.start : value;
      if (!(time instanceof ICAL.Time)) continue;
      const utc = !time.isDate && time.zone?.tzid === 'UTC';
      const wall = time.isDate ? wallMs(time) + (wallMs(dtstart) % DAY) : wallMs(time);
      take(utc ? wall : wall - from);
    }
  }
  const observance: Observance = { from, to, start, listed, byYear: new Map() };
  for (const prop of part.getAllProperties('rrule')) {
    const rule = prop.getFirstValue();
    if (!(rule instanceof ICAL.Recur)) continue;
    const until = untilInstant(rule, from);
    const yearly = yearlyShape(rule, dtstart, until);
    if (yearly && !observance.yearly) observance.yearly = yearly;
    else expandRule(rule, dtstart, from, until, budget, take);
  }
  listed.sort((a, b) => a - b);
  return observance;
}

/** UNTIL as an instant (section 3.3.10: UTC in a VTIMEZONE; a local one is read in TZOFFSETFROM). */
function untilInstant(rule: ICAL.Recur, from: number): number {
  const until = rule.until;
  if (!until) return Number.POSITIVE_INFINITY;
  if (until.isDate) return wallMs(until) + DAY - 1 - from;
  return until.zone?.tzid === 'UTC' ? wallMs(until) : wallMs(until) - from;
}

function yearlyShape(rule: ICAL.Recur, dtstart: ICAL.Time, until: number): YearlyRule | undefined {
  if (rule.freq !== 'YEARLY' || dtstart.isDate || (rule.count !== null && rule.count !== undefined)) return undefined;
  const interval = rule.interval ?? 1;
  if (!Number.isInteger(interval) || interval < 1) return undefined;
  const parts = rule.parts ?? {};
  const names = Object.keys(parts).filter((name) => (parts as Record<string, unknown>)[name] !== undefined);
  if (names.some((name) => !['BYMONTH', 'BYDAY', 'BYMONTHDAY'].includes(name))) return undefined;
  const months = parts.BYMONTH as number[] | undefined;
  if (months && months.length !== 1) return undefined;
  const month = months ? Number(months[0]) : dtstart.month;
  if (!Number.isInteger(month) || month < 1 || month > 12) return undefined;
  const monthDays = (parts.BYMONTHDAY as number[] | undefined)?.map(Number);
  if (monthDays && monthDays.some((day) => !Number.isInteger(day) || day === 0 || Math.abs(day) > 31)) return undefined;
  const yearly: YearlyRule = {
    firstYear: dtstart.year,
    interval,
    month,
    nth: 0,
    monthDays,
    timeOfDay: wallMs(dtstart) - Date.UTC(dtstart.year, dtstart.month - 1, dtstart.day),
    until,
  };
  const days = parts.BYDAY as string[] | undefined;
  if (days) {
    const match = days.length === 1 ? /^([+-]?[1-5])?(SU|MO|TU|WE|TH|FR|SA)$/.exec(String(days[0]).toUpperCase()) : null;
    if (!match) return undefined;
    yearly.weekday = WEEKDAYS.indexOf(match[2]!);
    yearly.nth = match[1] ? Number(match[1]) : 0;
    // Every such weekday of the month, with no day of the month to pick one: not a zone's rule.
    if (yearly.nth === 0 && !monthDays) return undefined;
  } else if (!monthDays) {
    yearly.monthDays = [dtstart.day];
  }
  return yearly;
}

/** The days of the rule's month in `year` that match it. */
function matchingDays(rule: YearlyRule, year: number): number[] {
  const length = new Date(Date.UTC(year, rule.month, 0)).getUTCDate();
  let days: number[];
  if (rule.weekday !== undefined) {
    const firstWeekday = new Date(Date.UTC(year, rule.month - 1, 1)).getUTCDay();
    const all: number[] = [];
    for (let day = 1 + ((rule.weekday - firstWeekday + 7) % 7); day <= length; day += 7) all.push(day);
    const nth = rule.nth;
    days = nth === 0 ? all : [nth > 0 ? all[nth - 1] : all[all.length + nth]].filter((day): day is number => day !== undefined);
  } else {
    days = Array.from({ length }, (_, i) => i + 1);
  }
  const monthDays = rule.monthDays;
  if (monthDays) days = days.filter((day) => monthDays.some((wanted) => wanted === day || length + wanted + 1 === day));
  return days;
}

function yearOnsets(observance: Observance, rule: YearlyRule, year: number): number[] {
  let onsets = observance.byYear.get(year);
  if (onsets) return onsets;
  onsets = matchingDays(rule, year)
    .map((day) => Date.UTC(year, rule.month - 1, day) + rule.timeOfDay - observance.from)
    .filter((instant) => instant >= observance.start && instant <= rule.until);
  if (observance.byYear.size >= 512) observance.byYear.clear();
  observance.byYear.set(year, onsets);
  return onsets;
}

/** The index of the first value at or after `at` in a sorted list. */
function firstAtOrAfter(sorted: number[], at: number): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (sorted[middle]! < at) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** Valid years of a yearly rule looked at, going back, before its DTSTART decides. */
const YEARS_BACK = 40;

/** The latest onset of an observance at or before `instant`, if any. */
function latestOnset(observance: Observance, instant: number): number | undefined {
  let latest: number | undefined;
  const listed = observance.listed;
  let low = 0;
  let high = listed.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (listed[middle]! <= instant) low = middle + 1;
    else high = middle;
  }
  if (low > 0) latest = listed[low - 1];
  const rule = observance.yearly;
  if (!rule || instant < observance.start) return latest;
  // An onset lies within a day of its year's turn in UTC: start one year later.
  let year = new Date(Math.min(instant, rule.until)).getUTCFullYear() + 1;
  year = rule.firstYear + Math.floor((year - rule.firstYear) / rule.interval) * rule.interval;
  for (let tried = 0; tried < YEARS_BACK && year >= rule.firstYear; tried++, year -= rule.interval) {
    const onsets = yearOnsets(observance, rule, year);
    for (let i = onsets.length - 1; i >= 0; i--) {
      if (onsets[i]! <= instant) return latest === undefined || onsets[i]! > latest ? onsets[i] : latest;
    }
  }
  return latest;
}

/** A rule of any other shape: its instances up to the last year, counted. */
function expandRule(
  recur: ICAL.Recur,
  dtstart: ICAL.Time,
  from: number,
  until: number,
  budget: CandidateBudget,
  take: (instant: number) => void,
): void {
  const rule = recur.clone();
  // UNTIL is checked on instants below; ical.js would compare it to floating times.
  rule.until = null;
  const start = dtstart.clone();
  start.zone = ICAL.Timezone.localTimezone;
  try {
    const iterator = countedIterator(rule, start, budget);
    for (let occurrence = iterator.next(); occurrence; occurrence = iterator.next()) {
      if (occurrence.year > VTIMEZONE_LIMITS.lastYear) break;
      const instant = wallMs(occurrence) - from;
      if (instant > until) break;
      take(instant);
    }
  } catch (error) {
    if (error instanceof CandidateBudgetSpent) throw new ZoneRefused(`its rule ${recur.toString()} needs more than ${VTIMEZONE_LIMITS.maxCandidates} candidate times`);
    if (error instanceof ZoneRefused) throw new ZoneRefused(`${error.message} (its rule ${recur.toString()})`);
    throw new ZoneRefused(`its rule ${recur.toString()} cannot be followed: ${(error as Error).message}`);
  }
}

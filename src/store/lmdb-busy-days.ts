// The user's busy time per UTC day, kept beside the own periods' time index
// (lmdb-freebusy.ts), so that a free/busy answer over a year reads 365 small
// records however many events the user has.
//
// Published free/busy, a VFREEBUSY REPLY and a CalDAV free-busy-query give
// busy time, not events: per FBTYPE, overlapping or touching periods joined
// (RFC 5545 section 3.2.9, RFC 5546 sections 3.3.1 and 3.3.3). Read from the
// time index, a year of a busy calendar is a hundred thousand periods, each
// made into an object and then merged away: the query grew with every period
// (about 0.4 us each, 50,000 events ~500 ms). Here each day holds two records:
// - raw: [userK, day] -> every short period's part in that day, as flat
//   triples (fbtype, startMs, endMs), so that a removed period is taken out
//   without reading the time index around it;
// - merged: [userK, day] -> the same joined per fbtype, sorted, what a query reads.
// Long periods (band 1 of the time index, over a week, rare) stay out: a
// query scans them from the time index as before. A day record changes only
// when a period of that day is written or removed (replacePeriods writes only
// what changed), so a REPLY that leaves the times alone writes none.

import type { Database, Key } from 'lmdb';
import type { FbType } from '../itip/model.js';

export const DAY_MS = 24 * 60 * 60 * 1000;

/** Flat triples: fbtype (index in FBTYPES, or its text), start ms, end ms. */
export type DayIntervals = Array<number | string>;

export interface BusyDayDbs {
  raw: Database<DayIntervals, Key>;
  merged: Database<DayIntervals, Key>;
}

/** One short period as the time index key has it. */
export interface BusyPart {
  fbtype: number | string;
  startMs: number;
  endMs: number;
}

/**
 * Changes to day records gathered over a transaction and written once at its
 * end (or before a read of busy time in it): a transaction that sets the
 * periods of thousands of events (a store copy, a bulk import) then rewrites
 * each day once instead of once per event.
 */
export class BusyDayChanges {
  private readonly removed = new Map<string, BusyPart[]>();
  private readonly added = new Map<string, BusyPart[]>();

  note(userK: string, removed: readonly BusyPart[], added: readonly BusyPart[]): void {
    if (removed.length > 0) listOf(this.removed, userK).push(...removed);
    if (added.length > 0) listOf(this.added, userK).push(...added);
  }

  /** Writes what was gathered; call inside the same write transaction. */
  flush(dbs: BusyDayDbs): void {
    for (const userK of new Set([...this.removed.keys(), ...this.added.keys()])) {
      updateBusyDays(dbs, userK, this.removed.get(userK) ?? [], this.added.get(userK) ?? []);
    }
    this.removed.clear();
    this.added.clear();
  }
}

function listOf(map: Map<string, BusyPart[]>, key: string): BusyPart[] {
  let list = map.get(key);
  if (!list) map.set(key, (list = []));
  return list;
}

/**
 * Takes the removed periods out of their days and puts the added ones in,
 * then writes each touched day's merged record again. Call inside the write
 * transaction that changes the time index.
 */
export function updateBusyDays(dbs: BusyDayDbs, userK: string, removed: readonly BusyPart[], added: readonly BusyPart[]): void {
  if (removed.length === 0 && added.length === 0) return;
  const days = new Map<number, DayIntervals>();
  const dayOf = (day: number): DayIntervals => {
    let list = days.get(day);
    if (!list) days.set(day, (list = [...(dbs.raw.get([userK, day]) ?? [])]));
    return list;
  };
  // Added first: a batch may remove a period that it added itself.
  for (const part of added) {
    for (const [day, start, end] of dayParts(part)) dayOf(day).push(part.fbtype, start, end);
  }
  for (const part of removed) {
    for (const [day, start, end] of dayParts(part)) {
      const list = dayOf(day);
      for (let i = 0; i < list.length; i += 3) {
        if (list[i] === part.fbtype && list[i + 1] === start && list[i + 2] === end) {
          list.splice(i, 3);
          break;
        }
      }
    }
  }
  for (const [day, list] of days) {
    if (list.length === 0) {
      dbs.raw.removeSync([userK, day]);
      dbs.merged.removeSync([userK, day]);
    } else {
      dbs.raw.putSync([userK, day], list);
      dbs.merged.putSync([userK, day], mergeIntervals(list));
    }
  }
}

/** The part's pieces per UTC day: [day, startMs, endMs], each within its day. */
function dayParts(part: BusyPart): Array<[number, number, number]> {
  const pieces: Array<[number, number, number]> = [];
  if (!(part.endMs > part.startMs)) return pieces;
  for (let day = Math.floor(part.startMs / DAY_MS); day * DAY_MS < part.endMs; day++) {
    pieces.push([day, Math.max(part.startMs, day * DAY_MS), Math.min(part.endMs, (day + 1) * DAY_MS)]);
  }
  return pieces;
}

/** Per fbtype, overlapping or touching intervals joined; sorted by start, end, fbtype. */
export function mergeIntervals(list: DayIntervals): DayIntervals {
  const triples: Array<[number | string, number, number]> = [];
  for (let i = 0; i < list.length; i += 3) triples.push([list[i]!, list[i + 1] as number, list[i + 2] as number]);
  triples.sort((a, b) => compareType(a[0], b[0]) || a[1] - b[1] || a[2] - b[2]);
  const out: Array<[number | string, number, number]> = [];
  for (const [type, start, end] of triples) {
    const last = out[out.length - 1];
    if (last && last[0] === type && start <= last[2]) last[2] = Math.max(last[2], end);
    else out.push([type, start, end]);
  }
  out.sort((a, b) => a[1] - b[1] || a[2] - b[2] || compareType(a[0], b[0]));
  return out.flat();
}

function compareType(a: number | string, b: number | string): number {
  if (a === b) return 0;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a) < String(b) ? -1 : 1;
}

/** A busy interval of a query's answer. */
export interface BusyInterval {
  start: number;
  end: number;
  fbtype: FbType;
}

/**
 * The merged day records overlapping [fromMs, toMs), cut to it, with the long
 * periods given, joined again per fbtype across day boundaries and with the
 * long ones.
 */
export function readBusyDays(
  dbs: BusyDayDbs,
  userK: string,
  fromMs: number,
  toMs: number,
  long: readonly BusyPart[],
  typeName: (fbtype: number | string) => FbType,
): BusyInterval[] {
  const parts: DayIntervals = [];
  const firstDay = Math.floor(fromMs / DAY_MS);
  const lastDay = Math.floor((toMs - 1) / DAY_MS);
  for (const { value } of dbs.merged.getRange({ start: [userK, firstDay], end: [userK, lastDay + 1] })) {
    for (let i = 0; i < value.length; i += 3) {
      const start = Math.max(value[i + 1] as number, fromMs);
      const end = Math.min(value[i + 2] as number, toMs);
      if (end > start) parts.push(value[i]!, start, end);
    }
  }
  for (const part of long) {
    const start = Math.max(part.startMs, fromMs);
    const end = Math.min(part.endMs, toMs);
    if (end > start) parts.push(part.fbtype, start, end);
  }
  // Already merged within each day: joining again only meets day ends and long periods.
  const merged = long.length === 0 ? joinSorted(parts) : mergeIntervals(parts);
  const out: BusyInterval[] = [];
  for (let i = 0; i < merged.length; i += 3) out.push({ start: merged[i + 1] as number, end: merged[i + 2] as number, fbtype: typeName(merged[i]!) });
  return out;
}

/**
 * Joins intervals that come sorted by day and merged within it: only an
 * interval that ends at midnight can touch one of the next day. Falls back to
 * a full merge when two types interleave there.
 */
function joinSorted(parts: DayIntervals): DayIntervals {
  const open = new Map<number | string, number>();
  const out: DayIntervals = [];
  for (let i = 0; i < parts.length; i += 3) {
    const type = parts[i]!;
    const start = parts[i + 1] as number;
    const end = parts[i + 2] as number;
    const at = open.get(type);
    if (at !== undefined && start <= (out[at + 2] as number)) {
      out[at + 2] = Math.max(out[at + 2] as number, end);
      continue;
    }
    open.set(type, out.length);
    out.push(type, start, end);
  }
  return open.size > 1 ? mergeIntervals(out) : out;
}

/** The meta key that says the day records were built for every user's periods. */
export const BUSY_DAYS_BUILT = 'busy-days-built';

/**
 * Builds the day records from the time index, once per store: a store written
 * before they existed has periods and no days. `shortKeys` are every short-band
 * key of the time index, in key order (grouped by user).
 */
export function buildBusyDays(dbs: BusyDayDbs, shortKeys: Iterable<Key[]>): void {
  for (const { key } of dbs.raw.getRange()) dbs.raw.removeSync(key);
  for (const { key } of dbs.merged.getRange()) dbs.merged.removeSync(key);
  let userK: string | undefined;
  let parts: BusyPart[] = [];
  const flush = () => {
    if (userK !== undefined) updateBusyDays(dbs, userK, [], parts);
    parts = [];
  };
  for (const k of shortKeys) {
    if (k[0] !== userK) {
      flush();
      userK = k[0] as string;
    }
    parts.push({ fbtype: k[6] as number | string, startMs: k[2] as number, endMs: k[3] as number });
  }
  flush();
}

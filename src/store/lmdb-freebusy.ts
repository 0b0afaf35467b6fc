// The user's own free/busy periods in LMDB: a time index for range queries
// and a per-UID index for replacing one event's periods. (Others' periods are
// kept differently: see lmdb-others.ts.)
//
// Time index key: [user, band, startMs, endMs, uidNumber, recurrenceId, fbtype].
// A query for [from, to) must find every period with start < to and end > from.
// Scanning by start alone cannot bound the lower end (a long period that began
// long before `from` still overlaps), so periods are split in two bands:
// - band 0, periods no longer than LONG_PERIOD_MS: scan starts at from - LONG_PERIOD_MS;
// - band 1, longer periods (multi-week events, rare): scanned whole per user up to `to`.
// A one-month query thus reads about five weeks of short periods, however many
// years of expanded recurrences the user has.
//
// A query reads keys only, and a year of a busy calendar is tens of thousands
// of them, so the key is made of numbers wherever it can be: decoding strings
// and carrying them through the garbage collector was most of such a query.
// - The UID is a number given to it when it first gets periods (meta
//   'period-uid-seq', never reused); `uidNames` maps it back to the text.
// - A recurrence id is false for the master and, when it is a UTC date-time
//   in canonical form (as series instances are), its instant in ms; any other
//   recurrence id (an all-day instance) is kept as text.
// - The free/busy type is its index in FBTYPES.
// The value is 0, or the whole period when a text element of the key had to
// become a digest (keyPart): then only the value holds the text.
//
// Per-UID index: [user, uid] -> the UID's number and the time index keys of
// its periods, so that a replacement finds exactly what to delete and writes
// only what changed.

import type { Database, Key } from 'lmdb';
import type { FbType, Period } from '../itip/model.js';
import { formatUtc, parseInstant } from '../ical/times.js';
import { compareRid, compareText, instant, keyPart } from './lmdb-keys.js';
import type { BusyTime, TimeRange } from './store.js';
import { readBusyDays, updateBusyDays, type BusyDayChanges, type BusyDayDbs, type BusyInterval, type BusyPart } from './lmdb-busy-days.js';

export const LONG_PERIOD_MS = 7 * 24 * 60 * 60 * 1000;

const SHORT = 0;
const LONG = 1;

/** Free/busy types by their number in time index keys (RFC 5545 section 3.2.9). */
export const FBTYPES: readonly FbType[] = ['BUSY', 'BUSY-TENTATIVE', 'BUSY-UNAVAILABLE'];

/** The UID's number and the time index keys of its periods. */
export interface UidPeriods {
  number: number;
  keys: Key[][];
}

/** The databases that hold the user's own periods. */
export interface PeriodDbs {
  /** [user, band, startMs, endMs, uidNumber, recurrenceId, fbtype] -> 0, or the period when the key holds a digest */
  byTime: Database<Period | 0, Key>;
  /** [user, uid] -> its number and time index keys */
  byUid: Database<UidPeriods, Key>;
  /** uidNumber -> uid */
  uidNames: Database<string, Key>;
  /** holds 'period-uid-seq' */
  meta: Database<number, Key>;
  /** busy time per day, see lmdb-busy-days.ts */
  days: BusyDayDbs;
  /**
   * UIDs by number, as read from committed data. A number never changes its
   * UID and is never given again, so an entry stays true for this store.
   */
  names: Map<number, string>;
}

/** A time index key as text, to compare lists of keys. */
const keyText = (key: Key[]): string => JSON.stringify(key);

/**
 * The recurrence id as a key element (see the head of this file); `asText`
 * makes the element of an id that is no canonical instant (keyPart in keys).
 */
export function ridElement(recurrenceId: string | null, asText: (rid: string) => string = keyPart): false | number | string {
  if (recurrenceId === null) return false;
  const ms = parseInstant(recurrenceId);
  if (!Number.isNaN(ms) && formatUtc(ms) === recurrenceId) return ms;
  return asText(recurrenceId);
}

/** The recurrence id of an element that holds it whole (not a digest). */
export function ridFromElement(rid: unknown): string | null {
  return rid === false ? null : typeof rid === 'number' ? formatUtc(rid) : (rid as string);
}

/**
 * Replaces the own periods of one UID with `periods`, writing only what
 * changed. Most messages leave an event's times as they were (a REPLY, a
 * REQUEST that changes the summary), and a series has hundreds of periods:
 * rewriting them all made the commit the largest part of handling a mail. The
 * UID given here wins over those inside the periods.
 */
export function replacePeriods(dbs: PeriodDbs, userK: string, uid: string, periods: readonly Period[], changes?: BusyDayChanges): void {
  const noteDays = (removed: BusyPart[], added: BusyPart[]) =>
    changes ? changes.note(userK, removed, added) : updateBusyDays(dbs.days, userK, removed, added);
  const listKey: Key[] = [userK, keyPart(uid)];
  const old = dbs.byUid.get(listKey);
  if (periods.length === 0) {
    if (!old) return;
    for (const key of old.keys) dbs.byTime.removeSync(key);
    noteDays(shortParts(old.keys), []);
    dbs.byUid.removeSync(listKey);
    dbs.uidNames.removeSync(old.number);
    return;
  }
  let number = old?.number;
  if (number === undefined) {
    number = (dbs.meta.get('period-uid-seq') ?? 0) + 1;
    dbs.meta.putSync('period-uid-seq', number);
    dbs.uidNames.putSync(number, uid);
  }
  const wanted = new Map<string, { key: Key[]; value: Period | 0 }>();
  for (const period of periods) {
    const startMs = instant(period.start, 'period start');
    const endMs = instant(period.end, 'period end');
    const band = endMs - startMs > LONG_PERIOD_MS ? LONG : SHORT;
    const fbtypeIndex = FBTYPES.indexOf(period.fbtype);
    const fbtype = fbtypeIndex >= 0 ? fbtypeIndex : keyPart(period.fbtype);
    const key: Key[] = [userK, band, startMs, endMs, number, ridElement(period.recurrenceId), fbtype];
    const value = keyHoldsText(key) ? 0 : stablePeriod(period, uid, startMs, endMs);
    wanted.set(keyText(key), { key, value });
  }
  const kept = new Set<string>();
  const removed: Key[][] = [];
  const added: Key[][] = [];
  for (const key of old?.keys ?? []) {
    const text = keyText(key);
    // The key holds the whole period (keyPart is injective), so an equal key is an equal period.
    if (wanted.has(text)) kept.add(text);
    else {
      dbs.byTime.removeSync(key);
      removed.push(key);
    }
  }
  for (const [text, { key, value }] of wanted) {
    if (kept.has(text)) continue;
    dbs.byTime.putSync(key, value);
    added.push(key);
  }
  noteDays(shortParts(removed), shortParts(added));
  if (!old || kept.size !== old.keys.length || kept.size !== wanted.size) {
    dbs.byUid.putSync(listKey, { number, keys: [...wanted.values()].map((entry) => entry.key) });
  }
}

/**
 * Own periods of the user overlapping [fromMs, toMs): start < to and end > from.
 * Undefined bounds are open. Sorted by start, uid, recurrence id (master
 * first), then end and fbtype so that the order is total. `committed` says
 * that the read sees committed data only, so UID names may be remembered.
 */
export function queryPeriods(dbs: PeriodDbs, userK: string, fromMs: number | undefined, toMs: number | undefined, committed: boolean): Period[] {
  // Keys come ordered by start, then end, uid, ...: only periods that share a
  // start can be out of order among themselves, and the two bands need
  // merging. A busy year is tens of thousands of periods; sorting them all
  // cost a third of such a query, so runs are checked and sorted alone.
  const names = committed ? dbs.names : new Map<number, string>();
  const short = scanBand(dbs, names, userK, SHORT, fromMs === undefined ? [userK, SHORT] : [userK, SHORT, fromMs - LONG_PERIOD_MS], fromMs, toMs);
  const long = scanBand(dbs, names, userK, LONG, [userK, LONG], fromMs, toMs);
  if (committed && names.size > NAMES_MAX) names.clear();
  sortRuns(short);
  if (long.periods.length === 0) return short.periods;
  sortRuns(long);
  const out: Period[] = [];
  let a = 0;
  let b = 0;
  while (a < short.periods.length || b < long.periods.length) {
    const takeShort =
      b >= long.periods.length ||
      (a < short.periods.length && (short.starts[a]! - long.starts[b]! || compareRest(short, a, long, b)) <= 0);
    out.push(takeShort ? short.periods[a++]! : long.periods[b++]!);
  }
  return out;
}

/** The short-band periods of time index keys, as the day records keep them. */
export function shortParts(keys: readonly Key[][]): BusyPart[] {
  const parts: BusyPart[] = [];
  for (const k of keys) if (k[1] === SHORT) parts.push({ fbtype: k[6] as number | string, startMs: k[2] as number, endMs: k[3] as number });
  return parts;
}

/**
 * The user's busy time over [fromMs, toMs): per fbtype, overlapping or
 * touching periods joined and cut to the range, sorted by start (the day
 * records, and the long band of the time index).
 */
export function queryBusyTime(dbs: PeriodDbs, userK: string, fromMs: number, toMs: number): BusyInterval[] {
  const long: BusyPart[] = [];
  for (const key of dbs.byTime.getKeys({ start: [userK, LONG], end: [userK, LONG, toMs] })) {
    const k = key as Key[];
    if ((k[3] as number) > fromMs) long.push({ fbtype: k[6] as number | string, startMs: k[2] as number, endMs: k[3] as number });
  }
  return readBusyDays(dbs.days, userK, fromMs, toMs, long, fbtypeName);
}

/** Store.busyTime and UserTx.busyTime: ISO 8601 in and out. */
export function busyTimeOf(dbs: PeriodDbs, userK: string, range: TimeRange): BusyTime[] {
  const fromMs = instant(range.from, 'from');
  const toMs = instant(range.to, 'to');
  if (fromMs >= toMs) return [];
  return queryBusyTime(dbs, userK, fromMs, toMs).map((b) => ({ start: formatUtc(b.start), end: formatUtc(b.end), fbtype: b.fbtype }));
}

/** The fbtype of a key element: its index in FBTYPES, or the text itself. */
function fbtypeName(element: number | string): FbType {
  return typeof element === 'number' ? FBTYPES[element]! : (element as FbType);
}

/** UID names remembered per store at most (about 100 bytes each). */
const NAMES_MAX = 100_000;

/** The periods found in one band, in key order, with their start and end instants. */
interface Band {
  periods: Period[];
  starts: number[];
  ends: number[];
}

function scanBand(
  dbs: PeriodDbs,
  names: Map<number, string>,
  userK: string,
  band: number,
  start: Key[],
  fromMs: number | undefined,
  toMs: number | undefined,
): Band {
  const found: Band = { periods: [], starts: [], ends: [] };
  const texts = new ScanTexts();
  const end: Key[] = toMs === undefined ? [userK, band + 1] : [userK, band, toMs];
  for (const key of dbs.byTime.getKeys({ start, end })) {
    const k = key as Key[];
    const startMs = k[2] as number;
    const endMs = k[3] as number;
    if (fromMs !== undefined && endMs <= fromMs) continue;
    if (toMs !== undefined && startMs >= toMs) continue;
    const number = k[4] as number;
    let uid = names.get(number);
    if (uid === undefined) {
      uid = dbs.uidNames.get(number);
      if (uid === undefined) continue;
      names.set(number, uid);
    }
    const period = periodFromKey(k, uid, texts) ?? dbs.byTime.get(key);
    if (!period) continue;
    found.periods.push(period);
    found.starts.push(startMs);
    found.ends.push(endMs);
  }
  return found;
}

/** The order after the start: uid, recurrence id (master first), end, fbtype. */
function compareAfterStart(p: Period, pEnd: number, q: Period, qEnd: number): number {
  return compareText(p.uid, q.uid) || compareRid(p.recurrenceId, q.recurrenceId) || pEnd - qEnd || compareText(p.fbtype, q.fbtype);
}

function compareRest(x: Band, i: number, y: Band, j: number): number {
  return compareAfterStart(x.periods[i]!, x.ends[i]!, y.periods[j]!, y.ends[j]!);
}

/** Puts each run of periods with equal starts in query order, in place. */
function sortRuns(band: Band): void {
  const { periods, starts, ends } = band;
  for (let i = 0; i < periods.length; ) {
    let j = i + 1;
    let sorted = true;
    while (j < periods.length && starts[j] === starts[i]) {
      if (sorted && compareRest(band, j - 1, band, j) > 0) sorted = false;
      j++;
    }
    if (!sorted && j - i <= SHORT_RUN) insertionSort(band, i, j);
    else if (!sorted) {
      const run = Array.from({ length: j - i }, (_, n) => i + n).sort((x, y) => compareRest(band, x, band, y));
      const runPeriods = run.map((n) => periods[n]!);
      const runEnds = run.map((n) => ends[n]!);
      for (let n = 0; n < run.length; n++) {
        periods[i + n] = runPeriods[n]!;
        ends[i + n] = runEnds[n]!;
      }
    }
    i = j;
  }
}

/** Runs up to this long are sorted in place: most are two or three periods. */
const SHORT_RUN = 16;

/** Sorts periods[from, to) of a band (and their ends) in place. */
function insertionSort(band: Band, from: number, to: number): void {
  const { periods, ends } = band;
  for (let i = from + 1; i < to; i++) {
    const period = periods[i]!;
    const end = ends[i]!;
    let j = i;
    while (j > from && compareAfterStart(periods[j - 1]!, ends[j - 1]!, period, end) > 0) {
      periods[j] = periods[j - 1]!;
      ends[j] = ends[j - 1]!;
      j--;
    }
    periods[j] = period;
    ends[j] = end;
  }
}

/** keyPart leaves ordinary strings as they are; a digest form holds U+007F, which they never do. */
const isPlain = (part: Key): part is string => typeof part === 'string' && !part.includes('\u007f');

/** Whether the key gives its period back: no element of it is a digest. */
function keyHoldsText(k: Key[]): boolean {
  const rid = k[5];
  const fbtype = k[6];
  return (typeof fbtype === 'number' || isPlain(fbtype!)) && (rid === false || typeof rid === 'number' || isPlain(rid!));
}

/**
 * The period a time index key stands for, or undefined when an element is a
 * digest: then only the stored value has the text.
 */
function periodFromKey(k: Key[], uid: string, texts: ScanTexts): Period | undefined {
  if (!keyHoldsText(k)) return undefined;
  const startMs = k[2] as number;
  const rid = k[5];
  const fbtype = k[6];
  const start = texts.start(startMs);
  return {
    start,
    end: texts.end(k[3] as number),
    fbtype: typeof fbtype === 'number' ? FBTYPES[fbtype]! : (fbtype as FbType),
    uid,
    recurrenceId: rid === startMs ? start : ridFromElement(rid),
  };
}

/**
 * The texts of instants met in a scan in key order. Keys sharing a start come
 * together, their ends are mostly alike, and a series instance's recurrence
 * id is its start: remembering the last of each spares most lookups in the
 * (much larger, number-keyed) cache behind formatUtc, a visible part of a
 * query that returns a year of periods.
 */
class ScanTexts {
  private startMs = NaN;
  private startText = '';
  private endMs = NaN;
  private endText = '';

  start(ms: number): string {
    if (ms !== this.startMs) {
      this.startMs = ms;
      this.startText = formatUtc(ms);
    }
    return this.startText;
  }

  end(ms: number): string {
    if (ms !== this.endMs) {
      this.endMs = ms;
      this.endText = formatUtc(ms);
    }
    return this.endText;
  }
}

/** A fresh period with the documented keys in a fixed order (stable JSON). */
function stablePeriod(period: Period, uid: string, startMs: number, endMs: number): Period {
  return {
    start: formatUtc(startMs),
    end: formatUtc(endMs),
    fbtype: period.fbtype as FbType,
    uid,
    recurrenceId: period.recurrenceId ?? null,
  };
}

// Free/busy periods in LMDB: a time index for range queries and a per-UID
// index for replacing one event's periods.
//
// Time index key: [user, band, startMs, endMs, uid, recurrenceId, (participant,) fbtype].
// A query for [from, to) must find every period with start < to and end > from.
// Scanning by start alone cannot bound the lower end (a long period that began
// long before `from` still overlaps), so periods are split in two bands:
// - band 0, periods no longer than LONG_PERIOD_MS: scan starts at from - LONG_PERIOD_MS;
// - band 1, longer periods (multi-week events, rare): scanned whole per user up to `to`.
// A one-month query thus reads about five weeks of short periods, however many
// years of expanded recurrences the user has.
//
// Per-UID index: one record per [user, uid] (own) or [user, uid, participant]
// (others'), holding the time index keys of those periods, so that a
// replacement finds exactly what to delete and writes only what changed.
//
// A query reads keys only: the time index key holds the whole period, and
// decoding a stored JSON value per period cost two thirds of a query (a year
// of a busy calendar is tens of thousands of periods). Times are stored in
// their canonical form (utcText) so that the key gives them back exactly; only
// a key element that keyPart turned into a digest sends the query to the value.

import type { Database, Key } from 'lmdb';
import type { FbType, OthersPeriod, Period } from '../itip/model.js';
import { compareRid, compareText, instant, keyPart, keysWithPrefix, ridKey } from './lmdb-keys.js';

export const LONG_PERIOD_MS = 7 * 24 * 60 * 60 * 1000;

const SHORT = 0;
const LONG = 1;

/** The two databases that hold one kind of periods (own, or others'). */
export interface PeriodDbs {
  byTime: Database<Period | OthersPeriod, Key>;
  /** [user, uid] (own) or [user, uid, participant] (others') -> the time index keys of those periods. */
  byUid: Database<Key[][], Key>;
}

/** A time index key as text, to compare lists of keys. */
const keyText = (key: Key[]): string => JSON.stringify(key);

/** Deletes the periods of a UID: of one participant, of everyone (others'), or own. */
export function removePeriods(dbs: PeriodDbs, userK: string, uid: string, participant?: string): void {
  const prefix: Key[] = [userK, keyPart(uid)];
  if (participant !== undefined) prefix.push(keyPart(participant));
  for (const listKey of keysWithPrefix(dbs.byUid, prefix)) {
    for (const timeKey of dbs.byUid.get(listKey) ?? []) dbs.byTime.removeSync(timeKey);
    dbs.byUid.removeSync(listKey);
  }
}

/**
 * Replaces the periods of one UID (and participant, for others' periods) with
 * `periods`, writing only what changed. Most messages leave an event's times
 * as they were (a REPLY, a REQUEST that changes the summary), and a series has
 * hundreds of periods: rewriting them all made the commit the largest part of
 * handling a mail. The UID and participant given here win over those inside
 * the periods: they name what is being replaced.
 */
export function replacePeriods(
  dbs: PeriodDbs,
  userK: string,
  uid: string,
  participant: string | undefined,
  periods: readonly Period[],
): void {
  const uidK = keyPart(uid);
  const partK = participant === undefined ? undefined : keyPart(participant);
  const listKey: Key[] = partK === undefined ? [userK, uidK] : [userK, uidK, partK];
  const old = dbs.byUid.get(listKey) ?? [];
  const wanted = new Map<string, { key: Key[]; value: Period | OthersPeriod }>();
  for (const period of periods) {
    const startMs = instant(period.start, 'period start');
    const endMs = instant(period.end, 'period end');
    const band = endMs - startMs > LONG_PERIOD_MS ? LONG : SHORT;
    const rid = ridKey(period.recurrenceId);
    const fbtype = keyPart(period.fbtype);
    const key: Key[] =
      partK === undefined
        ? [userK, band, startMs, endMs, uidK, rid, fbtype]
        : [userK, band, startMs, endMs, uidK, rid, partK, fbtype];
    const value = stablePeriod({ ...period, start: utcText(startMs), end: utcText(endMs) }, uid, participant);
    wanted.set(keyText(key), { key, value });
  }
  const kept = new Set<string>();
  for (const key of old) {
    const text = keyText(key);
    // The key holds the whole period (keyPart is injective), so an equal key is an equal period.
    if (wanted.has(text)) kept.add(text);
    else dbs.byTime.removeSync(key);
  }
  for (const [text, { key, value }] of wanted) if (!kept.has(text)) dbs.byTime.putSync(key, value);
  if (wanted.size === 0) {
    if (old.length) dbs.byUid.removeSync(listKey);
  } else if (kept.size !== old.length || kept.size !== wanted.size) {
    dbs.byUid.putSync(listKey, [...wanted.values()].map((entry) => entry.key));
  }
}

/**
 * Periods of the user overlapping [fromMs, toMs): start < to and end > from.
 * Undefined bounds are open. Sorted by start, uid, recurrence id (master
 * first), participant, then end and fbtype so that the order is total.
 */
export function queryPeriods<P extends Period>(
  dbs: PeriodDbs,
  userK: string,
  fromMs: number | undefined,
  toMs: number | undefined,
): P[] {
  // Keys come ordered by start, then end, uid, ...: only periods that share a
  // start need sorting among themselves, and the two bands need merging. A
  // busy year is tens of thousands of periods; sorting them all, with a
  // wrapper object each, was a third of such a query.
  const short = scanBand<P>(dbs, userK, SHORT, fromMs === undefined ? [userK, SHORT] : [userK, SHORT, fromMs - LONG_PERIOD_MS], fromMs, toMs);
  const long = scanBand<P>(dbs, userK, LONG, [userK, LONG], fromMs, toMs);
  const shortOrder = sortRuns(short);
  if (long.periods.length === 0) return shortOrder.map((i) => short.periods[i]);
  const longOrder = sortRuns(long);
  const out: P[] = [];
  let a = 0;
  let b = 0;
  while (a < shortOrder.length || b < longOrder.length) {
    const takeShort =
      b >= longOrder.length ||
      (a < shortOrder.length &&
        (short.starts[shortOrder[a]] - long.starts[longOrder[b]] ||
          compareRest(short, shortOrder[a], long, longOrder[b])) <= 0);
    out.push(takeShort ? short.periods[shortOrder[a++]] : long.periods[longOrder[b++]]);
  }
  return out;
}

interface Band<P> {
  periods: P[];
  starts: number[];
  ends: number[];
}

function scanBand<P extends Period>(dbs: PeriodDbs, userK: string, band: number, start: Key[], fromMs: number | undefined, toMs: number | undefined): Band<P> {
  const found: Band<P> = { periods: [], starts: [], ends: [] };
  const end: Key[] = toMs === undefined ? [userK, band + 1] : [userK, band, toMs];
  for (const key of dbs.byTime.getKeys({ start, end })) {
    const k = key as Key[];
    const startMs = k[2] as number;
    const endMs = k[3] as number;
    if (fromMs !== undefined && endMs <= fromMs) continue;
    if (toMs !== undefined && startMs >= toMs) continue;
    const period = (periodFromKey(k) ?? dbs.byTime.get(key)) as P | undefined;
    if (!period) continue;
    found.periods.push(period);
    found.starts.push(startMs);
    found.ends.push(endMs);
  }
  return found;
}

/** The order after the start: uid, recurrence id (master first), participant, end, fbtype. */
function compareRest(x: Band<Period>, i: number, y: Band<Period>, j: number): number {
  const [p, q] = [x.periods[i], y.periods[j]];
  return (
    compareText(p.uid, q.uid) ||
    compareRid(p.recurrenceId, q.recurrenceId) ||
    compareText(participantOf(p), participantOf(q)) ||
    x.ends[i] - y.ends[j] ||
    compareText(p.fbtype, q.fbtype)
  );
}

/** Indexes of a band's periods in query order: sorted within each run of equal starts. */
function sortRuns(band: Band<Period>): number[] {
  const order = band.periods.map((_, i) => i);
  for (let i = 0; i < order.length; ) {
    let j = i + 1;
    while (j < order.length && band.starts[j] === band.starts[i]) j++;
    if (j - i > 1) {
      const run = order.slice(i, j).sort((x, y) => compareRest(band, x, band, y));
      for (let n = 0; n < run.length; n++) order[i + n] = run[n];
    }
    i = j;
  }
  return order;
}

const TWO_DIGITS = Array.from({ length: 100 }, (_, n) => String(n).padStart(2, '0'));
const DAY_MS = 86_400_000;
/** "YYYY-MM-DDT" per day number and "hh:mm:ssZ" per second of the day, made once each. */
const datePrefixes = new Map<number, string>();
const timeSuffixes: string[] = [];

/**
 * An instant as stored: ISO 8601 UTC, whole seconds without a fraction (as
 * Date#toISOString writes it, less ".000"). A year's query formats two times
 * per period, and toISOString was most of its cost: the two halves of the
 * text are made once and joined.
 */
export function utcText(ms: number): string {
  const days = Math.floor(ms / DAY_MS);
  const second = (ms - days * DAY_MS) / 1000;
  if (!Number.isInteger(second) || days < -719_162 || days > 2_932_896) {
    // A fraction of a second, or a year outside 0000-9999.
    const text = new Date(ms).toISOString();
    return text.endsWith('.000Z') ? `${text.slice(0, -5)}Z` : text;
  }
  let date = datePrefixes.get(days);
  if (date === undefined) {
    date = new Date(days * DAY_MS).toISOString().slice(0, 11);
    if (datePrefixes.size >= 10_000) datePrefixes.clear();
    datePrefixes.set(days, date);
  }
  const time = (timeSuffixes[second] ??= `${TWO_DIGITS[Math.floor(second / 3600)]}:${TWO_DIGITS[Math.floor((second % 3600) / 60)]}:${TWO_DIGITS[second % 60]}Z`);
  return date + time;
}

/** keyPart leaves ordinary strings as they are; a digest form holds U+007F, which they never do. */
const isPlain = (part: Key): part is string => typeof part === 'string' && !part.includes('\u007f');

/**
 * The period a time index key stands for, equal to the stored value, or
 * undefined when an element is a digest: then only the value has the text.
 */
function periodFromKey(k: Key[]): Period | OthersPeriod | undefined {
  const others = k.length === 8;
  const [uid, rid, fbtype] = [k[4], k[5], k[others ? 7 : 6]];
  if (!isPlain(uid) || !isPlain(fbtype) || (rid !== 0 && !isPlain(rid))) return undefined;
  const base = {
    start: utcText(k[2] as number),
    end: utcText(k[3] as number),
    fbtype: fbtype as FbType,
    uid,
    recurrenceId: rid === 0 ? null : (rid as string),
  };
  if (!others) return base;
  const participant = k[6];
  return isPlain(participant) ? { ...base, participant } : undefined;
}

function participantOf(period: Period): string {
  return (period as Partial<OthersPeriod>).participant ?? '';
}

/** A fresh period with the documented keys in a fixed order (stable JSON). */
function stablePeriod(period: Period, uid: string, participant: string | undefined): Period | OthersPeriod {
  const base = {
    start: period.start,
    end: period.end,
    fbtype: period.fbtype as FbType,
    uid,
    recurrenceId: period.recurrenceId ?? null,
  };
  return participant === undefined ? base : { ...base, participant };
}

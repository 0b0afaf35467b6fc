// Rows of the PostgreSQL store and the values they hold: the text form of
// strings from mail (pg-schema.ts says why), periods, the orders listings
// come in, and the reads shared by write transactions and read views.

import type pg from 'pg';
import type { CounterEntry, FbType, OthersPeriod, Period, RequestEntry } from '../itip/model.js';
import { formatUtc } from '../ical/times.js';
import { compareRid, compareText, instant } from './lmdb-keys.js';
import type { BusyTime } from './store.js';

/** A client, a pool, anything that runs a query. */
export type Queryable = Pick<pg.ClientBase, 'query'>;

/** The stored form of a string from mail: its JSON text (injective, no NUL, no lone surrogate). */
export const key = (value: string): string => JSON.stringify(value);
/** The string a stored key stands for. */
export const unkey = (text: string): string => JSON.parse(text) as string;
/** The stored form of a recurrence id: "null" for the master. */
export const ridKey = (recurrenceId: string | null | undefined): string => JSON.stringify(recurrenceId ?? null);

/** Periods no longer than this are found from `from` minus this in the time index (pg-schema.ts). */
export const LONG_PERIOD_MS = 7 * 24 * 60 * 60 * 1000;
/** Bounds that stand for "open" in range queries (beyond any date JavaScript can hold). */
const OPEN_FROM = -9e15;
const OPEN_TO = 9e15;

/** A period with its instants, for sorting and filtering. */
export interface TimedPeriod<P extends Period = Period> {
  period: P;
  startMs: number;
  endMs: number;
}

export interface PeriodRow {
  uid: string;
  start_ms: number;
  end_ms: number;
  recurrence_id: string;
  fbtype: string;
  participant?: string;
}

/** The instants of a range query; from >= to means nothing can overlap. */
export function rangeOf(query: { from?: string; to?: string }): { fromMs: number; toMs: number } {
  const fromMs = query.from === undefined ? OPEN_FROM : instant(query.from, 'from');
  const toMs = query.to === undefined ? OPEN_TO : instant(query.to, 'to');
  return { fromMs, toMs };
}

export function periodFromRow(row: PeriodRow): TimedPeriod {
  return {
    period: {
      start: formatUtc(row.start_ms),
      end: formatUtc(row.end_ms),
      fbtype: JSON.parse(row.fbtype) as FbType,
      uid: unkey(row.uid),
      recurrenceId: JSON.parse(row.recurrence_id) as string | null,
    },
    startMs: row.start_ms,
    endMs: row.end_ms,
  };
}

export function othersFromRow(row: PeriodRow): TimedPeriod<OthersPeriod> {
  const { period, startMs, endMs } = periodFromRow(row);
  return { period: { ...period, participant: unkey(row.participant!) }, startMs, endMs };
}

/** Periods to store for one UID (and participant): checked, in stable form, equal ones once. */
export function periodRows(uid: string, periods: readonly Period[]): TimedPeriod[] {
  const rows = new Map<string, TimedPeriod>();
  for (const given of periods) {
    const startMs = instant(given.start, 'period start');
    const endMs = instant(given.end, 'period end');
    const period: Period = {
      start: formatUtc(startMs),
      end: formatUtc(endMs),
      fbtype: given.fbtype,
      uid,
      recurrenceId: given.recurrenceId ?? null,
    };
    rows.set(JSON.stringify([startMs, endMs, period.recurrenceId, period.fbtype]), { period, startMs, endMs });
  }
  return [...rows.values()];
}

/** The arrays an INSERT ... SELECT FROM unnest(...) of periods takes. */
export function periodArrays(rows: readonly TimedPeriod[]): [number[], number[], string[], string[], boolean[]] {
  return [
    rows.map((r) => r.startMs),
    rows.map((r) => r.endMs),
    rows.map((r) => ridKey(r.period.recurrenceId)),
    rows.map((r) => JSON.stringify(r.period.fbtype)),
    rows.map((r) => r.endMs - r.startMs > LONG_PERIOD_MS),
  ];
}

/** Own periods: start, UID, recurrence id (master first), end, type. */
export function compareOwn(a: TimedPeriod, b: TimedPeriod): number {
  return (
    a.startMs - b.startMs ||
    compareText(a.period.uid, b.period.uid) ||
    compareRid(a.period.recurrenceId, b.period.recurrenceId) ||
    a.endMs - b.endMs ||
    compareText(a.period.fbtype, b.period.fbtype)
  );
}

/** Others' periods: as own ones, the participant after the recurrence id. */
export function compareOthers(a: TimedPeriod<OthersPeriod>, b: TimedPeriod<OthersPeriod>): number {
  return (
    a.startMs - b.startMs ||
    compareText(a.period.uid, b.period.uid) ||
    compareRid(a.period.recurrenceId, b.period.recurrenceId) ||
    compareText(a.period.participant, b.period.participant) ||
    a.endMs - b.endMs ||
    compareText(a.period.fbtype, b.period.fbtype)
  );
}

export function compareRequests(a: RequestEntry, b: RequestEntry): number {
  return compareText(a.uid, b.uid) || compareRid(a.recurrenceId, b.recurrenceId);
}

export function compareCounters(a: CounterEntry, b: CounterEntry): number {
  return compareText(a.uid, b.uid) || compareRid(a.recurrenceId, b.recurrenceId) || compareText(a.attendee, b.attendee);
}

// The two bands of the time index (pg-schema.ts): short periods from
// from - LONG_PERIOD_MS, long ones by start alone.
const BANDS = (columns: string, table: string, extra = ''): string =>
  `SELECT ${columns} FROM ${table} WHERE user_id = $1 AND long = false AND start_ms >= $2::bigint - ${LONG_PERIOD_MS} AND start_ms < $3 AND end_ms > $2${extra}
   UNION ALL
   SELECT ${columns} FROM ${table} WHERE user_id = $1 AND long = true AND start_ms < $3 AND end_ms > $2${extra}`;

const OWN_IN_RANGE = BANDS('uid, start_ms, end_ms, recurrence_id, fbtype', 'own_periods');
const OTHERS_IN_RANGE = BANDS('uid, participant, start_ms, end_ms, recurrence_id, fbtype', 'others_periods');

/** The user's own periods overlapping [fromMs, toMs), unsorted. */
export async function ownPeriodsIn(db: Queryable, userId: number, fromMs: number, toMs: number): Promise<TimedPeriod[]> {
  const { rows } = await db.query<PeriodRow>(OWN_IN_RANGE, [userId, fromMs, toMs]);
  return rows.map(periodFromRow);
}

/** The user's others' periods overlapping [fromMs, toMs), unsorted. */
export async function othersPeriodsIn(db: Queryable, userId: number, fromMs: number, toMs: number): Promise<Array<TimedPeriod<OthersPeriod>>> {
  const { rows } = await db.query<PeriodRow>(OTHERS_IN_RANGE, [userId, fromMs, toMs]);
  return rows.map(othersFromRow);
}

// Busy time is read from per-day records (own_busy_days: each UTC day's short
// periods joined per type, kept by the write transactions), plus the rare long
// periods from the time index, so that a year reads 365 small rows however
// many events the user has. The parts are joined here once more across days.
const DAY_MS = 86_400_000;

/** The UTC days a period [startMs, endMs) touches. */
export function daysOf(startMs: number, endMs: number): number[] {
  const days: number[] = [];
  for (let day = Math.floor(startMs / DAY_MS); day * DAY_MS < endMs; day++) days.push(day);
  return days;
}

const BUSY_PARTS = `
  SELECT fbtypes, starts::float8[] AS starts, ends::float8[] AS ends FROM own_busy_days WHERE user_id = $1 AND day >= $4 AND day <= $5
  UNION ALL
  SELECT ARRAY[fbtype], ARRAY[start_ms::float8], ARRAY[end_ms::float8] FROM own_periods WHERE user_id = $1 AND long = true AND start_ms < $3 AND end_ms > $2`;

/** The user's busy time over [fromMs, toMs), joined per type and sorted (Store.busyTime). */
export async function busyTimeIn(db: Queryable, userId: number, fromMs: number, toMs: number): Promise<BusyTime[]> {
  const { rows } = await db.query<{ fbtypes: string[]; starts: number[]; ends: number[] }>(BUSY_PARTS, [
    userId,
    fromMs,
    toMs,
    Math.floor(fromMs / DAY_MS),
    Math.floor((toMs - 1) / DAY_MS),
  ]);
  const parts: BusyPart[] = [];
  for (const row of rows) {
    for (let i = 0; i < row.fbtypes.length; i++) {
      const startMs = row.starts[i]!;
      const endMs = row.ends[i]!;
      if (startMs < toMs && endMs > fromMs) parts.push({ fbtype: JSON.parse(row.fbtypes[i]!) as FbType, startMs, endMs });
    }
  }
  return joinBusy(parts, fromMs, toMs);
}

/**
 * Writes the busy day records of the given days again from the short periods
 * now stored (inside the write transaction, after its writes): per day and
 * type, periods in start order, each starting a new group unless it begins at
 * or before the furthest end so far (overlapping or touching periods join,
 * RFC 5545 section 3.2.9). Days left without periods lose their record.
 * Each day's periods are one range of the time index (a lateral subquery,
 * kept apart from the join by OFFSET 0): rows a bulk write has just inserted
 * have no statistics yet, and a planner that guesses them few would scan
 * all of the user's periods once per day.
 */
export const BUSY_DAYS_REWRITE = `
  WITH d AS (SELECT DISTINCT unnest($2::int[]) AS day),
  p AS (
    SELECT d.day, o.fbtype, GREATEST(o.start_ms, d.day::bigint * ${DAY_MS}) AS s, LEAST(o.end_ms, (d.day::bigint + 1) * ${DAY_MS}) AS e
    FROM d CROSS JOIN LATERAL (
      SELECT fbtype, start_ms, end_ms FROM own_periods WHERE user_id = $1 AND long = false AND start_ms >= d.day::bigint * ${DAY_MS} - ${LONG_PERIOD_MS}
        AND start_ms < (d.day::bigint + 1) * ${DAY_MS} AND end_ms > d.day::bigint * ${DAY_MS}
      OFFSET 0) o
  ),
  m AS (SELECT day, fbtype, s, e, MAX(e) OVER (PARTITION BY day, fbtype ORDER BY s, e ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS reach FROM p),
  g AS (SELECT day, fbtype, s, e, COUNT(*) FILTER (WHERE reach IS NULL OR s > reach) OVER (PARTITION BY day, fbtype ORDER BY s, e ROWS UNBOUNDED PRECEDING) AS grp FROM m),
  j AS (SELECT day, fbtype, MIN(s) AS s, MAX(e) AS e FROM g GROUP BY day, fbtype, grp),
  agg AS (SELECT day, array_agg(fbtype ORDER BY s, e) AS fbtypes, array_agg(s ORDER BY s, e) AS starts, array_agg(e ORDER BY s, e) AS ends FROM j GROUP BY day),
  gone AS (DELETE FROM own_busy_days WHERE user_id = $1 AND day IN (SELECT day FROM d) AND day NOT IN (SELECT day FROM agg))
  INSERT INTO own_busy_days (user_id, day, fbtypes, starts, ends) SELECT $1, day, fbtypes, starts, ends FROM agg
  ON CONFLICT (user_id, day) DO UPDATE SET fbtypes = EXCLUDED.fbtypes, starts = EXCLUDED.starts, ends = EXCLUDED.ends`;

interface BusyPart {
  fbtype: FbType;
  startMs: number;
  endMs: number;
}

/** Busy parts joined per type (overlapping or touching), cut to [fromMs, toMs), sorted by start, end, type. */
export function joinBusy(parts: ReadonlyArray<BusyPart | TimedPeriod>, fromMs: number, toMs: number): BusyTime[] {
  const byType = new Map<string, BusyPart[]>();
  for (const part of parts) {
    const fbtype = 'period' in part ? part.period.fbtype : part.fbtype;
    const list = byType.get(fbtype) ?? [];
    list.push({ fbtype, startMs: Math.max(part.startMs, fromMs), endMs: Math.min(part.endMs, toMs) });
    byType.set(fbtype, list);
  }
  const joined: BusyPart[] = [];
  for (const list of byType.values()) {
    list.sort((a, b) => a.startMs - b.startMs || a.endMs - b.endMs);
    let current: BusyPart | undefined;
    for (const part of list) {
      if (current && part.startMs <= current.endMs) current.endMs = Math.max(current.endMs, part.endMs);
      else joined.push((current = { ...part }));
    }
  }
  joined.sort((a, b) => a.startMs - b.startMs || a.endMs - b.endMs || compareText(a.fbtype, b.fbtype));
  return joined.map((p) => ({ start: formatUtc(p.startMs), end: formatUtc(p.endMs), fbtype: p.fbtype }));
}

/** Parses the stored preference entries into an object with sorted keys ("__proto__" survives). */
export function prefsFrom(text: string): Record<string, string> {
  const entries = JSON.parse(text) as Array<[string, string]>;
  return Object.fromEntries(entries.sort(([a], [b]) => compareText(a, b)));
}

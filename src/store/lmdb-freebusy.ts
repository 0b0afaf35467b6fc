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
// Per-UID index key: [user, uid, (participant,) band, startMs, endMs, recurrenceId, fbtype],
// value: the time index key, so a replacement deletes exactly what it finds.

import type { Database, Key } from 'lmdb';
import type { FbType, OthersPeriod, Period } from '../itip/model.js';
import { compareRid, compareText, instant, keyPart, keysWithPrefix, ridKey } from './lmdb-keys.js';

export const LONG_PERIOD_MS = 7 * 24 * 60 * 60 * 1000;

const SHORT = 0;
const LONG = 1;

/** The two databases that hold one kind of periods (own, or others'). */
export interface PeriodDbs {
  byTime: Database<Period | OthersPeriod, Key>;
  byUid: Database<Key[], Key>;
}

/** Deletes the periods of a UID: of one participant, of everyone (others'), or own. */
export function removePeriods(dbs: PeriodDbs, userK: string, uid: string, participant?: string): void {
  const prefix: Key[] = [userK, keyPart(uid)];
  if (participant !== undefined) prefix.push(keyPart(participant));
  for (const indexKey of keysWithPrefix(dbs.byUid, prefix)) {
    const timeKey = dbs.byUid.get(indexKey);
    if (timeKey) dbs.byTime.removeSync(timeKey);
    dbs.byUid.removeSync(indexKey);
  }
}

/**
 * Writes the periods of one UID (and participant, for others' periods), after
 * the caller removed the old ones. The UID and participant given here win over
 * those inside the periods: they name what is being replaced.
 */
export function addPeriods(
  dbs: PeriodDbs,
  userK: string,
  uid: string,
  participant: string | undefined,
  periods: readonly Period[],
): void {
  const uidK = keyPart(uid);
  const partK = participant === undefined ? undefined : keyPart(participant);
  for (const period of periods) {
    const startMs = instant(period.start, 'period start');
    const endMs = instant(period.end, 'period end');
    const band = endMs - startMs > LONG_PERIOD_MS ? LONG : SHORT;
    const rid = ridKey(period.recurrenceId);
    const fbtype = keyPart(period.fbtype);
    const value = stablePeriod(period, uid, participant);
    const timeKey: Key[] =
      partK === undefined
        ? [userK, band, startMs, endMs, uidK, rid, fbtype]
        : [userK, band, startMs, endMs, uidK, rid, partK, fbtype];
    const indexKey: Key[] =
      partK === undefined
        ? [userK, uidK, band, startMs, endMs, rid, fbtype]
        : [userK, uidK, partK, band, startMs, endMs, rid, fbtype];
    dbs.byTime.putSync(timeKey, value);
    dbs.byUid.putSync(indexKey, timeKey);
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
  const found: Array<{ startMs: number; endMs: number; period: P }> = [];
  const scan = (band: number, start: Key[]): void => {
    const end: Key[] = toMs === undefined ? [userK, band + 1] : [userK, band, toMs];
    for (const { key, value } of dbs.byTime.getRange({ start, end })) {
      const k = key as Key[];
      const startMs = k[2] as number;
      const endMs = k[3] as number;
      if (fromMs !== undefined && endMs <= fromMs) continue;
      if (toMs !== undefined && startMs >= toMs) continue;
      found.push({ startMs, endMs, period: value as P });
    }
  };
  scan(SHORT, fromMs === undefined ? [userK, SHORT] : [userK, SHORT, fromMs - LONG_PERIOD_MS]);
  scan(LONG, [userK, LONG]);
  found.sort(
    (a, b) =>
      a.startMs - b.startMs ||
      compareText(a.period.uid, b.period.uid) ||
      compareRid(a.period.recurrenceId, b.period.recurrenceId) ||
      compareText(participantOf(a.period), participantOf(b.period)) ||
      a.endMs - b.endMs ||
      compareText(a.period.fbtype, b.period.fbtype),
  );
  return found.map((entry) => entry.period);
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

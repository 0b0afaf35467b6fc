// Others' periods in LMDB: what the user has learned of other participants'
// busy time (the organizer's, from an invitation; an attendee's, from a reply).
//
// They are written far more often than read: every invitation a user receives
// carries the organizer's periods, and a weekly series has one per instance,
// while only the free/busy upkeep and `freebusy --others` read them. So they
// are not indexed period by period (a series would dirty one index page per
// instance, the largest part of committing an invitation), but kept as one
// record per [user, uid, participant] holding all its periods, plus one
// extent key per record for range queries:
//
//   records: [user, uid, participant] -> { uid, participant, periods }
//   extents: [user, band, firstStartMs, lastEndMs, uid, participant] -> true
//
// A period in a record is [startMs, endMs, fbtype, recurrenceId], in start
// order: the free/busy type as its index in FBTYPES (or its text, for a type
// of no standard), the recurrence id as in own periods' keys (false for the
// master, the instant in ms for a canonical UTC date-time, else the text).
// Written out in full, a year of a weekly series was several kilobytes and
// LMDB kept it on pages of its own; this way it fits the leaf page.
//
// A query [from, to) finds the records whose extent overlaps it (the same two
// bands as own periods: extents up to LONG_PERIOD_MS are scanned from
// from - LONG_PERIOD_MS, longer ones whole) and filters their periods.

import type { Database, Key } from 'lmdb';
import type { FbType, OthersPeriod } from '../itip/model.js';
import { formatUtc } from '../ical/times.js';
import { FBTYPES, LONG_PERIOD_MS, ridElement, ridFromElement } from './lmdb-freebusy.js';
import { compareRid, compareText, entriesWithPrefix, instant, keyPart, keysWithPrefix } from './lmdb-keys.js';

const SHORT = 0;
const LONG = 1;

/** One period of a record: start and end in ms, type, recurrence id (see above). */
export type CompactPeriod = [startMs: number, endMs: number, fbtype: number | string, recurrenceId: false | number | string];

export interface OthersRecord {
  uid: string;
  participant: string;
  periods: CompactPeriod[];
}

/** The two databases of others' periods. */
export interface OthersDbs {
  /** [user, uid, participant] -> the participant's periods for the UID */
  records: Database<OthersRecord, Key>;
  /** [user, band, firstStartMs, lastEndMs, uid, participant] -> true */
  extents: Database<true, Key>;
}

/** The extent key of a record: the span from its first start to its last end. */
function extentKey(userK: string, uidK: string, partK: string, periods: readonly CompactPeriod[]): Key[] {
  let first = Infinity;
  let last = -Infinity;
  for (const [start, end] of periods) {
    first = Math.min(first, start);
    last = Math.max(last, end);
  }
  return [userK, last - first > LONG_PERIOD_MS ? LONG : SHORT, first, last, uidK, partK];
}

/**
 * Replaces one participant's periods for a UID; an empty list removes them.
 * The UID and participant given here win over those inside the periods.
 */
export function setOthers(dbs: OthersDbs, userK: string, uid: string, participant: string, periods: readonly OthersPeriod[]): void {
  const uidK = keyPart(uid);
  const partK = keyPart(participant);
  writeRecord(dbs, userK, uidK, partK, uid, participant, periods, dbs.records.get([userK, uidK, partK]));
}

/**
 * Replaces every participant's periods for a UID: the periods are grouped by
 * their participant, and the records of participants with none here go. One
 * range read finds the records there are, where setting one participant
 * reads one record.
 */
export function replaceOthers(dbs: OthersDbs, userK: string, uid: string, periods: readonly OthersPeriod[]): void {
  const uidK = keyPart(uid);
  const existing = new Map<string, OthersRecord>();
  for (const { key, value } of entriesWithPrefix(dbs.records, [userK, uidK])) existing.set(key[2] as string, value);
  const byParticipant = new Map<string, OthersPeriod[]>();
  for (const period of periods) {
    const list = byParticipant.get(period.participant);
    if (list) list.push(period);
    else byParticipant.set(period.participant, [period]);
  }
  for (const [participant, theirs] of byParticipant) {
    const partK = keyPart(participant);
    writeRecord(dbs, userK, uidK, partK, uid, participant, theirs, existing.get(partK));
    existing.delete(partK);
  }
  for (const [partK, record] of existing) removeRecord(dbs, [userK, uidK, partK], record);
}

function writeRecord(
  dbs: OthersDbs,
  userK: string,
  uidK: string,
  partK: string,
  uid: string,
  participant: string,
  periods: readonly OthersPeriod[],
  old: OthersRecord | undefined,
): void {
  const recordKey = [userK, uidK, partK];
  if (periods.length === 0) {
    if (old) removeRecord(dbs, recordKey, old);
    return;
  }
  const compact = periods.map(toCompact).sort(compareCompact);
  // Equal periods count once, as in the time index of own periods.
  const unique = compact.filter((period, i) => i === 0 || compareCompact(compact[i - 1]!, period) !== 0);
  const record: OthersRecord = { uid, participant, periods: unique };
  // Most messages leave an event's times as they were: nothing to write then.
  if (old && old.uid === uid && old.participant === participant && samePeriods(old.periods, unique)) return;
  const extent = extentKey(userK, uidK, partK, record.periods);
  if (old) {
    const oldExtent = extentKey(userK, uidK, partK, old.periods);
    if (JSON.stringify(oldExtent) !== JSON.stringify(extent)) dbs.extents.removeSync(oldExtent);
  }
  dbs.records.putSync(recordKey, record);
  dbs.extents.putSync(extent, true);
}

function toCompact(period: OthersPeriod): CompactPeriod {
  const fbtypeIndex = FBTYPES.indexOf(period.fbtype);
  return [
    instant(period.start, 'period start'),
    instant(period.end, 'period end'),
    fbtypeIndex >= 0 ? fbtypeIndex : period.fbtype,
    ridElement(period.recurrenceId ?? null, (rid) => rid),
  ];
}

/** Numbers before texts, and false (the master) before both. */
const rank = (element: number | string | false): number => (element === false ? 0 : typeof element === 'number' ? 1 : 2);

function compareElement(a: number | string | false, b: number | string | false): number {
  if (a === b) return 0;
  const byRank = rank(a) - rank(b);
  if (byRank !== 0) return byRank;
  return typeof a === 'number' ? a - (b as number) : compareText(a as string, b as string);
}

/** Start, end, then type and recurrence id: a total order, so equal periods meet. */
function compareCompact(a: CompactPeriod, b: CompactPeriod): number {
  return a[0] - b[0] || a[1] - b[1] || compareElement(a[2], b[2]) || compareElement(a[3], b[3]);
}

function samePeriods(a: readonly CompactPeriod[], b: readonly CompactPeriod[]): boolean {
  return a.length === b.length && a.every((period, i) => compareCompact(period, b[i]!) === 0);
}

/** Removes the periods of a UID: of one participant, or of everyone. */
export function removeOthers(dbs: OthersDbs, userK: string, uid: string, participant?: string): void {
  const prefix: Key[] = [userK, keyPart(uid)];
  if (participant !== undefined) prefix.push(keyPart(participant));
  for (const key of keysWithPrefix(dbs.records, prefix)) {
    const record = dbs.records.get(key);
    if (record) removeRecord(dbs, key, record);
  }
}

function removeRecord(dbs: OthersDbs, recordKey: Key[], record: OthersRecord): void {
  if (record.periods.length > 0) {
    dbs.extents.removeSync(extentKey(recordKey[0] as string, recordKey[1] as string, recordKey[2] as string, record.periods));
  }
  dbs.records.removeSync(recordKey);
}

/**
 * Others' periods of the user overlapping [fromMs, toMs) (undefined bounds are
 * open), sorted by start, uid, recurrence id (master first), participant, end
 * and fbtype, as own periods are.
 */
export function queryOthers(dbs: OthersDbs, userK: string, fromMs: number | undefined, toMs: number | undefined): OthersPeriod[] {
  const found: Array<{ period: OthersPeriod; start: number; end: number }> = [];
  const bands: Array<[number, Key[]]> = [
    [SHORT, fromMs === undefined ? [userK, SHORT] : [userK, SHORT, fromMs - LONG_PERIOD_MS]],
    [LONG, [userK, LONG]],
  ];
  for (const [band, start] of bands) {
    const end: Key[] = toMs === undefined ? [userK, band + 1] : [userK, band, toMs];
    for (const key of dbs.extents.getKeys({ start, end })) {
      const k = key as Key[];
      if (fromMs !== undefined && (k[3] as number) <= fromMs) continue;
      const record = dbs.records.get([userK, k[4] as string, k[5] as string]);
      if (!record) continue;
      for (const [startMs, endMs, fbtype, rid] of record.periods) {
        if ((fromMs !== undefined && endMs <= fromMs) || (toMs !== undefined && startMs >= toMs)) continue;
        const period: OthersPeriod = {
          start: formatUtc(startMs),
          end: formatUtc(endMs),
          fbtype: typeof fbtype === 'number' ? FBTYPES[fbtype]! : (fbtype as FbType),
          uid: record.uid,
          recurrenceId: ridFromElement(rid),
          participant: record.participant,
        };
        found.push({ period, start: startMs, end: endMs });
      }
    }
  }
  found.sort(
    (a, b) =>
      a.start - b.start ||
      compareText(a.period.uid, b.period.uid) ||
      compareRid(a.period.recurrenceId, b.period.recurrenceId) ||
      compareText(a.period.participant, b.period.participant) ||
      a.end - b.end ||
      compareText(a.period.fbtype, b.period.fbtype),
  );
  return found.map((entry) => entry.period);
}

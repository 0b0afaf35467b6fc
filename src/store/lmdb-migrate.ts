// Moving a store written by an earlier version to the current format, when the
// change is one of layout only. Runs once, in one write transaction, when the
// store is opened: an upgrade of the agent must not cost the users their
// calendars, nor defer their mail until someone rebuilds the store by hand.
//
// Format 3 -> 4: free/busy periods. Format 3 kept own and others' periods in
// the same layout, one time index record per period with the period as its
// value ('freebusy-own', 'freebusy-others') and a per-UID list of those keys
// ('freebusy-own-by-uid', 'freebusy-others-by-uid'). Format 4 keeps own
// periods under numeric keys and others' periods as one record per UID and
// participant (lmdb-freebusy.ts, lmdb-others.ts), in databases of new names.
// Each old per-UID list is read with the periods it names and written anew;
// then the old databases are dropped.

import type { Database, Key, RootDatabase } from 'lmdb';
import type { OthersPeriod, Period } from '../itip/model.js';
import { replacePeriods, type PeriodDbs } from './lmdb-freebusy.js';
import { setOthers, type OthersDbs } from './lmdb-others.js';

/**
 * Moves a format-3 store to format 4, in one write transaction that also
 * writes the new format number. Several processes may open the store at
 * once: the first to get the write lock migrates, the others find it done.
 */
export function migrateFrom3(root: RootDatabase, meta: Database<number, Key>, own: PeriodDbs, others: OthersDbs): void {
  // `create: false`: a process that lost the race finds the old databases gone
  // and must not make them again, empty.
  const old = <V>(name: string): Database<V, Key> | undefined =>
    root.openDB<V, Key>({ name, encoding: 'json', create: false } as unknown as Parameters<RootDatabase['openDB']>[0] & { name: string });
  const oldOwn = { byTime: old<Period>('freebusy-own'), byUid: old<Key[][]>('freebusy-own-by-uid') };
  const oldOthers = { byTime: old<OthersPeriod>('freebusy-others'), byUid: old<Key[][]>('freebusy-others-by-uid') };
  root.transactionSync(() => {
    if (meta.get('format') !== 3) return;
    for (const { key, value: timeKeys } of oldOwn.byUid?.getRange() ?? []) {
      const userK = (key as Key[])[0] as string;
      const periods = timeKeys.map((timeKey) => oldOwn.byTime?.get(timeKey)).filter((p): p is Period => p !== undefined);
      // The periods hold the UID as it was written; the key part may be a digest of it.
      if (periods.length > 0) replacePeriods(own, userK, periods[0]!.uid, periods);
    }
    for (const { key, value: timeKeys } of oldOthers.byUid?.getRange() ?? []) {
      const userK = (key as Key[])[0] as string;
      const periods = timeKeys.map((timeKey) => oldOthers.byTime?.get(timeKey)).filter((p): p is OthersPeriod => p !== undefined);
      if (periods.length > 0) setOthers(others, userK, periods[0]!.uid, periods[0]!.participant, periods);
    }
    for (const db of [oldOwn.byTime, oldOwn.byUid, oldOthers.byTime, oldOthers.byUid]) db?.dropSync();
    meta.putSync('format', 4);
  });
}

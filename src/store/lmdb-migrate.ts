// Moving a store written by an earlier version to the current format, when the
// change is one of layout only. Runs once, in one write transaction, when the
// store is opened: an upgrade of the agent must not cost the users their
// calendars, nor defer their mail until someone rebuilds the store by hand.
//
// Format 3 -> 5: free/busy periods. Format 3 kept own and others' periods in
// the same layout, one time index record per period with the period as its
// value ('freebusy-own', 'freebusy-others') and a per-UID list of those keys
// ('freebusy-own-by-uid', 'freebusy-others-by-uid'). Each old per-UID list is
// read with the periods it names and written anew (lmdb-freebusy.ts,
// lmdb-others.ts).
//
// Format 4 -> 5: others' periods. Format 4 kept them as one record per UID
// and participant with each period written out in full ('others-periods');
// format 5 keeps the same records in compact form ('others-records'). The
// extent index is the same in both.
//
// Formats 3 and 4 -> 5: the journal. It was three databases: 'journal' (seq ->
// {user, entry}), 'journal-by-user' ([user, seq]) and 'seen-messages' ([user,
// message key] -> time); format 5 keeps entries and marks in one, per user
// ('user-journal', see StoreDbs), with the same sequence numbers.
//
// Formats 3 to 5 -> 6: the outbox's due index ('outbox-due', see StoreDbs),
// made from the items in 'outbox', whose layout is the same in all of them.
//
// Formats 3 to 6 -> 7: object names and the change log per name
// (lmdb-names.ts, lmdb-changes.ts). Every object gets the name made from its
// UID, which is the URL that CalDAV gave it before, and one change record; a
// format-6 store may hold the earlier change log per UID ('object-changes'),
// which is dropped. The floor of every user is raised to the new records, so
// a sync token handed out before is refused and its client syncs from the
// start (RFC 6578 section 3.7) rather than miss a removal.
//
// The old databases are dropped once read.

import type { Database, Key, RootDatabase } from 'lmdb';
import type { JournalEntry, OthersPeriod, Period } from '../itip/model.js';
import { keyPart } from './lmdb-keys.js';
import { replacePeriods } from './lmdb-freebusy.js';
import { setOthers } from './lmdb-others.js';
import { outboxDueKey, type StoreDbs } from './lmdb-user-tx.js';
import { noteChange, raiseFloor } from './lmdb-changes.js';
import { bindName, freeName, nameOf } from './lmdb-names.js';

/** The formats this version moves to its own. */
export const MIGRATABLE_FORMATS: readonly number[] = [3, 4, 5, 6];

/**
 * Moves a store of a format in MIGRATABLE_FORMATS to `format`, in one write
 * transaction that also writes the new format number. Several processes may
 * open the store at once: the first to get the write lock migrates, the
 * others find it done.
 */
export function migrate(root: RootDatabase, dbs: StoreDbs, format: number): void {
  // `create: false`: a process that lost the race finds the old databases gone
  // and must not make them again, empty.
  const old = <V>(name: string): Database<V, Key> | undefined =>
    root.openDB<V, Key>({ name, encoding: 'json', create: false } as unknown as Parameters<RootDatabase['openDB']>[0] & { name: string });
  const from3 = {
    own: old<Period>('freebusy-own'),
    ownByUid: old<Key[][]>('freebusy-own-by-uid'),
    others: old<OthersPeriod>('freebusy-others'),
    othersByUid: old<Key[][]>('freebusy-others-by-uid'),
  };
  const from4 = { others: old<{ periods: OthersPeriod[] }>('others-periods') };
  const journal = {
    entries: old<{ user: string; entry: JournalEntry }>('journal'),
    byUser: old<true>('journal-by-user'),
    seen: old<string>('seen-messages'),
  };
  const changesByUid = old<unknown>('object-changes');
  root.transactionSync(() => {
    const found = dbs.meta.get('format');
    if (found === undefined || !MIGRATABLE_FORMATS.includes(found)) return;

    for (const { key, value: timeKeys } of from3.ownByUid?.getRange() ?? []) {
      const userK = (key as Key[])[0] as string;
      const periods = timeKeys.map((timeKey) => from3.own?.get(timeKey)).filter((p): p is Period => p !== undefined);
      // The periods hold the UID as it was written; the key part may be a digest of it.
      if (periods.length > 0) replacePeriods(dbs.own, userK, periods[0]!.uid, periods);
    }
    for (const { key, value: timeKeys } of from3.othersByUid?.getRange() ?? []) {
      const userK = (key as Key[])[0] as string;
      const periods = timeKeys.map((timeKey) => from3.others?.get(timeKey)).filter((p): p is OthersPeriod => p !== undefined);
      if (periods.length > 0) setOthers(dbs.others, userK, periods[0]!.uid, periods[0]!.participant, periods);
    }
    for (const { key, value } of from4.others?.getRange() ?? []) {
      const userK = (key as Key[])[0] as string;
      const first = value.periods[0];
      if (first) setOthers(dbs.others, userK, first.uid, first.participant, value.periods);
    }

    for (const { key, value } of journal.entries?.getRange() ?? []) {
      dbs.journal.putSync([keyPart(value.user), key as number], value.entry);
    }
    for (const { key, value } of journal.seen?.getRange() ?? []) dbs.journal.putSync(key, value);

    if (found <= 5) {
      for (const { key, value } of dbs.outbox.getRange()) {
        if (value.state === 'unprocessed') dbs.outboxDue.putSync(outboxDueKey(value, key as string), true);
      }
    }

    nameObjects(dbs);

    for (const db of [...Object.values(from3), ...Object.values(from4), ...Object.values(journal), changesByUid]) db?.dropSync();
    dbs.meta.putSync('format', format);
  });
}

/** Names every object and logs it (format 7), then refuses the tokens handed out before. */
function nameObjects(dbs: StoreDbs): void {
  const users = new Set<string>();
  for (const userK of dbs.users.getKeys()) users.add(userK as string);
  for (const { key, value } of dbs.objects.getRange()) {
    const userK = (key as Key[])[0] as string;
    users.add(userK);
    if (nameOf(dbs.names, userK, value.uid) !== undefined) continue;
    const name = freeName(dbs.names, userK, value.uid);
    bindName(dbs.names, userK, value.uid, name);
    noteChange(dbs, userK, { uid: value.uid, name, deleted: false });
  }
  for (const userK of users) raiseFloor(dbs, userK);
}

// The change log of a user's calendar object resources, for CalDAV's
// sync-collection (RFC 6578): a client that holds a token asks "what changed
// since", and the answer must come from the changes alone, not from reading
// every object.
//
// The log is kept per resource name (lmdb-names.ts), as a client sees the
// collection: an object removed under one name and made again under another
// is a removal of the first and a new member, and a name given to a new
// object after an old one left it is a change of that member.
//
// Layout ('object-log'): [userK, seq] -> {uid, name, deleted}, one record per
// name at its last change; and [userK, nameK] -> seq, which finds that record
// so that the next change of the same name replaces it. seq is meta
// 'change-seq', counted up in the writing transaction like the journal's, so
// numbers never repeat across users or processes. Numbers sort before text,
// so a user's changes come first, in order, then the name index.
//
// A removal stays as a tombstone ({deleted: true}) so that a client hears of
// it, but not for ever: each user keeps the latest TOMBSTONE_LIMIT of them
// ('object-tombstones': [userK, seq] -> true, their count in meta
// ['tombstones', userK]). Forgetting the tombstone of seq s raises the user's
// floor (meta ['change-floor', userK]) to s: a token below the floor might
// miss that removal, so it is no longer answered (RFC 6578 section 3.7, the
// client syncs again from the start). Live records are never forgotten: they
// are one per object.

import type { Database, Key } from 'lmdb';
import { keyPart } from './lmdb-keys.js';
import { KEPT_REMOVALS, type ObjectChange, type ObjectChanges } from './store.js';

export type ChangeRecord = { uid: string; name: string; deleted: boolean } | number;

/** Removals each user's log remembers; older ones are forgotten and raise the floor. */
export const TOMBSTONE_LIMIT = KEPT_REMOVALS;

export interface ChangeDbs {
  changes: Database<ChangeRecord, Key>;
  tombstones: Database<true, Key>;
  meta: Database<number, Key>;
}

const floorKey = (userK: string): Key => ['change-floor', userK];
const countKey = (userK: string): Key => ['tombstones', userK];

/** Notes a put (deleted false) or removal (deleted true) of the named object, inside the write transaction. */
export function noteChange(dbs: ChangeDbs, userK: string, change: { uid: string; name: string; deleted: boolean }): void {
  const nameK = keyPart(change.name);
  const previous = dbs.changes.get([userK, nameK]);
  if (typeof previous === 'number') forget(dbs, userK, previous);
  const seq = (dbs.meta.get('change-seq') ?? 0) + 1;
  dbs.meta.putSync('change-seq', seq);
  dbs.changes.putSync([userK, seq], { uid: change.uid, name: change.name, deleted: change.deleted });
  dbs.changes.putSync([userK, nameK], seq);
  if (!change.deleted) return;
  dbs.tombstones.putSync([userK, seq], true);
  const count = (dbs.meta.get(countKey(userK)) ?? 0) + 1;
  dbs.meta.putSync(countKey(userK), count);
  if (count > TOMBSTONE_LIMIT) pruneTombstones(dbs, userK, count - TOMBSTONE_LIMIT);
}

/** Removes the record of seq (its name index stays to the caller). */
function forget(dbs: ChangeDbs, userK: string, seq: number): void {
  const record = dbs.changes.get([userK, seq]);
  dbs.changes.removeSync([userK, seq]);
  if (typeof record === 'object' && record.deleted) {
    dbs.tombstones.removeSync([userK, seq]);
    dbs.meta.putSync(countKey(userK), Math.max(0, (dbs.meta.get(countKey(userK)) ?? 1) - 1));
  }
}

/** Forgets the user's `excess` oldest tombstones and raises the floor past them. */
function pruneTombstones(dbs: ChangeDbs, userK: string, excess: number): void {
  const oldest: number[] = [];
  for (const key of dbs.tombstones.getKeys({ start: [userK], limit: excess })) {
    if (!Array.isArray(key) || key[0] !== userK || typeof key[1] !== 'number') break;
    oldest.push(key[1]);
  }
  let floor = dbs.meta.get(floorKey(userK)) ?? 0;
  for (const seq of oldest) {
    const record = dbs.changes.get([userK, seq]);
    if (typeof record === 'object') dbs.changes.removeSync([userK, keyPart(record.name)]);
    forget(dbs, userK, seq);
    floor = Math.max(floor, seq);
  }
  dbs.meta.putSync(floorKey(userK), floor);
}

/** Refuses every token the user was handed before now (the log was started anew: a store moved from an older format). */
export function raiseFloor(dbs: ChangeDbs, userK: string): void {
  dbs.meta.putSync(floorKey(userK), dbs.meta.get('change-seq') ?? 0);
}

/** The seq of the user's latest change, or their floor when that is later; 0 when there is neither. */
export function latestChange(dbs: ChangeDbs, userK: string): number {
  const floor = dbs.meta.get(floorKey(userK)) ?? 0;
  for (const key of dbs.changes.getKeys({ start: [userK, Number.MAX_SAFE_INTEGER], reverse: true, limit: 1 })) {
    if (Array.isArray(key) && key[0] === userK && typeof key[1] === 'number') return Math.max(key[1], floor);
  }
  return floor;
}

/** The user's changes after `since`, oldest first, the latest seq and the floor (none when `since` is below it). */
export function changesSince(dbs: ChangeDbs, userK: string, since: number): ObjectChanges {
  const floor = dbs.meta.get(floorKey(userK)) ?? 0;
  const changes: ObjectChange[] = [];
  if (since >= floor) {
    for (const { key, value } of dbs.changes.getRange({ start: [userK, since + 1] })) {
      if (!Array.isArray(key) || key[0] !== userK || typeof key[1] !== 'number' || typeof value === 'number') break;
      changes.push({ seq: key[1], uid: value.uid, name: value.name, deleted: value.deleted });
    }
  }
  const latest = changes.length > 0 ? Math.max(changes[changes.length - 1]!.seq, floor) : latestChange(dbs, userK);
  return { latest, floor, changes };
}

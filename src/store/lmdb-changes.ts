// The change log of a user's calendar objects, for CalDAV's sync-collection
// (RFC 6578): a client that holds a token asks "what changed since", and the
// answer must come from the changes alone, not from reading every object.
//
// Layout (one database, 'object-changes'): [userK, seq] -> {uid, deleted}, one
// record per UID at its last change; and [userK, uidK] -> seq, which finds
// that record so that the next change of the same UID replaces it. A UID's
// removal stays as a tombstone ({deleted: true}) so that a client hears of it.
// seq is meta 'change-seq', counted up in the writing transaction like the
// journal's, so numbers never repeat across users or processes; a user's
// token is the seq of their latest change (0: none yet). Numbers sort before
// text, so a user's changes come first, in order, then the UID index.
//
// Objects written before this log existed have no record: they were there
// before any token was handed out, so no sync misses them.

import type { Database, Key } from 'lmdb';
import { keyPart } from './lmdb-keys.js';
import type { ObjectChange, ObjectChanges } from './store.js';

export type ChangeRecord = { uid: string; deleted: boolean } | number;

export interface ChangeDbs {
  changes: Database<ChangeRecord, Key>;
  meta: Database<number, Key>;
}

/** Notes a put (deleted false) or removal (deleted true) of the UID, inside the write transaction. */
export function noteChange(dbs: ChangeDbs, userK: string, uid: string, deleted: boolean): void {
  const uidK = keyPart(uid);
  const previous = dbs.changes.get([userK, uidK]);
  if (typeof previous === 'number') dbs.changes.removeSync([userK, previous]);
  const seq = (dbs.meta.get('change-seq') ?? 0) + 1;
  dbs.meta.putSync('change-seq', seq);
  dbs.changes.putSync([userK, seq], { uid, deleted });
  dbs.changes.putSync([userK, uidK], seq);
}

/** The seq of the user's latest change, 0 when there is none. */
export function latestChange(dbs: ChangeDbs, userK: string): number {
  for (const key of dbs.changes.getKeys({ start: [userK, Number.MAX_SAFE_INTEGER], reverse: true, limit: 1 })) {
    if (Array.isArray(key) && key[0] === userK && typeof key[1] === 'number') return key[1];
  }
  return 0;
}

/** The user's changes after `since`, oldest first, and the latest seq. */
export function changesSince(dbs: ChangeDbs, userK: string, since: number): ObjectChanges {
  const changes: ObjectChange[] = [];
  for (const { key, value } of dbs.changes.getRange({ start: [userK, since + 1] })) {
    if (!Array.isArray(key) || key[0] !== userK || typeof key[1] !== 'number' || typeof value === 'number') break;
    changes.push({ seq: key[1], uid: value.uid, deleted: value.deleted });
  }
  return { latest: changes.length > 0 ? changes[changes.length - 1]!.seq : latestChange(dbs, userK), changes };
}

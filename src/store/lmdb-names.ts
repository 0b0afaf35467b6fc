// The names of a user's calendar object resources: the last segment of the
// object's URL in the CalDAV calendar collection (RFC 4791 section 4.1). A
// client names a new object as it likes (DAVx5 and Apple a random UUID.ics,
// others the UID with characters escaped), and the name must then stay: the
// client finds the object under it again. Objects that arrive by mail get a
// name made from their UID (defaultObjectName).
//
// Layout (one database, 'object-names'): [userK, 0, uidK] -> name, and
// [userK, 1, nameK] -> {name, uid}. Both directions are written together, in
// the transaction that writes or removes the object.

import { createHash } from 'node:crypto';
import type { Database, Key } from 'lmdb';
import { keyPart } from './lmdb-keys.js';

export type NameRecord = string | { name: string; uid: string };

const BY_UID = 0;
const BY_NAME = 1;

/** The longest UID that names its object as it is; longer ones get a digest. */
const PLAIN_UID_MAX = 200;

// Characters a URL segment cannot hold as they are, that proxies and clients
// treat in their own ways even when escaped (a "/" as %2F, "%" decoded twice),
// or that no URL can hold at all (C0 controls, lone surrogates).
const AWKWARD = /[\u0000-\u0020\u007f/\\%?#"<>]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const AWKWARD_GLOBAL = new RegExp(AWKWARD.source, 'g');

/**
 * The name an object gets from its UID: "UID.ics" when the UID is plain
 * enough for a URL segment, else a readable part of it followed by a digest
 * of the whole UID, so that two UIDs never share a name.
 */
export function defaultObjectName(uid: string): string {
  if (uid.length > 0 && uid.length <= PLAIN_UID_MAX && !AWKWARD.test(uid)) return `${uid}.ics`;
  return digestName(uid);
}

/** The name made of a readable part of the UID and a digest of all of it. */
export function digestName(uid: string): string {
  const readable = uid.slice(0, 40).replace(AWKWARD_GLOBAL, '-');
  const digest = createHash('sha256').update(uid, 'utf16le').digest('hex').slice(0, 32);
  return `${readable}${readable ? '-' : ''}${digest}.ics`;
}

export function nameOf(db: Database<NameRecord, Key>, userK: string, uid: string): string | undefined {
  const name = db.get([userK, BY_UID, keyPart(uid)]);
  return typeof name === 'string' ? name : undefined;
}

export function uidNamed(db: Database<NameRecord, Key>, userK: string, name: string): string | undefined {
  const record = db.get([userK, BY_NAME, keyPart(name)]);
  return typeof record === 'object' && record !== null ? record.uid : undefined;
}

/** Gives the UID (which has no name) the name, which must be free. */
export function bindName(db: Database<NameRecord, Key>, userK: string, uid: string, name: string): void {
  db.putSync([userK, BY_UID, keyPart(uid)], name);
  db.putSync([userK, BY_NAME, keyPart(name)], { name, uid });
}

/** Frees the UID's name; returns it (undefined when it had none). */
export function unbindName(db: Database<NameRecord, Key>, userK: string, uid: string): string | undefined {
  const name = nameOf(db, userK, uid);
  if (name === undefined) return undefined;
  db.removeSync([userK, BY_UID, keyPart(uid)]);
  db.removeSync([userK, BY_NAME, keyPart(name)]);
  return name;
}

/**
 * A free name for a new object of the UID: the wished one when it is free,
 * else the default one, else (a client took that for another object) the
 * digest form, numbered if even that is taken.
 */
export function freeName(db: Database<NameRecord, Key>, userK: string, uid: string, wished?: string): string {
  const candidates = [wished, defaultObjectName(uid), digestName(uid)];
  for (const name of candidates) if (name !== undefined && uidNamed(db, userK, name) === undefined) return name;
  for (let n = 2; ; n++) {
    const name = digestName(uid).replace(/\.ics$/, `-${n}.ics`);
    if (uidNamed(db, userK, name) === undefined) return name;
  }
}

// Key building and ordering helpers for the LMDB store.
//
// lmdb-js orders array keys element by element (ordered-binary encoding), which
// gives us prefix scans such as "everything of [user, uid]". Two properties of
// that encoding matter for data that comes from mail:
// - a NUL character inside a string acts as the array delimiter, so
//   ['a\0b'] would sort (and could collide) like ['a', 'b'];
// - a key is at most 1978 bytes, and UIDs, Message-IDs and addresses from a
//   hostile message can be longer than that.
// `keyPart` therefore passes short, plain strings through unchanged and turns
// anything else into a bounded form that ends in a SHA-256 of the original.
// Listings are sorted again in JavaScript, so such strings still come out in
// their true order.

import { createHash } from 'node:crypto';
import type { Database, Key } from 'lmdb';
import { compareText } from '../ical/text-order.js';
import { parseInstant } from '../ical/times.js';

/** Strings up to this many UTF-16 units pass through unchanged (at most 384 UTF-8 bytes). */
const PLAIN_MAX = 128;
/** Length of the readable prefix kept in front of the digest. */
const PREFIX_LENGTH = 64;

// C0 controls, DEL and lone surrogates: the first two can confuse the key
// encoding, the last one is not representable in UTF-8 and would collide.
const UNSAFE =
  /[\u0000-\u001f\u007f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const UNSAFE_GLOBAL = new RegExp(UNSAFE.source, 'g');

/**
 * One string element of a key. Injective: plain strings (1..128 units, no
 * unsafe characters) map to themselves; every other string maps to a form that
 * is longer than 128 units and ends in the digest of its UTF-16 code units.
 */
export function keyPart(value: string): string {
  if (value.length > 0 && value.length <= PLAIN_MAX && !UNSAFE.test(value)) return value;
  const prefix = value.slice(0, PREFIX_LENGTH).replace(UNSAFE_GLOBAL, '?');
  const digest = createHash('sha256').update(value, 'utf16le').digest('hex');
  return `${prefix.padEnd(PREFIX_LENGTH, ' ')}\u007f${digest}`;
}

/**
 * A recurrence id as a key element. The master (null) is the number 0, which
 * ordered-binary sorts before every string: "null first" comes for free.
 */
export function ridKey(recurrenceId: string | null): Key {
  return recurrenceId === null ? 0 : keyPart(recurrenceId);
}

function hasPrefix(key: Key, prefix: readonly Key[]): key is Key[] {
  if (!Array.isArray(key) || key.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (key[i] !== prefix[i]) return false;
  return true;
}

/**
 * The keys that start with the given elements. Collected into an array so
 * callers may delete them while still inside the same write transaction.
 */
export function keysWithPrefix(db: Database<unknown, Key>, prefix: Key[]): Key[][] {
  const keys: Key[][] = [];
  for (const key of db.getKeys({ start: prefix })) {
    if (!hasPrefix(key, prefix)) break;
    keys.push(key);
  }
  return keys;
}

/** The keys and values whose keys start with the given elements, in key order. */
export function entriesWithPrefix<V>(db: Database<V, Key>, prefix: Key[]): Array<{ key: Key[]; value: V }> {
  const entries: Array<{ key: Key[]; value: V }> = [];
  for (const { key, value } of db.getRange({ start: prefix })) {
    if (!hasPrefix(key, prefix)) break;
    entries.push({ key, value });
  }
  return entries;
}

/** The values whose keys start with the given elements, in key order. */
export function valuesWithPrefix<V>(db: Database<V, Key>, prefix: Key[]): V[] {
  const values: V[] = [];
  for (const { key, value } of db.getRange({ start: prefix })) {
    if (!hasPrefix(key, prefix)) break;
    values.push(value);
  }
  return values;
}

/** Milliseconds since the epoch of an ISO 8601 time; throws on anything else. */
export function instant(value: string, what: string): number {
  const ms = typeof value === 'string' ? parseInstant(value) : Number.NaN;
  if (Number.isNaN(ms)) throw new RangeError(`${what} is not an ISO 8601 time: ${JSON.stringify(value)}`);
  return ms;
}

export { compareText };

/** null (the master) first, then by text. */
export function compareRid(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  return compareText(a, b);
}

/**
 * By instant where both parse, so "09:00:00Z" and "09:00:00.000Z" agree; by
 * text otherwise, which keeps the order total and stable.
 */
export function compareTime(a: string, b: string): number {
  const x = Date.parse(a);
  const y = Date.parse(b);
  if (!Number.isNaN(x) && !Number.isNaN(y) && x !== y) return x - y;
  return compareText(a, b);
}

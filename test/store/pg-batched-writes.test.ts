// The PostgreSQL store sends a transaction's writes as their net effect per
// table, a few multi-row statements (src/store/pg-write-set.ts). These tests
// hold it to what the same writes leave in LMDB, write by write: keys removed
// and put again in one commit, removals by pattern after puts, a name freed
// and taken in one commit, the journal's and the change log's order, strings
// that PostgreSQL text and array literals do not hold as they are, and
// commits of thousands of objects, with the statements such a commit sends.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import type { Period } from '../../src/itip/model.js';
import { copyStore } from '../../src/store/copy-store.js';
import { openStore } from '../../src/store/open-store.js';
import { PgStore } from '../../src/store/pg-store.js';
import type { Store, UserTx } from '../../src/store/store.js';
import { newPgDatabase } from '../support/postgres.js';
import { everyRead } from './copy-store-source.js';

const TIMEOUT = 180_000;
const ALICE = 'mailto:alice@example.com';
const ORGANIZER = 'mailto:organizer@example.org';

// Statements sent by any client of this test process, counted while `counting` is set.
let counting = false;
let statements = 0;
const query = pg.Client.prototype.query;
pg.Client.prototype.query = function counted(this: pg.Client, ...args: unknown[]) {
  if (counting) statements++;
  return (query as (...a: unknown[]) => unknown).apply(this, args);
} as typeof query;

async function countStatements<T>(work: () => Promise<T>): Promise<{ value: T; statements: number }> {
  statements = 0;
  counting = true;
  try {
    return { value: await work(), statements };
  } finally {
    counting = false;
  }
}

const dirs: string[] = [];
const opened: Store[] = [];
afterAll(async () => {
  await Promise.all(opened.map((store) => store.close()));
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

async function lmdb(): Promise<Store> {
  const dir = mkdtempSync(join(tmpdir(), 'itip-pg-batch-'));
  dirs.push(dir);
  const store = await openStore(dir);
  opened.push(store);
  return store;
}

async function postgres(): Promise<PgStore> {
  const store = await PgStore.open(await newPgDatabase());
  opened.push(store);
  return store;
}

const hour = (day: number, h: number): string => `2026-12-${String(day).padStart(2, '0')}T${String(h).padStart(2, '0')}:00:00Z`;

function busy(uid: string, day: number, h: number, recurrenceId: string | null = null): Period {
  return { start: hour(day, h), end: hour(day, h + 1), fbtype: 'BUSY', uid, recurrenceId };
}

const ics = (uid: string, summary: string): string => `BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:${uid}\r\nSUMMARY:${summary}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n`;

/** The change log as a client syncing from the start sees it: names in order, without the numbers (each store counts its own). */
async function changeOrder(store: Store, user: string, since = 0): Promise<Array<[string, string, boolean]>> {
  const { latest, changes } = await store.objectChanges(user, since);
  if (changes.length > 0) expect(latest).toBe(changes[changes.length - 1]!.seq);
  return changes.map((change) => [change.name, change.uid, change.deleted]);
}

/** Runs the same transactions on LMDB and PostgreSQL; every read and the change log must agree. */
async function sameOnBoth(commits: Array<(tx: UserTx) => void>): Promise<PgStore> {
  const [a, b] = await Promise.all([lmdb(), postgres()]);
  for (const commit of commits) {
    for (const store of [a, b]) await store.transact(ALICE, commit);
  }
  expect(await everyRead(b)).toEqual(await everyRead(a));
  expect(await changeOrder(b, ALICE)).toEqual(await changeOrder(a, ALICE));
  return b;
}

/** Everything a first commit stores, for a second to remove and put again. */
function fillAlice(tx: UserTx): void {
  tx.setRole('person');
  tx.putObject({ uid: 'a', ics: ics('a', 'first') });
  tx.nameNewObject('b', 'b.ics');
  tx.putObject({ uid: 'b', ics: ics('b', 'first') });
  tx.putObject({ uid: 'c', ics: ics('c', 'first') });
  tx.setOwnPeriods('a', [busy('a', 1, 9), busy('a', 2, 9)]);
  tx.setOwnPeriods('b', [busy('b', 3, 9)]);
  tx.replaceOthersPeriods('a', [
    { ...busy('a', 1, 10), participant: ORGANIZER },
    { ...busy('a', 1, 11), participant: 'mailto:y@example.org' },
  ]);
  tx.replaceOthersPeriods('c', [{ ...busy('c', 4, 10), participant: ORGANIZER }]);
  for (const recurrenceId of [null, hour(1, 9), hour(2, 9)]) tx.putRequest({ uid: 'a', recurrenceId, method: 'REQUEST', from: ORGANIZER, received: hour(1, 8) });
  tx.putRequest({ uid: 'b', recurrenceId: null, method: 'REQUEST', from: ORGANIZER, received: hour(1, 8) });
  for (const [recurrenceId, attendee] of [[null, 'mailto:x@example.org'], [hour(1, 9), 'mailto:x@example.org'], [hour(1, 9), 'mailto:y@example.org']] as const) {
    tx.putCounter({ uid: 'a', recurrenceId, attendee, received: hour(1, 8), ics: ics('a', 'counter') });
  }
  for (const id of ['i1', 'i2']) tx.addInbox({ id, method: 'REQUEST', uid: 'a', from: ORGANIZER, received: hour(1, 8), messageId: `${id}@x`, ics: ics('a', id) });
  tx.addOutbox({ id: 'o1', user: ALICE, method: 'REPLY', uid: 'a', from: ALICE, to: [ORGANIZER], state: 'unprocessed', attempts: 0, created: hour(1, 8), ics: '' });
  for (let n = 1; n <= 3; n++) tx.addJournal({ messageId: `j${n}`, recipient: ALICE, method: 'REQUEST', uid: 'a', outcome: 'applied', reason: 'first', at: hour(1, 8) });
  tx.markSeen('k1', hour(1, 8));
  tx.putSent({ messageId: 's1', units: [{ method: 'REQUEST', uid: 'a', instances: [''] }], to: [ORGANIZER], sent: hour(1, 8) });
}

describe('PgStore: a commit\'s writes batched per table', () => {
  it('leaves what LMDB leaves when one commit removes keys and puts them again, in every table', { timeout: TIMEOUT }, async () => {
    await sameOnBoth([
      fillAlice,
      (tx) => {
        // An object removed and made again under another name; another takes the name the first freed.
        tx.deleteObject('a');
        tx.nameNewObject('a', 'a-again.ics');
        tx.putObject({ uid: 'a', ics: ics('a', 'again') });
        tx.deleteObject('b');
        tx.nameNewObject('d', 'b.ics');
        tx.putObject({ uid: 'd', ics: ics('d', 'took b.ics') });
        // Put, then removed: never stored, but the change log has both.
        tx.putObject({ uid: 'e', ics: ics('e', 'gone') });
        tx.deleteObject('e');
        // Changed twice: the log lists it once, at its latest change.
        tx.putObject({ uid: 'c', ics: ics('c', 'second') });
        tx.putObject({ uid: 'c', ics: ics('c', 'third') });
        // Periods replaced twice: the day of the first replacement only is free again.
        tx.setOwnPeriods('a', [busy('a', 5, 9)]);
        tx.setOwnPeriods('a', [busy('a', 2, 9), busy('a', 6, 9)]);
        tx.setOwnPeriods('b', []);
        tx.setOthersPeriods('a', ORGANIZER, [busy('a', 7, 10)].map((p) => ({ ...p, participant: ORGANIZER })));
        tx.removeOthersPeriods('a', 'mailto:y@example.org');
        tx.setOthersPeriods('a', 'mailto:z@example.org', [{ ...busy('a', 7, 12), participant: 'mailto:z@example.org' }]);
        tx.replaceOthersPeriods('c', [{ ...busy('c', 8, 10), participant: ORGANIZER }]);
        tx.removeOthersPeriods('c');
        tx.replaceOthersPeriods('d', [{ ...busy('d', 8, 10), participant: ORGANIZER }]);
        // All of a UID's requests removed, one put again; one instance's removed after a put.
        tx.removeRequests('a');
        tx.putRequest({ uid: 'a', recurrenceId: hour(2, 9), method: 'CANCEL', from: ORGANIZER, received: hour(2, 8) });
        tx.putRequest({ uid: 'b', recurrenceId: hour(3, 9), method: 'REQUEST', from: ORGANIZER, received: hour(2, 8) });
        tx.removeRequests('b', null);
        tx.putRequest({ uid: 'c', recurrenceId: null, method: 'REQUEST', from: ORGANIZER, received: hour(2, 8) });
        tx.removeRequests('c', null);
        // One attendee's counters across instances removed, one put again.
        tx.removeCounters('a', undefined, 'mailto:x@example.org');
        tx.putCounter({ uid: 'a', recurrenceId: hour(1, 9), attendee: 'mailto:x@example.org', received: hour(2, 8), ics: ics('a', 'again') });
        tx.putCounter({ uid: 'b', recurrenceId: null, attendee: 'mailto:x@example.org', received: hour(2, 8), ics: ics('b', 'c') });
        tx.removeCounters('b', null);
        expect(tx.removeInbox('i1')).toBe(true);
        tx.addInbox({ id: 'i1', method: 'CANCEL', uid: 'a', from: ORGANIZER, received: hour(2, 8), messageId: 'i1-again@x', ics: ics('a', 'i1 again') });
        tx.addInbox({ id: 'i3', method: 'REQUEST', uid: 'a', from: ORGANIZER, received: hour(2, 8), messageId: 'i3@x', ics: '' });
        expect(tx.removeInbox('i3')).toBe(true);
        tx.addOutbox({ id: 'o1', user: ALICE, method: 'REPLY', uid: 'a', from: ALICE, to: [ORGANIZER], state: 'processed', attempts: 1, created: hour(1, 8), ics: '' });
        tx.addOutbox({ id: 'o2', user: ALICE, method: 'REPLY', uid: 'a', from: ALICE, to: [ORGANIZER], state: 'unprocessed', attempts: 0, created: hour(2, 8), ics: '', nextAttempt: hour(2, 9) });
        tx.markSeen('k1', hour(2, 8));
        tx.markSeen('k2', hour(2, 8));
        tx.putSent({ messageId: 's1', units: [], to: [], sent: hour(2, 8) });
        for (let n = 4; n <= 9; n++) tx.addJournal({ messageId: `j${n}`, recipient: ALICE, method: 'REQUEST', uid: 'a', outcome: 'applied', reason: 'second', at: hour(2, 8) });
        tx.setPref('p', 'v');
      },
    ]);
  });

  it('writes the change log in the order of each name\'s latest change, the latest holding the sync token', { timeout: TIMEOUT }, async () => {
    const store = await postgres();
    await store.transact(ALICE, (tx) => ['x', 'y', 'z'].forEach((uid) => tx.putObject({ uid, ics: ics(uid, '1') })));
    const { latest } = await store.objectChanges(ALICE, 0);
    await store.transact(ALICE, (tx) => {
      for (const uid of ['x', 'y', 'z']) tx.putObject({ uid, ics: ics(uid, '2') });
      tx.deleteObject('y');
      tx.putObject({ uid: 'x', ics: ics('x', '3') });
    });
    expect(await changeOrder(store, ALICE, latest)).toEqual([
      ['z.ics', 'z', false],
      ['y.ics', 'y', true],
      ['x.ics', 'x', false],
    ]);
  });

  it('keeps NUL, lone surrogates and the characters of array literals in every batched column', { timeout: TIMEOUT }, async () => {
    const odd = ['nul\u0000inside', 'lone\ud800high', 'lone\udc00low', 'quote"{a,b}\\back', 'NULL', ' spaced ', 'é漢🙂'];
    const store = await sameOnBoth([
      (tx) => {
        tx.setRole('person');
        odd.forEach((text, n) => {
          const uid = `uid-${text}`;
          tx.nameNewObject(uid, `name-${text}.ics`);
          tx.putObject({ uid, ics: ics(uid, text) });
          tx.setOwnPeriods(uid, [busy(uid, 1 + n, 9, n % 2 ? hour(1 + n, 9) : null)]);
          tx.setOthersPeriods(uid, `mailto:${text}`, [{ ...busy(uid, 1 + n, 10), participant: `mailto:${text}` }]);
          tx.putRequest({ uid, recurrenceId: `rid-${text}`, method: 'REQUEST', from: `mailto:${text}`, received: hour(1, 8) });
          tx.putCounter({ uid, recurrenceId: null, attendee: `mailto:${text}`, received: hour(1, 8), ics: text });
          tx.addInbox({ id: `inbox-${text}`, method: 'REQUEST', uid, from: text, received: hour(1, 8), messageId: text, ics: text });
          tx.addOutbox({ id: `out-${text}`, user: ALICE, method: 'REPLY', uid, from: ALICE, to: [text], state: 'unprocessed', attempts: 0, created: hour(1, 8), ics: text });
          tx.addJournal({ messageId: text, recipient: ALICE, method: 'REQUEST', uid, outcome: 'applied', reason: text, at: hour(1, 8) });
          tx.markSeen(`seen-${text}`, hour(1, 8));
          tx.putSent({ messageId: `sent-${text}`, units: [{ method: 'REQUEST', uid, instances: [text] }], to: [text], sent: hour(1, 8) });
          tx.setPref(`pref-${text}`, text);
        });
      },
      (tx) => {
        // Removals by the odd keys, in the same statements as puts of others.
        const [first, second, ...rest] = odd;
        tx.deleteObject(`uid-${first}`);
        tx.removeRequests(`uid-${second}`, `rid-${second}`);
        tx.removeCounters(`uid-${second}`, undefined, `mailto:${second}`);
        tx.removeOthersPeriods(`uid-${second}`, `mailto:${second}`);
        expect(tx.removeInbox(`inbox-${second}`)).toBe(true);
        for (const text of rest) tx.putObject({ uid: `uid-${text}`, ics: ics(text, 'again') });
      },
    ]);
    for (const text of odd.slice(1)) {
      expect(await store.objectNamed(ALICE, `name-${text}.ics`)).toBe(`uid-${text}`);
    }
    expect(await store.getObject(ALICE, `uid-${odd[0]}`)).toBeUndefined();
    expect((await store.listJournal(ALICE)).map((entry) => entry.reason)).toEqual(odd);
  });

  it('commits 5,000 objects with their periods, requests and journal in a few statements, and removes half of them in as few', { timeout: TIMEOUT }, async () => {
    const store = await postgres();
    const count = 5000;
    const uid = (n: number): string => `bulk-${n}@example.com`;
    const first = await countStatements(() =>
      store.transact(ALICE, (tx) => {
        for (let n = 0; n < count; n++) {
          tx.putObject({ uid: uid(n), ics: ics(uid(n), `n${n}`) });
          // Three periods and three journal entries each: those tables take more than one statement's rows.
          const february = `2027-02-0${1 + (n % 9)}`;
          tx.setOwnPeriods(uid(n), [
            busy(uid(n), 1 + (n % 28), n % 20),
            { ...busy(uid(n), 1, 9), start: '2027-01-04T09:00:00Z', end: '2027-01-04T10:00:00Z' },
            { ...busy(uid(n), 1, 9), start: `${february}T09:00:00Z`, end: `${february}T10:00:00Z` },
          ]);
          if (n % 5 === 0) tx.putRequest({ uid: uid(n), recurrenceId: null, method: 'REQUEST', from: ORGANIZER, received: hour(1, 8) });
          for (let k = 0; k < 3; k++) tx.addJournal({ messageId: `m${n}-${k}`, recipient: ALICE, method: 'REQUEST', uid: uid(n), outcome: 'applied', reason: 'bulk', at: hour(1, 8) });
        }
      }),
    );
    // Lock, fetches, one DELETE and one INSERT per table (a few for the biggest), busy days, commit: tens, not thousands.
    expect(first.statements).toBeLessThan(30);
    expect((await store.listObjects(ALICE)).length).toBe(count);
    expect((await store.freeBusy(ALICE)).length).toBe(3 * count);
    expect((await store.listRequests(ALICE)).length).toBe(count / 5);
    expect((await store.listJournal(ALICE)).map((entry) => entry.messageId)).toEqual(
      Array.from({ length: count }, (_, n) => [0, 1, 2].map((k) => `m${n}-${k}`)).flat(),
    );
    expect((await store.objectChanges(ALICE, 0)).changes).toHaveLength(count);

    const second = await countStatements(() =>
      store.transact(ALICE, (tx) => {
        for (let n = 0; n < count; n += 2) {
          tx.deleteObject(uid(n));
          tx.setOwnPeriods(uid(n), []);
          tx.removeRequests(uid(n));
        }
      }),
    );
    expect(second.statements).toBeLessThan(30);
    expect((await store.listObjects(ALICE)).map((object) => object.uid)).toEqual(
      Array.from({ length: count / 2 }, (_, i) => uid(2 * i + 1)).sort(),
    );
    expect((await store.freeBusy(ALICE)).length).toBe((3 * count) / 2);
    expect((await store.listRequests(ALICE)).map((entry) => entry.uid)).toEqual(
      Array.from({ length: count / 10 }, (_, i) => uid(10 * i + 5)).sort(),
    );
    // Each day's busy record follows the periods left: the odd ones' hours only.
    const day = await store.busyTime(ALICE, { from: hour(2, 0), to: hour(3, 0) });
    const hours = new Set(Array.from({ length: count / 2 }, (_, i) => 2 * i + 1).filter((n) => n % 28 === 1).map((n) => n % 20));
    expect(day.map((b) => Number(b.start.slice(11, 13)))).toEqual([...hours].sort((x, y) => x - y));
  });

  it('copies a user of 2,000 objects from LMDB in one commit of a few statements per table, and back, reading the names in one query', { timeout: TIMEOUT }, async () => {
    const source = await lmdb();
    await source.transact(ALICE, (tx) => {
      tx.setRole('person');
      for (let n = 0; n < 2000; n++) {
        const id = `copied-${n}`;
        tx.nameNewObject(id, `client-${n}.ics`);
        tx.putObject({ uid: id, ics: ics(id, `n${n}`) });
        tx.setOwnPeriods(id, [busy(id, 1 + (n % 28), n % 20)]);
        tx.setOthersPeriods(id, ORGANIZER, [{ ...busy(id, 1 + (n % 28), n % 20), participant: ORGANIZER }]);
        tx.addJournal({ messageId: `m${n}`, recipient: ALICE, method: 'REQUEST', uid: id, outcome: 'applied', reason: 'copy', at: hour(1, 8) });
        tx.markSeen(`k${n}`, hour(1, 8));
      }
    });
    const target = await postgres();
    const copy = await countStatements(() => copyStore(source, target));
    expect(copy.value.copied).toBe(1);
    // The reads of the empty target, then BEGIN, the lock, the fetches, the writes and COMMIT.
    expect(copy.statements).toBeLessThan(60);
    const sourceReads = await everyRead(source);
    expect(await everyRead(target)).toEqual(sourceReads);
    // Again, nothing to write: the target's names come in one read, not one per object.
    const again = await countStatements(() => copyStore(source, target));
    expect(again.value.unchanged).toBe(1);
    expect(again.statements).toBeLessThan(30);
    // And back from PostgreSQL into an empty LMDB store, under the same names.
    const back = await lmdb();
    const home = await countStatements(() => copyStore(target, back));
    expect(home.value.copied).toBe(1);
    expect(home.statements).toBeLessThan(30);
    expect(await everyRead(back)).toEqual(sourceReads);
  });
});

// The contract every Store implementation passes (LMDB now, PostgreSQL later).
// It uses only the Store and UserTx interfaces: an implementation plugs in
// through a factory that opens a new, empty store per test.
//
// The assertions compare whole values (toStrictEqual on complete lists), so an
// extra key, a missing entry, a wrong order or a changed character all fail.

import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import type {
  CounterEntry,
  FbType,
  InboxItem,
  JournalEntry,
  OthersPeriod,
  OutboxItem,
  Period,
  RequestEntry,
  StoredObject,
} from '../../src/itip/model.js';
import type { Store, UserTx } from '../../src/store/store.js';

export interface StoreContractFactory {
  /** A new, empty store (each test gets its own). */
  open(): Promise<Store> | Store;
  /** Closes the store and opens the same data again, as a restarted process would. */
  reopen?(store: Store): Promise<Store>;
  /** Runs once after the whole suite (drop folders, schemas, ...). */
  cleanup?(): Promise<void>;
}

// ---------------------------------------------------------------------------
// Fixtures built from the model types.

const ALICE = 'mailto:alice@example.org';
const BOB = 'mailto:bob@example.org';
const CAROL = 'mailto:carol@example.org';

const H = 60 * 60 * 1000;
const D = 24 * H;
const W = 7 * D;
/** 2026-03-10T00:00:00Z: the start of the query day in the free/busy tests. */
const DAY = Date.UTC(2026, 2, 10);

function iso(ms: number): string {
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}

function icsOf(uid: string, sequence = 0): string {
  return [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'PRODID:-//itip-agent//store contract//EN',
    'BEGIN:VEVENT',
    `UID:${uid}`,
    `SEQUENCE:${sequence}`,
    'DTSTAMP:20260301T120000Z',
    'DTSTART:20260310T090000Z',
    'DTEND:20260310T100000Z',
    'SUMMARY:Contract',
    'END:VEVENT',
    'END:VCALENDAR',
    '',
  ].join('\r\n');
}

function objectOf(uid: string, sequence = 0): StoredObject {
  return { uid, ics: icsOf(uid, sequence) };
}

function period(uid: string, startMs: number, endMs: number, recurrenceId: string | null = null, fbtype: FbType = 'BUSY'): Period {
  return { start: iso(startMs), end: iso(endMs), fbtype, uid, recurrenceId };
}

function othersPeriod(
  uid: string,
  participant: string,
  startMs: number,
  endMs: number,
  recurrenceId: string | null = null,
  fbtype: FbType = 'BUSY',
): OthersPeriod {
  return { start: iso(startMs), end: iso(endMs), fbtype, uid, recurrenceId, participant };
}

function requestOf(uid: string, recurrenceId: string | null, method: RequestEntry['method'] = 'REQUEST', n = 0): RequestEntry {
  return { uid, recurrenceId, method, from: 'mailto:organizer@example.org', received: iso(DAY + n * 1000) };
}

function counterOf(uid: string, recurrenceId: string | null, attendee: string, n = 0): CounterEntry {
  return { uid, recurrenceId, attendee, received: iso(DAY + n * 1000), ics: `${icsOf(uid, n)}X-PROPOSAL:${n}` };
}

function inboxOf(id: string, receivedMs: number, uid = 'inbox-uid'): InboxItem {
  return {
    id,
    method: 'REQUEST',
    uid,
    from: 'mailto:organizer@example.org',
    received: iso(receivedMs),
    messageId: `<${id.length}-${receivedMs}@example.org>`,
    ics: icsOf(uid),
  };
}

function outboxOf(id: string, user: string, createdMs: number, uid = 'outbox-uid'): OutboxItem {
  return {
    id,
    user,
    method: 'REPLY',
    uid,
    from: user,
    to: ['mailto:organizer@example.org', 'mailto:second@example.org'],
    state: 'unprocessed',
    attempts: 0,
    created: iso(createdMs),
    ics: icsOf(uid),
  };
}

function journalOf(recipient: string, n: number, uid = 'journal-uid'): JournalEntry {
  return {
    messageId: `<message-${n}@example.org>`,
    recipient,
    method: 'REQUEST',
    uid,
    outcome: n % 2 === 0 ? 'applied' : 'stale',
    reason: `reason ${n}`,
    at: iso(DAY + n * 1000),
  };
}

/** Code-unit order, as the contract asks for every listing sorted by text. */
function byText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function byRid(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  return byText(a, b);
}

/** The documented free/busy order: start, then uid, then recurrence id (master first), then participant. */
function byPeriod(a: Period, b: Period): number {
  return (
    Date.parse(a.start) - Date.parse(b.start) ||
    byText(a.uid, b.uid) ||
    byRid(a.recurrenceId, b.recurrenceId) ||
    byText((a as Partial<OthersPeriod>).participant ?? '', (b as Partial<OthersPeriod>).participant ?? '')
  );
}

function overlapping<P extends Period>(periods: P[], fromMs: number, toMs: number): P[] {
  return periods.filter((p) => Date.parse(p.start) < toMs && Date.parse(p.end) > fromMs).sort(byPeriod);
}

/** JSON with object keys sorted, so that equal data gives equal text whatever the key order. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => byText(a, b)))
      : v,
  );
}

/** Settles a promise into a value at once, so that a rejection is never left unhandled. */
function settle<T>(promise: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  return promise.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
}

/** Everything the read side of the Store shows about one user. */
export async function userSnapshot(store: Store, user: string) {
  return {
    user,
    role: await store.getRole(user),
    prefs: await store.getPrefs(user),
    objects: await store.listObjects(user),
    own: await store.freeBusy(user),
    others: await store.freeBusy(user, { others: true }),
    requests: await store.listRequests(user),
    counters: await store.listCounters(user),
    inbox: await store.listInbox(user),
    outbox: await store.listOutbox(user),
    journal: await store.listJournal(user),
  };
}

/** Everything the read side of the Store shows about these users. */
async function snapshot(store: Store, users: string[]) {
  return {
    users: await store.listUsers(),
    outbox: await store.listOutbox(),
    journal: await store.listJournal(),
    perUser: await Promise.all(users.map((user) => userSnapshot(store, user))),
  };
}

/** One write of every kind for the user, tagged so that two users' data differ. */
function fillUser(tx: UserTx, tag: string): void {
  tx.setRole('person');
  tx.setPref('LANG', `en-${tag}`);
  tx.setPref('TZID', 'Europe/Berlin');
  tx.putObject(objectOf(`${tag}-1`));
  tx.putObject({ ...objectOf(`${tag}-2`), replyMarks: { '': { [BOB]: { sequence: 2, dtstamp: '2026-03-01T12:00:00Z' } } } });
  tx.setOwnPeriods(`${tag}-1`, [period(`${tag}-1`, DAY + 9 * H, DAY + 10 * H), period(`${tag}-1`, DAY - 2 * W, DAY + W)]);
  tx.setOthersPeriods(`${tag}-2`, BOB, [othersPeriod(`${tag}-2`, BOB, DAY + 11 * H, DAY + 12 * H, null, 'BUSY-TENTATIVE')]);
  tx.putRequest(requestOf(`${tag}-1`, null));
  tx.putRequest(requestOf(`${tag}-1`, '2026-03-17T09:00:00Z', 'ADD', 1));
  tx.putCounter(counterOf(`${tag}-2`, null, BOB));
  tx.addInbox(inboxOf(`${tag}-inbox`, DAY));
  tx.addOutbox(outboxOf(`${tag}-outbox`, tx.user, DAY));
  tx.addJournal(journalOf(tx.user, 1, `${tag}-1`));
  tx.markSeen(`<${tag}@example.org> sha256:1`, iso(DAY));
}

/** Changes every kind of data of a user filled by fillUser. */
function changeEverything(tx: UserTx, tag: string): void {
  tx.setRole('resource');
  tx.setPref('LANG', null);
  tx.setPref('CN', 'Changed');
  tx.putObject(objectOf(`${tag}-1`, 5));
  tx.deleteObject(`${tag}-2`);
  tx.putObject(objectOf(`${tag}-new`));
  tx.setOwnPeriods(`${tag}-1`, []);
  tx.setOwnPeriods(`${tag}-new`, [period(`${tag}-new`, DAY, DAY + H)]);
  tx.setOthersPeriods(`${tag}-2`, BOB, [othersPeriod(`${tag}-2`, BOB, DAY, DAY + H)]);
  tx.removeOthersPeriods(`${tag}-2`);
  tx.setOthersPeriods(`${tag}-new`, CAROL, [othersPeriod(`${tag}-new`, CAROL, DAY, DAY + H)]);
  tx.removeRequests(`${tag}-1`);
  tx.putRequest(requestOf(`${tag}-new`, null, 'COUNTER'));
  tx.removeCounters(`${tag}-2`);
  tx.putCounter(counterOf(`${tag}-new`, null, CAROL));
  tx.addInbox(inboxOf(`${tag}-inbox-2`, DAY + H));
  tx.addOutbox(outboxOf(`${tag}-outbox-2`, tx.user, DAY + H));
  tx.addJournal(journalOf(tx.user, 2));
  tx.markSeen('<changed@example.org> sha256:2', iso(DAY));
}

// ---------------------------------------------------------------------------

export function describeStoreContract(name: string, factory: StoreContractFactory): void {
  describe(`Store contract: ${name}`, () => {
    let store: Store;

    beforeEach(async () => {
      store = await factory.open();
    });
    afterEach(async () => {
      await store.close();
    });
    afterAll(async () => {
      await factory.cleanup?.();
    });

    const seen = (user: string, keys: string[]): Promise<boolean[]> =>
      store.transact(user, (tx) => keys.map((key) => tx.hasSeen(key)));

    describe('transact', () => {
      it('returns the value of the callback and gives a view of the named user', async () => {
        const value = { answer: 42, list: ['a'] };
        let viewUser: string | undefined;
        const result = await store.transact(ALICE, (tx) => {
          viewUser = tx.user;
          return value;
        });
        expect(result).toBe(value);
        expect(viewUser).toBe(ALICE);
        expect(await store.transact(ALICE, () => undefined)).toBeUndefined();
        expect(await store.transact(ALICE, () => 'text')).toBe('text');
      });

      it('lets reads inside the transaction see its earlier writes', async () => {
        const observed = await store.transact(ALICE, (tx) => {
          const before = {
            role: tx.getRole(),
            prefs: tx.getPrefs(),
            object: tx.getObject('u1'),
            counters: tx.listCounters('u1'),
            seen: tx.hasSeen('m1'),
          };
          tx.setRole('resource');
          tx.setPref('LANG', 'de');
          tx.setPref('CN', 'Alice');
          tx.putObject(objectOf('u1'));
          tx.putCounter(counterOf('u1', null, BOB));
          tx.markSeen('m1', iso(DAY));
          const afterWrite = {
            role: tx.getRole(),
            prefs: tx.getPrefs(),
            object: tx.getObject('u1'),
            counters: tx.listCounters('u1'),
            seen: tx.hasSeen('m1'),
          };
          tx.setRole('person');
          tx.setPref('LANG', null);
          tx.putObject(objectOf('u1', 3));
          tx.putCounter(counterOf('u1', null, BOB, 3));
          const afterReplace = {
            role: tx.getRole(),
            prefs: tx.getPrefs(),
            object: tx.getObject('u1'),
            counters: tx.listCounters('u1'),
          };
          tx.deleteObject('u1');
          tx.removeCounters('u1');
          return { before, afterWrite, afterReplace, afterDelete: { object: tx.getObject('u1'), counters: tx.listCounters('u1') } };
        });
        expect(observed).toStrictEqual({
          before: { role: undefined, prefs: {}, object: undefined, counters: [], seen: false },
          afterWrite: {
            role: 'resource',
            prefs: { CN: 'Alice', LANG: 'de' },
            object: objectOf('u1'),
            counters: [counterOf('u1', null, BOB)],
            seen: true,
          },
          afterReplace: {
            role: 'person',
            prefs: { CN: 'Alice' },
            object: objectOf('u1', 3),
            counters: [counterOf('u1', null, BOB, 3)],
          },
          afterDelete: { object: undefined, counters: [] },
        });
        expect(await store.getRole(ALICE)).toBe('person');
        expect(await store.listObjects(ALICE)).toStrictEqual([]);
        expect(await seen(ALICE, ['m1'])).toStrictEqual([true]);
      });

      it('keeps sent messages per user and Message-ID, replacing one with the same id, across a reopen', async () => {
        const record = (to: string[]) => ({
          messageId: 'invite-1@example.org',
          units: [{ method: 'REQUEST' as const, uid: 'u1', instances: ['', '20260310T090000Z'] }],
          to,
          sent: iso(DAY),
        });
        const long = `${'x'.repeat(3000)}\u0000@example.org`;
        await store.transact(ALICE, (tx) => {
          expect(tx.getSent('invite-1@example.org')).toBeUndefined();
          tx.putSent(record([BOB]));
          tx.putSent(record([BOB, CAROL]));
          tx.putSent({ ...record([CAROL]), messageId: long });
          expect(tx.getSent('invite-1@example.org')).toEqual(record([BOB, CAROL]));
        });
        if (factory.reopen) store = await factory.reopen(store);
        const seen = await store.transact(ALICE, (tx) => [tx.getSent('invite-1@example.org'), tx.getSent(long), tx.getSent('')]);
        expect(seen).toEqual([record([BOB, CAROL]), { ...record([CAROL]), messageId: long }, undefined]);
        // Another user's view does not see them.
        expect(await store.transact(BOB, (tx) => tx.getSent('invite-1@example.org'))).toBeUndefined();
      });

      it('persists nothing when the callback throws, and rejects with that error', async () => {
        await store.transact(ALICE, (tx) => fillUser(tx, 'a'));
        await store.transact(BOB, (tx) => fillUser(tx, 'b'));
        const before = await snapshot(store, [ALICE, BOB, CAROL]);
        const boom = new Error('boom');

        await expect(
          store.transact(ALICE, (tx) => {
            changeEverything(tx, 'a');
            throw boom;
          }),
        ).rejects.toBe(boom);
        // A user who did not exist before stays unknown.
        await expect(
          store.transact(CAROL, (tx) => {
            fillUser(tx, 'c');
            throw boom;
          }),
        ).rejects.toBe(boom);
        // Throwing something that is not an Error still rejects with it.
        await expect(
          store.transact(BOB, (tx) => {
            changeEverything(tx, 'b');
            throw 'plain string';
          }),
        ).rejects.toBe('plain string');

        expect(await snapshot(store, [ALICE, BOB, CAROL])).toStrictEqual(before);
        expect(await store.listUsers()).toStrictEqual([ALICE, BOB]);
        expect(await seen(ALICE, ['<a@example.org> sha256:1', '<changed@example.org> sha256:2'])).toStrictEqual([true, false]);
        expect(await seen(CAROL, ['<c@example.org> sha256:1'])).toStrictEqual([false]);
        expect(await store.getOutbox('a-outbox-2')).toBeUndefined();
        expect(await store.getOutbox('c-outbox')).toBeUndefined();

        // The journal numbering is not disturbed: the next entry follows the kept ones.
        await store.transact(ALICE, (tx) => tx.addJournal(journalOf(ALICE, 9)));
        expect(await store.listJournal()).toStrictEqual([journalOf(ALICE, 1, 'a-1'), journalOf(BOB, 1, 'b-1'), journalOf(ALICE, 9)]);
      });

      it('keeps the writes of a callback that caught an error of its own', async () => {
        await store.transact(ALICE, (tx) => {
          tx.setRole('person');
          expect(() => tx.setRole('admin' as never)).toThrow();
          tx.putObject(objectOf('kept'));
        });
        expect(await store.getRole(ALICE)).toBe('person');
        expect(await store.listObjects(ALICE)).toStrictEqual([objectOf('kept')]);
      });

      it('refuses an async callback with a TypeError and writes nothing', async () => {
        await store.transact(ALICE, (tx) => fillUser(tx, 'a'));
        const before = await snapshot(store, [ALICE]);

        await expect(
          store.transact(ALICE, async (tx) => {
            changeEverything(tx, 'a');
          }),
        ).rejects.toBeInstanceOf(TypeError);

        // A callback returning some other thenable is refused the same way.
        await expect(
          store.transact(ALICE, (tx) => {
            tx.putObject(objectOf('thenable'));
            return { then: () => undefined };
          }),
        ).rejects.toBeInstanceOf(TypeError);

        // The part after an await cannot write either: the view has ended by then.
        let late: unknown = 'not run';
        await expect(
          store.transact(ALICE, async (tx) => {
            tx.putObject(objectOf('before-await'));
            await Promise.resolve();
            try {
              tx.putObject(objectOf('after-await'));
              late = 'written';
            } catch (error) {
              late = error;
            }
          }),
        ).rejects.toBeInstanceOf(TypeError);
        await new Promise((resolve) => setTimeout(resolve, 5));
        expect(late).toBeInstanceOf(Error);

        expect(await snapshot(store, [ALICE])).toStrictEqual(before);
      });

      it('does not leave an unhandled rejection behind when an async callback fails later', async () => {
        const unhandled: unknown[] = [];
        const listener = (reason: unknown): void => {
          unhandled.push(reason);
        };
        process.on('unhandledRejection', listener);
        try {
          await expect(
            store.transact(ALICE, async (tx) => {
              await Promise.resolve();
              tx.putObject(objectOf('late'));
            }),
          ).rejects.toBeInstanceOf(TypeError);
          await new Promise((resolve) => setTimeout(resolve, 20));
        } finally {
          process.off('unhandledRejection', listener);
        }
        expect(unhandled).toStrictEqual([]);
        expect(await store.listObjects(ALICE)).toStrictEqual([]);
      });

      it('rejects a transact or updateOutbox started inside another transact', async () => {
        await store.transact(BOB, (tx) => tx.addOutbox(outboxOf('o1', BOB, DAY)));
        let inner: ReturnType<typeof settle<unknown>> | undefined;
        let innerUpdate: ReturnType<typeof settle<void>> | undefined;
        let innerRan = false;
        await store.transact(ALICE, (tx) => {
          tx.setRole('person');
          inner = settle(
            store.transact(BOB, (bobTx) => {
              innerRan = true;
              bobTx.setRole('resource');
            }),
          );
          innerUpdate = settle(store.updateOutbox({ ...outboxOf('o1', BOB, DAY), state: 'processed', attempts: 1 }));
          tx.putObject(objectOf('outer'));
        });
        const innerResult = await inner!;
        const updateResult = await innerUpdate!;
        expect(innerResult.ok).toBe(false);
        expect(updateResult.ok).toBe(false);
        expect(innerRan).toBe(false);
        expect(await store.getRole(ALICE)).toBe('person');
        expect(await store.listObjects(ALICE)).toStrictEqual([objectOf('outer')]);
        expect(await store.getRole(BOB)).toBeUndefined();
        expect(await store.getOutbox('o1')).toStrictEqual(outboxOf('o1', BOB, DAY));
      });

      it('refuses every use of the view after the callback has ended', async () => {
        await store.transact(ALICE, (tx) => fillUser(tx, 'a'));
        const before = await snapshot(store, [ALICE]);
        let kept: UserTx | undefined;
        await store.transact(ALICE, (tx) => {
          kept = tx;
        });
        let keptFromThrow: UserTx | undefined;
        await expect(
          store.transact(ALICE, (tx) => {
            keptFromThrow = tx;
            throw new Error('abort');
          }),
        ).rejects.toThrow('abort');

        const uses: Array<[string, (tx: UserTx) => unknown]> = [
          ['getRole', (tx) => tx.getRole()],
          ['setRole', (tx) => tx.setRole('resource')],
          ['getPrefs', (tx) => tx.getPrefs()],
          ['setPref', (tx) => tx.setPref('LANG', 'fr')],
          ['getObject', (tx) => tx.getObject('a-1')],
          ['putObject', (tx) => tx.putObject(objectOf('late'))],
          ['deleteObject', (tx) => tx.deleteObject('a-1')],
          ['setOwnPeriods', (tx) => tx.setOwnPeriods('a-1', [])],
          ['setOthersPeriods', (tx) => tx.setOthersPeriods('a-2', BOB, [])],
          ['removeOthersPeriods', (tx) => tx.removeOthersPeriods('a-2')],
          ['freeBusy', (tx) => tx.freeBusy()],
          ['putRequest', (tx) => tx.putRequest(requestOf('late', null))],
          ['removeRequests', (tx) => tx.removeRequests('a-1')],
          ['listRequests', (tx) => tx.listRequests('a-1')],
          ['putCounter', (tx) => tx.putCounter(counterOf('late', null, BOB))],
          ['removeCounters', (tx) => tx.removeCounters('a-2')],
          ['listCounters', (tx) => tx.listCounters('a-2')],
          ['addInbox', (tx) => tx.addInbox(inboxOf('late', DAY))],
          ['addOutbox', (tx) => tx.addOutbox(outboxOf('late', ALICE, DAY))],
          ['addJournal', (tx) => tx.addJournal(journalOf(ALICE, 7))],
          ['hasSeen', (tx) => tx.hasSeen('<a@example.org> sha256:1')],
          ['markSeen', (tx) => tx.markSeen('late', iso(DAY))],
          ['putSent', (tx) => tx.putSent({ messageId: 'late', units: [], to: [], sent: iso(DAY) })],
          ['getSent', (tx) => tx.getSent('late')],
        ];
        for (const tx of [kept!, keptFromThrow!]) {
          for (const [method, use] of uses) expect(() => use(tx), method).toThrow();
        }
        // Also not after a pause (a later event turn, a later batch).
        await new Promise((resolve) => setTimeout(resolve, 5));
        for (const [method, use] of uses) expect(() => use(kept!), method).toThrow();

        expect(await snapshot(store, [ALICE])).toStrictEqual(before);
        expect(await seen(ALICE, ['late'])).toStrictEqual([false]);
      });

      it('rejects an empty user without running the callback', async () => {
        let ran = false;
        await expect(
          store.transact('', () => {
            ran = true;
          }),
        ).rejects.toThrow();
        expect(ran).toBe(false);
        expect(await store.listUsers()).toStrictEqual([]);
      });

      it('commits transacts started in the same tick for different users; a throwing one affects no other', async () => {
        const users = [0, 1, 2, 3, 4].map((i) => `mailto:same-tick-${i}@example.org`);
        const boom = new Error('third fails');
        const results = await Promise.allSettled(
          users.map((user, i) =>
            store.transact(user, (tx) => {
              tx.setRole(i % 2 === 0 ? 'person' : 'resource');
              tx.putObject(objectOf(`tick-${i}`));
              tx.setOwnPeriods(`tick-${i}`, [period(`tick-${i}`, DAY + i * H, DAY + (i + 1) * H)]);
              tx.addJournal(journalOf(user, i));
              tx.markSeen(`m-${i}`, iso(DAY));
              if (i === 2) throw boom;
              return i * 10;
            }),
          ),
        );
        expect(results).toStrictEqual([
          { status: 'fulfilled', value: 0 },
          { status: 'fulfilled', value: 10 },
          { status: 'rejected', reason: boom },
          { status: 'fulfilled', value: 30 },
          { status: 'fulfilled', value: 40 },
        ]);
        expect(await store.listUsers()).toStrictEqual([users[0], users[1], users[3], users[4]]);
        for (const i of [0, 1, 3, 4]) {
          const user = users[i]!;
          expect(await store.getRole(user)).toBe(i % 2 === 0 ? 'person' : 'resource');
          expect(await store.listObjects(user)).toStrictEqual([objectOf(`tick-${i}`)]);
          expect(await store.freeBusy(user)).toStrictEqual([period(`tick-${i}`, DAY + i * H, DAY + (i + 1) * H)]);
          expect(await store.listJournal(user)).toStrictEqual([journalOf(user, i)]);
          expect(await seen(user, [`m-${i}`])).toStrictEqual([true]);
        }
        const failed = users[2]!;
        expect(await store.getRole(failed)).toBeUndefined();
        expect(await store.listObjects(failed)).toStrictEqual([]);
        expect(await store.freeBusy(failed)).toStrictEqual([]);
        expect(await store.listJournal(failed)).toStrictEqual([]);
        expect(await seen(failed, ['m-2'])).toStrictEqual([false]);
        const all = await store.listJournal();
        expect([...all].sort((a, b) => byText(a.recipient, b.recipient))).toStrictEqual(
          [0, 1, 3, 4].map((i) => journalOf(users[i]!, i)),
        );
      });

      it('loses no update when many transacts for one user start in the same tick', async () => {
        const count = 20;
        await Promise.all(
          Array.from({ length: count }, (_, i) =>
            store.transact(ALICE, (tx) => {
              const n = Number(tx.getPrefs()['counter'] ?? '0');
              tx.setPref('counter', String(n + 1));
              tx.addJournal(journalOf(ALICE, i));
            }),
          ),
        );
        expect(await store.getPrefs(ALICE)).toStrictEqual({ counter: String(count) });
        expect(await store.listJournal(ALICE)).toHaveLength(count);
        expect(new Set((await store.listJournal(ALICE)).map((entry) => entry.messageId)).size).toBe(count);
      });
    });

    if (factory.reopen) {
      const reopen = factory.reopen.bind(factory);
      describe('durability', () => {
        it('shows everything a resolved transact wrote after the store is reopened', async () => {
          await store.transact(ALICE, (tx) => fillUser(tx, 'a'));
          await store.transact(BOB, (tx) => fillUser(tx, 'b'));
          await store.transact(ALICE, (tx) => changeEverything(tx, 'a'));
          await store.updateOutbox({ ...outboxOf('b-outbox', BOB, DAY), state: 'failed', attempts: 3, lastError: '550 no such user' });
          const before = await snapshot(store, [ALICE, BOB]);

          store = await reopen(store);

          expect(await snapshot(store, [ALICE, BOB])).toStrictEqual(before);
          expect(await seen(ALICE, ['<a@example.org> sha256:1', '<changed@example.org> sha256:2', 'never'])).toStrictEqual([
            true,
            true,
            false,
          ]);
          expect(await store.getOutbox('b-outbox')).toStrictEqual({
            ...outboxOf('b-outbox', BOB, DAY),
            state: 'failed',
            attempts: 3,
            lastError: '550 no such user',
          });
          // The journal numbering continues after a restart; it does not overwrite old entries.
          await store.transact(BOB, (tx) => tx.addJournal(journalOf(BOB, 8)));
          expect(await store.listJournal()).toStrictEqual([...before.journal, journalOf(BOB, 8)]);
        });
      });
    }

    describe('close', () => {
      it('lets pending transacts finish before it resolves, then refuses new writes', async () => {
        await store.transact(BOB, (tx) => tx.addOutbox(outboxOf('o1', BOB, DAY)));
        const finished: number[] = [];
        const pending = [0, 1, 2].map((i) =>
          store
            .transact(ALICE, (tx) => {
              tx.putObject(objectOf(`pending-${i}`));
              tx.addJournal(journalOf(ALICE, i));
              return i;
            })
            .then((value) => {
              finished.push(value);
            }),
        );
        await store.close();
        expect(finished.sort()).toStrictEqual([0, 1, 2]);
        await Promise.all(pending);

        let ran = false;
        await expect(
          store.transact(ALICE, () => {
            ran = true;
          }),
        ).rejects.toThrow();
        expect(ran).toBe(false);
        await expect(store.updateOutbox({ ...outboxOf('o1', BOB, DAY), attempts: 1 })).rejects.toThrow();
        // Closing again is harmless.
        await store.close();

        if (factory.reopen) {
          store = await factory.reopen(store);
          expect(await store.listObjects(ALICE)).toStrictEqual([0, 1, 2].map((i) => objectOf(`pending-${i}`)));
          expect(await store.listJournal(ALICE)).toStrictEqual([0, 1, 2].map((i) => journalOf(ALICE, i)));
          expect(await store.getOutbox('o1')).toStrictEqual(outboxOf('o1', BOB, DAY));
        }
      });
    });

    describe('roles and preferences', () => {
      it('sets and reads roles, refuses an unknown role, lists users sorted', async () => {
        const users = ['mailto:zed@example.org', 'mailto:Zed@example.org', 'mailto:alice@example.org', 'mailto:éva@example.org', 'mailto:10@example.org'];
        await Promise.all(users.map((user) => store.transact(user, (tx) => tx.setRole('person'))));
        await store.transact('mailto:alice@example.org', (tx) => {
          expect(tx.getRole()).toBe('person');
          tx.setRole('resource');
          expect(tx.getRole()).toBe('resource');
        });
        expect(await store.listUsers()).toStrictEqual([...users].sort(byText));
        expect(await store.getRole('mailto:alice@example.org')).toBe('resource');
        expect(await store.getRole('mailto:zed@example.org')).toBe('person');
        expect(await store.getRole('mailto:nobody@example.org')).toBeUndefined();

        for (const bad of ['admin', '', 'Person', null, undefined]) {
          await expect(store.transact(ALICE, (tx) => tx.setRole(bad as never))).rejects.toThrow();
        }
        expect(await store.getRole(ALICE)).toBe('resource');
        expect(await store.listUsers()).toStrictEqual([...users].sort(byText));
      });

      it('sets and removes preferences, returns them with sorted keys', async () => {
        await store.transact(ALICE, (tx) => {
          tx.setPref('TZID', 'Europe/Berlin');
          tx.setPref('CN', 'Alice');
          tx.setPref('freebusy_sharing', 'share');
          tx.setPref('LANG', 'de');
          tx.setPref('empty', '');
        });
        await store.transact(BOB, (tx) => tx.setPref('CN', 'Bob'));
        const prefs = await store.getPrefs(ALICE);
        expect(prefs).toStrictEqual({ CN: 'Alice', LANG: 'de', TZID: 'Europe/Berlin', empty: '', freebusy_sharing: 'share' });
        expect(Object.keys(prefs)).toStrictEqual(['CN', 'LANG', 'TZID', 'empty', 'freebusy_sharing']);

        await store.transact(ALICE, (tx) => {
          tx.setPref('CN', 'Alice Liddell');
          tx.setPref('LANG', null);
          tx.setPref('never-set', null);
          expect(Object.keys(tx.getPrefs())).toStrictEqual(['CN', 'TZID', 'empty', 'freebusy_sharing']);
        });
        expect(await store.getPrefs(ALICE)).toStrictEqual({ CN: 'Alice Liddell', TZID: 'Europe/Berlin', empty: '', freebusy_sharing: 'share' });
        expect(await store.getPrefs(BOB)).toStrictEqual({ CN: 'Bob' });

        await store.transact(ALICE, (tx) => {
          for (const key of Object.keys(tx.getPrefs())) tx.setPref(key, null);
        });
        expect(await store.getPrefs(ALICE)).toStrictEqual({});
        expect(await store.getPrefs('mailto:unknown@example.org')).toStrictEqual({});
        // The returned object is a copy: changing it changes nothing stored.
        const copy = await store.getPrefs(BOB);
        copy['CN'] = 'Mallory';
        expect(await store.getPrefs(BOB)).toStrictEqual({ CN: 'Bob' });
      });
    });

    describe('objects', () => {
      it('puts, replaces, gets and deletes objects', async () => {
        const marked: StoredObject = {
          ...objectOf('with-marks'),
          replyMarks: {
            '': { [BOB]: { sequence: 1, dtstamp: '2026-03-01T10:00:00Z' } },
            '2026-03-17T09:00:00Z': { [CAROL]: { sequence: 2, dtstamp: '2026-03-02T10:00:00Z' } },
          },
        };
        await store.transact(ALICE, (tx) => {
          tx.putObject(objectOf('one'));
          tx.putObject(objectOf('two'));
          tx.putObject(marked);
          tx.deleteObject('not-there');
        });
        expect(await store.getObject(ALICE, 'one')).toStrictEqual(objectOf('one'));
        expect(await store.getObject(ALICE, 'with-marks')).toStrictEqual(marked);
        expect(await store.getObject(ALICE, 'three')).toBeUndefined();

        await store.transact(ALICE, (tx) => {
          tx.putObject(objectOf('one', 4));
          tx.deleteObject('two');
        });
        expect(await store.getObject(ALICE, 'one')).toStrictEqual(objectOf('one', 4));
        expect(await store.getObject(ALICE, 'two')).toBeUndefined();
        expect(await store.listObjects(ALICE)).toStrictEqual([objectOf('one', 4), marked]);
      });

      it('lists objects sorted by UID in code-unit order', async () => {
        const uids = ['b', 'B', 'a', '10', '9', 'é', 'Z', 'a b', 'a-b', 'ab', 'a', '\u{1F600}', '\uFF5E', 'uid-1', 'uid-10', 'uid-2'];
        const unique = [...new Set(uids)];
        await store.transact(ALICE, (tx) => {
          for (const uid of uids) tx.putObject(objectOf(uid));
        });
        expect(await store.listObjects(ALICE)).toStrictEqual([...unique].sort(byText).map((uid) => objectOf(uid)));
        // A supplementary character sorts by its surrogates (code units), below U+FF5E.
        expect((await store.listObjects(ALICE)).map((o) => o.uid).slice(-2)).toStrictEqual(['\u{1F600}', '\uFF5E']);
      });

      it('keeps users apart', async () => {
        await store.transact(ALICE, (tx) => tx.putObject(objectOf('shared', 1)));
        await store.transact(BOB, (tx) => {
          tx.putObject(objectOf('shared', 2));
          tx.putObject(objectOf('bob-only'));
        });
        expect(await store.getObject(ALICE, 'shared')).toStrictEqual(objectOf('shared', 1));
        expect(await store.getObject(BOB, 'shared')).toStrictEqual(objectOf('shared', 2));
        expect(await store.getObject(ALICE, 'bob-only')).toBeUndefined();
        expect(await store.listObjects(ALICE)).toStrictEqual([objectOf('shared', 1)]);
        await store.transact(BOB, (tx) => tx.deleteObject('shared'));
        expect(await store.getObject(ALICE, 'shared')).toStrictEqual(objectOf('shared', 1));
        expect(await store.listObjects(BOB)).toStrictEqual([objectOf('bob-only')]);
        expect(await store.listObjects(CAROL)).toStrictEqual([]);
      });
    });

    describe('free/busy', () => {
      it('replaces periods that partly overlap the old ones exactly, also within one transaction and when nothing changes', async () => {
        const a = period('s', DAY, DAY + H, '2026-01-01T00:00:00Z');
        const b = period('s', DAY + D, DAY + D + H, '2026-01-02T00:00:00Z');
        const c = period('s', DAY + 2 * D, DAY + 2 * D + H, '2026-01-03T00:00:00Z');
        const bTentative = { ...b, fbtype: 'BUSY-TENTATIVE' as FbType };
        await store.transact(ALICE, (tx) => tx.setOwnPeriods('s', [a, b]));
        // Same again: nothing changes.
        await store.transact(ALICE, (tx) => tx.setOwnPeriods('s', [b, a]));
        expect(await store.freeBusy(ALICE)).toStrictEqual([a, b]);
        // One kept, one changed in fbtype only, one new.
        await store.transact(ALICE, (tx) => tx.setOwnPeriods('s', [a, bTentative, c]));
        expect(await store.freeBusy(ALICE)).toStrictEqual([a, bTentative, c]);
        // Several replacements in one transaction: the last one counts.
        await store.transact(ALICE, (tx) => {
          tx.setOwnPeriods('s', [c]);
          tx.setOwnPeriods('s', [a, c]);
          tx.setOthersPeriods('s', 'mailto:org@example.org', [othersPeriod('s', 'mailto:org@example.org', DAY, DAY + H)]);
          tx.setOthersPeriods('s', 'mailto:org@example.org', [othersPeriod('s', 'mailto:org@example.org', DAY + H, DAY + 2 * H)]);
        });
        expect(await store.freeBusy(ALICE)).toStrictEqual([a, c]);
        expect(await store.freeBusy(ALICE, { others: true })).toStrictEqual([othersPeriod('s', 'mailto:org@example.org', DAY + H, DAY + 2 * H)]);
        await store.transact(ALICE, (tx) => {
          tx.setOwnPeriods('s', []);
          tx.removeOthersPeriods('s');
        });
        expect(await store.freeBusy(ALICE)).toStrictEqual([]);
        expect(await store.freeBusy(ALICE, { others: true })).toStrictEqual([]);
      });

      it('replaces all own periods of a UID, and removes them with an empty list', async () => {
        await store.transact(ALICE, (tx) => {
          tx.setOwnPeriods('u1', [
            period('u1', DAY + 9 * H, DAY + 10 * H, null),
            period('u1', DAY - 3 * W, DAY + W, '2026-02-17T00:00:00Z', 'BUSY-UNAVAILABLE'),
          ]);
          tx.setOwnPeriods('u10', [period('u10', DAY + 8 * H, DAY + 9 * H)]);
          tx.setOwnPeriods('u2', [period('u2', DAY + 12 * H, DAY + 13 * H, null, 'BUSY-TENTATIVE')]);
        });
        await store.transact(BOB, (tx) => tx.setOwnPeriods('u1', [period('u1', DAY, DAY + H)]));
        expect(await store.freeBusy(ALICE)).toStrictEqual([
          period('u1', DAY - 3 * W, DAY + W, '2026-02-17T00:00:00Z', 'BUSY-UNAVAILABLE'),
          period('u10', DAY + 8 * H, DAY + 9 * H),
          period('u1', DAY + 9 * H, DAY + 10 * H, null),
          period('u2', DAY + 12 * H, DAY + 13 * H, null, 'BUSY-TENTATIVE'),
        ]);

        await store.transact(ALICE, (tx) => tx.setOwnPeriods('u1', [period('u1', DAY + 14 * H, DAY + 15 * H, '2026-03-10T14:00:00Z')]));
        expect(await store.freeBusy(ALICE)).toStrictEqual([
          period('u10', DAY + 8 * H, DAY + 9 * H),
          period('u2', DAY + 12 * H, DAY + 13 * H, null, 'BUSY-TENTATIVE'),
          period('u1', DAY + 14 * H, DAY + 15 * H, '2026-03-10T14:00:00Z'),
        ]);

        await store.transact(ALICE, (tx) => {
          tx.setOwnPeriods('u1', []);
          tx.setOwnPeriods('never-had-any', []);
        });
        expect(await store.freeBusy(ALICE)).toStrictEqual([
          period('u10', DAY + 8 * H, DAY + 9 * H),
          period('u2', DAY + 12 * H, DAY + 13 * H, null, 'BUSY-TENTATIVE'),
        ]);
        expect(await store.freeBusy(BOB)).toStrictEqual([period('u1', DAY, DAY + H)]);
        expect(await store.freeBusy(ALICE, { others: true })).toStrictEqual([]);
      });

      it("replaces others' periods per participant and removes them per participant or for everyone", async () => {
        const b1 = othersPeriod('m', BOB, DAY + 9 * H, DAY + 10 * H);
        const b2 = othersPeriod('m', BOB, DAY - 2 * W, DAY + 2 * W, '2026-02-24T00:00:00Z');
        const bb = othersPeriod('m', 'mailto:bob@example.org.evil', DAY + 9 * H, DAY + 10 * H);
        const c1 = othersPeriod('m', CAROL, DAY + 9 * H, DAY + 11 * H, null, 'BUSY-TENTATIVE');
        const n1 = othersPeriod('n', BOB, DAY + 3 * H, DAY + 4 * H);
        await store.transact(ALICE, (tx) => {
          tx.setOthersPeriods('m', BOB, [b1, b2]);
          tx.setOthersPeriods('m', 'mailto:bob@example.org.evil', [bb]);
          tx.setOthersPeriods('m', CAROL, [c1]);
          tx.setOthersPeriods('n', BOB, [n1]);
          tx.setOwnPeriods('m', [period('m', DAY + 9 * H, DAY + 10 * H)]);
        });
        expect(await store.freeBusy(ALICE, { others: true })).toStrictEqual([b2, n1, b1, bb, c1]);

        const b3 = othersPeriod('m', BOB, DAY + 15 * H, DAY + 16 * H);
        await store.transact(ALICE, (tx) => tx.setOthersPeriods('m', BOB, [b3]));
        expect(await store.freeBusy(ALICE, { others: true })).toStrictEqual([n1, bb, c1, b3]);

        await store.transact(ALICE, (tx) => tx.setOthersPeriods('m', CAROL, []));
        expect(await store.freeBusy(ALICE, { others: true })).toStrictEqual([n1, bb, b3]);

        await store.transact(ALICE, (tx) => tx.removeOthersPeriods('m', BOB));
        expect(await store.freeBusy(ALICE, { others: true })).toStrictEqual([n1, bb]);

        await store.transact(ALICE, (tx) => {
          tx.setOthersPeriods('m', CAROL, [c1]);
          tx.removeOthersPeriods('m');
          tx.removeOthersPeriods('not-there');
          tx.removeOthersPeriods('n', CAROL);
        });
        expect(await store.freeBusy(ALICE, { others: true })).toStrictEqual([n1]);
        // Own periods are a separate set.
        expect(await store.freeBusy(ALICE)).toStrictEqual([period('m', DAY + 9 * H, DAY + 10 * H)]);
        await store.transact(ALICE, (tx) => tx.setOwnPeriods('n', []));
        expect(await store.freeBusy(ALICE, { others: true })).toStrictEqual([n1]);
        expect(await store.freeBusy(BOB, { others: true })).toStrictEqual([]);
      });

      it("replaces every participant's periods of a UID at once, removing those of participants not given", async () => {
        const b1 = othersPeriod('m', BOB, DAY + 9 * H, DAY + 10 * H, '2026-01-02T09:00:00Z');
        const b2 = othersPeriod('m', BOB, DAY + W + 9 * H, DAY + W + 10 * H, '2026-01-09T09:00:00Z');
        const bb = othersPeriod('m', 'mailto:bob@example.org.evil', DAY + 9 * H, DAY + 10 * H);
        const c1 = othersPeriod('m', CAROL, DAY + 9 * H, DAY + 11 * H, null, 'BUSY-TENTATIVE');
        const n1 = othersPeriod('n', BOB, DAY + 3 * H, DAY + 4 * H);
        const longUid = `m${'x'.repeat(300)}`;
        const l1 = othersPeriod(longUid, CAROL, DAY + 5 * H, DAY + 6 * H);
        await store.transact(ALICE, (tx) => {
          tx.replaceOthersPeriods('m', [c1, b2, bb, b1]);
          tx.setOthersPeriods('n', BOB, [n1]);
          tx.replaceOthersPeriods(longUid, [l1]);
        });
        await store.transact(BOB, (tx) => tx.replaceOthersPeriods('m', [c1]));
        expect(await store.freeBusy(ALICE, { others: true })).toStrictEqual([n1, l1, bb, c1, b1, b2]);

        // Bob's periods move, Carol's stay, the other participant has none now.
        const b3 = othersPeriod('m', BOB, DAY + 14 * H, DAY + 15 * H, '2026-01-02T14:00:00Z');
        await store.transact(ALICE, (tx) => tx.replaceOthersPeriods('m', [b3, c1]));
        expect(await store.freeBusy(ALICE, { others: true })).toStrictEqual([n1, l1, c1, b3]);
        // The same again writes nothing new and changes nothing.
        await store.transact(ALICE, (tx) => tx.replaceOthersPeriods('m', [c1, b3]));
        expect(await store.freeBusy(ALICE, { others: true })).toStrictEqual([n1, l1, c1, b3]);

        // Nothing left for the UID; another UID (one of whose key is a digest) and another user are untouched.
        await store.transact(ALICE, (tx) => {
          tx.replaceOthersPeriods('m', []);
          tx.replaceOthersPeriods('not-there', []);
        });
        expect(await store.freeBusy(ALICE, { others: true })).toStrictEqual([n1, l1]);
        expect(await store.freeBusy(ALICE, { others: true, from: iso(DAY + 5 * H), to: iso(DAY + 6 * H) })).toStrictEqual([l1]);
        await store.transact(ALICE, (tx) => tx.replaceOthersPeriods(longUid, []));
        expect(await store.freeBusy(ALICE, { others: true })).toStrictEqual([n1]);
        expect(await store.freeBusy(BOB, { others: true })).toStrictEqual([c1]);
      });

      it('returns exactly the periods overlapping [from, to), long ones included', async () => {
        const FROM = DAY;
        const TO = DAY + D;
        const cases: Array<[string, number, number, boolean]> = [
          ['before', FROM - 2 * H, FROM - H, false],
          ['touches-from', FROM - H, FROM, false],
          ['crosses-from', FROM - H, FROM + 1000, true],
          ['inside', FROM + 9 * H, FROM + 10 * H, true],
          ['whole-window', FROM, TO, true],
          ['crosses-to', TO - H, TO + H, true],
          ['touches-to', TO, TO + H, false],
          ['after', TO + H, TO + 2 * H, false],
          ['covers', FROM - D, TO + D, true],
          ['three-weeks', FROM - 2 * W, FROM + W, true],
          ['three-weeks-ends-at-from', FROM - 3 * W, FROM, false],
          ['three-weeks-ends-after-from', FROM - 3 * W, FROM + 1000, true],
          ['three-weeks-starts-at-to', TO, TO + 3 * W, false],
          ['week-ends-after-from', FROM + 1000 - W, FROM + 1000, true],
          ['week-ends-at-from', FROM - W, FROM, false],
          ['week-and-a-second', FROM - W, FROM + 1000, true],
          ['week-minus-a-second', FROM + 2000 - W, FROM + 1000, true],
          ['week-and-under-a-second', FROM - W - 400, FROM + 400, true],
          ['half-year-before', FROM - 200 * D, FROM - 20 * D, false],
          ['year', FROM - 200 * D, FROM + 165 * D, true],
        ];
        const periods = cases.map(([uid, start, end]) => period(uid, start, end));
        // Many short instances of one series: every two hours for sixty days around the window.
        const series: Period[] = [];
        for (let start = FROM - 30 * D; start < FROM + 30 * D; start += 2 * H) {
          series.push(period('series', start + H / 2, start + H / 2 + H, iso(start + H / 2), 'BUSY-TENTATIVE'));
        }
        await store.transact(ALICE, (tx) => {
          for (const p of periods) tx.setOwnPeriods(p.uid, [p]);
          tx.setOwnPeriods('series', series);
        });

        const expected = [...cases.filter((c) => c[3]).map(([uid, start, end]) => period(uid, start, end)), ...series.filter((p) => Date.parse(p.start) < TO && Date.parse(p.end) > FROM)].sort(byPeriod);
        const got = await store.freeBusy(ALICE, { from: iso(FROM), to: iso(TO) });
        expect(got).toStrictEqual(expected);
        expect(got.filter((p) => p.uid === 'series')).toHaveLength(12);
        expect(got.map((p) => p.uid).filter((uid) => uid !== 'series').sort()).toStrictEqual(
          cases.filter((c) => c[3]).map((c) => c[0]).sort(),
        );

        const all = [...periods, ...series];
        expect(await store.freeBusy(ALICE)).toStrictEqual([...all].sort(byPeriod));
        // Other windows, compared with a plain filter of everything stored.
        const windows: Array<[number, number]> = [
          [FROM - 30 * D, FROM - 29 * D],
          [FROM - 365 * D, FROM - 300 * D],
          [FROM + 100 * D, FROM + 101 * D],
          [FROM - W - 1000, FROM - W + 1000],
          [FROM + 3 * H + H / 2, FROM + 3 * H + H / 2 + 1],
          [FROM - 3 * W, FROM + 3 * W],
          [TO, TO + 1],
          [FROM - 1, FROM],
        ];
        for (const [from, to] of windows) {
          expect(await store.freeBusy(ALICE, { from: iso(from), to: iso(to) }), `${iso(from)}/${iso(to)}`).toStrictEqual(overlapping(all, from, to));
        }
        // Open ends.
        expect(await store.freeBusy(ALICE, { from: iso(TO) })).toStrictEqual(all.filter((p) => Date.parse(p.end) > TO).sort(byPeriod));
        expect(await store.freeBusy(ALICE, { to: iso(FROM) })).toStrictEqual(all.filter((p) => Date.parse(p.start) < FROM).sort(byPeriod));
        // An empty or reversed range holds nothing.
        expect(await store.freeBusy(ALICE, { from: iso(FROM + H), to: iso(FROM + H) })).toStrictEqual([]);
        expect(await store.freeBusy(ALICE, { from: iso(TO), to: iso(FROM) })).toStrictEqual([]);
        // Another user's query sees none of it.
        expect(await store.freeBusy(BOB, { from: iso(FROM), to: iso(TO) })).toStrictEqual([]);
      });

      it("filters others' periods by range the same way", async () => {
        const FROM = DAY;
        const TO = DAY + D;
        const stored = [
          othersPeriod('x', BOB, FROM - 3 * W, FROM + H),
          othersPeriod('x', BOB, FROM - 3 * W, FROM),
          othersPeriod('x', CAROL, FROM + H, FROM + 2 * H),
          othersPeriod('y', CAROL, TO, TO + H),
          othersPeriod('y', BOB, TO - 1000, TO + W),
        ];
        await store.transact(ALICE, (tx) => {
          tx.setOthersPeriods('x', BOB, stored.slice(0, 2));
          tx.setOthersPeriods('x', CAROL, [stored[2]!]);
          tx.setOthersPeriods('y', CAROL, [stored[3]!]);
          tx.setOthersPeriods('y', BOB, [stored[4]!]);
        });
        expect(await store.freeBusy(ALICE, { others: true, from: iso(FROM), to: iso(TO) })).toStrictEqual([stored[0], stored[2], stored[4]]);
        expect(await store.freeBusy(ALICE, { from: iso(FROM), to: iso(TO) })).toStrictEqual([]);
      });

      it("finds the instances of others' series inside a range, also after the series moved", async () => {
        // A weekly series of ten instances: a range inside its span holds
        // only the instances that overlap it.
        const weekly = (uid: string, firstMs: number, count: number) =>
          Array.from({ length: count }, (_, n) => othersPeriod(uid, BOB, firstMs + n * W, firstMs + n * W + H, iso(firstMs + n * W)));
        const series = weekly('s', DAY, 10);
        await store.transact(ALICE, (tx) => tx.setOthersPeriods('s', BOB, series));
        expect(await store.freeBusy(ALICE, { others: true, from: iso(DAY + 3 * W), to: iso(DAY + 5 * W) })).toStrictEqual(series.slice(3, 5));
        expect(await store.freeBusy(ALICE, { others: true, from: iso(DAY + 10 * W) })).toStrictEqual([]);

        // The series moves a day later and loses half its instances: nothing of
        // the earlier version is found, in any range.
        const moved = weekly('s', DAY + D, 5);
        await store.transact(ALICE, (tx) => tx.setOthersPeriods('s', BOB, moved));
        expect(await store.freeBusy(ALICE, { others: true })).toStrictEqual(moved);
        expect(await store.freeBusy(ALICE, { others: true, from: iso(DAY), to: iso(DAY + 20 * W) })).toStrictEqual(moved);
        expect(await store.freeBusy(ALICE, { others: true, from: iso(DAY + 6 * W), to: iso(DAY + 10 * W) })).toStrictEqual([]);

        // The same periods again, in another order and with a repeat: no change.
        await store.transact(ALICE, (tx) => tx.setOthersPeriods('s', BOB, [...moved].reverse().concat(moved[0]!)));
        expect(await store.freeBusy(ALICE, { others: true })).toStrictEqual(moved);
      });

      it('sorts by start, then UID, then recurrence id with the master first, then participant', async () => {
        const at = DAY + 9 * H;
        await store.transact(ALICE, (tx) => {
          tx.setOwnPeriods('b', [period('b', at, at + H), period('b', at - H, at + 3 * H, '2026-03-09T09:00:00Z')]);
          tx.setOwnPeriods('a', [
            period('a', at, at + H, '2026-03-10T09:00:00Z'),
            period('a', at, at + 2 * H, null),
            period('a', at, at + H, '2026-03-03T09:00:00Z'),
          ]);
          tx.setOwnPeriods('B', [period('B', at, at + H)]);
          tx.setOwnPeriods('é', [period('é', at, at + H)]);
          tx.setOwnPeriods('z', [period('z', at - 2 * H, at - H)]);
        });
        expect(await store.freeBusy(ALICE)).toStrictEqual([
          period('z', at - 2 * H, at - H),
          period('b', at - H, at + 3 * H, '2026-03-09T09:00:00Z'),
          period('B', at, at + H),
          period('a', at, at + 2 * H, null),
          period('a', at, at + H, '2026-03-03T09:00:00Z'),
          period('a', at, at + H, '2026-03-10T09:00:00Z'),
          period('b', at, at + H),
          period('é', at, at + H),
        ]);

        await store.transact(ALICE, (tx) => {
          tx.setOthersPeriods('a', CAROL, [othersPeriod('a', CAROL, at, at + H)]);
          tx.setOthersPeriods('a', BOB, [othersPeriod('a', BOB, at, at + H), othersPeriod('a', BOB, at, at + H, '2026-03-10T09:00:00Z')]);
          tx.setOthersPeriods('A', CAROL, [othersPeriod('A', CAROL, at, at + H)]);
        });
        expect(await store.freeBusy(ALICE, { others: true })).toStrictEqual([
          othersPeriod('A', CAROL, at, at + H),
          othersPeriod('a', BOB, at, at + H),
          othersPeriod('a', CAROL, at, at + H),
          othersPeriod('a', BOB, at, at + H, '2026-03-10T09:00:00Z'),
        ]);
      });

      it('sorts many periods that share a start, and counts equal periods once', async () => {
        const at = DAY + 9 * H;
        // UIDs whose text order is the reverse of the order they were first stored in.
        const uids = Array.from({ length: 40 }, (_, i) => `uid-${String(99 - i).padStart(2, '0')}`);
        await store.transact(ALICE, (tx) => {
          for (const uid of uids) tx.setOwnPeriods(uid, [period(uid, at, at + H), period(uid, at, at + H)]);
          tx.setOthersPeriods('s', BOB, [
            othersPeriod('s', BOB, at, at + H, '2026-03-10T09:00:00Z'),
            othersPeriod('s', BOB, at, at + H, null, 'BUSY-TENTATIVE'),
            othersPeriod('s', BOB, at, at + H, '2026-03-10T09:00:00Z'),
            othersPeriod('s', BOB, at, at + H, null),
          ]);
        });
        expect(await store.freeBusy(ALICE)).toStrictEqual([...uids].sort().map((uid) => period(uid, at, at + H)));
        expect(await store.freeBusy(ALICE, { others: true })).toStrictEqual([
          othersPeriod('s', BOB, at, at + H, null),
          othersPeriod('s', BOB, at, at + H, null, 'BUSY-TENTATIVE'),
          othersPeriod('s', BOB, at, at + H, '2026-03-10T09:00:00Z'),
        ]);
      });

      it('returns periods with exactly the documented keys', async () => {
        const own = { ...period('k', DAY, DAY + H), participant: 'mailto:stray@example.org', summary: 'private' };
        const theirs = { ...othersPeriod('k', BOB, DAY, DAY + H), summary: 'private' };
        await store.transact(ALICE, (tx) => {
          tx.setOwnPeriods('k', [own as Period]);
          tx.setOthersPeriods('k', BOB, [theirs as OthersPeriod]);
        });
        const [ownOut] = await store.freeBusy(ALICE, { from: iso(DAY), to: iso(DAY + D) });
        const [othersOut] = await store.freeBusy(ALICE, { others: true, from: iso(DAY), to: iso(DAY + D) });
        expect(ownOut).toStrictEqual(period('k', DAY, DAY + H));
        expect(Object.keys(ownOut!).sort()).toStrictEqual(['end', 'fbtype', 'recurrenceId', 'start', 'uid']);
        expect(othersOut).toStrictEqual(othersPeriod('k', BOB, DAY, DAY + H));
        expect(Object.keys(othersOut!).sort()).toStrictEqual(['end', 'fbtype', 'participant', 'recurrenceId', 'start', 'uid']);
      });

      it('reads own periods inside a transaction, with its own writes, by range and sorted', async () => {
        await store.transact(ALICE, (tx) => {
          tx.setOwnPeriods('u1', [period('u1', DAY + 9 * H, DAY + 10 * H)]);
          tx.setOwnPeriods('long', [period('long', DAY - 2 * W, DAY + H, null, 'BUSY-UNAVAILABLE')]);
          tx.setOthersPeriods('u9', BOB, [othersPeriod('u9', BOB, DAY + 9 * H, DAY + 10 * H)]);
        });
        await store.transact(BOB, (tx) => tx.setOwnPeriods('b', [period('b', DAY, DAY + D)]));
        const seen = await store.transact(ALICE, (tx) => {
          const before = tx.freeBusy({ from: iso(DAY), to: iso(DAY + D) });
          tx.setOwnPeriods('u2', [period('u2', DAY + 8 * H, DAY + 9 * H, null, 'BUSY-TENTATIVE')]);
          tx.setOwnPeriods('u1', []);
          return {
            before,
            after: tx.freeBusy({ from: iso(DAY), to: iso(DAY + D) }),
            all: tx.freeBusy(),
            openEnd: tx.freeBusy({ from: iso(DAY + 2 * H) }),
            empty: tx.freeBusy({ from: iso(DAY + H), to: iso(DAY + H) }),
            outside: tx.freeBusy({ from: iso(DAY + 2 * D), to: iso(DAY + 3 * D) }),
          };
        });
        expect(seen).toStrictEqual({
          before: [period('long', DAY - 2 * W, DAY + H, null, 'BUSY-UNAVAILABLE'), period('u1', DAY + 9 * H, DAY + 10 * H)],
          after: [period('long', DAY - 2 * W, DAY + H, null, 'BUSY-UNAVAILABLE'), period('u2', DAY + 8 * H, DAY + 9 * H, null, 'BUSY-TENTATIVE')],
          all: [period('long', DAY - 2 * W, DAY + H, null, 'BUSY-UNAVAILABLE'), period('u2', DAY + 8 * H, DAY + 9 * H, null, 'BUSY-TENTATIVE')],
          openEnd: [period('u2', DAY + 8 * H, DAY + 9 * H, null, 'BUSY-TENTATIVE')],
          empty: [],
          outside: [],
        });
        await expect(store.transact(ALICE, (tx) => tx.freeBusy({ from: 'soon' }))).rejects.toThrow();
      });

      it('names the right UID after an undone transaction read periods it had written', async () => {
        // The undone transaction writes periods of one UID and reads them back,
        // through the transaction and through the store; then other UIDs get
        // periods for real. Nothing read inside the undone one may show later.
        // The store's read starts inside the callback: a store that reads its
        // open write transaction (LMDB) sees the undone periods, one that
        // reads only commits (PostgreSQL, another connection) sees none.
        let readDuring: Promise<Array<Period | OthersPeriod>> | undefined;
        const undone = store.transact(ALICE, (tx) => {
          tx.setOwnPeriods('undone', [period('undone', DAY, DAY + H)]);
          expect(tx.freeBusy().map((p) => p.uid)).toStrictEqual(['undone']);
          readDuring = store.freeBusy(ALICE);
          throw new Error('undo');
        });
        await expect(undone).rejects.toThrow('undo');
        expect([['undone'], []]).toContainEqual((await readDuring!).map((p) => p.uid));
        await store.transact(ALICE, (tx) => tx.setOwnPeriods('kept', [period('kept', DAY, DAY + H)]));
        await store.transact(BOB, (tx) => tx.setOwnPeriods('other', [period('other', DAY, DAY + H)]));
        expect(await store.freeBusy(ALICE)).toStrictEqual([period('kept', DAY, DAY + H)]);
        expect(await store.freeBusy(BOB)).toStrictEqual([period('other', DAY, DAY + H)]);

        // A UID whose periods are all removed, then given again, reads back as itself.
        await store.transact(ALICE, (tx) => tx.setOwnPeriods('kept', []));
        await store.transact(ALICE, (tx) => tx.setOwnPeriods('again', [period('again', DAY + H, DAY + 2 * H, '2026-03-02T10:00:00Z')]));
        await store.transact(ALICE, (tx) => tx.setOwnPeriods('kept', [period('kept', DAY, DAY + H, '2026-03-02')]));
        expect(await store.freeBusy(ALICE)).toStrictEqual([
          period('kept', DAY, DAY + H, '2026-03-02'),
          period('again', DAY + H, DAY + 2 * H, '2026-03-02T10:00:00Z'),
        ]);
      });

      it('throws on a time that is not ISO 8601, in queries and in periods', async () => {
        await store.transact(ALICE, (tx) => tx.setOwnPeriods('good', [period('good', DAY, DAY + H)]));
        await expect(async () => store.freeBusy(ALICE, { from: 'not a time', to: iso(DAY + D) })).rejects.toThrow();
        await expect(async () => store.freeBusy(ALICE, { from: iso(DAY), to: 'tomorrow' })).rejects.toThrow();
        await expect(async () => store.freeBusy(ALICE, { from: '' })).rejects.toThrow();
        await expect(async () => store.freeBusy(ALICE, { to: '2026-13-45T99:00:00Z' })).rejects.toThrow();

        await expect(
          store.transact(ALICE, (tx) => tx.setOwnPeriods('good', [period('good', DAY + H, DAY + 2 * H), { ...period('good', DAY, DAY + H), start: 'soon' }])),
        ).rejects.toThrow();
        await expect(
          store.transact(ALICE, (tx) => tx.setOthersPeriods('good', BOB, [{ ...othersPeriod('good', BOB, DAY, DAY + H), end: 'later' }])),
        ).rejects.toThrow();
        expect(await store.freeBusy(ALICE)).toStrictEqual([period('good', DAY, DAY + H)]);
        expect(await store.freeBusy(ALICE, { others: true })).toStrictEqual([]);
      });
    });

    describe('requests', () => {
      it('replaces an entry with the same UID and recurrence id, lists sorted with the master first', async () => {
        await store.transact(ALICE, (tx) => {
          tx.putRequest(requestOf('u1', '2026-03-24T09:00:00Z'));
          tx.putRequest(requestOf('u1', '2026-03-17T09:00:00Z'));
          tx.putRequest(requestOf('u1', null));
          tx.putRequest(requestOf('u0', null));
          tx.putRequest(requestOf('u10', null));
          tx.putRequest(requestOf('u1', null, 'ADD', 2));
        });
        await store.transact(BOB, (tx) => tx.putRequest(requestOf('u1', null, 'COUNTER')));
        expect(await store.listRequests(ALICE)).toStrictEqual([
          requestOf('u0', null),
          requestOf('u1', null, 'ADD', 2),
          requestOf('u1', '2026-03-17T09:00:00Z'),
          requestOf('u1', '2026-03-24T09:00:00Z'),
          requestOf('u10', null),
        ]);
        await store.transact(ALICE, (tx) => tx.putRequest(requestOf('u1', '2026-03-17T09:00:00Z', 'CANCEL', 3)));
        expect((await store.listRequests(ALICE))[2]).toStrictEqual(requestOf('u1', '2026-03-17T09:00:00Z', 'CANCEL', 3));
        expect(await store.listRequests(ALICE)).toHaveLength(5);
        expect(await store.listRequests(BOB)).toStrictEqual([requestOf('u1', null, 'COUNTER')]);
        expect(await store.listRequests(CAROL)).toStrictEqual([]);
      });

      it('removes one instance, the master only, or every entry of a UID', async () => {
        const fill = (tx: UserTx): void => {
          for (const uid of ['u1', 'u10', 'u0']) {
            tx.putRequest(requestOf(uid, null));
            tx.putRequest(requestOf(uid, '2026-03-17T09:00:00Z'));
            tx.putRequest(requestOf(uid, '2026-03-24T09:00:00Z'));
          }
        };
        await store.transact(ALICE, fill);
        await store.transact(BOB, fill);
        const others = (uid: string) => [requestOf(uid, null), requestOf(uid, '2026-03-17T09:00:00Z'), requestOf(uid, '2026-03-24T09:00:00Z')];

        await store.transact(ALICE, (tx) => tx.removeRequests('u1', '2026-03-17T09:00:00Z'));
        expect(await store.listRequests(ALICE)).toStrictEqual([...others('u0'), requestOf('u1', null), requestOf('u1', '2026-03-24T09:00:00Z'), ...others('u10')]);

        await store.transact(ALICE, (tx) => tx.removeRequests('u1', null));
        expect(await store.listRequests(ALICE)).toStrictEqual([...others('u0'), requestOf('u1', '2026-03-24T09:00:00Z'), ...others('u10')]);

        await store.transact(ALICE, (tx) => {
          tx.removeRequests('u1', null);
          tx.removeRequests('u1', '2026-03-31T09:00:00Z');
          tx.removeRequests('missing');
        });
        expect(await store.listRequests(ALICE)).toStrictEqual([...others('u0'), requestOf('u1', '2026-03-24T09:00:00Z'), ...others('u10')]);

        await store.transact(ALICE, (tx) => {
          tx.putRequest(requestOf('u1', null));
          tx.removeRequests('u1');
        });
        expect(await store.listRequests(ALICE)).toStrictEqual([...others('u0'), ...others('u10')]);
        expect(await store.listRequests(BOB)).toStrictEqual([...others('u0'), ...others('u1'), ...others('u10')]);
      });

      it('lists the entries of one UID in the view, with its own writes, sorted with the master first', async () => {
        await store.transact(BOB, (tx) => tx.putRequest(requestOf('u1', null, 'COUNTER')));
        const observed = await store.transact(ALICE, (tx) => {
          const before = tx.listRequests('u1');
          tx.putRequest(requestOf('u1', '2026-03-24T09:00:00Z'));
          tx.putRequest(requestOf('u1', null, 'ADD', 2));
          tx.putRequest(requestOf('u10', null));
          const afterWrite = tx.listRequests('u1');
          tx.removeRequests('u1', null);
          return { before, afterWrite, afterRemove: tx.listRequests('u1'), other: tx.listRequests('u10') };
        });
        expect(observed).toStrictEqual({
          before: [],
          afterWrite: [requestOf('u1', null, 'ADD', 2), requestOf('u1', '2026-03-24T09:00:00Z')],
          afterRemove: [requestOf('u1', '2026-03-24T09:00:00Z')],
          other: [requestOf('u10', null)],
        });
      });
    });

    describe('counters', () => {
      it('replaces per UID, recurrence id and attendee; lists per UID in the view and per user in the store', async () => {
        const r1 = '2026-03-17T09:00:00Z';
        await store.transact(ALICE, (tx) => {
          tx.putCounter(counterOf('u1', r1, CAROL));
          tx.putCounter(counterOf('u1', null, CAROL));
          tx.putCounter(counterOf('u1', null, BOB));
          tx.putCounter(counterOf('u1', r1, BOB));
          tx.putCounter(counterOf('u0', null, BOB));
          tx.putCounter(counterOf('u10', null, BOB));
          tx.putCounter(counterOf('u1', null, BOB, 5));
          expect(tx.listCounters('u1')).toStrictEqual([
            counterOf('u1', null, BOB, 5),
            counterOf('u1', null, CAROL),
            counterOf('u1', r1, BOB),
            counterOf('u1', r1, CAROL),
          ]);
          expect(tx.listCounters('u')).toStrictEqual([]);
        });
        await store.transact(BOB, (tx) => tx.putCounter(counterOf('u1', null, ALICE)));
        expect(await store.listCounters(ALICE)).toStrictEqual([
          counterOf('u0', null, BOB),
          counterOf('u1', null, BOB, 5),
          counterOf('u1', null, CAROL),
          counterOf('u1', r1, BOB),
          counterOf('u1', r1, CAROL),
          counterOf('u10', null, BOB),
        ]);
        expect(await store.listCounters(BOB)).toStrictEqual([counterOf('u1', null, ALICE)]);
        expect(await store.transact(BOB, (tx) => tx.listCounters('u0'))).toStrictEqual([]);
        expect(await store.listCounters(CAROL)).toStrictEqual([]);
      });

      it('removes by UID, by instance, by attendee, or by instance and attendee', async () => {
        const r1 = '2026-03-17T09:00:00Z';
        const r2 = '2026-03-24T09:00:00Z';
        const all = (uid: string) => [null, r1, r2].flatMap((rid) => [BOB, CAROL].map((attendee) => counterOf(uid, rid, attendee)));
        await store.transact(ALICE, (tx) => {
          for (const uid of ['u1', 'u10']) for (const c of all(uid)) tx.putCounter(c);
        });
        const u1 = (): Promise<CounterEntry[]> => store.transact(ALICE, (tx) => tx.listCounters('u1'));

        await store.transact(ALICE, (tx) => tx.removeCounters('u1', r1));
        expect(await u1()).toStrictEqual([counterOf('u1', null, BOB), counterOf('u1', null, CAROL), counterOf('u1', r2, BOB), counterOf('u1', r2, CAROL)]);

        await store.transact(ALICE, (tx) => tx.removeCounters('u1', null, BOB));
        expect(await u1()).toStrictEqual([counterOf('u1', null, CAROL), counterOf('u1', r2, BOB), counterOf('u1', r2, CAROL)]);

        await store.transact(ALICE, (tx) => tx.removeCounters('u1', undefined, CAROL));
        expect(await u1()).toStrictEqual([counterOf('u1', r2, BOB)]);

        await store.transact(ALICE, (tx) => {
          for (const c of all('u1')) tx.putCounter(c);
          tx.removeCounters('u1', r2, 'mailto:nobody@example.org');
          tx.removeCounters('missing');
        });
        expect(await u1()).toStrictEqual(all('u1'));

        await store.transact(ALICE, (tx) => tx.removeCounters('u1'));
        expect(await u1()).toStrictEqual([]);
        expect(await store.listCounters(ALICE)).toStrictEqual(all('u10'));
      });
    });

    describe('inbox', () => {
      it('lists the items of a user by received time, then id', async () => {
        await store.transact(ALICE, (tx) => {
          tx.addInbox(inboxOf('c', DAY + 2 * H));
          tx.addInbox(inboxOf('b', DAY));
          tx.addInbox(inboxOf('a', DAY + 2 * H));
          tx.addInbox(inboxOf('z', DAY - D));
        });
        await store.transact(BOB, (tx) => tx.addInbox(inboxOf('bob', DAY)));
        await store.transact(ALICE, (tx) => tx.addInbox(inboxOf('0', DAY + H)));
        expect(await store.listInbox(ALICE)).toStrictEqual([
          inboxOf('z', DAY - D),
          inboxOf('b', DAY),
          inboxOf('0', DAY + H),
          inboxOf('a', DAY + 2 * H),
          inboxOf('c', DAY + 2 * H),
        ]);
        expect(await store.listInbox(BOB)).toStrictEqual([inboxOf('bob', DAY)]);
        expect(await store.listInbox(CAROL)).toStrictEqual([]);
      });
    });

    describe('outbox', () => {
      it("refuses an item of another user in addOutbox", async () => {
        await expect(store.transact(ALICE, (tx) => tx.addOutbox(outboxOf('o1', BOB, DAY)))).rejects.toThrow();
        await store.transact(ALICE, (tx) => {
          expect(() => tx.addOutbox(outboxOf('o2', BOB, DAY))).toThrow();
          tx.addOutbox(outboxOf('o3', ALICE, DAY));
        });
        expect(await store.getOutbox('o1')).toBeUndefined();
        expect(await store.getOutbox('o2')).toBeUndefined();
        expect(await store.listOutbox(BOB)).toStrictEqual([]);
        expect(await store.listOutbox()).toStrictEqual([outboxOf('o3', ALICE, DAY)]);
      });

      it('lists per user and for all users, oldest first; gets by id', async () => {
        const withStatus: OutboxItem = {
          ...outboxOf('a-late', ALICE, DAY + 2 * H),
          status: { 'mailto:organizer@example.org': '2.0', 'mailto:second@example.org': '5.1' },
          nextAttempt: iso(DAY + 3 * H),
        };
        await store.transact(ALICE, (tx) => {
          tx.addOutbox(withStatus);
          tx.addOutbox(outboxOf('a-early', ALICE, DAY));
        });
        await store.transact(BOB, (tx) => {
          tx.addOutbox(outboxOf('b-middle', BOB, DAY + H));
          tx.addOutbox(outboxOf('b-first', BOB, DAY - H));
        });
        expect(await store.listOutbox(ALICE)).toStrictEqual([outboxOf('a-early', ALICE, DAY), withStatus]);
        expect(await store.listOutbox(BOB)).toStrictEqual([outboxOf('b-first', BOB, DAY - H), outboxOf('b-middle', BOB, DAY + H)]);
        expect(await store.listOutbox()).toStrictEqual([
          outboxOf('b-first', BOB, DAY - H),
          outboxOf('a-early', ALICE, DAY),
          outboxOf('b-middle', BOB, DAY + H),
          withStatus,
        ]);
        expect(await store.listOutbox(CAROL)).toStrictEqual([]);
        expect(await store.getOutbox('a-late')).toStrictEqual(withStatus);
        expect(await store.getOutbox('b-first')).toStrictEqual(outboxOf('b-first', BOB, DAY - H));
        expect(await store.getOutbox('nope')).toBeUndefined();
      });

      it('finds the items still to send that are due, oldest first, and follows every change of state and time', async () => {
        const retry = (id: string, at: number): OutboxItem => ({ ...outboxOf(id, ALICE, DAY - H), attempts: 1, nextAttempt: iso(at) });
        await store.transact(ALICE, (tx) => {
          tx.addOutbox(outboxOf('fresh', ALICE, DAY));
          tx.addOutbox(retry('retry', DAY + 2 * H));
        });
        await store.transact(BOB, (tx) => tx.addOutbox(outboxOf('bob', BOB, DAY - 2 * H)));
        const due = async (at: number) => (await store.listDueOutbox(iso(at))).map((o) => o.id);
        expect(await due(DAY)).toStrictEqual(['bob', 'fresh']);
        expect(await due(DAY + 2 * H - 1000)).toStrictEqual(['bob', 'fresh']);
        expect(await due(DAY + 2 * H)).toStrictEqual(['bob', 'retry', 'fresh']);

        // Sent, given up, put off: each leaves or moves in the index.
        await store.updateOutbox({ ...outboxOf('bob', BOB, DAY - 2 * H), state: 'processed', attempts: 1 });
        await store.updateOutbox({ ...outboxOf('fresh', ALICE, DAY), state: 'failed', attempts: 1 });
        await store.updateOutbox(retry('retry', DAY + 5 * H));
        expect(await due(DAY + 4 * H)).toStrictEqual([]);
        expect(await due(DAY + 5 * H)).toStrictEqual(['retry']);
        // An item put back to be sent again, and one replaced within a transaction.
        await store.updateOutbox(outboxOf('fresh', ALICE, DAY));
        await store.transact(ALICE, (tx) => {
          tx.addOutbox(retry('again', DAY + 9 * H));
          tx.addOutbox(retry('again', DAY + H));
        });
        expect(await due(DAY + H)).toStrictEqual(['again', 'fresh']);
        expect(await due(DAY + 9 * H)).toStrictEqual(['again', 'retry', 'fresh']);
      });

      it('updates state, attempts and status durably; refuses an unknown id', async () => {
        await store.transact(ALICE, (tx) => {
          tx.addOutbox(outboxOf('o1', ALICE, DAY));
          tx.addOutbox(outboxOf('o2', ALICE, DAY + H));
        });
        const failed: OutboxItem = {
          ...outboxOf('o1', ALICE, DAY),
          state: 'failed',
          attempts: 2,
          nextAttempt: iso(DAY + 4 * H),
          lastError: '451 try later',
          status: { 'mailto:organizer@example.org': '5.1' },
        };
        await expect(store.updateOutbox(failed)).resolves.toBeUndefined();
        expect(await store.getOutbox('o1')).toStrictEqual(failed);
        const sent: OutboxItem = { ...outboxOf('o1', ALICE, DAY), state: 'processed', attempts: 3, status: { 'mailto:organizer@example.org': '2.0' } };
        await store.updateOutbox(sent);
        expect(await store.getOutbox('o1')).toStrictEqual(sent);
        expect(await store.listOutbox(ALICE)).toStrictEqual([sent, outboxOf('o2', ALICE, DAY + H)]);
        expect(await store.listOutbox()).toStrictEqual([sent, outboxOf('o2', ALICE, DAY + H)]);

        await expect(store.updateOutbox(outboxOf('unknown', ALICE, DAY))).rejects.toThrow();
        expect(await store.getOutbox('unknown')).toBeUndefined();
        expect(await store.listOutbox()).toStrictEqual([sent, outboxOf('o2', ALICE, DAY + H)]);

        if (factory.reopen) {
          store = await factory.reopen(store);
          expect(await store.getOutbox('o1')).toStrictEqual(sent);
          expect(await store.listOutbox(ALICE)).toStrictEqual([sent, outboxOf('o2', ALICE, DAY + H)]);
        }
      });
    });

    describe('journal', () => {
      it('lists entries in the order written, per user and for all', async () => {
        await store.transact(ALICE, (tx) => {
          tx.addJournal(journalOf(ALICE, 3));
          tx.addJournal(journalOf(ALICE, 1));
        });
        await store.transact(BOB, (tx) => tx.addJournal(journalOf(BOB, 2)));
        await store.transact(ALICE, (tx) => {
          tx.addJournal(journalOf(ALICE, 0));
          // The same entry twice is two records.
          tx.addJournal(journalOf(ALICE, 0));
        });
        await store.transact(CAROL, (tx) => tx.addJournal(journalOf(CAROL, 9)));
        expect(await store.listJournal(ALICE)).toStrictEqual([journalOf(ALICE, 3), journalOf(ALICE, 1), journalOf(ALICE, 0), journalOf(ALICE, 0)]);
        expect(await store.listJournal(BOB)).toStrictEqual([journalOf(BOB, 2)]);
        expect(await store.listJournal()).toStrictEqual([
          journalOf(ALICE, 3),
          journalOf(ALICE, 1),
          journalOf(BOB, 2),
          journalOf(ALICE, 0),
          journalOf(ALICE, 0),
          journalOf(CAROL, 9),
        ]);
        expect(await store.listJournal('mailto:nobody@example.org')).toStrictEqual([]);
      });

      it('keeps more entries than a page in order', async () => {
        for (let batch = 0; batch < 3; batch++) {
          await store.transact(batch % 2 === 0 ? ALICE : BOB, (tx) => {
            for (let i = 0; i < 400; i++) tx.addJournal(journalOf(tx.user, batch * 400 + i));
          });
        }
        const numbers = (await store.listJournal()).map((entry) => Number(/\d+/.exec(entry.messageId)![0]));
        expect(numbers).toStrictEqual(Array.from({ length: 1200 }, (_, i) => i));
        expect((await store.listJournal(BOB)).map((entry) => entry.messageId)).toStrictEqual(
          Array.from({ length: 400 }, (_, i) => `<message-${400 + i}@example.org>`),
        );
      });
    });

    describe('seen messages', () => {
      it('remembers seen message keys per user', async () => {
        await store.transact(ALICE, (tx) => {
          expect(tx.hasSeen('<m1@example.org> sha256:aa')).toBe(false);
          tx.markSeen('<m1@example.org> sha256:aa', iso(DAY));
          tx.markSeen('<m1@example.org> sha256:aa', iso(DAY + H));
        });
        expect(await seen(ALICE, ['<m1@example.org> sha256:aa', '<m1@example.org> sha256:ab', '<m1@example.org>'])).toStrictEqual([true, false, false]);
        expect(await seen(BOB, ['<m1@example.org> sha256:aa'])).toStrictEqual([false]);
      });
    });

    describe('hostile keys', () => {
      const prefix = 'p'.repeat(200);
      const HOSTILE = [
        'a\u0000b',
        'a',
        'b',
        'a\u0000',
        '\u0000a',
        '\u0000',
        'a\u0001b',
        'tab\there',
        'line\r\nbreak',
        'del\u007f',
        '\u001f',
        '\ud800',
        'x\udc00y',
        '\udc00\ud800',
        '\ud83d',
        'pair\u{1F600}',
        'é',
        'x'.repeat(5000),
        `${'x'.repeat(4999)}y`,
        `${prefix}1`,
        `${prefix}2`,
        prefix,
        'x'.repeat(128),
        'x'.repeat(129),
        `${'y'.repeat(64)}\u007f${'0'.repeat(64)}`,
        // Names that plain JavaScript objects treat specially.
        '__proto__',
        'constructor',
      ];

      it('test strings are distinct', () => {
        expect(new Set(HOSTILE).size).toBe(HOSTILE.length);
      });

      it('stores and lists hostile UIDs, ids and addresses distinctly and exactly', async () => {
        const sorted = [...HOSTILE].sort(byText);
        await store.transact(ALICE, (tx) => {
          for (const [i, s] of HOSTILE.entries()) {
            tx.putObject({ uid: s, ics: icsOf(s), replyMarks: { [s]: { [s]: { sequence: i, dtstamp: s } } } });
            tx.setOwnPeriods(s, [period(s, DAY + i * H, DAY + i * H + H, s)]);
            tx.setOthersPeriods('shared-uid', s, [othersPeriod('shared-uid', s, DAY, DAY + H, null)]);
            tx.putRequest(requestOf(s, s));
            tx.putCounter(counterOf('shared-uid', null, s, i));
            tx.addInbox({ ...inboxOf(s, DAY), messageId: s, from: s });
            tx.addOutbox({ ...outboxOf(s, ALICE, DAY + i), to: [s] });
            tx.addJournal({ ...journalOf(ALICE, i), uid: s, reason: s });
            if (i % 2 === 0) tx.markSeen(s, iso(DAY));
            tx.setPref(s, s);
          }
        });
        // Compared as canonical JSON: an own key named "constructor" (in
        // replyMarks) defeats toStrictEqual's type check, and JSON keeps a lone
        // surrogate visible as an escape.
        expect(canonical(await store.listObjects(ALICE))).toBe(
          canonical(sorted.map((s) => ({ uid: s, ics: icsOf(s), replyMarks: { [s]: { [s]: { sequence: HOSTILE.indexOf(s), dtstamp: s } } } }))),
        );
        for (const s of HOSTILE) expect((await store.getObject(ALICE, s))?.uid).toBe(s);
        expect(await store.freeBusy(ALICE)).toStrictEqual(HOSTILE.map((s, i) => period(s, DAY + i * H, DAY + i * H + H, s)));
        expect(await store.freeBusy(ALICE, { others: true })).toStrictEqual(sorted.map((s) => othersPeriod('shared-uid', s, DAY, DAY + H, null)));
        expect(await store.listRequests(ALICE)).toStrictEqual(sorted.map((s) => requestOf(s, s)));
        expect(await store.listCounters(ALICE)).toStrictEqual(sorted.map((s) => counterOf('shared-uid', null, s, HOSTILE.indexOf(s))));
        expect(await store.listInbox(ALICE)).toStrictEqual(sorted.map((s) => ({ ...inboxOf(s, DAY), messageId: s, from: s })));
        expect(await store.listOutbox(ALICE)).toStrictEqual(HOSTILE.map((s, i) => ({ ...outboxOf(s, ALICE, DAY + i), to: [s] })));
        for (const [i, s] of HOSTILE.entries()) expect(await store.getOutbox(s)).toStrictEqual({ ...outboxOf(s, ALICE, DAY + i), to: [s] });
        expect(await store.listJournal(ALICE)).toStrictEqual(HOSTILE.map((s, i) => ({ ...journalOf(ALICE, i), uid: s, reason: s })));
        expect(await seen(ALICE, HOSTILE)).toStrictEqual(HOSTILE.map((_, i) => i % 2 === 0));
        const prefs = await store.getPrefs(ALICE);
        expect(Object.keys(prefs)).toStrictEqual(sorted);
        for (const s of HOSTILE) expect(prefs[s]).toBe(s);

        // Replacing and removing by a hostile key touches that key only.
        await store.transact(ALICE, (tx) => {
          tx.deleteObject(`${prefix}1`);
          tx.deleteObject('a\u0000');
          tx.setOwnPeriods('\ud800', []);
          tx.removeOthersPeriods('shared-uid', 'a\u0000b');
          tx.removeRequests('x'.repeat(5000));
          tx.removeCounters('shared-uid', null, '\udc00\ud800');
        });
        const without = (...gone: string[]) => sorted.filter((s) => !gone.includes(s));
        expect((await store.listObjects(ALICE)).map((o) => o.uid)).toStrictEqual(without(`${prefix}1`, 'a\u0000'));
        expect((await store.freeBusy(ALICE)).map((p) => p.uid)).toStrictEqual(HOSTILE.filter((s) => s !== '\ud800'));
        expect((await store.freeBusy(ALICE, { others: true })).map((p) => (p as OthersPeriod).participant)).toStrictEqual(without('a\u0000b'));
        expect((await store.listRequests(ALICE)).map((r) => r.uid)).toStrictEqual(without('x'.repeat(5000)));
        expect((await store.listCounters(ALICE)).map((c) => c.attendee)).toStrictEqual(without('\udc00\ud800'));
      });

      it('keeps hostile user addresses apart', async () => {
        await Promise.all(
          HOSTILE.map((user, i) =>
            store.transact(user, (tx) => {
              tx.setRole(i % 2 === 0 ? 'person' : 'resource');
              tx.setPref('CN', user);
              tx.putObject(objectOf(`obj-${i}`));
              tx.setOwnPeriods('uid', [period('uid', DAY + i * H, DAY + i * H + H)]);
              tx.setOthersPeriods('uid', user, [othersPeriod('uid', user, DAY, DAY + H)]);
              tx.putRequest(requestOf('uid', null, 'REQUEST', i));
              tx.putCounter(counterOf('uid', null, user, i));
              tx.addInbox(inboxOf(`inbox-${i}`, DAY));
              tx.addOutbox(outboxOf(`outbox-${i}`, user, DAY + i));
              tx.addJournal(journalOf(user, i));
              tx.markSeen(`seen-${i}`, iso(DAY));
            }),
          ),
        );
        expect(await store.listUsers()).toStrictEqual([...HOSTILE].sort(byText));
        for (const [i, user] of HOSTILE.entries()) {
          expect(await store.getRole(user)).toBe(i % 2 === 0 ? 'person' : 'resource');
          expect(await store.getPrefs(user)).toStrictEqual({ CN: user });
          expect(await store.listObjects(user)).toStrictEqual([objectOf(`obj-${i}`)]);
          expect(await store.freeBusy(user)).toStrictEqual([period('uid', DAY + i * H, DAY + i * H + H)]);
          expect(await store.freeBusy(user, { others: true })).toStrictEqual([othersPeriod('uid', user, DAY, DAY + H)]);
          expect(await store.listRequests(user)).toStrictEqual([requestOf('uid', null, 'REQUEST', i)]);
          expect(await store.listCounters(user)).toStrictEqual([counterOf('uid', null, user, i)]);
          expect(await store.listInbox(user)).toStrictEqual([inboxOf(`inbox-${i}`, DAY)]);
          expect(await store.listOutbox(user)).toStrictEqual([outboxOf(`outbox-${i}`, user, DAY + i)]);
          expect(await store.listJournal(user)).toStrictEqual([journalOf(user, i)]);
          expect(await seen(user, [`seen-${i}`, `seen-${(i + 1) % HOSTILE.length}`])).toStrictEqual([true, false]);
        }
        expect((await store.listOutbox()).map((item) => item.user)).toStrictEqual(HOSTILE);
        expect((await store.listJournal()).map((entry) => entry.recipient).sort(byText)).toStrictEqual([...HOSTILE].sort(byText));
      });

      it('does not take a NUL inside a string for a separator between key parts', async () => {
        await store.transact('a', (tx) => {
          tx.putObject(objectOf('b'));
          tx.putRequest(requestOf('a', 'b'));
          tx.putRequest(requestOf('a\u0000b', null));
          tx.putRequest(requestOf('a', null));
          tx.putCounter(counterOf('a', null, 'b'));
          tx.putCounter(counterOf('a', null, 'b\u0000c'));
          tx.putCounter(counterOf('a\u0000b', null, 'c'));
          tx.setOthersPeriods('u', 'p', [othersPeriod('u', 'p', DAY, DAY + H)]);
          tx.setOthersPeriods('u', 'p\u0000q', [othersPeriod('u', 'p\u0000q', DAY, DAY + H)]);
          tx.setOwnPeriods('u', [period('u', DAY, DAY + H)]);
          tx.setOwnPeriods('u\u0000v', [period('u\u0000v', DAY, DAY + H)]);
          tx.markSeen('m', iso(DAY));
        });
        await store.transact('a\u0000b', (tx) => tx.putObject(objectOf('c')));
        expect(await store.listObjects('a')).toStrictEqual([objectOf('b')]);
        expect(await store.listObjects('a\u0000b')).toStrictEqual([objectOf('c')]);
        expect(await store.getObject('a', 'b\u0000c')).toBeUndefined();
        expect(await seen('a\u0000b', ['m'])).toStrictEqual([false]);

        await store.transact('a', (tx) => {
          tx.removeRequests('a');
          tx.removeCounters('a', null, 'b');
          tx.removeOthersPeriods('u', 'p');
          tx.setOwnPeriods('u', []);
        });
        expect(await store.listRequests('a')).toStrictEqual([requestOf('a\u0000b', null)]);
        expect(await store.listCounters('a')).toStrictEqual([counterOf('a', null, 'b\u0000c'), counterOf('a\u0000b', null, 'c')]);
        expect(await store.freeBusy('a', { others: true })).toStrictEqual([othersPeriod('u', 'p\u0000q', DAY, DAY + H)]);
        expect(await store.freeBusy('a')).toStrictEqual([period('u\u0000v', DAY, DAY + H)]);

        await store.transact('a', (tx) => tx.removeCounters('a'));
        expect(await store.listCounters('a')).toStrictEqual([counterOf('a\u0000b', null, 'c')]);
      });
    });
  });
}

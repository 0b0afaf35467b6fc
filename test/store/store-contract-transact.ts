// The Store contract, transactions: what one transact callback sees and
// writes, that a throwing or asynchronous callback writes nothing, that a
// view is dead once its callback ended, and that transacts started at once
// (for one user or for several) all commit.

import { describe, expect, it } from 'vitest';
import type { UserTx } from '../../src/store/store.js';
import {
  ALICE,
  BOB,
  byText,
  CAROL,
  changeEverything,
  counterOf,
  DAY,
  fillUser,
  H,
  inboxOf,
  iso,
  journalOf,
  objectOf,
  outboxOf,
  period,
  requestOf,
  seenKeys,
  settle,
  snapshot,
} from './store-contract-fixtures.js';
import type { StorePerTest } from './store-per-test.js';

export function describeTransactContract({ store, canReopen, reopen }: StorePerTest): void {
  const seen = seenKeys(store);

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
      if (canReopen) await reopen();
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
}

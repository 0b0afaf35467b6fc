// The Store contract, what waits for the user: requests, counter-proposals
// and the scheduling inbox, each keyed and sorted as documented.

import { describe, expect, it } from 'vitest';
import type { CounterEntry } from '../../src/itip/model.js';
import type { UserTx } from '../../src/store/store.js';
import { ALICE, BOB, CAROL, counterOf, D, DAY, H, inboxOf, requestOf } from './store-contract-fixtures.js';
import type { StorePerTest } from './store-per-test.js';

export function describeRequestsContract({ store }: StorePerTest): void {
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
}

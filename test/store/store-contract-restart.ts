// The Store contract, restart and close: what a resolved transact wrote is
// there after a reopen, and close lets pending transacts finish first.

import { describe, expect, it } from 'vitest';
import { ALICE, BOB, changeEverything, DAY, fillUser, journalOf, objectOf, outboxOf, seenKeys, snapshot } from './store-contract-fixtures.js';
import type { StorePerTest } from './store-per-test.js';

export function describeRestartContract({ store, canReopen, reopen }: StorePerTest): void {
  const seen = seenKeys(store);

  if (canReopen) {
    describe('durability', () => {
      it('shows everything a resolved transact wrote after the store is reopened', async () => {
        await store.transact(ALICE, (tx) => fillUser(tx, 'a'));
        await store.transact(BOB, (tx) => fillUser(tx, 'b'));
        await store.transact(ALICE, (tx) => changeEverything(tx, 'a'));
        await store.updateOutbox({ ...outboxOf('b-outbox', BOB, DAY), state: 'failed', attempts: 3, lastError: '550 no such user' });
        const before = await snapshot(store, [ALICE, BOB]);

        await reopen();

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

      if (canReopen) {
        await reopen();
        expect(await store.listObjects(ALICE)).toStrictEqual([0, 1, 2].map((i) => objectOf(`pending-${i}`)));
        expect(await store.listJournal(ALICE)).toStrictEqual([0, 1, 2].map((i) => journalOf(ALICE, i)));
        expect(await store.getOutbox('o1')).toStrictEqual(outboxOf('o1', BOB, DAY));
      }
    });
  });
}

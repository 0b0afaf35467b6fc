// The Store contract, what the agent did: the outbox (listed, found due,
// updated durably), the journal in the order written, and seen messages.

import { describe, expect, it } from 'vitest';
import type { OutboxItem } from '../../src/itip/model.js';
import { ALICE, BOB, CAROL, DAY, H, iso, journalOf, outboxOf, seenKeys } from './store-contract-fixtures.js';
import type { StorePerTest } from './store-per-test.js';

export function describeOutboxJournalContract({ store, canReopen, reopen }: StorePerTest): void {
  const seen = seenKeys(store);

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

      if (canReopen) {
        await reopen();
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
}

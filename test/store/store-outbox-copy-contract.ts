// The Store contract for claiming outbox items (Store.claimDueOutbox: several
// senders on one store never send an item twice) and for the listings a copy
// of a store reads (Store.listSeen, Store.listSent). Every Store
// implementation passes it beside store-contract.ts.

import { describe, expect, it } from 'vitest';
import { compareText } from '../../src/ical/text-order.js';
import type { JournalEntry, OutboxItem, SentMessage } from '../../src/itip/model.js';
import { openStorePerTest, type StoreContractFactory } from './store-per-test.js';

const ALICE = 'mailto:alice@example.org';
const BOB = 'mailto:bob@example.org';
const MIN = 60 * 1000;
const H = 60 * MIN;
const DAY = Date.UTC(2026, 2, 10);

const iso = (ms: number): string => new Date(ms).toISOString().replace('.000Z', 'Z');

/** Strings mail may bring: NUL, a lone surrogate of each kind, and one longer than any key. */
const ODD = ['a\u0000b', 'x\ud800y', '\udc00', 'z'.repeat(300), 'plain@example.org'];

function outboxOf(id: string, user: string, createdMs: number, extra: Partial<OutboxItem> = {}): OutboxItem {
  return {
    id,
    user,
    method: 'REPLY',
    uid: `uid-${id}`,
    from: user,
    to: ['mailto:organizer@example.org'],
    state: 'unprocessed',
    attempts: 0,
    created: iso(createdMs),
    ics: 'BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n',
    ...extra,
  };
}

const ids = (items: OutboxItem[]): string[] => items.map((item) => item.id);

export function describeOutboxCopyStoreContract(name: string, factory: StoreContractFactory): void {
  describe(`Store contract, outbox claims and copy listings: ${name}`, () => {
    const { store } = openStorePerTest(factory);

    const queue = async (...items: OutboxItem[]): Promise<void> => {
      for (const item of items) await store.transact(item.user, (tx) => tx.addOutbox(item));
    };

    it('claims the due items only, oldest first, at most limit, and moves their next attempt to until', async () => {
      await queue(
        outboxOf('o-new', BOB, DAY, { nextAttempt: iso(DAY) }),
        outboxOf('o-old', ALICE, DAY - 2 * H),
        outboxOf('o-mid', BOB, DAY - H, { attempts: 2, nextAttempt: iso(DAY - 30 * MIN), status: { 'mailto:organizer@example.org': '1.0' } }),
        outboxOf('o-later', ALICE, DAY - 3 * H, { attempts: 1, nextAttempt: iso(DAY + MIN) }),
        outboxOf('o-sent', ALICE, DAY - 4 * H, { state: 'processed', attempts: 1 }),
        outboxOf('o-failed', BOB, DAY - 5 * H, { state: 'failed', attempts: 20 }),
      );
      const until = iso(DAY + 10 * MIN);

      const first = await store.claimDueOutbox(iso(DAY), until, 2);
      expect(ids(first)).toStrictEqual(['o-old', 'o-mid']);
      // Returned as they now are: only the next attempt changed.
      expect(first[1]).toStrictEqual(outboxOf('o-mid', BOB, DAY - H, { attempts: 2, nextAttempt: until, status: { 'mailto:organizer@example.org': '1.0' } }));
      expect(first[0]).toStrictEqual(outboxOf('o-old', ALICE, DAY - 2 * H, { nextAttempt: until }));
      expect(await store.getOutbox('o-old')).toStrictEqual(first[0]);
      expect(await store.getOutbox('o-mid')).toStrictEqual(first[1]);
      // The claimed ones are no longer due; the rest is as it was.
      expect(ids(await store.listDueOutbox(iso(DAY)))).toStrictEqual(['o-new']);
      expect((await store.getOutbox('o-later'))?.nextAttempt).toBe(iso(DAY + MIN));

      expect(ids(await store.claimDueOutbox(iso(DAY), until))).toStrictEqual(['o-new']);
      // A second claim at the same time finds nothing left.
      expect(await store.claimDueOutbox(iso(DAY), until)).toStrictEqual([]);
      expect(await store.listDueOutbox(iso(DAY))).toStrictEqual([]);
      // Sent and failed items are never claimed, whatever the time.
      expect(ids(await store.claimDueOutbox(iso(DAY + 365 * 24 * H), iso(DAY + 366 * 24 * H)))).toStrictEqual(['o-later', 'o-old', 'o-mid', 'o-new']);
      expect((await store.getOutbox('o-sent'))?.nextAttempt).toBeUndefined();
    });

    it('a limit of 0 claims nothing; an empty outbox gives nothing', async () => {
      expect(await store.claimDueOutbox(iso(DAY), iso(DAY + MIN))).toStrictEqual([]);
      await queue(outboxOf('o1', ALICE, DAY - H));
      expect(await store.claimDueOutbox(iso(DAY), iso(DAY + MIN), 0)).toStrictEqual([]);
      expect(ids(await store.listDueOutbox(iso(DAY)))).toStrictEqual(['o1']);
    });

    it('a claimed item is claimable again at until, not before, unless its outcome was recorded', async () => {
      await queue(outboxOf('o1', ALICE, DAY - H), outboxOf('o2', BOB, DAY - H / 2));
      const until = DAY + 10 * MIN;
      expect(ids(await store.claimDueOutbox(iso(DAY), iso(until)))).toStrictEqual(['o1', 'o2']);
      expect(await store.claimDueOutbox(iso(until - 1000), iso(until + 10 * MIN))).toStrictEqual([]);

      // The sender of o2 recorded that it was sent; the sender of o1 died.
      const o2 = (await store.getOutbox('o2'))!;
      const sent: OutboxItem = { ...o2, state: 'processed', attempts: 1, status: { 'mailto:organizer@example.org': '1.2' } };
      delete sent.nextAttempt;
      await store.updateOutbox(sent);

      const again = await store.claimDueOutbox(iso(until), iso(until + 10 * MIN));
      expect(again).toStrictEqual([outboxOf('o1', ALICE, DAY - H, { nextAttempt: iso(until + 10 * MIN) })]);
      expect(await store.getOutbox('o2')).toStrictEqual(sent);
    });

    it('claims running at once never return the same item, and together take every due one', async () => {
      const count = 24;
      await queue(...Array.from({ length: count }, (_, i) => outboxOf(`o${String(i).padStart(2, '0')}`, i % 2 ? ALICE : BOB, DAY - (count - i) * MIN)));
      const until = iso(DAY + 10 * MIN);
      const claims = await Promise.all([
        store.claimDueOutbox(iso(DAY), until, 3),
        store.claimDueOutbox(iso(DAY), until, 5),
        store.claimDueOutbox(iso(DAY), until),
        store.claimDueOutbox(iso(DAY), until, 1),
        store.claimDueOutbox(iso(DAY), until),
        store.claimDueOutbox(iso(DAY), until, 4),
      ]);
      const all = claims.flatMap(ids);
      expect(new Set(all).size).toBe(all.length);
      expect([...all].sort()).toStrictEqual(Array.from({ length: count }, (_, i) => `o${String(i).padStart(2, '0')}`));
      for (const [i, limit] of [3, 5, undefined, 1, undefined, 4].entries()) {
        if (limit !== undefined) expect(claims[i]!.length).toBeLessThanOrEqual(limit);
        // Each claim is oldest first.
        expect(ids(claims[i]!)).toStrictEqual([...ids(claims[i]!)].sort());
      }
      expect(await store.listDueOutbox(iso(DAY))).toStrictEqual([]);
    });

    it('listSeen gives back every mark of the user as written, sorted by key, and no journal entry', async () => {
      const marks = [...ODD.map((key, i) => ({ key: `incoming:${key}`, at: iso(DAY + i * MIN) })), { key: 'x'.repeat(300) + '\ud800', at: iso(DAY) }];
      const entry: JournalEntry = { messageId: 'm1', recipient: ALICE, method: 'REQUEST', uid: 'u1', outcome: 'applied', reason: 'stored', at: iso(DAY) };
      await store.transact(ALICE, (tx) => {
        for (const mark of marks) tx.markSeen(mark.key, mark.at);
        tx.addJournal(entry);
      });
      await store.transact(BOB, (tx) => tx.markSeen('incoming:for-bob', iso(DAY)));

      expect(await store.listSeen(ALICE)).toStrictEqual([...marks].sort((a, b) => compareText(a.key, b.key)));
      expect(await store.listSeen(BOB)).toStrictEqual([{ key: 'incoming:for-bob', at: iso(DAY) }]);
      expect(await store.listSeen('mailto:nobody@example.org')).toStrictEqual([]);
      expect(await store.listJournal(ALICE)).toStrictEqual([entry]);
    });

    it('listSent gives back every sent message of the user as written, sorted by Message-ID', async () => {
      const records: SentMessage[] = ODD.map((messageId, i) => ({
        messageId,
        units: [{ method: 'REQUEST', uid: `uid-${ODD[(i + 1) % ODD.length]}`, instances: ['', '20260310T090000Z'] }],
        to: ['mailto:bob@example.org', `mailto:${ODD[i]}`],
        sent: iso(DAY + i * MIN),
      }));
      await store.transact(ALICE, (tx) => {
        for (const record of records) tx.putSent(record);
      });
      const bobs: SentMessage = { messageId: 'only-bob@example.org', units: [{ method: 'CANCEL', uid: 'b', instances: [''] }], to: [ALICE], sent: iso(DAY) };
      await store.transact(BOB, (tx) => tx.putSent(bobs));

      expect(await store.listSent(ALICE)).toStrictEqual([...records].sort((a, b) => compareText(a.messageId, b.messageId)));
      expect(await store.listSent(BOB)).toStrictEqual([bobs]);
      expect(await store.listSent('mailto:nobody@example.org')).toStrictEqual([]);
    });
  });
}

// What CalDAV needs of the Store contract: the object change log
// (Store.objectChanges, for sync-collection), where every put and removal of
// an object is logged in its transaction, one entry per UID at its latest
// change, per user; and the removal of scheduling inbox items.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/store.js';
import type { StoreContractFactory } from './store-contract.js';

const ALICE = 'mailto:alice@example.org';
const BOB = 'mailto:bob@example.org';

const object = (uid: string, summary = 'x') => ({ uid, ics: `BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:${uid}\r\nSUMMARY:${summary}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n` });

export function describeCalDavStoreContract(name: string, factory: StoreContractFactory): void {
  describe(`Store contract, object changes: ${name}`, () => {
    let store: Store;
    beforeEach(async () => {
      store = await factory.open();
    });
    afterEach(async () => {
      await store.close();
    });

    it('starts empty, with token 0', () => {
      expect(store.objectChanges(ALICE, 0)).toStrictEqual({ latest: 0, changes: [] });
    });

    it('lists puts and removals after a token, one entry per UID at its latest change', async () => {
      await store.transact(ALICE, (tx) => {
        tx.putObject(object('a'));
        tx.putObject(object('b'));
      });
      const first = store.objectChanges(ALICE, 0);
      expect(first.changes.map(({ uid, deleted }) => ({ uid, deleted }))).toStrictEqual([
        { uid: 'a', deleted: false },
        { uid: 'b', deleted: false },
      ]);
      expect(first.latest).toBe(first.changes[1]!.seq);

      await store.transact(ALICE, (tx) => {
        tx.putObject(object('a', 'again'));
        tx.deleteObject('b');
        tx.deleteObject('never-there');
      });
      const second = store.objectChanges(ALICE, first.latest);
      expect(second.changes.map(({ uid, deleted }) => ({ uid, deleted }))).toStrictEqual([
        { uid: 'a', deleted: false },
        { uid: 'b', deleted: true },
      ]);
      expect(second.latest).toBeGreaterThan(first.latest);
      // The whole log still has one entry per UID, at its latest change.
      expect(store.objectChanges(ALICE, 0).changes).toStrictEqual(second.changes);
      // Nothing after the latest token.
      expect(store.objectChanges(ALICE, second.latest)).toStrictEqual({ latest: second.latest, changes: [] });
    });

    it("keeps users apart, and a write that throws logs nothing", async () => {
      await store.transact(BOB, (tx) => tx.putObject(object('b1')));
      await expect(
        store.transact(ALICE, (tx) => {
          tx.putObject(object('lost'));
          throw new Error('no');
        }),
      ).rejects.toThrow('no');
      expect(store.objectChanges(ALICE, 0)).toStrictEqual({ latest: 0, changes: [] });
      expect(store.objectChanges(BOB, 0).changes.map((c) => c.uid)).toStrictEqual(['b1']);
    });

    it('removes one inbox item of one user, and says whether there was one', async () => {
      const item = (id: string) => ({ id, method: 'REQUEST' as const, uid: 'u', from: BOB, received: '2026-03-01T12:00:00Z', messageId: `<${id}>`, ics: 'x' });
      await store.transact(ALICE, (tx) => ['i1', 'i2'].forEach((id) => tx.addInbox(item(id))));
      await store.transact(BOB, (tx) => tx.addInbox(item('i1')));
      expect(await store.transact(ALICE, (tx) => [tx.removeInbox('i1'), tx.removeInbox('i1'), tx.removeInbox('none')])).toStrictEqual([true, false, false]);
      expect(store.listInbox(ALICE).map((i) => i.id)).toStrictEqual(['i2']);
      expect(store.listInbox(BOB).map((i) => i.id)).toStrictEqual(['i1']);
    });

    it('keeps UIDs with any characters apart', async () => {
      const odd = ['a/b', 'x'.repeat(300), 'nul\u0000', '\ud800'];
      await store.transact(ALICE, (tx) => odd.forEach((uid) => tx.putObject(object(uid))));
      await store.transact(ALICE, (tx) => tx.deleteObject(odd[1]!));
      const changes = store.objectChanges(ALICE, 0).changes;
      expect(changes.map(({ uid, deleted }) => ({ uid, deleted }))).toStrictEqual([
        { uid: odd[0], deleted: false },
        { uid: odd[2], deleted: false },
        { uid: odd[3], deleted: false },
        { uid: odd[1], deleted: true },
      ]);
    });
  });
}

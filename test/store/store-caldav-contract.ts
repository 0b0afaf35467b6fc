// What CalDAV needs of the Store contract: the names of calendar object
// resources (UserTx.putObject, nameNewObject, objectName, objectNamed); the
// object change log (Store.objectChanges, for sync-collection), where every
// put and removal of an object is logged in its transaction, one entry per
// name at its latest change, per user, with a bounded number of removals;
// and the removal of scheduling inbox items.

import { describe, expect, it } from 'vitest';
import { KEPT_REMOVALS } from '../../src/store/store.js';
import { openStorePerTest, type StoreContractFactory } from './store-per-test.js';

const ALICE = 'mailto:alice@example.org';
const BOB = 'mailto:bob@example.org';

const object = (uid: string, summary = 'x') => ({ uid, ics: `BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:${uid}\r\nSUMMARY:${summary}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n` });

export function describeCalDavStoreContract(name: string, factory: StoreContractFactory): void {
  describe(`Store contract, object changes: ${name}`, () => {
    const { store } = openStorePerTest(factory);

    it('starts empty, with token 0', async () => {
      expect(await store.objectChanges(ALICE, 0)).toStrictEqual({ latest: 0, floor: 0, changes: [] });
    });

    it('lists puts and removals after a token, one entry per name at its latest change', async () => {
      await store.transact(ALICE, (tx) => {
        tx.putObject(object('a'));
        tx.putObject(object('b'));
      });
      const first = await store.objectChanges(ALICE, 0);
      expect(first.changes.map(({ uid, name, deleted }) => ({ uid, name, deleted }))).toStrictEqual([
        { uid: 'a', name: 'a.ics', deleted: false },
        { uid: 'b', name: 'b.ics', deleted: false },
      ]);
      expect(first.latest).toBe(first.changes[1]!.seq);

      await store.transact(ALICE, (tx) => {
        tx.putObject(object('a', 'again'));
        tx.deleteObject('b');
        tx.deleteObject('never-there');
      });
      const second = await store.objectChanges(ALICE, first.latest);
      expect(second.changes.map(({ uid, name, deleted }) => ({ uid, name, deleted }))).toStrictEqual([
        { uid: 'a', name: 'a.ics', deleted: false },
        { uid: 'b', name: 'b.ics', deleted: true },
      ]);
      expect(second.latest).toBeGreaterThan(first.latest);
      // The whole log still has one entry per UID, at its latest change.
      expect((await store.objectChanges(ALICE, 0)).changes).toStrictEqual(second.changes);
      // Nothing after the latest token.
      expect(await store.objectChanges(ALICE, second.latest)).toStrictEqual({ latest: second.latest, floor: 0, changes: [] });
    });

    it("keeps users apart, and a write that throws logs nothing", async () => {
      await store.transact(BOB, (tx) => tx.putObject(object('b1')));
      await expect(
        store.transact(ALICE, (tx) => {
          tx.putObject(object('lost'));
          throw new Error('no');
        }),
      ).rejects.toThrow('no');
      expect(await store.objectChanges(ALICE, 0)).toStrictEqual({ latest: 0, floor: 0, changes: [] });
      expect((await store.objectChanges(BOB, 0)).changes.map((c) => c.uid)).toStrictEqual(['b1']);
      expect(await store.objectName(ALICE, 'lost')).toBeUndefined();
      expect(await store.objectNamed(ALICE, 'b1.ics')).toBeUndefined();
      expect(await store.objectNamed(BOB, 'b1.ics')).toBe('b1');
    });

    it('removes one inbox item of one user, and says whether there was one', async () => {
      const item = (id: string) => ({ id, method: 'REQUEST' as const, uid: 'u', from: BOB, received: '2026-03-01T12:00:00Z', messageId: `<${id}>`, ics: 'x' });
      await store.transact(ALICE, (tx) => ['i1', 'i2'].forEach((id) => tx.addInbox(item(id))));
      await store.transact(BOB, (tx) => tx.addInbox(item('i1')));
      expect(await store.transact(ALICE, (tx) => [tx.removeInbox('i1'), tx.removeInbox('i1'), tx.removeInbox('none')])).toStrictEqual([true, false, false]);
      expect((await store.listInbox(ALICE)).map((i) => i.id)).toStrictEqual(['i2']);
      expect((await store.listInbox(BOB)).map((i) => i.id)).toStrictEqual(['i1']);
    });

    it('keeps UIDs with any characters apart, each under a distinct name a URL can carry', async () => {
      const odd = ['a/b', 'x'.repeat(300), 'nul\u0000', '\ud800', 'a b%c?d#e', 'a\\b'];
      await store.transact(ALICE, (tx) => odd.forEach((uid) => tx.putObject(object(uid))));
      await store.transact(ALICE, (tx) => tx.deleteObject(odd[1]!));
      const changes = (await store.objectChanges(ALICE, 0)).changes;
      expect(changes.map(({ uid, deleted }) => ({ uid, deleted }))).toStrictEqual([
        ...[0, 2, 3, 4, 5].map((i) => ({ uid: odd[i], deleted: false })),
        { uid: odd[1], deleted: true },
      ]);
      const names = changes.map((c) => c.name);
      expect(new Set(names).size).toBe(odd.length);
      for (const name of names) {
        expect(name).toMatch(/\.ics$/);
        expect(name).not.toMatch(/[\u0000-\u0020\u007f/\\%?#]/);
        expect(() => encodeURIComponent(name)).not.toThrow();
        expect(name.length).toBeLessThan(120);
      }
      for (const i of [0, 2, 3, 4, 5]) expect(await store.objectNamed(ALICE, (await store.objectName(ALICE, odd[i]!))!)).toBe(odd[i]);
      expect(await store.objectName(ALICE, odd[1]!)).toBeUndefined();
    });

    it('names an object from its UID, or as nameNewObject asked when the transaction makes it; the name stays', async () => {
      await store.transact(ALICE, (tx) => {
        tx.nameNewObject('u1', 'Random-UUID.ics');
        expect(tx.objectName('u1')).toBeUndefined();
        tx.putObject(object('u1'));
        tx.putObject(object('u2'));
        expect([tx.objectName('u1'), tx.objectNamed('Random-UUID.ics'), tx.objectName('u2')]).toStrictEqual(['Random-UUID.ics', 'u1', 'u2.ics']);
      });
      expect([await store.objectName(ALICE, 'u1'), await store.objectNamed(ALICE, 'Random-UUID.ics'), await store.objectNamed(ALICE, 'u1.ics')]).toStrictEqual(['Random-UUID.ics', 'u1', undefined]);
      // An object that exists keeps its name; an unused wish is forgotten with its transaction.
      await store.transact(ALICE, (tx) => {
        tx.nameNewObject('u1', 'other.ics');
        tx.putObject(object('u1', 'changed'));
        tx.nameNewObject('u3', 'never-made.ics');
      });
      expect(await store.objectName(ALICE, 'u1')).toBe('Random-UUID.ics');
      expect(await store.objectNamed(ALICE, 'never-made.ics')).toBeUndefined();
      await store.transact(ALICE, (tx) => tx.putObject(object('u3')));
      expect(await store.objectName(ALICE, 'u3')).toBe('u3.ics');
      // A name held by another object cannot be asked for; nothing of that transaction is kept.
      await expect(store.transact(ALICE, (tx) => {
        tx.nameNewObject('u4', 'Random-UUID.ics');
        tx.putObject(object('u4'));
      })).rejects.toThrow();
      expect(await store.getObject(ALICE, 'u4')).toBeUndefined();
      // Names are per user.
      await store.transact(BOB, (tx) => {
        tx.nameNewObject('b1', 'Random-UUID.ics');
        tx.putObject(object('b1'));
      });
      expect(await store.objectNamed(BOB, 'Random-UUID.ics')).toBe('b1');
      expect(await store.objectNamed(ALICE, 'Random-UUID.ics')).toBe('u1');
    });

    it('gives an object that came by mail another name when a client took its UID.ics for another object', async () => {
      await store.transact(ALICE, (tx) => {
        tx.nameNewObject('client-uid', 'mailed.ics');
        tx.putObject(object('client-uid'));
      });
      await store.transact(ALICE, (tx) => tx.putObject(object('mailed')));
      const name = (await store.objectName(ALICE, 'mailed'))!;
      expect(name).not.toBe('mailed.ics');
      expect(await store.objectNamed(ALICE, name)).toBe('mailed');
      expect(await store.objectNamed(ALICE, 'mailed.ics')).toBe('client-uid');
    });

    it('frees a name with its object: logged as a removal under that name, and another object may take it', async () => {
      await store.transact(ALICE, (tx) => {
        tx.nameNewObject('first', 'slot.ics');
        tx.putObject(object('first'));
      });
      const before = (await store.objectChanges(ALICE, 0)).latest;
      await store.transact(ALICE, (tx) => tx.deleteObject('first'));
      expect(await store.objectNamed(ALICE, 'slot.ics')).toBeUndefined();
      expect(await store.objectName(ALICE, 'first')).toBeUndefined();
      const removed = await store.objectChanges(ALICE, before);
      expect(removed.changes.map(({ uid, name, deleted }) => ({ uid, name, deleted }))).toStrictEqual([{ uid: 'first', name: 'slot.ics', deleted: true }]);
      // The same UID made again under another name, and another UID under the freed one: the log shows both names.
      await store.transact(ALICE, (tx) => {
        tx.nameNewObject('first', 'moved.ics');
        tx.putObject(object('first'));
        tx.nameNewObject('second', 'slot.ics');
        tx.putObject(object('second'));
      });
      expect((await store.objectChanges(ALICE, removed.latest)).changes.map(({ uid, name, deleted }) => ({ uid, name, deleted }))).toStrictEqual([
        { uid: 'first', name: 'moved.ics', deleted: false },
        { uid: 'second', name: 'slot.ics', deleted: false },
      ]);
      expect((await store.objectChanges(ALICE, 0)).changes.map((c) => c.name)).toStrictEqual(['moved.ics', 'slot.ics']);
    });

    it(`remembers the latest ${KEPT_REMOVALS} removals at least; a token from before the ones forgotten gets nothing and learns the floor`, async () => {
      const count = KEPT_REMOVALS + 10;
      const uids = Array.from({ length: count }, (_, i) => `gone-${i}`);
      await store.transact(ALICE, (tx) => tx.putObject(object('stays')));
      await store.transact(ALICE, (tx) => uids.forEach((uid) => tx.putObject(object(uid))));
      const beforeRemovals = await store.objectChanges(ALICE, 0);
      expect(beforeRemovals.floor).toBe(0);
      await store.transact(ALICE, (tx) => uids.forEach((uid) => tx.deleteObject(uid)));
      const after = await store.objectChanges(ALICE, beforeRemovals.latest);
      expect(after.floor).toBeGreaterThan(beforeRemovals.latest);
      expect(after.changes).toStrictEqual([]);
      expect(after.latest).toBeGreaterThanOrEqual(after.floor);
      const kept = await store.objectChanges(ALICE, after.floor);
      expect(kept.changes.length).toBeGreaterThanOrEqual(KEPT_REMOVALS);
      expect(kept.changes.every((c) => c.deleted)).toBe(true);
      expect(kept.changes.at(-1)!.uid).toBe(uids.at(-1));
      expect(kept.latest).toBe(after.latest);
      // What is there is still listed from the floor on by those who sync anew; bob is untouched.
      expect((await store.listObjects(ALICE)).map((o) => o.uid)).toStrictEqual(['stays']);
      expect(await store.objectName(ALICE, 'stays')).toBe('stays.ics');
      expect(await store.objectChanges(BOB, 0)).toStrictEqual({ latest: 0, floor: 0, changes: [] });
      // A forgotten name can be taken again, and its change is listed after the floor.
      await store.transact(ALICE, (tx) => tx.putObject(object(uids[0]!)));
      expect((await store.objectChanges(ALICE, kept.latest)).changes.map(({ uid, deleted }) => ({ uid, deleted }))).toStrictEqual([{ uid: uids[0], deleted: false }]);
    });
  });
}

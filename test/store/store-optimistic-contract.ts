// The Store contract for optimistic commits (Store.readUser, Store.commitIf):
// a view reads committed data and tells the user's version; a commit happens
// only while that version holds, and every commit of the user (transact or
// commitIf) counts it up. Every Store implementation passes it beside
// store-contract.ts.

import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CounterEntry, Period, RequestEntry, StoredObject } from '../../src/itip/model.js';
import type { Store, UserView } from '../../src/store/store.js';
import type { StoreContractFactory } from './store-contract.js';

const ALICE = 'mailto:alice@example.org';
const BOB = 'mailto:bob@example.org';
const H = 60 * 60 * 1000;
const DAY = Date.UTC(2026, 2, 10);

const iso = (ms: number): string => new Date(ms).toISOString().replace('.000Z', 'Z');

function objectOf(uid: string, sequence = 0): StoredObject {
  return { uid, ics: `BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:${uid}\r\nSEQUENCE:${sequence}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n` };
}

const period = (uid: string, startMs: number, endMs: number): Period => ({ start: iso(startMs), end: iso(endMs), fbtype: 'BUSY', uid, recurrenceId: null });
const counterOf = (uid: string, attendee: string): CounterEntry => ({ uid, recurrenceId: null, attendee, received: iso(DAY), ics: 'BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n' });
const requestOf = (uid: string): RequestEntry => ({ uid, recurrenceId: null, method: 'REQUEST', from: BOB, received: iso(DAY) });

/** Every read a view offers, as one value. */
async function readAll(view: UserView) {
  return {
    user: view.user,
    role: await view.getRole(),
    prefs: await view.getPrefs(),
    object: await view.getObject('u1'),
    none: await view.getObject('missing'),
    busy: await view.freeBusy({ from: iso(DAY), to: iso(DAY + 24 * H) }),
    requests: await view.listRequests('u1'),
    counters: await view.listCounters('u1'),
    seen: await view.hasSeen('m1'),
    unseen: await view.hasSeen('m2'),
  };
}

export function describeOptimisticStoreContract(name: string, factory: StoreContractFactory): void {
  describe(`Store contract, optimistic commits: ${name}`, () => {
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

    const versionOf = async (user: string): Promise<number> => (await store.readUser(user, () => undefined)).version;

    it('a view reads what a transaction reads, and tells the version', async () => {
      expect(await store.readUser(ALICE, readAll)).toStrictEqual({
        version: 0,
        value: { user: ALICE, role: undefined, prefs: {}, object: undefined, none: undefined, busy: [], requests: [], counters: [], seen: false, unseen: false },
      });
      await store.transact(ALICE, (tx) => {
        tx.setRole('resource');
        tx.setPref('LANG', 'de');
        tx.putObject(objectOf('u1', 2));
        tx.setOwnPeriods('u1', [period('u1', DAY + 9 * H, DAY + 10 * H)]);
        tx.putRequest(requestOf('u1'));
        tx.putCounter(counterOf('u1', BOB));
        tx.markSeen('m1', iso(DAY));
      });
      const inTx = await store.transact(BOB, () => undefined).then(() => store.readUser(ALICE, readAll));
      expect(inTx.version).toBe(1);
      expect(inTx.value).toStrictEqual({
        user: ALICE,
        role: 'resource',
        prefs: { LANG: 'de' },
        object: objectOf('u1', 2),
        none: undefined,
        busy: [period('u1', DAY + 9 * H, DAY + 10 * H)],
        requests: [requestOf('u1')],
        counters: [counterOf('u1', BOB)],
        seen: true,
        unseen: false,
      });
      // Another user's commits leave Alice's version alone.
      expect(await versionOf(BOB)).toBe(1);
    });

    it('commitIf commits at the version read, counts it up, and resolves with the callback value', async () => {
      const { version } = await store.readUser(ALICE, () => undefined);
      const result = await store.commitIf(ALICE, version, (tx) => {
        tx.putObject(objectOf('u1'));
        return { user: tx.user };
      });
      expect(result).toStrictEqual({ committed: true, value: { user: ALICE } });
      expect(store.getObject(ALICE, 'u1')).toStrictEqual(objectOf('u1'));
      expect(await versionOf(ALICE)).toBe(version + 1);
    });

    it('commitIf at a stale version writes nothing and tells the version now, after a transact or a commitIf', async () => {
      const first = await store.readUser(ALICE, () => undefined);
      await store.transact(ALICE, (tx) => tx.putObject(objectOf('u1', 1)));
      let ran = false;
      const stale = await store.commitIf(ALICE, first.version, (tx) => {
        ran = true;
        tx.putObject(objectOf('u1', 9));
      });
      expect(stale).toStrictEqual({ committed: false, version: first.version + 1 });
      expect(ran).toBe(false);
      expect(store.getObject(ALICE, 'u1')).toStrictEqual(objectOf('u1', 1));

      const second = await store.readUser(ALICE, () => undefined);
      expect((await store.commitIf(ALICE, second.version, () => 'a')).committed).toBe(true);
      expect(await store.commitIf(ALICE, second.version, () => 'b')).toStrictEqual({ committed: false, version: second.version + 1 });
    });

    it('of concurrent commitIf calls at one version, exactly one commits; other users commit beside them', async () => {
      await store.transact(ALICE, (tx) => tx.putObject(objectOf('u1', 0)));
      const { version } = await store.readUser(ALICE, () => undefined);
      const bob = await store.readUser(BOB, () => undefined);
      const results = await Promise.all([
        ...[1, 2, 3, 4, 5, 6, 7, 8].map((n) => store.commitIf(ALICE, version, (tx) => tx.putObject(objectOf('u1', n)))),
        store.commitIf(BOB, bob.version, (tx) => tx.putObject(objectOf('b1'))),
      ]);
      const committed = results.slice(0, 8).map((r, i) => (r.committed ? i + 1 : 0)).filter((n) => n > 0);
      expect(committed).toHaveLength(1);
      expect(store.getObject(ALICE, 'u1')).toStrictEqual(objectOf('u1', committed[0]));
      expect(results[8]!.committed).toBe(true);
      expect(store.getObject(BOB, 'b1')).toStrictEqual(objectOf('b1'));
      expect(await versionOf(ALICE)).toBe(version + 1);
    });

    it('a callback that throws rejects commitIf, writes nothing and leaves the version', async () => {
      const { version } = await store.readUser(ALICE, () => undefined);
      const failure = new Error('handler failed');
      await expect(
        store.commitIf(ALICE, version, (tx) => {
          tx.putObject(objectOf('u1'));
          throw failure;
        }),
      ).rejects.toBe(failure);
      expect(store.getObject(ALICE, 'u1')).toBeUndefined();
      expect(await versionOf(ALICE)).toBe(version);
      expect((await store.commitIf(ALICE, version, () => 1)).committed).toBe(true);
    });

    it('an async commitIf callback is refused and writes nothing', async () => {
      const { version } = await store.readUser(ALICE, () => undefined);
      await expect(store.commitIf(ALICE, version, (async () => 1) as never)).rejects.toThrow(TypeError);
      expect(await versionOf(ALICE)).toBe(version);
    });

    it('a view refuses reads once its callback has settled, and an error in the callback rejects readUser', async () => {
      const { value: view } = await store.readUser(ALICE, (v) => v);
      await expect(view.getRole()).rejects.toThrow();
      await expect(store.readUser(ALICE, () => Promise.reject(new Error('read failed')))).rejects.toThrow('read failed');
    });

    it('the version survives a reopen', async () => {
      if (!factory.reopen) return;
      await store.transact(ALICE, (tx) => tx.setRole('person'));
      await store.transact(ALICE, (tx) => tx.setPref('LANG', 'fr'));
      store = await factory.reopen(store);
      expect(await versionOf(ALICE)).toBe(2);
    });
  });
}

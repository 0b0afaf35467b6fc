// The Store contract for optimistic commits (Store.readUser, Store.commitIf):
// a view reads committed data and tells the user's version; a commit happens
// only while that version holds, and every commit of the user (transact or
// commitIf) counts it up. Every Store implementation passes it beside
// store-contract.ts.

import { describe, expect, it } from 'vitest';
import type { CounterEntry, Period, RequestEntry, StoredObject } from '../../src/itip/model.js';
import type { UserView } from '../../src/store/store.js';
import { openStorePerTest, type StoreContractFactory } from './store-per-test.js';

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
    const { store, canReopen, reopen } = openStorePerTest(factory);

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
      expect(await store.getObject(ALICE, 'u1')).toStrictEqual(objectOf('u1'));
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
      expect(await store.getObject(ALICE, 'u1')).toStrictEqual(objectOf('u1', 1));

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
      expect(await store.getObject(ALICE, 'u1')).toStrictEqual(objectOf('u1', committed[0]));
      expect(results[8]!.committed).toBe(true);
      expect(await store.getObject(BOB, 'b1')).toStrictEqual(objectOf('b1'));
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
      expect(await store.getObject(ALICE, 'u1')).toBeUndefined();
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

    describe('busy time', () => {
      const W = 7 * 24 * H;
      const typed = (uid: string, startMs: number, endMs: number, fbtype: Period['fbtype']): Period => ({ ...period(uid, startMs, endMs), fbtype });
      /** The answer busyTime must give, from the periods freeBusy lists. */
      const reference = (periods: Period[], from: number, to: number) => {
        const parts = periods
          .map((p) => ({ fbtype: p.fbtype, start: Math.max(Date.parse(p.start), from), end: Math.min(Date.parse(p.end), to) }))
          .filter((p) => p.end > p.start)
          .sort((a, b) => (a.fbtype < b.fbtype ? -1 : a.fbtype > b.fbtype ? 1 : 0) || a.start - b.start || a.end - b.end);
        const out: typeof parts = [];
        for (const p of parts) {
          const last = out[out.length - 1];
          if (last && last.fbtype === p.fbtype && p.start <= last.end) last.end = Math.max(last.end, p.end);
          else out.push({ ...p });
        }
        out.sort((a, b) => a.start - b.start || a.end - b.end || (a.fbtype < b.fbtype ? -1 : a.fbtype > b.fbtype ? 1 : 0));
        return out.map((p) => ({ start: iso(p.start), end: iso(p.end), fbtype: p.fbtype }));
      };

      it('joins overlapping and touching periods per fbtype, across midnight and with long ones, cut to the range', async () => {
        await store.transact(ALICE, (tx) => {
          tx.setOwnPeriods('a', [period('a', DAY + 9 * H, DAY + 10 * H), period('a', DAY + 22 * H, DAY + 26 * H)]);
          tx.setOwnPeriods('b', [period('b', DAY + 9.5 * H, DAY + 11 * H), period('b', DAY + 11 * H, DAY + 12 * H)]);
          tx.setOwnPeriods('c', [typed('c', DAY + 10 * H, DAY + 13 * H, 'BUSY-TENTATIVE')]);
          tx.setOwnPeriods('long', [typed('long', DAY - 3 * W, DAY + 2 * W, 'BUSY-UNAVAILABLE')]);
          // Joined with the night's period: it starts when that one ends.
          tx.setOwnPeriods('d', [period('d', DAY + 26 * H, DAY + 27 * H)]);
        });
        const range = { from: iso(DAY), to: iso(DAY + 2 * 24 * H) };
        const busy = await store.busyTime(ALICE, range);
        expect(busy).toStrictEqual([
          { start: iso(DAY), end: iso(DAY + 48 * H), fbtype: 'BUSY-UNAVAILABLE' },
          { start: iso(DAY + 9 * H), end: iso(DAY + 12 * H), fbtype: 'BUSY' },
          { start: iso(DAY + 10 * H), end: iso(DAY + 13 * H), fbtype: 'BUSY-TENTATIVE' },
          { start: iso(DAY + 22 * H), end: iso(DAY + 27 * H), fbtype: 'BUSY' },
        ]);
        expect(busy).toStrictEqual(reference((await store.freeBusy(ALICE, range)) as Period[], DAY, DAY + 48 * H));
        expect(await store.busyTime(ALICE, { from: iso(DAY + 9.5 * H), to: iso(DAY + 9.75 * H) })).toStrictEqual([
          { start: iso(DAY + 9.5 * H), end: iso(DAY + 9.75 * H), fbtype: 'BUSY' },
          { start: iso(DAY + 9.5 * H), end: iso(DAY + 9.75 * H), fbtype: 'BUSY-UNAVAILABLE' },
        ]);
        expect(await store.busyTime(BOB, range)).toStrictEqual([]);
        expect(await store.busyTime(ALICE, { from: iso(DAY), to: iso(DAY) })).toStrictEqual([]);
      });

      it('follows every replacement and removal, in the transaction, in a view and after it, as freeBusy does', async () => {
        // Seeded: the same periods on every run.
        let seed = 7;
        const random = (n: number) => (seed = (seed * 48271) % 2147483647) % n;
        const types: Period['fbtype'][] = ['BUSY', 'BUSY-TENTATIVE', 'BUSY-UNAVAILABLE'];
        const from = DAY - 3 * 24 * H;
        const to = DAY + 10 * 24 * H;
        for (let round = 0; round < 30; round++) {
          const uid = `u${random(12)}`;
          const periods = Array.from({ length: random(5) }, () => {
            const start = DAY + (random(24 * 8) - 24) * (H / 2) * 2;
            const length = random(10) === 0 ? 9 * 24 * H : (1 + random(30)) * (H / 2);
            return typed(uid, start, start + length, types[random(3)]!);
          });
          const inTx = await store.transact(ALICE, (tx) => {
            tx.setOwnPeriods(uid, periods);
            return { busy: tx.busyTime({ from: iso(from), to: iso(to) }), periods: tx.freeBusy({ from: iso(from), to: iso(to) }) };
          });
          expect(inTx.busy).toStrictEqual(reference(inTx.periods, from, to));
          const after = await store.busyTime(ALICE, { from: iso(from), to: iso(to) });
          expect(after).toStrictEqual(reference((await store.freeBusy(ALICE, { from: iso(from), to: iso(to) })) as Period[], from, to));
          expect((await store.readUser(ALICE, (view) => view.busyTime({ from: iso(from), to: iso(to) }))).value).toStrictEqual(after);
        }
      });
    });

    it('the version survives a reopen', async () => {
      if (!canReopen) return;
      await store.transact(ALICE, (tx) => tx.setRole('person'));
      await store.transact(ALICE, (tx) => tx.setPref('LANG', 'fr'));
      await reopen();
      expect(await versionOf(ALICE)).toBe(2);
    });
  });
}

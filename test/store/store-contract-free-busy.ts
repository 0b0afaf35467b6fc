// The Store contract, free/busy: own periods and others' periods, replaced per
// UID (and participant), found by range [from, to) and sorted as documented.

import { describe, expect, it } from 'vitest';
import type { FbType, OthersPeriod, Period } from '../../src/itip/model.js';
import { ALICE, BOB, byPeriod, CAROL, D, DAY, H, iso, othersPeriod, overlapping, period, W } from './store-contract-fixtures.js';
import type { StorePerTest } from './store-per-test.js';

export function describeFreeBusyContract({ store }: StorePerTest): void {
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
      // The store's read starts inside the callback, where a store may
      // remember what it read (LMDB reads its open write transaction; a
      // store on another connection reads the last commit): what it answers
      // there differs by store, so only the reads after the undo are checked.
      let readDuring: Promise<Array<Period | OthersPeriod>> | undefined;
      const undone = store.transact(ALICE, (tx) => {
        tx.setOwnPeriods('undone', [period('undone', DAY, DAY + H)]);
        expect(tx.freeBusy().map((p) => p.uid)).toStrictEqual(['undone']);
        readDuring = store.freeBusy(ALICE);
        throw new Error('undo');
      });
      await expect(undone).rejects.toThrow('undo');
      await readDuring;
      expect(await store.freeBusy(ALICE)).toStrictEqual([]);
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
}

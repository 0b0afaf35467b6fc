// The busy day records of the LMDB store (src/store/lmdb-busy-days.ts) for a
// store written before they existed: built from the periods when it opens.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { open, type Key } from 'lmdb';
import { afterAll, describe, expect, it } from 'vitest';
import type { Period } from '../../src/itip/model.js';
import { LmdbStore } from '../../src/store/lmdb-store.js';

const base = mkdtempSync(join(tmpdir(), 'itip-agent-busy-days-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

const ALICE = 'mailto:alice@example.org';
const BOB = 'mailto:bob@example.org';
const H = 60 * 60 * 1000;
const DAY = Date.UTC(2026, 2, 10);
const iso = (ms: number): string => new Date(ms).toISOString().replace('.000Z', 'Z');
const period = (uid: string, startMs: number, endMs: number, fbtype: Period['fbtype'] = 'BUSY'): Period => ({ start: iso(startMs), end: iso(endMs), fbtype, uid, recurrenceId: null });

describe('LmdbStore busy day records', () => {
  it('are built at open for a store that has periods and no day records, for every user', async () => {
    const dir = join(base, 'older');
    const first = new LmdbStore(dir);
    await first.transact(ALICE, (tx) => {
      tx.setOwnPeriods('a', [period('a', DAY + 9 * H, DAY + 10 * H), period('a', DAY + 23 * H, DAY + 25 * H)]);
      tx.setOwnPeriods('b', [period('b', DAY + 10 * H, DAY + 11 * H, 'BUSY-TENTATIVE')]);
    });
    await first.transact(BOB, (tx) => tx.setOwnPeriods('c', [period('c', DAY + 12 * H, DAY + 13 * H)]));
    const range = { from: iso(DAY), to: iso(DAY + 48 * H) };
    const expected = { alice: await first.busyTime(ALICE, range), bob: await first.busyTime(BOB, range) };
    expect(expected.alice).toHaveLength(3);
    await first.close();

    // As an older version left it: no day records, no mark.
    const raw = open({ path: dir, maxDbs: 32 });
    for (const name of ['own-busy-raw', 'own-busy-days']) {
      const db = raw.openDB<unknown, Key>(name, { encoding: 'json' });
      await db.drop();
    }
    await raw.openDB<number, string>('meta', {}).remove('busy-days-built');
    await raw.close();

    const reopened = new LmdbStore(dir);
    try {
      expect({ alice: await reopened.busyTime(ALICE, range), bob: await reopened.busyTime(BOB, range) }).toStrictEqual(expected);
      // And kept up from there on.
      await reopened.transact(ALICE, (tx) => tx.setOwnPeriods('a', []));
      expect(await reopened.busyTime(ALICE, range)).toStrictEqual([{ start: iso(DAY + 10 * H), end: iso(DAY + 11 * H), fbtype: 'BUSY-TENTATIVE' }]);
    } finally {
      await reopened.close();
    }
  });
});

// Moving a format-6 store (the last before objects had names) to the current
// format: every object gets the name made from its UID and a change record,
// the earlier change log per UID is dropped, and every sync token handed out
// before is refused (lmdb-migrate.ts). The moves from formats 3 to 5 are in
// lmdb-store.test.ts.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { open, type Key } from 'lmdb';
import { afterAll, describe, expect, it } from 'vitest';
import { LmdbStore } from '../../src/store/lmdb-store.js';

const base = mkdtempSync(join(tmpdir(), 'itip-agent-migrate-test-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

/** A new folder opened with plain lmdb-js, to write a store the way an earlier format did. */
const rawStore = () => {
  const dir = mkdtempSync(join(base, 'store-'));
  const raw = open({ path: dir, maxDbs: 32 });
  const db = (name: string) => raw.openDB<unknown, Key>(name, { encoding: 'json' });
  return { dir, raw, db };
};

describe('LmdbStore format 6 to 7', () => {
  it('moves a format-6 store to the current format: every object named from its UID and logged, every older sync token refused', async () => {
    const { dir, raw, db } = rawStore();
    const ALICE = 'mailto:alice@example.org';
    const BOB = 'mailto:bob@example.org';
    const object = (uid: string) => ({ uid, ics: `BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:${uid}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n` });
    const odd = 'room/42@example.org';
    await raw.transaction(() => {
      const meta = raw.openDB<number, string>('meta', {});
      meta.putSync('format', 6);
      db('users').putSync(ALICE, { user: ALICE, role: 'person' });
      db('users').putSync(BOB, { user: BOB, role: 'person' });
      for (const uid of ['a@example.org', odd]) db('objects').putSync([ALICE, uid], object(uid));
      // The change log as the earlier format 6 kept it, per UID; a client holds token 2.
      db('object-changes').putSync([ALICE, 1], { uid: 'a@example.org', deleted: false });
      db('object-changes').putSync([ALICE, 2], { uid: 'removed@example.org', deleted: true });
      db('object-changes').putSync([ALICE, 'a@example.org'], 1);
      db('object-changes').putSync([ALICE, 'removed@example.org'], 2);
      meta.putSync('change-seq', 2);
    });
    await raw.close();

    const store = new LmdbStore(dir);
    try {
      expect(await store.objectName(ALICE, 'a@example.org')).toBe('a@example.org.ics');
      const oddName = (await store.objectName(ALICE, odd))!;
      expect(oddName).not.toContain('/');
      expect(await store.objectNamed(ALICE, oddName)).toBe(odd);
      const log = await store.objectChanges(ALICE, 2);
      // Token 2 is older than the moved log: no changes, and the floor says so.
      expect(log.changes).toStrictEqual([]);
      expect(log.floor).toBeGreaterThan(2);
      expect(log.latest).toBe(log.floor);
      expect(await store.objectChanges(BOB, 0)).toStrictEqual({ latest: log.floor, floor: log.floor, changes: [] });
      // From the new token on, changes are logged as usual.
      await store.transact(ALICE, (tx) => tx.deleteObject('a@example.org'));
      expect((await store.objectChanges(ALICE, log.latest)).changes.map(({ uid, name, deleted }) => ({ uid, name, deleted }))).toStrictEqual([
        { uid: 'a@example.org', name: 'a@example.org.ics', deleted: true },
      ]);
    } finally {
      await store.close();
    }
    const after = open({ path: dir, maxDbs: 32 });
    expect([...after.getKeys()].filter((name) => typeof name === 'string')).not.toContain('object-changes');
    expect(after.openDB<number, string>('meta', {}).get('format')).toBe(7);
    await after.close();
  });

});

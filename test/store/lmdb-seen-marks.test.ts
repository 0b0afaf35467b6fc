// The marks of mails seen in LMDB, written before a mark kept its message key
// (a bare time under the key's keyPart): the redelivery guard still finds
// them, and listSeen gives back the key part, which is the key itself when
// it is short and plain (see LmdbStore.listSeen).

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { open, type Key } from 'lmdb';
import { afterAll, describe, expect, it } from 'vitest';
import { keyPart } from '../../src/store/lmdb-keys.js';
import { LmdbStore } from '../../src/store/lmdb-store.js';

const ALICE = 'mailto:alice@example.org';
const base = mkdtempSync(join(tmpdir(), 'itip-agent-seen-test-'));

afterAll(() => {
  rmSync(base, { recursive: true, force: true });
});

describe('LmdbStore: marks of mails seen written by an earlier version', () => {
  it('are still seen, and listed under their key part beside the marks that keep their key', async () => {
    const dir = join(base, 'store');
    const plain = 'incoming:<short@example.org>';
    const long = `incoming:<${'m'.repeat(100)}@example.org>:${'d'.repeat(64)}`;
    const fresh = `incoming:<new\u0000@example.org>:${'e'.repeat(64)}`;
    const store = new LmdbStore(dir);
    // The user exists, with one mark written the way this version writes it.
    await store.transact(ALICE, (tx) => {
      tx.setRole('person');
      tx.markSeen(fresh, '2026-03-10T09:00:00Z');
    });
    await store.close();

    // Two marks in the earlier form: the time alone.
    const raw = open({ path: dir, maxDbs: 32 });
    const journal = raw.openDB<unknown, Key>('user-journal', { encoding: 'json' });
    await journal.put([keyPart(ALICE), keyPart(plain)], '2026-03-01T08:00:00Z');
    await journal.put([keyPart(ALICE), keyPart(long)], '2026-03-02T08:00:00Z');
    await raw.close();

    const again = new LmdbStore(dir);
    try {
      const seen = await again.readUser(ALICE, async (view) => [await view.hasSeen(plain), await view.hasSeen(long), await view.hasSeen(fresh), await view.hasSeen('incoming:<other@example.org>')]);
      expect(seen.value).toStrictEqual([true, true, true, false]);
      // The long key was hashed into its key part before this version: that part is all there is of it.
      expect(keyPart(long)).not.toBe(long);
      const expected = [
        { key: plain, at: '2026-03-01T08:00:00Z' },
        { key: keyPart(long), at: '2026-03-02T08:00:00Z' },
        { key: fresh, at: '2026-03-10T09:00:00Z' },
      ].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
      expect(await again.listSeen(ALICE)).toStrictEqual(expected);
    } finally {
      await again.close();
    }
  });
});

// The LMDB store on a disk that fills up: each write of a batch that cannot
// commit rejects with a StoreCommitError naming the cause, lmdb-js's own
// promises of that batch leave no unhandled rejection behind (vitest fails the
// run on one, as Node would end `serve`), and the store commits again once
// there is space. A tmpfs of its own is the disk (the tests run as root).

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LmdbStore } from '../../src/store/lmdb-store.js';
import { StoreCommitError } from '../../src/store/store.js';

describe('LmdbStore on a full disk', () => {
  const mount = mkdtempSync(join(tmpdir(), 'itip-agent-store-full-'));
  const filler = join(mount, 'filler');
  beforeAll(() => {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m,mode=0700', 'tmpfs', mount]);
  });
  afterAll(() => {
    try {
      execFileSync('umount', [mount]);
    } finally {
      rmSync(mount, { recursive: true, force: true });
    }
  });

  /** A write that needs new pages: an object far larger than the pages freed so far. */
  const bigWrite = (store: LmdbStore, user: string) =>
    store.transact(user, (tx) => {
      tx.setRole('person');
      tx.putObject({ uid: 'big@example.com', ics: 'x'.repeat(200 * 1024) });
    });

  it('rejects every write that cannot commit with a StoreCommitError (ENOSPC), and commits again once space is back', async () => {
    const dir = join(mount, 'store');
    const store = new LmdbStore(dir);
    try {
      await store.transact('mailto:first@example.com', (tx) => tx.setRole('person'));
      expect(() => writeFileSync(filler, Buffer.alloc(8 * 1024 * 1024))).toThrow(/ENOSPC/);
      expect(statfsSync(mount).bavail).toBe(0);

      // Writes in one event turn share a batch; these come in three turns, as a busy serve makes them.
      const outcomes: Array<Promise<unknown>> = [];
      for (let n = 0; n < 9; n++) {
        outcomes.push(bigWrite(store, `mailto:user-${n}@example.com`).then(() => 'committed', (error: unknown) => error));
        if (n % 3 === 2) await new Promise((resolve) => setImmediate(resolve));
      }
      for (const outcome of await Promise.all(outcomes)) {
        expect(outcome).toBeInstanceOf(StoreCommitError);
        expect(outcome).toMatchObject({ code: 'ENOSPC', message: `no space left on device (ENOSPC) in ${dir}; free space there` });
      }
      // A failed child transaction is no error of its callback: an error thrown there still comes back as it is.
      await expect(store.transact('mailto:first@example.com', () => {
        throw new RangeError('from the callback');
      })).rejects.toThrow(RangeError);

      rmSync(filler);
      await bigWrite(store, 'mailto:later@example.com');
      expect((await store.getObject('mailto:later@example.com', 'big@example.com'))?.ics).toHaveLength(200 * 1024);
      expect(await store.listUsers()).toEqual(['mailto:first@example.com', 'mailto:later@example.com']);
    } finally {
      await store.close();
    }
  });
});

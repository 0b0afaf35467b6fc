// The Store contract suites run on the embedded LMDB store, each test on a
// new store folder.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { LmdbStore } from '../../src/store/lmdb-store.js';
import type { Store } from '../../src/store/store.js';
import { describeStoreContract } from './store-contract.js';
import { describeCalDavStoreContract } from './store-caldav-contract.js';
import { describeOptimisticStoreContract } from './store-optimistic-contract.js';
import { describeOutboxCopyStoreContract } from './store-outbox-copy-contract.js';

const base = mkdtempSync(join(tmpdir(), 'itip-agent-store-contract-'));
let folders = 0;
function newFolder(): string {
  return join(base, `store-${++folders}`);
}

afterAll(() => {
  rmSync(base, { recursive: true, force: true });
});

describeStoreContract('LmdbStore', {
  open: () => new LmdbStore(newFolder()),
  async reopen(store: Store): Promise<Store> {
    const dir = (store as LmdbStore).dir;
    await store.close();
    return new LmdbStore(dir);
  },
});

describeCalDavStoreContract('LmdbStore', { open: () => new LmdbStore(newFolder()) });

describeOutboxCopyStoreContract('LmdbStore', { open: () => new LmdbStore(newFolder()) });

describeOptimisticStoreContract('LmdbStore', {
  open: () => new LmdbStore(newFolder()),
  async reopen(store: Store): Promise<Store> {
    const dir = (store as LmdbStore).dir;
    await store.close();
    return new LmdbStore(dir);
  },
});

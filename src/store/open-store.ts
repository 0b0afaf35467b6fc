// The store the command line and the transports use: the embedded LMDB store
// in a directory (`--store DIR`, ITIP_AGENT_STORE, default ./var/itip-agent).

import { mkdirSync } from 'node:fs';
import { LmdbStore } from './lmdb-store.js';
import type { Store } from './store.js';

/** Opens (creating if needed) the store in `dir`. Several processes may hold it open at once. */
export function openStore(dir: string): Store {
  mkdirSync(dir, { recursive: true });
  return new LmdbStore(dir);
}

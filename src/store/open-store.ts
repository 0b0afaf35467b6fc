// The store the command line and the transports use, chosen by its location
// (`--store`, ITIP_AGENT_STORE, the configuration file's `store`): a
// postgres:// or postgresql:// URL is a PostgreSQL database (pg-store.ts, loaded
// only then); anything else is the directory of the embedded LMDB store
// (default ./var/itip-agent).

import { mkdirSync } from 'node:fs';
import { LmdbStore } from './lmdb-store.js';
import type { Store } from './store.js';
import { isPgUrl } from './store-url.js';

/**
 * Errors of lmdb-js that several processes opening a new store at the same
 * moment can meet while the first of them creates the named databases (an
 * MTA starts one `process` per mail, several at once): a second attempt a
 * moment later does not meet them.
 */
const OPEN_RACE = /No transaction to renew|MDB_BAD_RSLOT|MDB_BAD_TXN/;
const OPEN_ATTEMPTS = 5;

function pause(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Opens (creating if needed) the store at `location`: a PostgreSQL URL or an
 * LMDB directory. Several processes, on one host or (PostgreSQL) on several,
 * may hold it open at once.
 */
export async function openStore(location: string): Promise<Store> {
  if (isPgUrl(location)) {
    const { PgStore } = await import('./pg-store.js');
    return PgStore.open(location.trim());
  }
  return openLmdbStore(location);
}

/** Opens (creating if needed) the LMDB store in `dir`. */
export function openLmdbStore(dir: string): Store {
  mkdirSync(dir, { recursive: true });
  for (let attempt = 1; ; attempt++) {
    try {
      return new LmdbStore(dir);
    } catch (error) {
      if (attempt >= OPEN_ATTEMPTS || !OPEN_RACE.test(String((error as Error)?.message ?? error))) throw error;
      pause(20 * attempt);
    }
  }
}

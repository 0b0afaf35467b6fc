// The store the command line and the transports use: the embedded LMDB store
// in a directory (`--store DIR`, ITIP_AGENT_STORE, default ./var/itip-agent).

import { mkdirSync } from 'node:fs';
import { LmdbStore } from './lmdb-store.js';
import type { Store } from './store.js';

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

/** Opens (creating if needed) the store in `dir`. Several processes may hold it open at once. */
export function openStore(dir: string): Store {
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

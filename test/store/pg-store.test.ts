// The Store contract run on the PostgreSQL store, plus what several agents on
// one database need: two stores (two pools, as two hosts would have) writing
// for one user at once, claiming the outbox at once, and the schema check.

import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { PgStore } from '../../src/store/pg-store.js';
import { SCHEMA_VERSION } from '../../src/store/pg-schema.js';
import type { OutboxItem } from '../../src/itip/model.js';
import type { Store } from '../../src/store/store.js';
import { newPgDatabase } from '../support/postgres.js';
import { describeStoreContract } from './store-contract.js';
import { describeCalDavStoreContract } from './store-caldav-contract.js';
import { describeOptimisticStoreContract } from './store-optimistic-contract.js';

const urls = new WeakMap<Store, string>();

async function openNew(): Promise<Store> {
  const url = await newPgDatabase();
  const store = await PgStore.open(url);
  urls.set(store, url);
  return store;
}

async function reopen(store: Store): Promise<Store> {
  const url = urls.get(store)!;
  await store.close();
  const again = await PgStore.open(url);
  urls.set(again, url);
  return again;
}

describeStoreContract('PgStore', { open: openNew, reopen });
describeCalDavStoreContract('PgStore', { open: openNew });
describeOptimisticStoreContract('PgStore', { open: openNew, reopen });

// store copy between the two stores: LMDB to LMDB, LMDB to PostgreSQL and
// PostgreSQL to LMDB, the same cases each way (store-copy-cases.ts).

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { openStore } from '../../src/store/open-store.js';
import { PgStore } from '../../src/store/pg-store.js';
import { newPgDatabase } from '../support/postgres.js';
import { describeStoreCopy } from './store-copy-cases.js';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

async function newLmdb() {
  const dir = mkdtempSync(join(tmpdir(), 'itip-copy-target-'));
  dirs.push(dir);
  return openStore(dir);
}

async function newPostgres() {
  return PgStore.open(await newPgDatabase());
}

describeStoreCopy('LMDB', newLmdb);
describeStoreCopy('PostgreSQL', newPostgres);
describeStoreCopy('LMDB', newLmdb, { name: 'PostgreSQL', open: newPostgres });

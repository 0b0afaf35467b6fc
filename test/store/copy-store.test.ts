// store copy into LMDB (LMDB to LMDB). The same cases run into PostgreSQL by
// a second describeStoreCopy with a factory of fresh databases.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { openStore } from '../../src/store/open-store.js';
import { describeStoreCopy } from './store-copy-cases.js';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describeStoreCopy('LMDB', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'itip-copy-target-'));
  dirs.push(dir);
  return openStore(dir);
});

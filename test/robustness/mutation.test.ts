// Property tests: whatever is done to a real client's mail (bytes cut, doubled,
// flipped or inserted; iCalendar lines dropped, repeated or given hostile
// values), processing ends with an outcome and never throws or hangs, and the
// command line still hands on the mail byte for byte.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processMail } from '../../src/agent/process-message.js';
import { LmdbStore } from '../../src/store/lmdb-store.js';
import { NOW, runCliAsync } from '../cli/run-cli.js';
import { mutatedMail } from './mutations.js';

let dir: string;
let store: LmdbStore;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'itip-mutation-'));
  store = new LmdbStore(join(dir, 'store'));
});
afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const OUTCOMES = new Set(['applied', 'stale', 'duplicate', 'refused', 'ignored', 'error']);

describe('mutated client mail', () => {
  it('always ends with outcomes and never throws (in process, 500 mails)', async () => {
    await fc.assert(
      // No envelope sender: the From header then speaks for the mail, so that
      // mutated mail from the organizer gets past sender binding into the core.
      fc.asyncProperty(mutatedMail, async ({ raw, recipients }) => {
        const result = await processMail(store, raw, { recipients }, Date.parse(NOW));
        for (const { entries } of result.users) {
          for (const entry of entries) expect(OUTCOMES.has(entry.outcome)).toBe(true);
        }
        // Whatever was stored can be listed and read again.
        for (const { user } of result.users) {
          for (const object of await store.listObjects(user)) expect(typeof object.ics).toBe('string');
          for (const period of await store.freeBusy(user)) expect(Date.parse(period.end)).toBeGreaterThan(Date.parse(period.start));
        }
      }),
      { numRuns: 500, seed: 20261121 },
    );
  }, 120_000);

  it('is always handed on byte for byte by the command line (24 mails)', async () => {
    const samples = fc.sample(mutatedMail, { numRuns: 24, seed: 42 }).map((mail) => mail.raw);
    const storeDir = join(dir, 'cli-store');
    // Four at a time: each run is a Node process.
    for (let i = 0; i < samples.length; i += 4) {
      const batch = samples.slice(i, i + 4);
      const results = await Promise.all(
        batch.map((raw) => runCliAsync(['process', '--recipient', 'alice@example.com', '--deliver', 'stdout'], { store: storeDir, input: raw })),
      );
      results.forEach((result, j) => {
        const raw = batch[j]!;
        if (raw.length === 0) {
          // An empty mail is no mail: a usage error (65), nothing handed on.
          expect(result.code).toBe(65);
          return;
        }
        expect(result.code, result.stderr).toBe(0);
        expect(result.stdoutBytes.equals(raw)).toBe(true);
        expect(result.badLogLines).toEqual([]);
      });
    }
  }, 120_000);
});

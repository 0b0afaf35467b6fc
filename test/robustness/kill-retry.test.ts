// A process killed at any point leaves the store as it was before the mail or
// as it is after it, never in between, and the MTA's retry ends where one clean
// delivery ends (DESIGN: one durable transaction per message and user, and the
// redelivery guard). The killed runs are real `itip-agent process` children,
// killed with SIGKILL at seeded random moments.

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { processMail } from '../../src/agent/process-message.js';
import { LmdbStore } from '../../src/store/lmdb-store.js';
import type { Store } from '../../src/store/store.js';
import { BIN, NOW, ROOT } from '../cli/run-cli.js';
import { userSnapshot } from '../store/store-contract.js';

interface BenchMail {
  raw: Buffer;
  recipient: string;
  sender: string;
}

const { generateMails, random } = (await import(join(ROOT, 'bench/generate.mjs'))) as {
  generateMails(count: number, seed: number): BenchMail[];
  random(seed: number): () => number;
};

const dirs: string[] = [];
function tempStore(): string {
  const dir = mkdtempSync(join(tmpdir(), 'itip-kill-'));
  dirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** Runs `process` for one mail; with killAfterMs, SIGKILLs it then. Resolves with the exit code or the signal. */
function processOnce(store: string, mail: BenchMail, killAfterMs?: number): Promise<number | string> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [BIN, '--store', store, 'process', '--recipient', mail.recipient, '--sender', mail.sender],
      { env: { ...process.env, ITIP_AGENT_NOW: NOW }, stdio: ['pipe', 'ignore', 'ignore'] },
    );
    const timer = killAfterMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve(signal ?? code ?? -1);
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(mail.raw);
  });
}

/** Everything a user can see, with the journal's redelivery records left out. */
async function snapshot(store: Store) {
  return Promise.all(
    (await store.listUsers()).map(async (user) => ({
      ...(await userSnapshot(store, user)),
      journal: (await store.listJournal(user)).filter((entry) => entry.outcome !== 'duplicate'),
    })),
  );
}

describe('killed and retried', () => {
  it('ends in the same state as one clean delivery of every mail', async () => {
    const mails = generateMails(24, 5);
    const clean = new LmdbStore(tempStore());
    for (const mail of mails) {
      await processMail(clean, mail.raw, { recipients: [mail.recipient], sender: mail.sender }, Date.parse(NOW));
    }

    const killedDir = tempStore();
    const rand = random(99);
    let killed = 0;
    for (const mail of mails) {
      // Half the kills fall in start-up (certainly before the commit), the rest
      // anywhere up to well after a typical run has finished.
      const delay = rand() < 0.5 ? Math.floor(rand() * 40) : Math.floor(rand() * 400);
      const first = await processOnce(killedDir, mail, delay);
      if (first === 'SIGKILL') killed++;
      else expect(first).toBe(0);
      // The MTA retries until it gets 0; a retry after a commit is a duplicate.
      let attempts = 0;
      while (first !== 0 && (await processOnce(killedDir, mail)) !== 0) {
        expect(++attempts, 'a retry that never succeeds').toBeLessThan(3);
      }
    }
    expect(killed).toBeGreaterThan(0);

    const retried = new LmdbStore(killedDir);
    try {
      expect(await snapshot(retried)).toEqual(await snapshot(clean));
    } finally {
      await retried.close();
      await clean.close();
    }
  }, 180_000);
});

// A reader that stops early, as `itip-agent journal --json | head -c 10` does:
// the program's writes meet a closed pipe (EPIPE). It must end quietly, with
// exit 0 and nothing on stderr but JSON log lines: no stack trace.

import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLmdbStore } from '../../src/store/open-store.js';
import { BIN, NOW, ROOT, tempDir } from './run-cli.js';

/** Journal entries written: over a megabyte of output, far more than a pipe holds (64 KiB on Linux). */
const ENTRIES = 5000;

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  /** Bytes read before the read side was closed. */
  read: number;
}

/** Runs the built program and closes its stdout after the first chunk read. */
function runWithEarlyClose(args: string[], input?: Buffer): Promise<Run> {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    // Debug records show that the program saw the closed pipe.
    env: { ...process.env, ITIP_AGENT_NOW: NOW, ITIP_AGENT_STORE: undefined, ITIP_AGENT_DEBUG: '1' },
    stdio: [input ? 'pipe' : 'ignore', 'pipe', 'pipe'],
  });
  if (input) child.stdin!.end(input);
  let read = 0;
  const stderr: Buffer[] = [];
  child.stdout!.once('data', (chunk: Buffer) => {
    read = chunk.length;
    child.stdout!.destroy();
  });
  child.stderr!.on('data', (chunk: Buffer) => stderr.push(chunk));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stderr: Buffer.concat(stderr).toString('utf8'), read }));
  });
}

describe('output to a reader that closes early', () => {
  const dir = tempDir();
  const store = join(dir.path, 'store');

  beforeAll(async () => {
    const writer = openLmdbStore(store);
    await writer.transact('mailto:alice@example.com', (tx) => {
      tx.setRole('person');
      for (let n = 0; n < ENTRIES; n++) {
        tx.addJournal({
          messageId: `meeting-${n}@example.com`,
          recipient: 'mailto:alice@example.com',
          method: 'REQUEST',
          uid: `meeting-${n}@example.com`,
          outcome: 'applied',
          reason: 'added the event',
          at: '2026-11-15T12:00:00Z',
        });
      }
    });
    await writer.close();
  });
  afterAll(() => dir.remove());

  it.each([[['journal', '--json']], [['journal']], [['journal', '--user', 'alice@example.com', '--json']]])(
    'itip-agent %j exits 0 with JSON log lines only on stderr',
    async (args) => {
      const run = await runWithEarlyClose(['--store', store, ...args]);
      expect(run.read).toBeGreaterThan(0);
      expect(run.signal).toBe(null);
      expect(run.code, run.stderr).toBe(0);
      const lines = run.stderr.split('\n').filter((line) => line !== '');
      for (const line of lines) expect(() => JSON.parse(line), line).not.toThrow();
      expect(run.stderr).not.toMatch(/\n\s+at /);
      // The write did meet the closed pipe, and the program said so at debug level only.
      const records = lines.map((line) => JSON.parse(line) as { level: string; msg: string });
      expect(records.filter((r) => r.level !== 'debug')).toEqual([]);
      expect(records.map((r) => r.msg)).toContainEqual(expect.stringMatching(/^stdout was closed by its reader \(write EPIPE\)/));
    },
  );

  it('process --deliver stdout exits 75 when its stdout closes early: the mail was not handed on, and the MTA retries', async () => {
    const mail = Buffer.from(`From: boss@example.com\r\nTo: alice@example.com\r\nSubject: big\r\nMessage-ID: <big@example.com>\r\n\r\n${'x'.repeat(2 * 1024 * 1024)}\r\n`);
    const run = await runWithEarlyClose(['--store', store, 'process', '--recipient', 'alice@example.com', '--deliver', 'stdout'], mail);
    expect(run.signal).toBe(null);
    expect(run.code, run.stderr).toBe(75);
    const records = run.stderr.split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as { level: string; msg: string });
    expect(records.filter((r) => r.level === 'error').map((r) => r.msg)).toEqual(['onward delivery failed: write EPIPE; the MTA should try again']);
  });
});

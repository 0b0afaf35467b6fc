// `itip-agent serve` as a real child process: restarted (SIGTERM, start again)
// in the middle of a stream of mail from a client that retries, and stopped
// during a transaction. Nothing acknowledged may be lost, nothing doubled.

import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LmtpClient, LmtpClientError } from '../../src/transport/lmtp-client.js';
import { invitation } from '../transport/support.js';
import { BIN, NOW, ROOT, tempDir } from './run-cli.js';
import { cli, jsonAsync } from './helpers.js';

interface Server {
  child: ChildProcess;
  logs: Array<Record<string, unknown>>;
  exited: Promise<number | null>;
}

/** Starts serve and resolves once it logged that it serves. */
function startServe(store: string, args: string[]): Promise<Server> {
  // Global options (--config) go before the command; the rest after it.
  const global = args[0] === '--config' ? args.slice(0, 2) : [];
  const rest = args[0] === '--config' ? args.slice(2) : args;
  const child = spawn(process.execPath, [BIN, '--store', store, ...global, 'serve', ...rest], {
    cwd: ROOT,
    env: { ...process.env, ITIP_AGENT_NOW: NOW, ITIP_AGENT_STORE: undefined },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const logs: Array<Record<string, unknown>> = [];
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    let buffer = '';
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => {
      buffer += chunk;
      let end;
      while ((end = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, end);
        buffer = buffer.slice(end + 1);
        const record = JSON.parse(line) as Record<string, unknown>;
        logs.push(record);
        if (record.msg === 'serving') resolve({ child, logs, exited });
      }
    });
    void exited.then((code) => reject(new Error(`serve exited ${code} before serving: ${JSON.stringify(logs)}`)));
  });
}

async function stopServe(server: Server): Promise<number | null> {
  server.child.kill('SIGTERM');
  return server.exited;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface JournalJson {
  messageId: string;
  recipient: string;
  outcome: string;
}

describe('serve: restarted in the middle of a stream of mail', () => {
  const dir = tempDir();
  const store = join(dir.path, 'store');
  const socket = join(dir.path, 'lmtp.sock');
  afterAll(() => dir.remove());

  it('ends with each of 50 mails applied exactly once per recipient', async () => {
    let server = await startServe(store, ['--lmtp', socket]);
    const recipients = ['alice@example.com', 'bob@example.com'];
    let sent = 0;
    let retries = 0;

    // The client an MTA would be: retries on 4xx and on connection errors, reuses its connection.
    const sender = (async () => {
      const client = new LmtpClient({ path: socket }, { timeoutMs: 10_000 });
      for (let n = 0; n < 50; n++) {
        let pending = recipients;
        while (pending.length) {
          try {
            const replies = await client.send('boss@example.com', pending, invitation(n, recipients));
            for (const reply of replies) expect(reply.code === 250 || (reply.code >= 400 && reply.code < 500), `${reply.code} ${reply.text}`).toBe(true);
            pending = replies.filter((r) => !r.ok).map((r) => r.recipient);
          } catch (error) {
            if (!(error instanceof LmtpClientError)) throw error;
          }
          if (pending.length) {
            retries++;
            await sleep(20);
          }
        }
        sent = n + 1;
      }
      await client.close();
    })();

    for (const at of [15, 35]) {
      while (sent < at) await sleep(5);
      expect(await stopServe(server)).toBe(0);
      server = await startServe(store, ['--lmtp', socket]);
    }
    await sender;
    expect(await stopServe(server)).toBe(0);

    const journal = await jsonAsync<JournalJson[]>(['journal'], { store });
    for (let n = 0; n < 50; n++) {
      for (const recipient of recipients) {
        const applied = journal.filter((e) => e.messageId === `meeting-${n}@example.com` && e.recipient === `mailto:${recipient}` && e.outcome === 'applied');
        expect(applied, `meeting-${n} for ${recipient}`).toHaveLength(1);
      }
    }
    // The restarts did happen while mail was flowing: the client had to retry.
    expect(retries).toBeGreaterThan(0);
  });
});

/** Reads replies off a raw socket, one per line that ends a reply. */
function lineReader(socket: ReturnType<typeof connect>) {
  let buffer = '';
  const lines: string[] = [];
  const waiters: Array<() => void> = [];
  socket.setEncoding('latin1');
  socket.on('data', (chunk: string) => {
    buffer += chunk;
    let end;
    while ((end = buffer.indexOf('\r\n')) >= 0) {
      const line = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      if (/^\d{3} /.test(line)) lines.push(line);
    }
    for (const wake of waiters.splice(0)) wake();
  });
  socket.on('close', () => {
    for (const wake of waiters.splice(0)) wake();
  });
  return async (): Promise<string | undefined> => {
    while (!lines.length && !socket.destroyed) await new Promise<void>((resolve) => waiters.push(resolve));
    return lines.shift();
  };
}

describe('serve: SIGTERM during a transaction', () => {
  const dir = tempDir();
  const store = join(dir.path, 'store');
  afterAll(() => dir.remove());

  /** `serve --lmtp` on a loopback port, with a client connected that was greeted and sent LHLO. */
  async function greetedLmtp(storePath: string) {
    const server = await startServe(storePath, ['--lmtp', '127.0.0.1:0']);
    const port = server.logs.find((l) => l.protocol === 'lmtp')!.port as number;
    const socket = connect(port, '127.0.0.1');
    const reply = lineReader(socket);
    expect(await reply()).toMatch(/^220 /);
    socket.write('LHLO test\r\n');
    expect(await reply()).toMatch(/^250 /);
    return { server, socket, reply };
  }

  it('finishes the mail in flight, answers 250, then 421, and exits 0', async () => {
    const { server, socket, reply } = await greetedLmtp(store);
    socket.write('MAIL FROM:<boss@example.com>\r\nRCPT TO:<alice@example.com>\r\nDATA\r\n');
    // Replies to MAIL, RCPT and DATA come one at a time as the commands are read.
    expect(await reply()).toMatch(/^250 /);
    expect(await reply()).toMatch(/^250 /);
    expect(await reply()).toMatch(/^354 /);
    const raw = invitation(99, ['alice@example.com']);
    const half = Math.floor(raw.length / 2);
    socket.write(raw.subarray(0, half));

    server.child.kill('SIGTERM');
    await sleep(300);
    // Still there, waiting for the rest of the mail.
    expect(server.child.exitCode).toBe(null);
    socket.write(raw.subarray(half));
    socket.write('\r\n.\r\n');
    expect(await reply()).toMatch(/^250 /);
    expect(await reply()).toMatch(/^421 /);
    expect(await server.exited).toBe(0);
    socket.destroy();

    const journal = await jsonAsync<JournalJson[]>(['journal'], { store });
    expect(journal.map((e) => [e.messageId, e.outcome])).toEqual([['meeting-99@example.com', 'applied']]);
    expect(server.logs.some((l) => typeof l.msg === 'string' && l.msg.startsWith('SIGTERM: stopping'))).toBe(true);
  });

  it('answers 421 to a client that starts a transaction after the stop began', async () => {
    const { server, socket, reply } = await greetedLmtp(store);
    server.child.kill('SIGTERM');
    expect(await reply()).toMatch(/^421 /);
    expect(await server.exited).toBe(0);
    socket.destroy();
  });
});

describe('serve: outbox sender', () => {
  const dir = tempDir();
  afterAll(() => dir.remove());

  it('starts the outbox sender when a relay is configured, and stops it with the listeners', async () => {
    const config = join(dir.path, 'config.json');
    writeFileSync(config, JSON.stringify({ relay: { host: '127.0.0.1', port: 1 }, listen: { lmtp: '127.0.0.1:0' } }));
    const server = await startServe(join(dir.path, 'store'), ['--config', config]);
    expect(server.logs.find((l) => l.msg === 'outbox sender started')).toMatchObject({ relay: '127.0.0.1:1' });
    expect(await stopServe(server)).toBe(0);
  });
});

describe('serve: usage', () => {
  it('exits 78 for a missing --config file, 64 without a listener', () => {
    const dir = tempDir();
    try {
      const result = cli(['--config', join(dir.path, 'none.json'), 'serve'], { store: join(dir.path, 'store') });
      expect(result.code).toBe(78);
      const bare = cli(['serve'], { store: join(dir.path, 'store'), env: { ITIP_AGENT_CONFIG: undefined } });
      expect(bare.code).toBe(64);
      expect(bare.stderr).toMatch(/--lmtp/);
    } finally {
      dir.remove();
    }
  });

  it('exits 64 for --deliver stdout', () => {
    const result = cli(['serve', '--lmtp', '127.0.0.1:0', '--deliver', 'stdout']);
    expect(result.code).toBe(64);
  });
});

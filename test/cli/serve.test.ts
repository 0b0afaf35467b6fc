// `itip-agent serve` as a real child process: restarted (SIGTERM, start again)
// in the middle of a stream of mail from a client that retries, stopped during
// a transaction, and run on a disk that fills up. Nothing acknowledged may be
// lost, nothing doubled, and a full disk is a temporary failure, not a crash.

import { execFileSync } from 'node:child_process';
import { connect } from 'node:net';
import { mkdtempSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LmtpClient, LmtpClientError } from '../../src/transport/lmtp-client.js';
import { invitation } from '../transport/support.js';
import { runCli, runJson, tempDir } from './run-cli.js';
import { startServe, stopServe, type Server } from './serve-support.js';
import { cli, errors, imipMail, jsonAsync, ok } from './helpers.js';

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

describe('serve: the store\'s disk is full', () => {
  // A file system of its own, small enough to fill: a tmpfs (the tests run as root).
  const mount = mkdtempSync(join(tmpdir(), 'itip-agent-full-disk-'));
  const store = join(mount, 'store');
  const filler = join(mount, 'filler');
  let server: Server | undefined;
  beforeAll(() => {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m,mode=0700', 'tmpfs', mount]);
  });
  afterAll(async () => {
    if (server && server.child.exitCode === null && server.child.signalCode === null) await stopServe(server);
    try {
      execFileSync('umount', [mount]);
    } finally {
      rmSync(mount, { recursive: true, force: true });
    }
  });

  /** An invitation with a long DESCRIPTION (folded, RFC 5545 3.1): its commit needs new pages. */
  function bigInvitation(): Buffer {
    const description = 'x'.repeat(300 * 1024).replace(/.{74}/g, '$&\n ');
    return imipMail({
      from: 'Boss <boss@example.com>',
      to: ['alice@example.com'],
      subject: 'Planning',
      messageId: 'planning-full-disk@example.com',
      ics: [
        'BEGIN:VCALENDAR',
        'VERSION:2.0',
        'PRODID:-//Example Corp//Calendar//EN',
        'METHOD:REQUEST',
        'BEGIN:VEVENT',
        'UID:planning-full-disk@example.com',
        'DTSTAMP:20261101T080000Z',
        'DTSTART:20261201T090000Z',
        'DTEND:20261201T100000Z',
        'SEQUENCE:0',
        'SUMMARY:Planning',
        `DESCRIPTION:${description}`,
        'ORGANIZER;CN=Boss:mailto:boss@example.com',
        'ATTENDEE;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:alice@example.com',
        'END:VEVENT',
        'END:VCALENDAR',
        '',
      ].join('\n'),
    });
  }

  it('answers 451 and keeps serving on the same connection; once space is back the retry is 250 and stored', async () => {
    server = await startServe(store, ['--lmtp', '127.0.0.1:0']);
    const port = server.logs.find((l) => l.protocol === 'lmtp')!.port as number;
    const socket = connect(port, '127.0.0.1');
    // A connection the server drops shows as reply() giving undefined.
    socket.on('error', () => undefined);
    const reply = lineReader(socket);
    expect(await reply()).toMatch(/^220 /);
    socket.write('LHLO test\r\n');
    expect(await reply()).toMatch(/^250 /);
    const mail = bigInvitation();
    /** One LMTP transaction on the open connection; resolves with the reply for alice. */
    const deliver = async () => {
      socket.write('MAIL FROM:<boss@example.com>\r\nRCPT TO:<alice@example.com>\r\nDATA\r\n');
      expect(await reply()).toMatch(/^250 /);
      expect(await reply()).toMatch(/^250 /);
      expect(await reply()).toMatch(/^354 /);
      socket.write(Buffer.concat([mail, Buffer.from('\r\n.\r\n')]));
      return reply();
    };

    // Fill the file system: the write stops at the last free block.
    expect(() => writeFileSync(filler, Buffer.alloc(8 * 1024 * 1024))).toThrow(/ENOSPC/);
    expect(statfsSync(mount).bavail).toBe(0);

    expect(await deliver()).toMatch(/^451 .*ENOSPC/);
    const logged = await server.waitForLog((l) => l.level === 'error' && typeof l.msg === 'string' && l.msg.startsWith('the store could not commit'));
    expect(logged.msg).toMatch(/no space left on device \(ENOSPC\) in .*store; free space there; the client is told to try again later/);
    // Still full: the same connection gets the same temporary answer, so the process lives on.
    expect(await deliver()).toMatch(/^451 /);

    rmSync(filler);
    expect(await deliver()).toMatch(/^250 /);
    socket.end('QUIT\r\n');
    expect(server.child.exitCode).toBe(null);

    const objects = await jsonAsync<Array<{ uid: string }>>(['objects', '--user', 'alice@example.com'], { store });
    expect(objects.map((o) => o.uid)).toEqual(['planning-full-disk@example.com']);
    const journal = await jsonAsync<JournalJson[]>(['journal'], { store });
    expect(journal.map((e) => [e.messageId, e.outcome])).toEqual([['planning-full-disk@example.com', 'applied']]);
    expect(await stopServe(server)).toBe(0);
    // stderr is JSON lines, except what LMDB's C code prints itself on a failed page write.
    expect(server.stray.filter((line) => !line.startsWith('Write error: '))).toEqual([]);
  });

  it('process (pipe mode) exits 75 with the cause in a JSON log line, and its retry after space is back exits 0', () => {
    const mail = bigInvitation();
    expect(() => writeFileSync(filler, Buffer.alloc(8 * 1024 * 1024))).toThrow(/ENOSPC/);
    const full = runCli(['process', '--recipient', 'bob@example.com'], { store, input: mail });
    expect(full.code, full.stderr).toBe(75);
    expect(errors(full).map((l) => l.msg)).toContainEqual(
      expect.stringMatching(/^the store could not commit: no space left on device \(ENOSPC\) in .*store; free space there; nothing was delivered, the MTA should try again/),
    );
    // JSON lines, except what LMDB's C code prints itself.
    expect(full.badLogLines.filter((line) => !line.startsWith('Write error: '))).toEqual([]);
    rmSync(filler);
    ok(['process', '--recipient', 'bob@example.com'], { store, input: mail });
    expect(runJson(['objects', '--user', 'bob@example.com'], { store })).toMatchObject([{ uid: 'planning-full-disk@example.com' }]);
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

// Onward delivery: LMTP to a mailbox server (a sink on smtp-server here; the
// real Dovecot runs in the integration tests) and re-injection by sendmail (a
// fake script that records its arguments and input).

import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { deliver, deliverEach, parseTarget, DeliveryError } from '../../src/transport/deliver.js';
import { LmtpClient, LmtpClientError, LmtpPool, dataBytes } from '../../src/transport/lmtp-client.js';
import { startListener, type Listener } from '../../src/transport/listener.js';
import { MailService } from '../../src/transport/mail-service.js';
import { PROCESSED_HEADER, markProcessed, processedMark } from '../../src/transport/sendmail.js';
import type { Store } from '../../src/store/store.js';
import { NOW, invitation, startSink, storeFailingFor, tempDir, type Sink } from './support.js';

describe('delivery targets', () => {
  it('parses lmtp and sendmail targets and refuses malformed ones', () => {
    expect(parseTarget('lmtp:127.0.0.1:24')).toEqual({ kind: 'lmtp', address: { host: '127.0.0.1', port: 24 } });
    expect(parseTarget('lmtp:[::1]:24')).toEqual({ kind: 'lmtp', address: { host: '::1', port: 24 } });
    expect(parseTarget('lmtp:/run/dovecot/lmtp')).toEqual({ kind: 'lmtp', address: { path: '/run/dovecot/lmtp' } });
    expect(parseTarget('sendmail')).toEqual({ kind: 'sendmail' });
    expect(parseTarget('sendmail:/usr/lib/sendmail')).toEqual({ kind: 'sendmail', path: '/usr/lib/sendmail' });
    expect(() => parseTarget('lmtp:dovecot')).toThrow(/lmtp:HOST:PORT/);
    expect(() => parseTarget('lmtp:host:99999')).toThrow(/lmtp:HOST:PORT/);
    expect(() => parseTarget('sendmail:relative')).toThrow(/absolute/);
  });

  it('dot-stuffs and ends the data, and leaves CRLF mail byte for byte', () => {
    expect(dataBytes(Buffer.from('a\r\n.b\r\n')).toString()).toBe('a\r\n..b\r\n.\r\n');
    expect(dataBytes(Buffer.from('.a\nb')).toString()).toBe('..a\r\nb\r\n.\r\n');
  });
});

describe('onward delivery by LMTP', () => {
  let sink: Sink;
  beforeAll(async () => {
    sink = await startSink();
  });
  afterAll(() => sink.close());

  it('delivers the original bytes with MAIL FROM = sender and RCPT TO = each recipient', async () => {
    const raw = Buffer.concat([invitation(1), Buffer.from('\r\n.leading dot line\r\n')]);
    const results = await deliverEach(parseTarget(`lmtp:127.0.0.1:${sink.port}`), raw, ['alice@example.com', 'bob@example.com'], { sender: 'boss@example.com' });
    expect(results.map((r) => r.ok)).toEqual([true, true]);
    expect(sink.messages).toHaveLength(1);
    expect(sink.messages[0].from).toBe('boss@example.com');
    expect(sink.messages[0].to).toEqual(['alice@example.com', 'bob@example.com']);
    expect(sink.messages[0].raw.equals(raw)).toBe(true);
  });

  it('reports each recipient: a full mailbox fails only that one', async () => {
    sink.full.add('bob@example.com');
    try {
      const results = await deliverEach(parseTarget(`lmtp:127.0.0.1:${sink.port}`), invitation(2), ['alice@example.com', 'bob@example.com'], {});
      expect(results.map((r) => r.ok)).toEqual([true, false]);
      const failed = results[1];
      expect(!failed.ok && failed.error.message).toMatch(/452 mailbox full/);
      await expect(deliver(parseTarget(`lmtp:127.0.0.1:${sink.port}`), invitation(2), ['bob@example.com'])).rejects.toBeInstanceOf(DeliveryError);
    } finally {
      sink.full.clear();
    }
  });

  it('fails every recipient, temporarily, when the mailbox server is down', async () => {
    const results = await deliverEach(parseTarget('lmtp:127.0.0.1:1'), invitation(3), ['alice@example.com'], {});
    expect(results[0].ok).toBe(false);
  });
});

describe('onward LMTP sessions kept open between mails', () => {
  let sink: Sink;
  beforeEach(async () => {
    sink = await startSink();
  });
  afterEach(() => sink.close());
  const address = () => ({ host: '127.0.0.1', port: sink.port });
  const until = async (done: () => boolean) => {
    for (let i = 0; i < 200 && !done(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(done()).toBe(true);
  };

  it('carries a stream of mail over one session and ends it with QUIT on close', async () => {
    const pool = new LmtpPool(address());
    for (let n = 1; n <= 3; n++) {
      const replies = await pool.send('boss@example.com', ['alice@example.com'], invitation(n));
      expect(replies.map((r) => r.code)).toEqual([250]);
    }
    expect(sink.messages.map((m) => m.raw.equals(invitation(sink.messages.indexOf(m) + 1)))).toEqual([true, true, true]);
    expect(sink.sessions).toEqual({ opened: 1, open: 1 });
    expect(pool.idleCount).toBe(1);
    await pool.close();
    expect(pool.idleCount).toBe(0);
    await until(() => sink.sessions.open === 0);
  });

  it('gives mail that arrives together a session each, and keeps at most `size` of them', async () => {
    const pool = new LmtpPool(address(), { size: 2 });
    const replies = await Promise.all([1, 2, 3, 4].map((n) => pool.send('boss@example.com', ['alice@example.com'], invitation(n))));
    expect(replies.flat().map((r) => r.code)).toEqual([250, 250, 250, 250]);
    expect(sink.sessions.opened).toBe(4);
    expect(pool.idleCount).toBe(2);
    await until(() => sink.sessions.open === 2);
    await pool.close();
  });

  it('does not use a session the server ended while idle', async () => {
    const pool = new LmtpPool(address());
    await pool.send('boss@example.com', ['alice@example.com'], invitation(1));
    sink.endSessions();
    await until(() => sink.sessions.open === 0);
    const replies = await pool.send('boss@example.com', ['bob@example.com'], invitation(2));
    expect(replies.map((r) => r.code)).toEqual([250]);
    expect(sink.messages.map((m) => m.to)).toEqual([['alice@example.com'], ['bob@example.com']]);
    expect(sink.sessions.opened).toBe(2);

    // The 421 has come and the close not yet: the 421 is no answer to the next MAIL FROM.
    sink.endSessions({ close: false });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const next = await pool.send('boss@example.com', ['carol@example.com'], invitation(3));
    expect(next.map((r) => r.code)).toEqual([250]);
    expect(sink.sessions.opened).toBe(3);
    await pool.close();
  });

  it('sends again on a new session when a reused one dies before MAIL FROM is answered, and only then', async () => {
    const pool = new LmtpPool(address());
    await pool.send('boss@example.com', ['alice@example.com'], invitation(1));
    sink.dropAtNextMail();
    const replies = await pool.send('boss@example.com', ['bob@example.com'], invitation(2));
    expect(replies.map((r) => r.code)).toEqual([250]);
    expect(sink.messages.map((m) => m.to)).toEqual([['alice@example.com'], ['bob@example.com']]);
    expect(sink.sessions.opened).toBe(2);

    // On a session of its own there is nothing to blame on idleness: the failure is the caller's.
    await pool.close();
    const single = new LmtpPool(address());
    sink.dropAtNextMail();
    await expect(single.send('boss@example.com', ['carol@example.com'], invitation(3))).rejects.toBeInstanceOf(LmtpClientError);
    expect(sink.messages).toHaveLength(2);
    await single.close();
  });

  it('does not wait long for a server that never answers QUIT', async () => {
    // A mailbox server that takes a mail and then hangs: every command answered, except QUIT.
    const server = createServer((socket) => {
      let inData = false;
      socket.write('220 hung\r\n');
      createInterface({ input: socket, crlfDelay: Infinity }).on('line', (line) => {
        if (inData) {
          if (line === '.') {
            inData = false;
            socket.write('250 2.0.0 saved\r\n');
          }
        } else if (/^DATA/i.test(line)) {
          inData = true;
          socket.write('354 go ahead\r\n');
        } else if (!/^QUIT/i.test(line)) socket.write('250 ok\r\n');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const pool = new LmtpPool({ host: '127.0.0.1', port: (server.address() as AddressInfo).port });
      const replies = await pool.send('boss@example.com', ['alice@example.com'], invitation(1));
      expect(replies.map((r) => r.code)).toEqual([250]);
      const started = Date.now();
      await pool.close();
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      server.close();
    }
  });

  it('closes a session that stayed unused for idleMs', async () => {
    const pool = new LmtpPool(address(), { idleMs: 50 });
    await pool.send('boss@example.com', ['alice@example.com'], invitation(1));
    expect(pool.idleCount).toBe(1);
    await until(() => pool.idleCount === 0 && sink.sessions.open === 0);
    await pool.close();
  });
});

describe('LMTP listener with onward LMTP delivery', () => {
  const dir = tempDir();
  let sink: Sink;
  let store: Store;
  let listener: Listener;
  let client: LmtpClient;
  let service: MailService;

  beforeAll(async () => {
    sink = await startSink({ path: join(dir.path, 'dovecot.sock') });
    store = storeFailingFor(join(dir.path, 'store'), new Set());
    service = new MailService({ store, target: parseTarget(`lmtp:${join(dir.path, 'dovecot.sock')}`), now: () => NOW });
    listener = await startListener(service, { protocol: 'lmtp', listen: '127.0.0.1:0', maxMessageBytes: 1024 * 1024 });
    client = new LmtpClient({ host: '127.0.0.1', port: listener.port! });
  });
  afterAll(async () => {
    await client.close();
    await listener.stop(1000);
    await service.close();
    await sink.close();
    await store.close();
    dir.remove();
  });

  it('answers 250 for a delivered recipient and 451 for one the mailbox server refused', async () => {
    sink.full.add('carol@example.com');
    const replies = await client.send('boss@example.com', ['alice@example.com', 'carol@example.com'], invitation(4));
    expect(replies.map((r) => r.code)).toEqual([250, 451]);
    expect(replies[1].text).toMatch(/onward delivery failed.*452/);
    expect(sink.messages.map((m) => m.to)).toEqual([['alice@example.com']]);
    expect(sink.messages[0].raw.equals(invitation(4))).toBe(true);
    // Carol's store did commit; the retry is journalled as a duplicate and delivered.
    sink.full.clear();
    const retry = await client.send('boss@example.com', ['carol@example.com'], invitation(4));
    expect(retry.map((r) => r.code)).toEqual([250]);
    expect((await store.listJournal('mailto:carol@example.com')).map((e) => e.outcome)).toEqual(['applied', 'duplicate']);
    // Both mails went on over one session with the mailbox server.
    expect(sink.sessions).toEqual({ opened: 1, open: 1 });
  });
});

describe('onward delivery by sendmail', () => {
  const dir = tempDir();
  const script = join(dir.path, 'sendmail');
  const argsFile = join(dir.path, 'args');
  const inputFile = join(dir.path, 'input');
  afterAll(() => dir.remove());

  beforeAll(() => {
    // Records its arguments (one per line) and its input; exits with $FAKE_EXIT.
    writeFileSync(script, `#!/bin/sh\nprintf '%s\\n' "$@" > '${argsFile}'\ncat > '${inputFile}'\nexit "\${FAKE_EXIT:-0}"\n`);
    chmodSync(script, 0o755);
  });

  it('re-injects with -i -f SENDER -- RCPT..., the mail marked so that it cannot loop', async () => {
    const raw = invitation(5);
    await deliver(parseTarget(`sendmail:${script}`), raw, ['alice@example.com', 'mailto:bob@example.com'], { sender: 'boss@example.com' });
    expect(readFileSync(argsFile, 'utf8').split('\n').filter(Boolean)).toEqual(['-i', '-f', 'boss@example.com', '--', 'alice@example.com', 'bob@example.com']);
    const input = readFileSync(inputFile);
    expect(input.equals(markProcessed(raw))).toBe(true);
    expect(input.toString('latin1').startsWith(`${PROCESSED_HEADER}: ${processedMark()}\r\n`)).toBe(true);
    expect(input.subarray(input.length - raw.length).equals(raw)).toBe(true);
  });

  it('uses the sendmail setting when the target does not name a program, and <> for the null sender', async () => {
    await deliver(parseTarget('sendmail'), invitation(6), ['alice@example.com'], { sendmailPath: script });
    expect(readFileSync(argsFile, 'utf8').split('\n').filter(Boolean)).toEqual(['-i', '-f', '<>', '--', 'alice@example.com']);
  });

  it('fails temporarily when sendmail exits non-zero or is missing', async () => {
    process.env.FAKE_EXIT = '75';
    try {
      await expect(deliver(parseTarget(`sendmail:${script}`), invitation(7), ['alice@example.com'])).rejects.toThrow(/exited 75/);
    } finally {
      delete process.env.FAKE_EXIT;
    }
    await expect(deliver(parseTarget(`sendmail:${join(dir.path, 'missing')}`), invitation(7), ['alice@example.com'])).rejects.toBeInstanceOf(DeliveryError);
  });

  it('refuses to re-inject a mail that carries this host\'s mark: that is a loop', async () => {
    await expect(deliver(parseTarget(`sendmail:${script}`), markProcessed(invitation(8)), ['alice@example.com'])).rejects.toThrow(/mail loop/);
    // Another host's mark is no loop: its agent passed the mail on to us.
    const foreign = Buffer.concat([Buffer.from(`${PROCESSED_HEADER}: other-host.example.org\r\n`), invitation(8)]);
    await deliver(parseTarget(`sendmail:${script}`), foreign, ['alice@example.com']);
  });
});

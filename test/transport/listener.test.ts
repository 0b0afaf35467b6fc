// The LMTP and SMTP listeners in process, on real loopback sockets: one reply
// per recipient, 250 only after the store committed, 4xx when it could not.

import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { statSync } from 'node:fs';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LmtpClient } from '../../src/transport/lmtp-client.js';
import { startListener, type Listener } from '../../src/transport/listener.js';
import { MailService } from '../../src/transport/mail-service.js';
import type { Store } from '../../src/store/store.js';
import { NOW, invitation, storeFailingFor, tempDir } from './support.js';

describe('LMTP listener', () => {
  const dir = tempDir();
  const failing = new Set(['mailto:carol@example.com']);
  let store: Store;
  let listener: Listener;
  let client: LmtpClient;

  beforeAll(async () => {
    store = storeFailingFor(join(dir.path, 'store'), failing);
    const service = new MailService({ store, target: { kind: 'none' }, now: () => NOW });
    listener = await startListener(service, { protocol: 'lmtp', listen: '127.0.0.1:0', maxMessageBytes: 64 * 1024 });
    // One pooled connection for the whole suite: smtp-server holds each new greeting back 100 ms.
    client = new LmtpClient({ host: '127.0.0.1', port: listener.port! });
    await client.connect();
  });
  afterAll(async () => {
    await client.close();
    await listener.stop(1000);
    await store.close();
    dir.remove();
  });

  it('answers each of three recipients; the one whose store cannot commit gets 451', async () => {
    const replies = await client.send('boss@example.com', ['alice@example.com', 'carol@example.com', 'bob@example.com'], invitation(1));
    expect(replies.map((r) => r.code)).toEqual([250, 451, 250]);
    expect(replies[1].text).toMatch(/could not commit.*MDB_MAP_FULL/);
    // The 250s mean committed: the journal has them at once, and nothing for carol.
    const journal = await store.listJournal();
    expect(journal.map((e) => [e.recipient, e.outcome])).toEqual([
      ['mailto:alice@example.com', 'applied'],
      ['mailto:bob@example.com', 'applied'],
    ]);
    expect((await store.listObjects('mailto:alice@example.com')).map((o) => o.uid)).toEqual(['meeting-1@example.com']);
  });

  it('takes the retry of the failed recipient once its store works again, and only changes that one', async () => {
    failing.clear();
    const replies = await client.send('boss@example.com', ['carol@example.com'], invitation(1));
    expect(replies.map((r) => r.code)).toEqual([250]);
    expect((await store.listJournal('mailto:carol@example.com')).map((e) => e.outcome)).toEqual(['applied']);
    // A redelivery to everyone after that is a no-op for each.
    const again = await client.send('boss@example.com', ['alice@example.com', 'bob@example.com', 'carol@example.com'], invitation(1));
    expect(again.map((r) => r.code)).toEqual([250, 250, 250]);
    expect((await store.listJournal()).filter((e) => e.outcome === 'applied')).toHaveLength(3);
    expect((await store.listJournal()).filter((e) => e.outcome === 'duplicate')).toHaveLength(3);
  });

  it('refuses a recipient that is no mail address at RCPT time (5xx), and takes the others', async () => {
    const replies = await client.send('boss@example.com', ['alice@example.com', 'not-an-address'], invitation(2));
    expect(replies[0].code).toBe(250);
    expect(replies[1].code).toBeGreaterThanOrEqual(500);
  });

  it('refuses a recipient longer than RFC 5321 allows at RCPT time (501), stores nothing for it, and takes the others', async () => {
    const users = await store.listUsers();
    const recipients = [`${'a'.repeat(5000)}@example.com`, 'alice@example.com', `${'b'.repeat(65)}@example.com`, `${'c'.repeat(180)}@example.com`];
    const replies = await client.send('boss@example.com', recipients, invitation(8));
    // A local part over RFC 5321's 64 octets is still delivered: Postfix and Dovecot take one.
    expect(replies.map((r) => r.code)).toEqual([501, 250, 250, 250]);
    expect(await store.listUsers()).toEqual([...users, `mailto:${'b'.repeat(65)}@example.com`, `mailto:${'c'.repeat(180)}@example.com`].sort());
    const longest = `${'d'.repeat(255 - '@example.com'.length)}@example.com`;
    // (smtp-server itself refuses an address this long at RCPT, with the same code.)
    const [tooLong] = await client.send('boss@example.com', [longest], invitation(8));
    expect(tooLong!.code).toBe(501);
    expect((await store.listJournal()).filter((e) => e.messageId === 'meeting-8@example.com').map((e) => e.recipient).sort()).toEqual(
      ['mailto:alice@example.com', `mailto:${'b'.repeat(65)}@example.com`, `mailto:${'c'.repeat(180)}@example.com`].sort(),
    );
  });

  it('advertises SIZE and refuses a larger mail with 552 for every recipient', async () => {
    const big = Buffer.concat([invitation(3), Buffer.from(`X: ${'y'.repeat(70 * 1024)}\r\n`)]);
    const replies = await client.send('boss@example.com', ['alice@example.com', 'bob@example.com'], big);
    expect(replies.map((r) => r.code)).toEqual([552, 552]);
    expect((await store.listJournal()).filter((e) => e.messageId === 'meeting-3@example.com')).toEqual([]);
  });

  it('passes mail without a calendar part with 250', async () => {
    const plain = Buffer.from('From: a@example.com\r\nTo: alice@example.com\r\nSubject: hi\r\n\r\nhello\r\n');
    const replies = await client.send('', ['alice@example.com'], plain);
    expect(replies.map((r) => r.code)).toEqual([250]);
  });
});

describe('LMTP listener on a unix socket', () => {
  const dir = tempDir();
  let store: Store;
  let listener: Listener;

  beforeAll(async () => {
    store = storeFailingFor(join(dir.path, 'store'), new Set());
    const service = new MailService({ store, target: { kind: 'none' }, now: () => NOW });
    listener = await startListener(service, { protocol: 'lmtp', listen: join(dir.path, 'lmtp.sock'), maxMessageBytes: 1024 * 1024, socketMode: 0o600 });
  });
  afterAll(async () => {
    await listener.stop(1000);
    await store.close();
    dir.remove();
  });

  it('listens with the configured mode and delivers', async () => {
    expect(statSync(listener.path!).mode & 0o777).toBe(0o600);
    const client = new LmtpClient({ path: listener.path! });
    try {
      const replies = await client.send('boss@example.com', ['alice@example.com'], invitation(4));
      expect(replies.map((r) => r.code)).toEqual([250]);
    } finally {
      await client.close();
    }
    expect((await store.listJournal()).map((e) => e.outcome)).toEqual(['applied']);
  });

  it('refuses a socket path another process listens on, and replaces one left by a process that died', async () => {
    const service = new MailService({ store, target: { kind: 'none' }, now: () => NOW });
    await expect(startListener(service, { protocol: 'lmtp', listen: listener.path!, maxMessageBytes: 1024 })).rejects.toThrow(/another process/);

    const stale = join(dir.path, 'stale.sock');
    // A process killed hard leaves its socket file behind.
    spawnSync(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(stale)}, () => process.kill(process.pid, 'SIGKILL'))`]);
    expect(statSync(stale).isSocket()).toBe(true);
    const second = await startListener(service, { protocol: 'lmtp', listen: stale, maxMessageBytes: 1024 });
    await second.stop(100);
  });
});

describe('SMTP listener', () => {
  const dir = tempDir();
  const failing = new Set<string>();
  let store: Store;
  let listener: Listener;
  let transport: nodemailer.Transporter;

  beforeAll(async () => {
    store = storeFailingFor(join(dir.path, 'store'), failing);
    const service = new MailService({ store, target: { kind: 'none' }, now: () => NOW });
    listener = await startListener(service, { protocol: 'smtp', listen: '127.0.0.1:0', maxMessageBytes: 1024 * 1024 });
    transport = nodemailer.createTransport({ host: '127.0.0.1', port: listener.port, secure: false, ignoreTLS: true, pool: true, maxConnections: 1 });
  });
  afterAll(async () => {
    transport.close();
    await listener.stop(1000);
    await store.close();
    dir.remove();
  });

  it('answers once for the transaction: 250 when every recipient committed', async () => {
    const info = await transport.sendMail({ envelope: { from: 'boss@example.com', to: ['alice@example.com', 'bob@example.com'] }, raw: invitation(5) });
    expect(info.accepted).toEqual(['alice@example.com', 'bob@example.com']);
    expect((await store.listJournal()).map((e) => e.recipient)).toEqual(['mailto:alice@example.com', 'mailto:bob@example.com']);
  });

  it('answers 451 for the whole mail when one store cannot commit; the retry is safe', async () => {
    failing.add('mailto:bob@example.com');
    await expect(
      transport.sendMail({ envelope: { from: 'boss@example.com', to: ['alice@example.com', 'bob@example.com'] }, raw: invitation(6) }),
    ).rejects.toMatchObject({ responseCode: 451 });
    failing.clear();
    await transport.sendMail({ envelope: { from: 'boss@example.com', to: ['alice@example.com', 'bob@example.com'] }, raw: invitation(6) });
    const outcomes = (await store.listJournal()).filter((e) => e.messageId === 'meeting-6@example.com').map((e) => `${e.recipient} ${e.outcome}`);
    expect(outcomes).toEqual(['mailto:alice@example.com applied', 'mailto:alice@example.com duplicate', 'mailto:bob@example.com applied']);
  });
});

describe('local domains (a content filter sees all mail)', () => {
  const dir = tempDir();
  let store: Store;
  let service: MailService;

  beforeAll(() => {
    store = storeFailingFor(join(dir.path, 'store'), new Set());
    service = new MailService({ store, target: { kind: 'none' }, now: () => NOW, localDomains: ['example.com'] });
  });
  afterAll(async () => {
    await store.close();
    dir.remove();
  });

  it('processes only recipients in the local domains, and the local sender under the outgoing rule', async () => {
    const verdicts = await service.handle(invitation(7, ['alice@example.com', 'dave@elsewhere.org']), 'boss@example.com', ['alice@example.com', 'dave@elsewhere.org']);
    expect(verdicts.every((v) => v.ok)).toBe(true);
    expect((await store.listUsers()).sort()).toEqual(['mailto:alice@example.com', 'mailto:boss@example.com']);
    expect((await store.listObjects('mailto:boss@example.com')).map((o) => o.uid)).toEqual(['meeting-7@example.com']);
  });

  it('makes no store for a local envelope sender longer than RFC 5321 allows, and still takes the mail', async () => {
    const sender = `${'s'.repeat(300)}@example.com`;
    const verdicts = await service.handle(invitation(9, ['alice@example.com']), sender, ['alice@example.com']);
    expect(verdicts.every((v) => v.ok)).toBe(true);
    expect((await store.listUsers()).sort()).toEqual(['mailto:alice@example.com', 'mailto:boss@example.com']);
    expect((await store.listJournal('mailto:alice@example.com')).map((e) => e.messageId)).toContain('meeting-9@example.com');
  });
});

// The verdict table: every verdict the transaction service gives, the exit code
// the pipe makes of it and the reply code the LMTP/SMTP listeners make of it.
// Each verdict is brought about for real (LMDB, an LMTP mailbox server on
// loopback, the listener on loopback), not only looked up.

import { join } from 'node:path';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TransactionService } from '../../src/agent/transaction-service.js';
import { VERDICT_CODES, exitCodeOf, replyCodeOf, type VerdictKind } from '../../src/agent/verdicts.js';
import { EXIT } from '../../src/cli/output.js';
import type { Store } from '../../src/store/store.js';
import { onwardTo, parseTarget } from '../../src/transport/deliver.js';
import { LmtpClient } from '../../src/transport/lmtp-client.js';
import { startListener, type Listener } from '../../src/transport/listener.js';
import { MailService } from '../../src/transport/mail-service.js';
import { NOW, invitation, startSink, storeFailingFor, tempDir, type Sink } from '../transport/support.js';

/** What the README and DESIGN promise for each verdict: pipe exit code (sysexits) and reply code. */
const PROMISED: Record<VerdictKind, { exit: number; reply: number }> = {
  done: { exit: EXIT.OK, reply: 250 },
  'not-an-address': { exit: EXIT.USAGE, reply: 550 },
  'address-too-long': { exit: EXIT.USAGE, reply: 501 },
  'no-mailbox-name': { exit: EXIT.USAGE, reply: 550 },
  'unknown-user': { exit: EXIT.NOUSER, reply: 550 },
  'store-failed': { exit: EXIT.TEMPFAIL, reply: 451 },
  'delivery-failed': { exit: EXIT.TEMPFAIL, reply: 451 },
  'delivery-refused': { exit: EXIT.NOUSER, reply: 550 },
};

const ALICE = 'alice@example.com';
/** Known here; its store cannot commit. */
const BOB = 'bob@example.com';
/** Known here; the mailbox server says its mailbox is full (452). */
const CAROL = 'carol@example.com';
/** Known here; the mailbox server knows no such mailbox (550 5.1.1). */
const DAVE = 'dave@example.com';
/** Not known here. */
const NOBODY = 'nobody@example.com';
const TOO_LONG = `${'l'.repeat(250)}@example.com`;

describe('the verdict table', () => {
  it('gives every verdict the exit code and reply code that are promised, and nothing else', () => {
    expect(VERDICT_CODES).toEqual(PROMISED);
    for (const kind of Object.keys(PROMISED) as VerdictKind[]) {
      expect([exitCodeOf(kind), replyCodeOf(kind)], kind).toEqual([PROMISED[kind].exit, PROMISED[kind].reply]);
    }
  });
});

describe('every verdict, brought about and answered by each door', () => {
  const dir = tempDir();
  const failing = new Set([`mailto:${BOB}`]);
  let store: Store;
  let sink: Sink;
  let service: MailService;
  let listener: Listener;
  let client: LmtpClient;

  beforeAll(async () => {
    store = storeFailingFor(join(dir.path, 'store'), failing);
    for (const user of [ALICE, BOB, CAROL, DAVE]) {
      failing.delete(`mailto:${user}`);
      await store.transact(`mailto:${user}`, (tx) => tx.setRole('person'));
    }
    failing.add(`mailto:${BOB}`);
    sink = await startSink();
    sink.full.add(CAROL);
    sink.unknown.add(DAVE);
    service = new MailService({ store, target: parseTarget(`lmtp:127.0.0.1:${sink.port}`), now: () => NOW, refuseUnknownUsers: true });
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

  it('decides each recipient of one mail: done, store failed, delivery failed, delivery refused', async () => {
    const result = await service.agent.run({ kind: 'mail', raw: invitation(31), sender: 'boss@example.com', recipients: [ALICE, BOB, CAROL, DAVE], replies: 'each' });
    expect(result.verdicts.map((v) => [v.recipient, v.kind])).toEqual([
      [ALICE, 'done'],
      [BOB, 'store-failed'],
      [CAROL, 'delivery-failed'],
      [DAVE, 'delivery-refused'],
    ]);
    expect(result.failures.map((v) => v.recipient)).toEqual([BOB, CAROL, DAVE]);
  });

  it('refuses at RCPT: no address, too long, unknown user, no mailbox name', async () => {
    expect(await service.agent.admit(ALICE)).toBeUndefined();
    expect((await service.agent.admit('no address'))?.kind).toBe('not-an-address');
    expect((await service.agent.admit(TOO_LONG))?.kind).toBe('address-too-long');
    expect((await service.agent.admit(NOBODY))?.kind).toBe('unknown-user');
    // The recipients of mail a user sent are no calendar users: none is unknown.
    expect(await service.agent.admit(NOBODY, true)).toBeUndefined();
    const maildir = new TransactionService({ store, onward: onwardTo(parseTarget(`maildir:${dir.path}/{local}`)), now: () => NOW });
    expect((await maildir.admit('..@example.com'))?.kind).toBe('no-mailbox-name');
    expect(await maildir.admit(ALICE)).toBeUndefined();
  });

  it('answers each over LMTP with the reply code of its verdict', async () => {
    const recipients = [ALICE, BOB, CAROL, DAVE, NOBODY, TOO_LONG];
    const replies = await client.send('boss@example.com', recipients, invitation(32));
    const kinds: VerdictKind[] = ['done', 'store-failed', 'delivery-failed', 'delivery-refused', 'unknown-user', 'address-too-long'];
    expect(replies.map((r) => r.code)).toEqual(kinds.map(replyCodeOf));
    expect(replies.map((r) => r.code)).toEqual([250, 451, 451, 550, 550, 501]);
  });

  it('answers once for the whole mail (pipe, SMTP): the first failure decides, and nothing goes on after a store failed', async () => {
    const before = sink.messages.length;
    const result = await service.agent.run({ kind: 'mail', raw: invitation(33), sender: 'boss@example.com', recipients: [ALICE, BOB], replies: 'once' });
    expect(result.failures.map((v) => [v.recipient, v.kind])).toEqual([[BOB, 'store-failed']]);
    // Alice's store committed, but her copy waits for the retry the one answer asks for.
    expect(result.verdicts.map((v) => [v.recipient, v.kind])).toEqual([
      [ALICE, 'store-failed'],
      [BOB, 'store-failed'],
    ]);
    expect(exitCodeOf(result.failures[0]!.kind)).toBe(75);
    expect(sink.messages.length).toBe(before);
    expect((await store.listJournal(`mailto:${ALICE}`)).filter((e) => e.messageId === 'meeting-33@example.com').map((e) => e.outcome)).toEqual(['applied']);
  });

  it('answers once over SMTP with the reply code of the first failure, and hands on no copy after a store failed', async () => {
    const smtp = await startListener(service, { protocol: 'smtp', listen: '127.0.0.1:0', maxMessageBytes: 1024 * 1024 });
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port: smtp.port, secure: false, ignoreTLS: true });
    try {
      const before = sink.messages.length;
      await expect(transport.sendMail({ envelope: { from: 'boss@example.com', to: [ALICE, BOB] }, raw: invitation(34) })).rejects.toMatchObject({
        responseCode: replyCodeOf('store-failed'),
      });
      expect(sink.messages.length).toBe(before);
      await expect(transport.sendMail({ envelope: { from: 'boss@example.com', to: [ALICE, CAROL] }, raw: invitation(35) })).rejects.toMatchObject({
        responseCode: replyCodeOf('delivery-failed'),
      });
      // Onward delivery is the last step: Alice's copy went on before Carol's mailbox refused hers.
      expect(sink.messages.slice(before).map((m) => m.to)).toEqual([[ALICE]]);
      const info = await transport.sendMail({ envelope: { from: 'boss@example.com', to: [ALICE] }, raw: invitation(36) });
      expect(info.response).toMatch(new RegExp(`^${replyCodeOf('done')} `));
    } finally {
      transport.close();
      await smtp.stop(1000);
    }
  });
});

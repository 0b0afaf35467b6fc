// The same mails through two doors: the pipe (`itip-agent process`, the built
// program) and the LMTP listener of `serve` (in process, on loopback), each
// with its own store and onward delivery to an LMTP mailbox server. Both hand
// the mail to the one transaction service, so the journals and the copies that
// go on must be the same.

import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JournalEntry } from '../../src/itip/model.js';
import { openStore } from '../../src/store/open-store.js';
import type { Store } from '../../src/store/store.js';
import { parseTarget } from '../../src/transport/deliver.js';
import { LmtpClient } from '../../src/transport/lmtp-client.js';
import { startListener, type Listener } from '../../src/transport/listener.js';
import { MailService } from '../../src/transport/mail-service.js';
import { invitation, startSink, type Sink } from '../transport/support.js';
import { cliAsync, jsonAsync } from './helpers.js';
import { NOW, tempDir } from './run-cli.js';

const RECIPIENTS = ['alice@example.com', 'carol@example.com'];

/** An invitation whose ORGANIZER is not its sender: refused for both recipients (sender binding). */
function forged(): Buffer {
  return Buffer.from(invitation(42, RECIPIENTS).toString('latin1').replace('From: Boss <boss@example.com>', 'From: Eve <eve@example.org>'), 'latin1');
}

const MAILS: Array<[string, () => Buffer, string]> = [
  ['an invitation', () => invitation(41, RECIPIENTS), 'boss@example.com'],
  ['the same invitation again', () => invitation(41, RECIPIENTS), 'boss@example.com'],
  ['an invitation from someone who is not its organizer', forged, 'eve@example.org'],
  ['a mail without a calendar part', () => Buffer.from('From: a@example.com\r\nTo: alice@example.com\r\nSubject: hi\r\nMessage-ID: <plain-41@example.com>\r\n\r\nhello\r\n'), 'a@example.com'],
];

type Row = Pick<JournalEntry, 'messageId' | 'recipient' | 'method' | 'uid' | 'outcome' | 'reason' | 'at'>;
const row = (e: Row): Row => ({ messageId: e.messageId, recipient: e.recipient, method: e.method, uid: e.uid, outcome: e.outcome, reason: e.reason, at: e.at });

describe('one mail through the pipe and through LMTP', () => {
  const dir = tempDir();
  const pipeStore = join(dir.path, 'pipe-store');
  let pipeSink: Sink;
  let lmtpSink: Sink;
  let store: Store;
  let service: MailService;
  let listener: Listener;
  let client: LmtpClient;

  beforeAll(async () => {
    pipeSink = await startSink({ path: join(dir.path, 'pipe-mailbox.sock') });
    lmtpSink = await startSink({ path: join(dir.path, 'lmtp-mailbox.sock') });
    store = openStore(join(dir.path, 'lmtp-store'));
    service = new MailService({ store, target: parseTarget(`lmtp:${join(dir.path, 'lmtp-mailbox.sock')}`), now: () => Date.parse(NOW), markRefused: true });
    listener = await startListener(service, { protocol: 'lmtp', listen: '127.0.0.1:0', maxMessageBytes: 1024 * 1024 });
    client = new LmtpClient({ host: '127.0.0.1', port: listener.port! });
  });
  afterAll(async () => {
    await client.close();
    await listener.stop(1000);
    await service.close();
    await Promise.all([pipeSink.close(), lmtpSink.close()]);
    await store.close();
    dir.remove();
  });

  it.each(MAILS)('%s: the same journal entries and the same copy onward', async (_, mail, sender) => {
    const raw = mail();
    const journalBefore = (await store.listJournal()).length;
    const piped = await cliAsync(
      ['process', ...RECIPIENTS.flatMap((r) => ['--recipient', r]), '--sender', sender, '--deliver', `lmtp:${join(dir.path, 'pipe-mailbox.sock')}`, '--json'],
      { store: pipeStore, input: raw, env: { ITIP_AGENT_MARK_REFUSED: 'true' } },
    );
    expect(piped.code, piped.stderr).toBe(0);
    const replies = await client.send(sender, RECIPIENTS, raw);
    expect(replies.map((r) => r.code)).toEqual([250, 250]);

    // The pipe's --json names the entries of this mail; the LMTP store wrote the same ones.
    const pipeEntries = (JSON.parse(piped.stdout) as { users: Array<{ entries: Row[] }> }).users.flatMap((u) => u.entries).map(row);
    expect((await store.listJournal()).slice(journalBefore).map(row)).toEqual(pipeEntries);
    // And the whole journals agree.
    const pipeJournal = (await jsonAsync<Row[]>(['journal'], { store: pipeStore })).map(row);
    expect((await store.listJournal()).map(row)).toEqual(pipeJournal);

    // One copy each, to the same recipients, from the same sender, with the same bytes (a refusal mark included).
    expect(pipeSink.messages.length).toBe(lmtpSink.messages.length);
    const [piped1, lmtp1] = [pipeSink.messages.at(-1)!, lmtpSink.messages.at(-1)!];
    expect({ from: lmtp1.from, to: lmtp1.to }).toEqual({ from: piped1.from, to: piped1.to });
    expect(lmtp1.to).toEqual(RECIPIENTS);
    expect(lmtp1.raw.toString('latin1')).toBe(piped1.raw.toString('latin1'));
  });

  it('marked the refused invitation\'s copy alike at both doors', async () => {
    const marked = (sink: Sink) => sink.messages.filter((m) => m.raw.toString('latin1').startsWith('X-Itip-Agent-Refused:'));
    expect(marked(pipeSink)).toHaveLength(1);
    expect(marked(lmtpSink)).toHaveLength(1);
    expect((await store.listJournal()).map((e) => e.outcome)).toEqual(['applied', 'applied', 'duplicate', 'duplicate', 'refused', 'refused']);
  });
});

// The property test through the door an MTA uses: mutated client mail, and a
// real client's invitation whose time zone rule runs every second, over LMTP
// on loopback into the listener, with onward delivery to an LMTP mailbox
// server. Every recipient of every mail gets 250 and the mail arrives once at
// the mailbox, its bytes unchanged but for line ends.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/open-store.js';
import type { Store } from '../../src/store/store.js';
import { LmtpClient } from '../../src/transport/lmtp-client.js';
import { startListener, type Listener } from '../../src/transport/listener.js';
import { MailService } from '../../src/transport/mail-service.js';
import { ROOT } from '../cli/run-cli.js';
import { NOW, startSink, tempDir, type Sink } from '../transport/support.js';
import { mutatedMail } from './mutations.js';

/** Google's invitation with its zone's daylight rule turned into one every second. */
function googleWithSecondlyZone(): { raw: Buffer; recipients: string[] } {
  const text = readFileSync(join(ROOT, 'test/fixtures/mail/google-request.eml'), 'latin1');
  const bomb = text.replace('RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU', 'RRULE:FREQ=SECONDLY');
  expect(bomb).not.toBe(text);
  return { raw: Buffer.from(bomb, 'latin1'), recipients: ['alice@example.com'] };
}

/** Line ends as they cross SMTP: every CRLF, lone LF or lone CR counted as one line end. */
function lines(raw: Buffer): string {
  return raw.toString('latin1').replace(/\r\n|\r|\n/g, '\n').replace(/\n*$/, '');
}

describe('mutated client mail over LMTP', () => {
  const dir = tempDir();
  let store: Store;
  let sink: Sink;
  let service: MailService;
  let listener: Listener;
  let client: LmtpClient;

  beforeAll(async () => {
    store = openStore(join(dir.path, 'store'));
    sink = await startSink();
    service = new MailService({ store, target: { kind: 'lmtp', address: { host: '127.0.0.1', port: sink.port } }, now: () => NOW });
    listener = await startListener(service, { protocol: 'lmtp', listen: '127.0.0.1:0', maxMessageBytes: 1024 * 1024 });
    // One connection for the whole stream: smtp-server holds each greeting back 100 ms.
    client = new LmtpClient({ host: '127.0.0.1', port: listener.port! }, { timeoutMs: 30_000 });
    await client.connect();
  });
  afterAll(async () => {
    await client.close();
    await listener.stop(1000);
    await service.close();
    await sink.close();
    await store.close();
    dir.remove();
  });

  it('answers every recipient 250 and hands every mail on once (150 mutated mails and a zone bomb)', async () => {
    const mails = [googleWithSecondlyZone(), ...fc.sample(mutatedMail, { numRuns: 150, seed: 20261207 })].filter(
      (mail) => mail.raw.length > 0,
    );
    for (const [n, mail] of mails.entries()) {
      const replies = await client.send('sender@example.org', mail.recipients, mail.raw);
      expect(replies.map((r) => r.code), `mail ${n}: ${replies.map((r) => r.text).join(' / ')}`).toEqual(mail.recipients.map(() => 250));
      expect(sink.messages).toHaveLength(n + 1);
      expect(sink.messages[n]!.to).toEqual(mail.recipients);
      expect(lines(sink.messages[n]!.raw), `mail ${n}`).toBe(lines(mail.raw));
    }
    // The zone bomb was read, its event stored with the zone left out, and the journal says why.
    const [bombEntry] = await store.listJournal('mailto:alice@example.com');
    expect(bombEntry!.outcome).toBe('applied');
    expect(bombEntry!.reason).toMatch(/the VTIMEZONE "America\/New_York" was not used because it has more than 5000 onsets/);
  }, 120_000);
});

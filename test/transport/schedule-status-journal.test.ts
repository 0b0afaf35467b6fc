// SCHEDULE-STATUS written by the outbox sender is a change like any other: it
// goes through the agent's effects and is journalled, one entry per attendee
// whose status changed, with the Message-ID the message went out with.

import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { processMail } from '../../src/agent/process-message.js';
import type { OutboxItem } from '../../src/itip/model.js';
import { openStore } from '../../src/store/open-store.js';
import type { Store } from '../../src/store/store.js';
import { retryDelay, runOutboxOnce } from '../../src/transport/outbox-sender.js';
import { imipMail } from '../cli/helpers.js';
import { startSmtpServer, type TestSmtpServer } from './smtp-test-server.js';
import { tempDir } from './support.js';

const T0 = Date.parse('2026-11-15T12:00:00Z');
const ALICE = 'mailto:alice@example.com';
const BOB = 'mailto:bob@example.com';
const CAROL = 'mailto:carol@example.com';
const UID = 'status-review@example.com';

const ICS = [
  'BEGIN:VCALENDAR',
  'VERSION:2.0',
  'PRODID:-//Example Corp//Calendar//EN',
  'METHOD:REQUEST',
  'BEGIN:VEVENT',
  `UID:${UID}`,
  'DTSTAMP:20261101T080000Z',
  'DTSTART:20261202T140000Z',
  'DTEND:20261202T150000Z',
  'SEQUENCE:0',
  'SUMMARY:Review',
  'ORGANIZER;CN=Alice:mailto:alice@example.com',
  'ATTENDEE;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:bob@example.com',
  'ATTENDEE;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:carol@example.com',
  'END:VEVENT',
  'END:VCALENDAR',
  '',
].join('\r\n');

describe('SCHEDULE-STATUS updates from the outbox sender', () => {
  const dir = tempDir();
  let server: TestSmtpServer;
  let store: Store;
  let stores = 0;
  const relay = () => ({ host: '127.0.0.1', port: server.port });

  beforeAll(async () => {
    server = await startSmtpServer();
  });
  afterAll(async () => {
    await server.close();
    dir.remove();
  });
  beforeEach(async () => {
    server.reset();
    store = openStore(join(dir.path, `store-${++stores}`));
    // Alice sent the invitation herself: her store holds it as organizer.
    const sent = imipMail({ from: 'Alice <alice@example.com>', to: ['bob@example.com', 'carol@example.com'], subject: 'Review', messageId: 'review-sent@example.com', ics: ICS });
    await processMail(store, sent, { recipients: [], sender: 'alice@example.com', outgoing: true }, T0);
    return () => store.close();
  });

  async function queueRequest(): Promise<OutboxItem> {
    const item: OutboxItem = {
      id: '20261115T120000Z-status0001',
      user: ALICE,
      method: 'REQUEST',
      uid: UID,
      from: ALICE,
      to: [BOB, CAROL],
      state: 'unprocessed',
      attempts: 0,
      created: '2026-11-15T12:00:00Z',
      ics: ICS,
    };
    await store.transact(ALICE, (tx) => tx.addOutbox(item));
    return item;
  }

  const statusEntries = async (item: OutboxItem) => (await store.listJournal(ALICE)).filter((e) => e.messageId === `itip-${item.id.replace(/[^A-Za-z0-9._-]/g, '')}@example.com`);

  it('journals each attendee whose status changed, as applied, naming the attendee and the code', async () => {
    const item = await queueRequest();
    // Carol's mailbox does not exist: 3.7 (RFC 6638 section 3.2.9); Bob's copy is taken: 1.2.
    server.onRcpt = (address) => (address === 'carol@example.com' ? { code: 550, message: '5.1.1 no such user' } : undefined);
    expect(await runOutboxOnce(store, { relay: relay(), localDomains: ['example.com'], now: () => T0 })).toMatchObject({ sent: 1 });

    const stored = (await store.getObject(ALICE, UID))!.ics.replace(/\r\n[ \t]/g, '');
    expect(stored).toMatch(/^ATTENDEE;[^\r\n]*SCHEDULE-STATUS=1\.2[^\r\n]*:mailto:bob@example\.com\r?$/im);
    expect(stored).toMatch(/^ATTENDEE;[^\r\n]*SCHEDULE-STATUS=3\.7[^\r\n]*:mailto:carol@example\.com\r?$/im);

    const entries = await statusEntries(item);
    expect(entries.map((e) => [e.recipient, e.method, e.uid, e.outcome, e.at])).toEqual([
      [ALICE, 'REQUEST', UID, 'applied', '2026-11-15T12:00:00Z'],
      [ALICE, 'REQUEST', UID, 'applied', '2026-11-15T12:00:00Z'],
    ]);
    expect(entries.map((e) => e.reason).sort()).toEqual([
      expect.stringMatching(/SCHEDULE-STATUS 1\.2 \(delivered\) for ATTENDEE mailto:bob@example\.com/),
      expect.stringMatching(/SCHEDULE-STATUS 3\.7 \(not a valid calendar user\) for ATTENDEE mailto:carol@example\.com/),
    ]);
  });

  it('journals an update only when the status changes: a retry that settles one attendee adds one entry', async () => {
    const item = await queueRequest();
    server.onRcpt = (address) => (address === 'carol@example.com' ? { code: 451, message: '4.2.0 try later' } : undefined);
    expect(await runOutboxOnce(store, { relay: relay(), localDomains: ['example.com'], now: () => T0 })).toMatchObject({ retry: 1 });
    expect((await statusEntries(item)).map((e) => e.reason)).toEqual([
      expect.stringMatching(/1\.2 \(delivered\) for ATTENDEE mailto:bob@example\.com/),
      expect.stringMatching(/1\.0 \(pending[^)]*\) for ATTENDEE mailto:carol@example\.com/),
    ]);

    server.onRcpt = () => undefined;
    const later = T0 + retryDelay(1);
    expect(await runOutboxOnce(store, { relay: relay(), localDomains: ['example.com'], now: () => later })).toMatchObject({ sent: 1 });
    const entries = await statusEntries(item);
    expect(entries).toHaveLength(3);
    expect(entries[2]).toMatchObject({ outcome: 'applied', at: new Date(later).toISOString().replace(/\.\d{3}Z$/, 'Z') });
    expect(entries[2].reason).toMatch(/1\.2 \(delivered\) for ATTENDEE mailto:carol@example\.com/);
  });

  it('journals nothing for a message whose sender is not the organizer of a stored copy', async () => {
    const reply: OutboxItem = {
      id: '20261115T120000Z-status0002',
      user: BOB,
      method: 'REPLY',
      uid: UID,
      from: BOB,
      to: [ALICE],
      state: 'unprocessed',
      attempts: 0,
      created: '2026-11-15T12:00:00Z',
      ics: ICS.replace('METHOD:REQUEST', 'METHOD:REPLY'),
    };
    await store.transact(BOB, (tx) => tx.addOutbox(reply));
    expect(await runOutboxOnce(store, { relay: relay(), localDomains: ['example.com'], now: () => T0 })).toMatchObject({ sent: 1 });
    expect(await store.listJournal(BOB)).toEqual([]);
  });
});

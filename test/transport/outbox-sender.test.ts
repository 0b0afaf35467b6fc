// The outbox sender against a real SMTP server on loopback: what arrives, what
// the outbox records per recipient (RFC 6638 delivery codes), retry with
// backoff on an injected clock, and SCHEDULE-STATUS on the organizer's copy.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { processMail } from '../../src/agent/process-message.js';
import type { OutboxItem } from '../../src/itip/model.js';
import { readMail } from '../../src/mail/read-mail.js';
import { openStore } from '../../src/store/open-store.js';
import type { Store } from '../../src/store/store.js';
import { CLAIM_LEASE_MS, RETRY_BASE_MS, retryDelay, runOutboxOnce, startOutboxSender } from '../../src/transport/outbox-sender.js';
import { closedPort, startSmtpServer, type TestSmtpServer } from './smtp-test-server.js';

const CRLF = '\r\n';
const T0 = Date.parse('2026-11-15T12:00:00Z');
const ALICE = 'mailto:alice@example.com';
const BOB = 'mailto:bob@example.com';
const CAROL = 'mailto:carol@example.com';

const base = mkdtempSync(join(tmpdir(), 'itip-agent-outbox-test-'));
let stores = 0;
let server: TestSmtpServer;
let store: Store;

beforeAll(async () => {
  server = await startSmtpServer();
});
afterAll(async () => {
  await server.close();
  rmSync(base, { recursive: true, force: true });
});
beforeEach(() => {
  store = openStore(join(base, `store-${++stores}`));
  server.reset();
});
afterEach(async () => {
  await store.close();
});

function ics(method: string, lines: string[]): string {
  return ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//itip-agent//EN', `METHOD:${method}`, 'BEGIN:VEVENT', ...lines, 'END:VEVENT', 'END:VCALENDAR', ''].join(CRLF);
}

const REPLY_ICS = ics('REPLY', [
  'UID:planning@example.com',
  'DTSTAMP:20261115T120000Z',
  'DTSTART:20261201T090000Z',
  'DTEND:20261201T100000Z',
  'SEQUENCE:0',
  'SUMMARY:Planning',
  'ORGANIZER;CN=Alice:mailto:alice@example.com',
  'ATTENDEE;CN=Room 1;PARTSTAT=ACCEPTED:mailto:room-1@example.com',
]);

const CANCEL_ICS = ics('CANCEL', [
  'UID:planning@example.com',
  'DTSTAMP:20261115T120000Z',
  'DTSTART:20261201T090000Z',
  'SEQUENCE:1',
  'SUMMARY:Planning',
  'ORGANIZER;CN=Alice:mailto:alice@example.com',
  'ATTENDEE:mailto:bob@example.com',
  'ATTENDEE:mailto:carol@example.com',
]);

let items = 0;
async function queue(user: string, method: OutboxItem['method'], to: string[], text: string): Promise<OutboxItem> {
  const item: OutboxItem = {
    id: `20261115T120000Z-test${String(++items).padStart(4, '0')}`,
    user,
    method,
    uid: 'planning@example.com',
    from: user,
    to,
    state: 'unprocessed',
    attempts: 0,
    created: '2026-11-15T12:00:00Z',
    ics: text,
  };
  await store.transact(user, (tx) => tx.addOutbox(item));
  return item;
}

/** The test's users are local: a relay's 2xx for them means delivered (1.2). */
const LOCAL = ['example.com'];

function relay() {
  return { host: '127.0.0.1', port: server.port };
}

describe('runOutboxOnce', () => {
  it('delivers a message: the mail arrives with its headers and a text/calendar part whose method is the METHOD; the item is processed with 1.2', async () => {
    const item = await queue('mailto:room-1@example.com', 'REPLY', [ALICE], REPLY_ICS);
    const summary = await runOutboxOnce(store, { relay: relay(), localDomains: LOCAL, now: () => T0 });
    expect(summary).toMatchObject({ sent: 1, failed: 0, retry: 0 });

    expect(server.received).toHaveLength(1);
    const [mail] = server.received;
    expect(mail.from).toBe('room-1@example.com');
    expect(mail.to).toEqual(['alice@example.com']);
    const parsed = await readMail(mail.raw);
    expect(parsed.warnings).toEqual([]);
    expect(parsed.facts.from).toBe('mailto:room-1@example.com');
    expect(parsed.facts.to).toEqual([ALICE]);
    expect(parsed.facts.subject).toBe('Accepted: Planning');
    expect(parsed.facts.messageId).toMatch(/@example\.com$/);
    expect(parsed.facts.date).toBe('2026-11-15T12:00:00Z');
    expect(parsed.calendars).toHaveLength(1);
    expect(parsed.calendars[0].contentType).toBe('text/calendar');
    expect(parsed.calendars[0].methodParam).toBe('REPLY');
    expect(parsed.calendars[0].text).toMatch(/^METHOD:REPLY\r$/m);
    expect(mail.raw.toString('latin1')).toMatch(/^From: Room 1 <room-1@example\.com>\r$/m);
    expect(mail.raw.toString('latin1')).toMatch(/^Auto-Submitted: auto-generated\r$/m);

    const after = (await store.getOutbox(item.id))!;
    expect(after).toMatchObject({ state: 'processed', attempts: 1, status: { [ALICE]: '1.2' } });
    expect(after.nextAttempt).toBeUndefined();
    expect(after.lastError).toBeUndefined();

    // Nothing is due any more: a second run sends nothing.
    expect(await runOutboxOnce(store, { relay: relay(), localDomains: LOCAL, now: () => T0 })).toMatchObject({ sent: 0, failed: 0, retry: 0, items: [] });
    expect(server.received).toHaveLength(1);
  });

  it('records 3.7 for a recipient the relay refuses as an unknown user (550 5.1.1) and 1.2 for the others; the item is processed (every recipient answered)', async () => {
    server.onRcpt = (address) => (address === 'carol@example.com' ? { code: 550, message: '5.1.1 <carol@example.com>: no such user' } : undefined);
    const item = await queue(ALICE, 'CANCEL', [BOB, CAROL], CANCEL_ICS);
    const summary = await runOutboxOnce(store, { relay: relay(), localDomains: LOCAL, now: () => T0 });
    expect(summary).toMatchObject({ sent: 1, failed: 0, retry: 0 });
    expect(server.received).toHaveLength(1);
    expect(server.received[0].to).toEqual(['bob@example.com']);
    expect((await readMail(server.received[0].raw)).facts.subject).toBe('Cancelled: Planning');

    const after = (await store.getOutbox(item.id))!;
    expect(after).toMatchObject({ state: 'processed', attempts: 1, status: { [BOB]: '1.2', [CAROL]: '3.7' } });
    expect(after.lastError).toContain('550');
    expect(after.lastError).toContain('carol@example.com');
  });

  it('a message refused for every recipient with 5xx is processed with 5.1 each and not sent again', async () => {
    server.onRcpt = () => ({ code: 554, message: '5.7.1 relay access denied' });
    const item = await queue(ALICE, 'CANCEL', [BOB, CAROL], CANCEL_ICS);
    expect(await runOutboxOnce(store, { relay: relay(), localDomains: LOCAL, now: () => T0 })).toMatchObject({ sent: 1, retry: 0 });
    expect(await store.getOutbox(item.id)).toMatchObject({ state: 'processed', status: { [BOB]: '5.1', [CAROL]: '5.1' } });
    expect(server.received).toHaveLength(0);
  });

  it('retries after a 451 with exponential backoff on the injected clock, sending only to the recipient still pending', async () => {
    server.onRcpt = (address, seen) => (address === 'carol@example.com' && seen === 1 ? { code: 451, message: '4.3.0 try again later' } : undefined);
    const item = await queue(ALICE, 'CANCEL', [BOB, CAROL], CANCEL_ICS);
    let clock = T0;
    const options = { relay: relay(), localDomains: LOCAL, now: () => clock };

    expect(await runOutboxOnce(store, options)).toMatchObject({ sent: 0, failed: 0, retry: 1 });
    let after = (await store.getOutbox(item.id))!;
    expect(after).toMatchObject({ state: 'unprocessed', attempts: 1, status: { [BOB]: '1.2', [CAROL]: '1.0' } });
    expect(after.nextAttempt).toBe(new Date(T0 + RETRY_BASE_MS).toISOString().replace('.000', ''));
    expect(after.lastError).toContain('451');
    expect(server.received.map((m) => m.to)).toEqual([['bob@example.com']]);

    // Not yet due: nothing happens.
    clock = T0 + RETRY_BASE_MS - 1000;
    expect(await runOutboxOnce(store, options)).toMatchObject({ sent: 0, failed: 0, retry: 0, items: [] });

    clock = T0 + RETRY_BASE_MS;
    expect(await runOutboxOnce(store, options)).toMatchObject({ sent: 1, failed: 0, retry: 0 });
    after = (await store.getOutbox(item.id))!;
    expect(after).toMatchObject({ state: 'processed', attempts: 2, status: { [BOB]: '1.2', [CAROL]: '1.2' } });
    expect(server.received.map((m) => m.to)).toEqual([['bob@example.com'], ['carol@example.com']]);
    // Both copies are the same mail: a recipient can tell the retry from a new message.
    const ids = await Promise.all(server.received.map(async (m) => (await readMail(m.raw)).facts.messageId));
    expect(ids[0]).toBe(ids[1]);
  });

  it('counts attempts while the relay is down, backs off 1, 2, 4 minutes, and gives up after maxAttempts with 5.1 and the error', async () => {
    const down = { host: '127.0.0.1', port: await closedPort() };
    const first = await queue('mailto:room-1@example.com', 'REPLY', [ALICE], REPLY_ICS);
    const second = await queue(ALICE, 'CANCEL', [BOB], CANCEL_ICS);
    let clock = T0;
    const options = { relay: down, localDomains: LOCAL, now: () => clock, maxAttempts: 3 };

    expect(await runOutboxOnce(store, options)).toMatchObject({ sent: 0, failed: 0, retry: 2 });
    for (const id of [first.id, second.id]) {
      const item = (await store.getOutbox(id))!;
      expect(item).toMatchObject({ state: 'unprocessed', attempts: 1 });
      expect(Object.values(item.status!)).toEqual(['1.0']);
      expect(item.lastError).toMatch(/ECONNREFUSED|connect/i);
      expect(Date.parse(item.nextAttempt!)).toBe(T0 + retryDelay(1));
    }
    clock += retryDelay(1);
    expect(await runOutboxOnce(store, options)).toMatchObject({ retry: 2 });
    expect(Date.parse((await store.getOutbox(first.id))!.nextAttempt!)).toBe(clock + retryDelay(2));
    expect(retryDelay(2)).toBe(2 * retryDelay(1));

    clock += retryDelay(2);
    expect(await runOutboxOnce(store, options)).toMatchObject({ sent: 0, failed: 2, retry: 0 });
    const failed = (await store.getOutbox(first.id))!;
    expect(failed).toMatchObject({ state: 'failed', attempts: 3, status: { [ALICE]: '5.1' } });
    expect(failed.nextAttempt).toBeUndefined();
    expect(failed.lastError).toMatch(/gave up after 3 attempts/);

    // A failed item is not tried again, even once the relay is back.
    expect(await runOutboxOnce(store, { relay: relay(), localDomains: LOCAL, now: () => clock + 86_400_000 })).toMatchObject({ sent: 0, failed: 0, retry: 0 });
    expect(server.received).toHaveLength(0);
  });

  it('is at-least-once: when the result cannot be recorded after sending, the attempt is on record and the message goes again later, the same mail', async () => {
    const item = await queue('mailto:room-1@example.com', 'REPLY', [ALICE], REPLY_ICS);
    let writes = 0;
    // The second outbox write (the result, after the relay took the mail) fails, as a crash would.
    const crashing = new Proxy(store, {
      get(target, property) {
        if (property === 'updateOutbox') {
          return (next: OutboxItem) => (++writes === 2 ? Promise.reject(new Error('disk full')) : target.updateOutbox(next));
        }
        const value = Reflect.get(target, property, target) as unknown;
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
    await expect(runOutboxOnce(crashing, { relay: relay(), localDomains: LOCAL, now: () => T0 })).rejects.toThrow('disk full');
    expect(server.received).toHaveLength(1);
    const recorded = (await store.getOutbox(item.id))!;
    expect(recorded).toMatchObject({ state: 'unprocessed', attempts: 1, status: { [ALICE]: '1.0' } });
    // Still claimed by the sender that stopped: no sender takes it before the claim's lease ends.
    expect(Date.parse(recorded.nextAttempt!)).toBe(T0 + CLAIM_LEASE_MS);
    expect(await runOutboxOnce(store, { relay: relay(), localDomains: LOCAL, now: () => T0 + CLAIM_LEASE_MS - 1000 })).toMatchObject({ sent: 0, retry: 0 });
    expect(server.received).toHaveLength(1);

    expect(await runOutboxOnce(store, { relay: relay(), localDomains: LOCAL, now: () => T0 + CLAIM_LEASE_MS })).toMatchObject({ sent: 1 });
    expect(await store.getOutbox(item.id)).toMatchObject({ state: 'processed', attempts: 2, status: { [ALICE]: '1.2' } });
    expect(server.received).toHaveLength(2);
    expect(server.received[1].raw.equals(server.received[0].raw)).toBe(true);
  });

  it('the backoff doubles and is capped', () => {
    expect([1, 2, 3, 4].map(retryDelay)).toEqual([60_000, 120_000, 240_000, 480_000]);
    expect(retryDelay(50)).toBe(retryDelay(40));
    expect(retryDelay(50)).toBeLessThanOrEqual(2 * 3_600_000);
  });

  it('a message that cannot be built (no METHOD) fails at once and nothing is sent', async () => {
    const item = await queue(ALICE, 'CANCEL', [BOB], CANCEL_ICS.replace(/METHOD:CANCEL\r\n/, ''));
    expect(await runOutboxOnce(store, { relay: relay(), localDomains: LOCAL, now: () => T0 })).toMatchObject({ failed: 1 });
    expect(await store.getOutbox(item.id)).toMatchObject({ state: 'failed', attempts: 1, status: { [BOB]: '5.1' } });
    expect((await store.getOutbox(item.id))!.lastError).toContain('METHOD');
    expect(server.received).toHaveLength(0);
  });
});

describe('SCHEDULE-STATUS on the organizer\'s stored event', () => {
  const request = readFileSync(fileURLToPath(new URL('../fixtures/cli/organizer-request.eml', import.meta.url)));
  const refresh = (messageId: string, dtstamp: string) =>
    Buffer.from(
      [
        'From: Bob <bob@example.com>',
        'To: Alice <alice@example.com>',
        'Subject: Refresh: Review',
        `Message-ID: <${messageId}>`,
        'Date: Tue, 03 Nov 2026 10:00:00 +0000',
        'MIME-Version: 1.0',
        'Content-Type: text/calendar; charset=utf-8; method=REFRESH',
        '',
        ics('REFRESH', [
          'UID:review-2026-12-02@example.com',
          `DTSTAMP:${dtstamp}`,
          'ORGANIZER;CN=Alice:mailto:alice@example.com',
          'ATTENDEE;CN=Bob:mailto:bob@example.com',
        ]),
      ].join(CRLF),
    );

  it('a REQUEST re-sent after REFRESH sets ATTENDEE;SCHEDULE-STATUS=1.2 for bob in alice\'s copy; the sent mail carries no SCHEDULE-STATUS', async () => {
    const uid = 'review-2026-12-02@example.com';
    await processMail(store, request, { recipients: [], sender: 'alice@example.com', outgoing: true }, T0);
    await store.transact(ALICE, (tx) => tx.setPref('event_refreshing', 'always'));
    await processMail(store, refresh('refresh-1@example.com', '20261103T100000Z'), { recipients: ['alice@example.com'] }, T0);
    const [item] = await store.listOutbox(ALICE);
    expect(item).toMatchObject({ method: 'REQUEST', uid, to: [BOB], state: 'unprocessed' });

    expect(await runOutboxOnce(store, { relay: relay(), localDomains: LOCAL, now: () => T0 })).toMatchObject({ sent: 1 });
    const stored = (await store.getObject(ALICE, uid))!;
    expect(stored.ics.replace(/\r\n[ \t]/g, '')).toMatch(/^ATTENDEE;[^\r\n]*SCHEDULE-STATUS=1\.2[^\r\n]*:mailto:bob@example\.com\r?$/im);
    // Only the attendee that was sent a message gets a status (RFC 6638 section 7.3).
    expect(stored.ics.replace(/\r\n[ \t]/g, '')).not.toMatch(/SCHEDULE-STATUS[^\r\n]*:mailto:alice@example\.com/i);
    const parsed = await readMail(server.received[0].raw);
    expect(parsed.facts.subject).toBe('Invitation: Review');
    expect(parsed.calendars[0].methodParam).toBe('REQUEST');

    // A second REFRESH: the REQUEST is built from the stored copy, which now
    // carries SCHEDULE-STATUS; the mail must not (RFC 6638 section 7.3).
    await processMail(store, refresh('refresh-2@example.com', '20261103T110000Z'), { recipients: ['alice@example.com'] }, T0 + 1000);
    const second = (await store.listOutbox(ALICE)).find((o) => o.id !== item.id)!;
    expect(second.ics).toMatch(/SCHEDULE-STATUS/);
    expect(await runOutboxOnce(store, { relay: relay(), localDomains: LOCAL, now: () => T0 + 2000 })).toMatchObject({ sent: 1 });
    expect(server.received).toHaveLength(2);
    expect(server.received[1].raw.toString('latin1')).not.toMatch(/SCHEDULE-STATUS/i);
    const again = await readMail(server.received[1].raw);
    expect(again.calendars[0].text).toMatch(/ATTENDEE;[^\r\n]*:mailto:bob@example\.com/i);
  });

  it('a refused REQUEST records 5.1 on that attendee', async () => {
    // A refusal for another reason than an unknown mailbox: 5.1, not 3.7.
    const uid = 'review-2026-12-02@example.com';
    await processMail(store, request, { recipients: [], sender: 'alice@example.com', outgoing: true }, T0);
    await store.transact(ALICE, (tx) => tx.setPref('event_refreshing', 'always'));
    await processMail(store, refresh('refresh-3@example.com', '20261103T100000Z'), { recipients: ['alice@example.com'] }, T0);
    server.onRcpt = () => ({ code: 554, message: '5.7.1 message refused' });
    await runOutboxOnce(store, { relay: relay(), localDomains: LOCAL, now: () => T0 });
    expect((await store.getObject(ALICE, uid))!.ics.replace(/\r\n[ \t]/g, '')).toMatch(/^ATTENDEE;[^\r\n]*SCHEDULE-STATUS=5\.1[^\r\n]*:mailto:bob@example\.com\r?$/im);
  });
});

describe('delivery codes', () => {
  it('records 1.1 (sent) for a recipient outside the local domains, 1.2 (delivered) inside', async () => {
    const item = await queue(ALICE, 'CANCEL', [BOB, 'mailto:dave@example.net'], CANCEL_ICS);
    await runOutboxOnce(store, { relay: relay(), localDomains: LOCAL, now: () => T0 });
    expect(await store.getOutbox(item.id)).toMatchObject({ state: 'processed', status: { [BOB]: '1.2', 'mailto:dave@example.net': '1.1' } });
  });
});

describe('startOutboxSender', () => {
  it('sends on start and on wake, and stop() waits for the run in progress', async () => {
    const runs: number[] = [];
    const sender = startOutboxSender(store, { relay: relay(), localDomains: LOCAL, intervalMs: 60_000, onRun: (s) => runs.push(s.sent) });
    await queue('mailto:room-1@example.com', 'REPLY', [ALICE], REPLY_ICS);
    for (let i = 0; i < 200 && server.received.length === 0; i++) {
      sender.wake();
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await sender.stop();
    expect(server.received).toHaveLength(1);
    expect(runs.reduce((a, b) => a + b, 0)).toBe(1);
  });
});

// Several outbox senders on one store (`serve` beside a `queue run`, agents on
// several hosts): each item is claimed by one of them (Store.claimDueOutbox)
// and sent once; an item whose sender died goes out when its lease ends.
// Against a real SMTP server on loopback and real LMDB environments.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { OutboxItem } from '../../src/itip/model.js';
import { LmdbStore } from '../../src/store/lmdb-store.js';
import { CLAIM_LEASE_MS, runOutboxOnce } from '../../src/transport/outbox-sender.js';
import { startSmtpServer, type TestSmtpServer } from './smtp-test-server.js';

const CRLF = '\r\n';
const T0 = Date.parse('2026-11-15T12:00:00Z');
const ROOM = 'mailto:room-1@example.com';
const ALICE = 'mailto:alice@example.com';
const LOCAL = ['example.com'];

const base = mkdtempSync(join(tmpdir(), 'itip-agent-outbox-claims-'));
let folders = 0;
let server: TestSmtpServer;
let dir: string;
let stores: LmdbStore[];

beforeAll(async () => {
  server = await startSmtpServer();
});
afterAll(async () => {
  await server.close();
  rmSync(base, { recursive: true, force: true });
});
beforeEach(() => {
  dir = join(base, `store-${++folders}`);
  // Two environments on one folder, as two processes would open it.
  stores = [new LmdbStore(dir), new LmdbStore(dir)];
  server.reset();
});
afterEach(async () => {
  for (const store of stores) await store.close();
});

function replyIcs(n: number): string {
  return [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'PRODID:-//itip-agent//EN',
    'METHOD:REPLY',
    'BEGIN:VEVENT',
    `UID:meeting-${n}@example.com`,
    'DTSTAMP:20261115T120000Z',
    'DTSTART:20261201T090000Z',
    'DTEND:20261201T100000Z',
    'SEQUENCE:0',
    'ORGANIZER:mailto:alice@example.com',
    'ATTENDEE;PARTSTAT=ACCEPTED:mailto:room-1@example.com',
    'END:VEVENT',
    'END:VCALENDAR',
    '',
  ].join(CRLF);
}

async function queue(count: number): Promise<OutboxItem[]> {
  const items = Array.from({ length: count }, (_, n): OutboxItem => ({
    id: `20261115T120000Z-claim${String(n).padStart(3, '0')}`,
    user: ROOM,
    method: 'REPLY',
    uid: `meeting-${n}@example.com`,
    from: ROOM,
    to: [ALICE],
    state: 'unprocessed',
    attempts: 0,
    created: new Date(T0 - (count - n) * 1000).toISOString(),
    ics: replyIcs(n),
  }));
  await stores[0]!.transact(ROOM, (tx) => {
    for (const item of items) tx.addOutbox(item);
  });
  return items;
}

const relay = () => ({ host: '127.0.0.1', port: server.port });
const sentIds = () => server.received.map((mail) => /^Message-ID:\s*<itip-([^@>]+)@/im.exec(mail.raw.toString('latin1'))?.[1]);

describe('outbox senders sharing one store', () => {
  it('two senders running at once send every item exactly once', { timeout: 60_000 }, async () => {
    const items = await queue(12);
    const summaries = await Promise.all(stores.map((store) => runOutboxOnce(store, { relay: relay(), localDomains: LOCAL, now: () => T0 })));

    expect(summaries[0]!.sent + summaries[1]!.sent).toBe(items.length);
    const ids = sentIds();
    expect(ids).toHaveLength(items.length);
    expect([...ids].sort()).toStrictEqual(items.map((item) => item.id));
    for (const item of items) {
      expect(await stores[1]!.getOutbox(item.id)).toMatchObject({ state: 'processed', attempts: 1, status: { [ALICE]: '1.2' } });
    }
  });

  it('an item claimed by a sender that died is sent by another once the lease ends, not before', { timeout: 60_000 }, async () => {
    const [item] = await queue(1);
    // The first sender claimed it and stopped before sending.
    expect(await stores[0]!.claimDueOutbox(new Date(T0).toISOString(), new Date(T0 + CLAIM_LEASE_MS).toISOString())).toHaveLength(1);

    expect(await runOutboxOnce(stores[1]!, { relay: relay(), localDomains: LOCAL, now: () => T0 + CLAIM_LEASE_MS - 1000 })).toMatchObject({ sent: 0, retry: 0 });
    expect(server.received).toHaveLength(0);

    expect(await runOutboxOnce(stores[1]!, { relay: relay(), localDomains: LOCAL, now: () => T0 + CLAIM_LEASE_MS })).toMatchObject({ sent: 1 });
    expect(sentIds()).toStrictEqual([item!.id]);
    expect(await stores[0]!.getOutbox(item!.id)).toMatchObject({ state: 'processed', attempts: 1 });
  });
});

// The record of what the relay answered must land, or the message goes out a
// second time when its claim's lease ends. A database server that stops just
// as the relay accepts a message (a restart of PostgreSQL under a running
// agent) is waited for: the sender tries the record again until the server is
// back, and the message is sent once. Real PostgreSQL, real SMTP on loopback.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OutboxItem } from '../../src/itip/model.js';
import { openStore } from '../../src/store/open-store.js';
import { StoreCommitError, type Store } from '../../src/store/store.js';
import { isTemporaryPgError } from '../../src/store/pg-errors.js';
import { CLAIM_LEASE_MS, runOutboxOnce, type OutboxSenderOptions } from '../../src/transport/outbox-sender.js';
import { newPgDatabase, startPg, stopPg } from '../support/postgres.js';
import { startSmtpServer, type TestSmtpServer } from './smtp-test-server.js';

const T0 = Date.parse('2026-11-15T12:00:00Z');
const ROOM = 'mailto:room-1@example.com';
const ALICE = 'mailto:alice@example.com';

const REPLY_ICS = [
  'BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//itip-agent//EN', 'METHOD:REPLY', 'BEGIN:VEVENT',
  'UID:planning@example.com', 'DTSTAMP:20261115T120000Z', 'DTSTART:20261201T090000Z', 'DTEND:20261201T100000Z',
  'SEQUENCE:0', 'SUMMARY:Planning', 'ORGANIZER;CN=Alice:mailto:alice@example.com',
  'ATTENDEE;CN=Room 1;PARTSTAT=ACCEPTED:mailto:room-1@example.com', 'END:VEVENT', 'END:VCALENDAR', '',
].join('\r\n');

let server: TestSmtpServer;
beforeAll(async () => {
  server = await startSmtpServer();
});
afterAll(async () => {
  await server.close();
});

/** A fresh database holding one queued REPLY of the room; `run` is the test, the store closed after it. */
async function withQueuedReply(id: string, run: (store: Store, item: OutboxItem) => Promise<void>): Promise<void> {
  const store = await openStore(await newPgDatabase());
  try {
    const item: OutboxItem = {
      id, user: ROOM, method: 'REPLY', uid: 'planning@example.com', from: ROOM, to: [ALICE],
      state: 'unprocessed', attempts: 0, created: '2026-11-15T12:00:00Z', ics: REPLY_ICS,
    };
    await store.transact(ROOM, (tx) => tx.addOutbox(item));
    await run(store, item);
  } finally {
    server.reset();
    await store.close();
  }
}

/** The sender's options: the test relay, the test's clock, and what a test adds. */
function options(more: Partial<OutboxSenderOptions> = {}): OutboxSenderOptions {
  return { relay: { host: '127.0.0.1', port: server.port }, localDomains: ['example.com'], now: () => T0, ...more };
}

describe('the outbox sender and a store that fails after the relay answered', () => {
  it('waits for a restarted PostgreSQL to record the answer, and sends the message once', async () => {
    await withQueuedReply('20261115T120000Z-retry0001', async (store, item) => {

      // The server stops after the relay has read the message and before its 250:
      // the sender learns the answer with no store to write it to.
      server.beforeAccept = () => stopPg();
      const failures: unknown[] = [];
      const summary = await runOutboxOnce(store, options({
        onStoreRetry: (error, attempt) => {
          failures.push(error);
          // Back once the sender has found it gone (the condition, not a pause).
          if (attempt === 1) void startPg();
        },
      }));
      expect(failures.length).toBeGreaterThan(0);
      expect(failures.every((error) => error instanceof StoreCommitError || isTemporaryPgError(error))).toBe(true);
      expect(summary).toMatchObject({ sent: 1, failed: 0, retry: 0 });
      expect(server.received).toHaveLength(1);
      expect(await store.getOutbox(item.id)).toMatchObject({ state: 'processed', attempts: 1, status: { [ALICE]: '1.2' } });

      // Nothing is due again, not even once the claim's lease has ended.
      server.beforeAccept = () => undefined;
      const later = await runOutboxOnce(store, options({ now: () => T0 + CLAIM_LEASE_MS + 1 }));
      expect(later).toMatchObject({ sent: 0, failed: 0, retry: 0 });
      expect(server.received).toHaveLength(1);
    });
  }, 180_000);

  it('waits for PostgreSQL while building the message too: a store down then is no fault of the message, which is sent, not given up', async () => {
    await withQueuedReply('20261115T120000Z-retry0003', async (store, item) => {
      // The server stops once the attempt is on record, before the sender reads
      // the user's name and language for the mail.
      let writes = 0;
      const stopping = new Proxy(store, {
        get(target, property) {
          if (property === 'updateOutbox') {
            return async (next: OutboxItem) => {
              await target.updateOutbox(next);
              if (++writes === 1) await stopPg();
            };
          }
          const value = Reflect.get(target, property, target) as unknown;
          return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
        },
      });
      let retries = 0;
      const summary = await runOutboxOnce(stopping, options({
        onStoreRetry: () => {
          if (++retries === 1) void startPg();
        },
      }));
      expect(retries).toBeGreaterThan(0);
      expect(summary).toMatchObject({ sent: 1, failed: 0, retry: 0 });
      expect(server.received).toHaveLength(1);
      expect(server.received[0]!.raw.toString('latin1')).toMatch(/^From: .*room-1@example\.com/m);
      expect(await store.getOutbox(item.id)).toMatchObject({ state: 'processed', attempts: 1, status: { [ALICE]: '1.2' } });
    });
  }, 180_000);

  it('gives up after recordRetryMs, leaving the item claimed so that it goes out again after the lease (at least once)', async () => {
    await withQueuedReply('20261115T120000Z-retry0002', async (store, item) => {
      server.beforeAccept = () => stopPg();
      let tries = 0;
      await expect(
        runOutboxOnce(store, options({ recordRetryMs: 0, onStoreRetry: () => tries++ })),
      ).rejects.toSatisfy((error: unknown) => error instanceof StoreCommitError || isTemporaryPgError(error));
      expect(tries).toBe(0);
      await startPg();
      server.beforeAccept = () => undefined;
      expect(await store.getOutbox(item.id)).toMatchObject({ state: 'unprocessed', attempts: 1, nextAttempt: new Date(T0 + CLAIM_LEASE_MS).toISOString().replace('.000Z', 'Z') });
      const later = await runOutboxOnce(store, options({ now: () => T0 + CLAIM_LEASE_MS + 1 }));
      expect(later).toMatchObject({ sent: 1 });
      expect(server.received).toHaveLength(2);
    });
  }, 180_000);
});

// A CalDAV server for the client tests: a real LMDB store seeded by mail
// (processMail), the transaction service that runs the users' actions, and the
// web listener on loopback with a password file (alice: "wonderland", bob:
// "builder", see test/http/web-support.ts).

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { processMail } from '../../src/agent/process-message.js';
import { TransactionService } from '../../src/agent/transaction-service.js';
import { startHttpListener, type HttpListener } from '../../src/http/server.js';
import { DEFAULT_LOGIN_LIMITS } from '../../src/http/settings.js';
import { LmdbStore } from '../../src/store/lmdb-store.js';
import type { Store } from '../../src/store/store.js';
import { writePasswords, type LogRecord } from '../http/web-support.js';

export const NOW = Date.parse('2026-11-15T12:00:00Z');
export const ALICE = 'mailto:alice@example.com';
export const BOB = 'mailto:bob@example.com';

export function calendar(method: string | undefined, uid: string, lines: string[], times = ['DTSTART:20261201T090000Z', 'DTEND:20261201T100000Z']): string {
  return [
    'BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//t//EN', ...(method ? [`METHOD:${method}`] : []),
    'BEGIN:VEVENT', `UID:${uid}`, ...times, 'DTSTAMP:20261101T080000Z', ...lines, 'END:VEVENT', 'END:VCALENDAR', '',
  ].join('\r\n');
}

export function mail(from: string, to: string, messageId: string, ics: string): Buffer {
  const method = /^METHOD:(\S+)/m.exec(ics)![1];
  return Buffer.from(`From: ${from}\r\nTo: ${to}\r\nSubject: s\r\nMessage-ID: <${messageId}>\r\nContent-Type: text/calendar; method=${method}\r\n\r\n${ics}`);
}

/** An invitation from carol (elsewhere) to alice and bob. */
export function invitation(uid: string, summary: string, sequence = 0): string {
  return calendar('REQUEST', uid, [
    `SUMMARY:${summary}`, `SEQUENCE:${sequence}`, 'ORGANIZER:mailto:carol@example.org',
    'ATTENDEE;PARTSTAT=ACCEPTED:mailto:carol@example.org',
    'ATTENDEE;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:alice@example.com',
    'ATTENDEE;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:bob@example.com',
  ]);
}

export interface DavServer {
  store: LmdbStore;
  listener: HttpListener;
  base: string;
  logs: LogRecord[];
  /** How often the listener told the outbox sender that it queued a message itself. */
  outboxWakes: { count: number };
  /** Delivers an invitation by mail to the recipients, as the MTA would. */
  deliver(raw: Buffer, recipients: string[], sender: string): Promise<void>;
  stop(): Promise<void>;
}

/** `view`: the store as the web listener sees it (a test may count its reads); `localDomains`: the installation's domains (none by default). */
export async function startDavServer(options: { view?: (store: Store) => Store; localDomains?: string[] } = {}): Promise<DavServer> {
  const dir = mkdtempSync(join(tmpdir(), 'itip-agent-caldav-'));
  const store = new LmdbStore(join(dir, 'store'));
  const passwordFile = join(dir, 'passwords');
  await writePasswords(passwordFile);
  const logs: LogRecord[] = [];
  const log = (level: string, msg: string, fields?: Record<string, unknown>) => void logs.push({ level, msg, ...(fields ? { fields } : {}) });
  const service = new TransactionService({ store, onward: { deliver: async () => [] }, now: () => NOW, log });
  const deliver = async (raw: Buffer, recipients: string[], sender: string) => {
    await processMail(store, raw, { recipients, sender }, NOW);
  };
  // Both users have calendars: alice and bob each get carol's invitation.
  await deliver(mail('carol@example.org', 'alice@example.com, bob@example.com', 'inv1@example.org', invitation('seed-1@example.org', 'Seeded')), ['alice@example.com', 'bob@example.com'], 'carol@example.org');
  const outboxWakes = { count: 0 };
  const listener = await startHttpListener({
    listen: '127.0.0.1:0',
    socketMode: 0o660,
    settings: { passwordLogins: true, passwordFile, trustedProxies: [], tls: false, sessionIdleMinutes: 30, sessionMaxHours: 12, loginLimits: { ...DEFAULT_LOGIN_LIMITS } },
    localDomains: options.localDomains ?? [],
    log,
    store: options.view ? options.view(store) : store,
    actions: (work) => service.run(work),
    outboxQueued: () => void outboxWakes.count++,
    now: () => NOW,
  });
  return {
    store,
    listener,
    base: `http://127.0.0.1:${listener.port}`,
    logs,
    outboxWakes,
    deliver,
    async stop() {
      await listener.stop(5_000);
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// Shared pieces of the transport tests: invitations, a throwaway store that can
// be told to fail for one user, and an LMTP sink standing in for Dovecot.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';
import { imipMail } from '../cli/helpers.js';
import { openLmdbStore } from '../../src/store/open-store.js';
import type { Store } from '../../src/store/store.js';

export const NOW = Date.parse('2026-11-15T12:00:00Z');

export function tempDir(prefix = 'itip-agent-transport-'): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** A REQUEST from boss to the given attendees, with its own UID and Message-ID. */
export function invitation(n: number, attendees: string[] = ['alice@example.com', 'bob@example.com', 'carol@example.com']): Buffer {
  return imipMail({
    from: 'Boss <boss@example.com>',
    to: attendees,
    subject: `Invitation ${n}`,
    messageId: `meeting-${n}@example.com`,
    ics: [
      'BEGIN:VCALENDAR',
      'VERSION:2.0',
      'PRODID:-//Example Corp//Calendar//EN',
      'METHOD:REQUEST',
      'BEGIN:VEVENT',
      `UID:meeting-${n}@example.com`,
      'DTSTAMP:20261101T080000Z',
      `DTSTART:202612${String((n % 28) + 1).padStart(2, '0')}T090000Z`,
      `DTEND:202612${String((n % 28) + 1).padStart(2, '0')}T100000Z`,
      'SEQUENCE:0',
      `SUMMARY:Meeting ${n}`,
      'ORGANIZER;CN=Boss:mailto:boss@example.com',
      ...attendees.map((a) => `ATTENDEE;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:${a}`),
      'END:VEVENT',
      'END:VCALENDAR',
      '',
    ].join('\n'),
  });
}

/** A store in a temp dir whose transactions (and commits) for the users in `failing` reject, as a full disk would. */
export function storeFailingFor(dir: string, failing: Set<string>): Store {
  const store = openLmdbStore(dir);
  return new Proxy(store, {
    get(target, property) {
      if (property === 'transact') {
        return (user: string, fn: never) =>
          failing.has(user) ? Promise.reject(new Error(`MDB_MAP_FULL: no space left for ${user}`)) : target.transact(user, fn);
      }
      if (property === 'commitIf') {
        return (user: string, version: number, fn: never) =>
          failing.has(user) ? Promise.reject(new Error(`MDB_MAP_FULL: no space left for ${user}`)) : target.commitIf(user, version, fn);
      }
      const value = Reflect.get(target, property, target) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

export interface SinkMessage {
  from: string;
  to: string[];
  raw: Buffer;
}

export interface Sink {
  port: number;
  messages: SinkMessage[];
  /** Recipients the sink answers 452 (mailbox full) after DATA. */
  full: Set<string>;
  /** Recipients the sink refuses at RCPT with 550 5.1.1, as Dovecot does an unknown user. */
  unknown: Set<string>;
  /** Sessions opened so far, and open now. */
  sessions: { opened: number; open: number };
  /**
   * Ends every open session as a server ends an idle one: 421, then the
   * connection closes (with `close: false`, only the 421: the moment between).
   */
  endSessions(options?: { close?: boolean }): void;
  /** Makes the next MAIL FROM drop its connection unanswered, as a session that timed out just then. */
  dropAtNextMail(): void;
  close(): Promise<void>;
}

/** An LMTP server that keeps what it receives: the mailbox server of the tests. */
export async function startSink(options: { lmtp?: boolean; path?: string } = {}): Promise<Sink> {
  const messages: SinkMessage[] = [];
  const full = new Set<string>();
  const unknown = new Set<string>();
  const sessions = { opened: 0, open: 0 };
  let dropAtMail = false;
  const lmtp = options.lmtp ?? true;
  type Connection = { id: string; send(code: number, text: string): void; _socket: { destroy(): void; write(text: string): void } };
  const connections = (): Connection[] => [...(server.connections as Set<unknown>)] as Connection[];
  const server = new SMTPServer({
    lmtp,
    disableReverseLookup: true,
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    logger: false,
    onConnect(_session, callback) {
      sessions.opened++;
      sessions.open++;
      callback();
    },
    onClose() {
      sessions.open--;
    },
    onMailFrom(_address, session, callback) {
      if (!dropAtMail) return callback();
      dropAtMail = false;
      connections().find((c) => c.id === session.id)?._socket.destroy();
    },
    onRcptTo(address, _session, callback) {
      if (unknown.has(address.address)) callback(Object.assign(new Error('5.1.1 User doesn\'t exist'), { responseCode: 550 }));
      else callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const to = session.envelope.rcptTo.map((r) => r.address);
        const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
        const accepted = to.filter((r) => !full.has(r));
        if (accepted.length) messages.push({ from, to: accepted, raw: Buffer.concat(chunks) });
        const replies = to.map((r) => (full.has(r) ? Object.assign(new Error('mailbox full'), { responseCode: 452 }) : 'saved'));
        (callback as (e: Error | null, m?: unknown) => void)(null, lmtp ? replies : undefined);
      });
    },
  });
  await new Promise<void>((resolve) => (options.path ? server.listen(options.path, resolve) : server.listen(0, '127.0.0.1', resolve)));
  const address = server.server.address();
  return {
    port: address && typeof address === 'object' ? address.port : 0,
    messages,
    full,
    unknown,
    sessions,
    endSessions: ({ close = true } = {}) => {
      for (const connection of connections()) {
        // smtp-server closes after any 421 it sends; the moment between is written by hand.
        if (close) connection.send(421, '4.4.2 Disconnected for inactivity');
        else connection._socket.write('421 4.4.2 Disconnected for inactivity\r\n');
      }
    },
    dropAtNextMail: () => {
      dropAtMail = true;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

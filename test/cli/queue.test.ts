// `itip-agent queue run` through the built command line against a real SMTP
// server on loopback. The server runs in this process, so every command is run
// with the non-blocking helpers (a blocking child would stall the server).

import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readMail } from '../../src/mail/read-mail.js';
import { closedPort, startSmtpServer, type TestSmtpServer } from '../transport/smtp-test-server.js';
import { cliAsync, errors, imipMail, jsonAsync, okAsync } from './helpers.js';
import { fixture, tempDir } from './run-cli.js';

const ALICE = 'alice@example.com';
const UID = 'review-2026-12-02@example.com';

/** No relay from the environment or a configuration file unless a test sets one. */
const NO_RELAY = {
  ITIP_AGENT_RELAY: undefined,
  ITIP_AGENT_RELAY_HOST: undefined,
  ITIP_AGENT_CONFIG: undefined,
};

function refresh(n: number): Buffer {
  return imipMail({
    from: 'Bob <bob@example.com>',
    to: ['Alice <alice@example.com>'],
    subject: 'Refresh: Review',
    messageId: `review-refresh-${n}@example.com`,
    ics: [
      'BEGIN:VCALENDAR',
      'VERSION:2.0',
      'PRODID:-//Example Corp//Calendar//EN',
      'METHOD:REFRESH',
      'BEGIN:VEVENT',
      `UID:${UID}`,
      `DTSTAMP:20261103T10${String(n).padStart(2, '0')}00Z`,
      'ORGANIZER;CN=Alice:mailto:alice@example.com',
      'ATTENDEE;CN=Bob:mailto:bob@example.com',
      'END:VEVENT',
      'END:VCALENDAR',
      '',
    ].join('\n'),
  });
}

interface OutboxRow {
  id: string;
  method: string;
  state: string;
  attempts: number;
  to: string[];
  status?: Record<string, string>;
}

describe('queue run', () => {
  const dir = tempDir();
  const store = `${dir.path}/store`;
  let server: TestSmtpServer;

  beforeAll(async () => {
    server = await startSmtpServer();
    await okAsync(['process', '--outgoing'], { store, input: fixture('organizer-request.eml') });
    await okAsync(['prefs', ALICE, 'event_refreshing', 'always'], { store });
    await okAsync(['process', '--recipient', ALICE], { store, input: refresh(1) });
  });
  afterAll(async () => {
    await server.close();
    dir.remove();
  });

  it('sends the outbox through --relay, prints {sent, failed, retry}, and the outbox and the organizer\'s event record delivery', async () => {
    // example.com is a local domain here: the relay's 250 counts as delivered (1.2).
    const env = { ...NO_RELAY, ITIP_AGENT_LOCAL_DOMAINS: 'example.com' };
    const summary = await jsonAsync(['queue', 'run', '--relay', `127.0.0.1:${server.port}`], { store, env });
    expect(summary).toEqual({ sent: 1, failed: 0, retry: 0 });
    expect(server.received).toHaveLength(1);
    expect(server.received[0]).toMatchObject({ from: ALICE, to: ['bob@example.com'] });
    const mail = await readMail(server.received[0].raw);
    expect(mail.facts.subject).toBe('Invitation: Review');
    expect(mail.calendars[0].methodParam).toBe('REQUEST');
    expect(mail.calendars[0].text).toMatch(/^METHOD:REQUEST\r$/m);

    const outbox = await jsonAsync<OutboxRow[]>(['outbox', '--user', ALICE], { store });
    expect(outbox).toHaveLength(1);
    expect(outbox[0]).toMatchObject({ method: 'REQUEST', state: 'processed', attempts: 1, status: { 'mailto:bob@example.com': '1.2' } });
    const object = (await okAsync(['object', '--user', ALICE, UID], { store })).stdout.replace(/\r?\n[ \t]/g, '');
    expect(object).toMatch(/^ATTENDEE;[^\r\n]*SCHEDULE-STATUS=1\.2[^\r\n]*:mailto:bob@example\.com\r?$/im);

    // Nothing left: ITIP_AGENT_RELAY works as well, and the table output says so.
    const again = await okAsync(['queue', 'run'], { store, env: { ...NO_RELAY, ITIP_AGENT_RELAY: `127.0.0.1:${server.port}` } });
    expect(again.stdout).toMatch(/^sent 0, failed 0, waiting for retry 0/);
    expect(server.received).toHaveLength(1);
  });

  it('keeps a message for retry when the relay is down: exit 0, a warning, attempts counted', async () => {
    await okAsync(['process', '--recipient', ALICE], { store, input: refresh(2) });
    const result = await cliAsync(['queue', 'run', '--relay', `127.0.0.1:${await closedPort()}`, '--json'], { store, env: NO_RELAY });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ sent: 0, failed: 0, retry: 1 });
    expect(result.logs.some((l) => l.level === 'warn' && String(l.msg).includes('not sent yet'))).toBe(true);
    const waiting = (await jsonAsync<OutboxRow[]>(['outbox', '--user', ALICE], { store })).filter((o) => o.state === 'unprocessed');
    expect(waiting).toHaveLength(1);
    expect(waiting[0]).toMatchObject({ attempts: 1, status: { 'mailto:bob@example.com': '1.0' } });
  });

  it('sends the waiting message once its retry is due, through the relay of the configuration file', async () => {
    const config = `${dir.path}/config.json`;
    writeFileSync(config, JSON.stringify({ relay: { host: '127.0.0.1', port: server.port } }));
    const env = { ...NO_RELAY, ITIP_AGENT_CONFIG: config };
    // Still within the backoff: nothing is due.
    expect(await jsonAsync(['queue', 'run'], { store, env })).toEqual({ sent: 0, failed: 0, retry: 0 });
    const later = { ...env, ITIP_AGENT_NOW: '2026-11-15T13:00:00Z' };
    expect(await jsonAsync(['queue', 'run'], { store, env: later })).toEqual({ sent: 1, failed: 0, retry: 0 });
    const outbox = await jsonAsync<OutboxRow[]>(['outbox', '--user', ALICE], { store });
    // Both were queued at the same (fixed) time: their order is by id.
    expect(outbox.map((o) => `${o.state}/${o.attempts}`).sort()).toEqual(['processed/1', 'processed/2']);
  });

  it('without a relay, or with a malformed one, exits 64 and says what to give', async () => {
    const none = await cliAsync(['queue', 'run'], { store, env: NO_RELAY });
    expect(none.code).toBe(64);
    expect(String(errors(none)[0].msg)).toContain('--relay HOST:PORT');
    const bad = await cliAsync(['queue', 'run', '--relay', 'mail.example.com:smtp'], { store, env: NO_RELAY });
    expect(bad.code).toBe(64);
    expect(String(errors(bad)[0].msg)).toContain('HOST:PORT');
  });

  it('queue run --help describes the command', async () => {
    const result = await okAsync(['queue', 'run', '--help']);
    expect(result.stdout).toContain('Usage: itip-agent queue run');
    expect(result.stdout).toContain('SCHEDULE-STATUS');
  });
});

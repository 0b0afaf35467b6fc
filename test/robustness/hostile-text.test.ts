// Calendar text that tries to write lines into the agent's own mail. A room
// receives an invitation whose ORGANIZER CN carries an RFC 6868 line break
// (`^n`), or whose SUMMARY carries CR LF or U+2028; it answers with a REPLY,
// which the outbox sender sends to a real SMTP server on loopback. The REPLY's
// text part must show that text on one line, with no line of the sender's
// choosing (no "Bcc: ..."), no control characters, and the same header fields
// as the REPLY to a harmless invitation.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { processMail } from '../../src/agent/process-message.js';
import { readMail } from '../../src/mail/read-mail.js';
import { openStore } from '../../src/store/open-store.js';
import { runOutboxOnce } from '../../src/transport/outbox-sender.js';
import { imipMail } from '../cli/helpers.js';
import { startSmtpServer, type Received, type TestSmtpServer } from '../transport/smtp-test-server.js';

const NOW = Date.parse('2026-11-15T12:00:00Z');
const ROOM = 'mailto:room@example.com';

/** Characters no line of the text part may hold (the line ends themselves are split off). */
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

const base = mkdtempSync(join(tmpdir(), 'itip-hostile-text-'));
let server: TestSmtpServer;
let stores = 0;

beforeAll(async () => {
  server = await startSmtpServer();
});
afterAll(async () => {
  await server.close();
  rmSync(base, { recursive: true, force: true });
});
beforeEach(() => server.reset());

interface Invitation {
  /** The ORGANIZER line as written, parameters and all. */
  organizer?: string;
  /** The SUMMARY line as written. */
  summary?: string;
}

function invitation(uid: string, { organizer = 'ORGANIZER;CN=Eve:mailto:eve@example.com', summary = 'SUMMARY:Planning' }: Invitation): string {
  return [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'PRODID:-//hostile//EN',
    'METHOD:REQUEST',
    'BEGIN:VEVENT',
    `UID:${uid}`,
    'DTSTAMP:20261101T080000Z',
    'DTSTART:20261201T090000Z',
    'DTEND:20261201T100000Z',
    'SEQUENCE:0',
    summary,
    organizer,
    'ATTENDEE;CN=Room 1;CUTYPE=ROOM;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:room@example.com',
    'END:VEVENT',
    'END:VCALENDAR',
    '',
  ].join('\r\n');
}

/** The room answers the invitation; the REPLY it queued, as it arrives over SMTP. */
async function replyTo(uid: string, spec: Invitation): Promise<Received> {
  const store = openStore(join(base, `store-${++stores}`));
  try {
    await store.transact(ROOM, (tx) => tx.setRole('resource'));
    const raw = imipMail({ from: 'eve@example.com', to: ['room@example.com'], subject: 'Invitation', messageId: `${uid}@example.com`, ics: invitation(uid, spec) });
    const result = await processMail(store, raw, { recipients: ['room@example.com'], sender: 'eve@example.com' }, NOW);
    expect(result.users.flatMap((u) => u.entries).map((e) => e.outcome)).toEqual(['applied']);
    expect((await store.listOutbox(ROOM)).map((item) => item.method)).toEqual(['REPLY']);
    const summary = await runOutboxOnce(store, { relay: { host: '127.0.0.1', port: server.port }, localDomains: ['example.com'], now: () => NOW });
    expect(summary).toMatchObject({ sent: 1, failed: 0, retry: 0 });
    expect(server.received).toHaveLength(1);
    return server.received[0]!;
  } finally {
    await store.close();
  }
}

/** The header fields of a mail, unfolded: [name, value] in order. */
function headerFields(raw: Buffer): Array<[string, string]> {
  const text = raw.toString('latin1');
  const head = text.slice(0, text.indexOf('\r\n\r\n'));
  return head
    .replace(/\r\n(?=[ \t])/g, '')
    .split('\r\n')
    .map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 1).trim()] as [string, string]);
}

async function textLines(raw: Buffer): Promise<string[]> {
  const text = (await simpleParser(raw)).text ?? '';
  return text.split('\n');
}

describe('calendar text in a resource REPLY', () => {
  let baseline: Received;
  beforeAll(async () => {
    server.reset();
    baseline = await replyTo('harmless', {});
    expect((await textLines(baseline.raw)).some((line) => line.startsWith('Organizer:  Eve <eve@example.com>'))).toBe(true);
  });

  /** What every hostile REPLY must be: its text one line per value, its header as the harmless one's. */
  async function expectClean(mail: Received): Promise<string[]> {
    const lines = await textLines(mail.raw);
    expect(lines.filter((line) => /^\s*(bcc|cc|to|x-[a-z-]+)\s*:/i.test(line)), 'header-like lines in the text part').toEqual([]);
    expect(lines.filter((line) => CONTROL.test(line)), 'control characters in the text part').toEqual([]);

    const fields = headerFields(mail.raw);
    const expected = headerFields(baseline.raw);
    expect(fields.map(([name]) => name)).toEqual(expected.map(([name]) => name));
    const value = (list: Array<[string, string]>, name: string) => list.find(([n]) => n === name)?.[1];
    for (const name of ['From', 'To', 'Auto-Submitted', 'MIME-Version']) expect(value(fields, name), name).toBe(value(expected, name));
    expect({ from: mail.from, to: mail.to }).toEqual({ from: baseline.from, to: baseline.to });
    const subject = (await readMail(mail.raw)).facts.subject ?? '';
    expect(subject).not.toMatch(CONTROL);
    return lines;
  }

  it('shows an ORGANIZER CN with RFC 6868 ^n, ^\' and ^^ on one line, decoded', async () => {
    const mail = await replyTo('cn-caret', { organizer: `ORGANIZER;CN="Eve^nBcc: victim@x.test ^'boss^' ^^":mailto:eve@example.com` });
    const lines = await expectClean(mail);
    expect(lines).toContain('Organizer:  Eve Bcc: victim@x.test "boss" ^ <eve@example.com>');
    expect((await readMail(mail.raw)).facts.subject).toBe('Accepted: Planning');
  });

  it('shows a SUMMARY with CR LF (a raw CR before an escaped LF, RFC 5545 section 3.3.11) on one line, in the text and the Subject', async () => {
    const mail = await replyTo('summary-crlf', { summary: 'SUMMARY:Planning\r\\nBcc: victim@x.test\r\\nX-Evil: 1' });
    const lines = await expectClean(mail);
    expect(lines).toContain('Event:      Planning Bcc: victim@x.test X-Evil: 1');
    expect((await readMail(mail.raw)).facts.subject).toBe('Accepted: Planning Bcc: victim@x.test X-Evil: 1');
  });

  it('shows a SUMMARY with U+2028, U+2029, NEL and bidi overrides on one line, without them', async () => {
    const mail = await replyTo('summary-separators', { summary: 'SUMMARY:Planning\u2028Bcc: victim@x.test\u2029Cc: b@x.test\u0085To: c@x.test \u202Eevil\u202C \u2066iso\u2069' });
    const lines = await expectClean(mail);
    expect(lines).toContain('Event:      Planning Bcc: victim@x.test Cc: b@x.test To: c@x.test evil iso');
    expect((await readMail(mail.raw)).facts.subject).toBe('Accepted: Planning Bcc: victim@x.test Cc: b@x.test To: c@x.test evil iso');
  });
});

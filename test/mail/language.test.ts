// LANG: the words of the mail the agent writes itself, in English, German or
// French. A room with LANG set answers an invitation (a REPLY, and a COUNTER
// on a clash); the outbox sender composes and sends the mail to a real SMTP
// server, and the Subject and the text part are read back from what arrived.
// The calendar part is the same in every language.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { processMail } from '../../src/agent/process-message.js';
import { composeImip } from '../../src/mail/compose-imip.js';
import { languageOf, textsFor } from '../../src/mail/language.js';
import { LmdbStore } from '../../src/store/lmdb-store.js';
import { runOutboxOnce } from '../../src/transport/outbox-sender.js';
import { startSmtpServer, type TestSmtpServer } from '../transport/smtp-test-server.js';

const NOW = Date.parse('2026-11-15T12:00:00Z');
const ROOM = 'mailto:room@example.com';

function request(uid: string, start: string, end: string): Buffer {
  const ics = [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'PRODID:-//Example Corp//Language//EN',
    'METHOD:REQUEST',
    'BEGIN:VEVENT',
    `UID:${uid}`,
    'DTSTAMP:20261101T080000Z',
    `DTSTART:${start}`,
    `DTEND:${end}`,
    'SEQUENCE:0',
    'SUMMARY:Budget review',
    'ORGANIZER;CN=Bob:mailto:bob@example.com',
    'ATTENDEE;CUTYPE=ROOM;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:room@example.com',
    'END:VEVENT',
    'END:VCALENDAR',
    '',
  ].join('\r\n');
  const headers = [
    'From: Bob <bob@example.com>',
    'To: <room@example.com>',
    'Subject: Budget review',
    `Message-ID: <${uid}>`,
    'MIME-Version: 1.0',
    'Content-Type: text/calendar; charset=utf-8; method=REQUEST',
    'Content-Transfer-Encoding: 8bit',
  ];
  return Buffer.from(`${headers.join('\r\n')}\r\n\r\n${ics}`, 'utf8');
}

const EXPECTED = {
  en: {
    reply: { subject: 'Accepted: Budget review', text: ['has accepted this invitation.', 'Event:      Budget review', 'Answer:     Accepted'] },
    counter: { subject: 'New time proposed: Budget review', text: ['proposes a change to this event.', 'When:       2026-12-01 10:00 - 11:00 UTC'] },
  },
  de: {
    reply: { subject: 'Zugesagt: Budget review', text: ['hat auf diese Einladung geantwortet: zugesagt.', 'Termin:     Budget review', 'Antwort:    Zugesagt'] },
    counter: { subject: 'Neue Zeit vorgeschlagen: Budget review', text: ['schlägt eine Änderung dieses Termins vor.', 'Wann:       2026-12-01 10:00 - 11:00 UTC'] },
  },
  fr: {
    reply: { subject: 'Accepté: Budget review', text: ['a accepté cette invitation.', 'Événement:  Budget review', 'Réponse:    Accepté'] },
    counter: { subject: 'Nouvel horaire proposé: Budget review', text: ['propose une modification de cet événement.', 'Quand:      2026-12-01 10:00 - 11:00 UTC'] },
  },
} as const;

const base = mkdtempSync(join(tmpdir(), 'itip-agent-language-'));
let smtp: TestSmtpServer;
beforeAll(async () => {
  smtp = await startSmtpServer();
});
afterAll(async () => {
  await smtp.close();
  rmSync(base, { recursive: true, force: true });
});
beforeEach(() => smtp.reset());

describe('the agent writes its own mail in the user\'s LANG', () => {
  for (const [lang, expected] of Object.entries(EXPECTED)) {
    it(`${lang}: a room's REPLY and COUNTER, as the outbox sender sends them`, async () => {
      const store = new LmdbStore(join(base, lang));
      try {
        await store.transact(ROOM, (tx) => {
          tx.setRole('resource');
          tx.setPref('LANG', lang === 'en' ? 'en' : lang === 'de' ? 'de-CH' : 'fr_FR.UTF-8');
          tx.setPref('counter_offers', 'on');
        });
        await processMail(store, request(`first-${lang}@example.com`, '20261201T090000Z', '20261201T100000Z'), { recipients: [ROOM], sender: 'bob@example.com' }, NOW);
        await processMail(store, request(`clash-${lang}@example.com`, '20261201T090000Z', '20261201T100000Z'), { recipients: [ROOM], sender: 'bob@example.com' }, NOW);
        expect((await store.listOutbox(ROOM)).map((item) => item.method).sort()).toEqual(['COUNTER', 'REPLY']);
        await runOutboxOnce(store, { relay: { host: '127.0.0.1', port: smtp.port }, now: () => NOW });
        expect(smtp.received).toHaveLength(2);
        const mails = await Promise.all(smtp.received.map((m) => simpleParser(m.raw)));
        const reply = mails.find((m) => m.subject?.includes('Budget review') && (m.text ?? '').includes(expected.reply.text[0]));
        const counter = mails.find((m) => m.subject === expected.counter.subject);
        expect(reply?.subject).toBe(expected.reply.subject);
        for (const line of expected.reply.text) expect(reply!.text).toContain(line);
        expect(counter).toBeDefined();
        for (const line of expected.counter.text) expect(counter!.text).toContain(line);
        // The agent's words only: the calendar part is the iTIP message as the room wrote it.
        const calendar = smtp.received.map((m) => m.raw.toString('utf8')).find((raw) => raw.includes('method=COUNTER'))!;
        expect(calendar).toContain('METHOD:COUNTER');
        expect(textsFor(lang).subject.counter).toBe(expected.counter.subject.split(':')[0]);
      } finally {
        await store.close();
      }
    });
  }

  it('reads LANG values by their language (de-CH, fr_FR.UTF-8) and knows no others', () => {
    expect(languageOf('de-CH')).toBe('de');
    expect(languageOf('fr_FR.UTF-8')).toBe('fr');
    expect(languageOf('EN')).toBe('en');
    expect(languageOf('es')).toBeUndefined();
    expect(languageOf(undefined)).toBeUndefined();
  });

  it('composes a free/busy answer and an all-day invitation in German', async () => {
    const ics = [
      'BEGIN:VCALENDAR',
      'VERSION:2.0',
      'PRODID:-//x//EN',
      'METHOD:REQUEST',
      'BEGIN:VEVENT',
      'UID:day@example.com',
      'DTSTAMP:20261101T080000Z',
      'DTSTART;VALUE=DATE:20261201',
      'DTEND;VALUE=DATE:20261203',
      'SUMMARY:Klausur',
      'ORGANIZER:mailto:bob@example.com',
      'ATTENDEE;PARTSTAT=NEEDS-ACTION:mailto:alice@example.com',
      'END:VEVENT',
      'END:VCALENDAR',
      '',
    ].join('\r\n');
    const mail = await composeImip({ from: 'bob@example.com', to: ['alice@example.com'], ics, lang: 'de', messageId: 'day@example.com', date: new Date(NOW) });
    const parsed = await simpleParser(mail.raw);
    expect(parsed.subject).toBe('Einladung: Klausur');
    expect(parsed.text).toContain('lädt Sie zu diesem Termin ein.');
    expect(parsed.text).toContain('Wann:       2026-12-01 bis 2026-12-02 (ganztägig)');
    expect(parsed.text).toContain('Teilnehmer:');
    expect(parsed.text).toContain('(noch nicht beantwortet)');
  });
});

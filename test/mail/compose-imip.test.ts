// Outgoing iMIP mail (RFC 6047), read back with the agent's own mail reader:
// the method parameter equals METHOD, one calendar part, readable subject and
// text, CRLF and RFC 5545 folding, no SCHEDULE-STATUS (RFC 6638 section 7.3).

import { describe, expect, it } from 'vitest';
import { composeImip, foldIcs, subjectFor } from '../../src/mail/compose-imip.js';
import { readMail } from '../../src/mail/read-mail.js';

const CRLF = '\r\n';

const BERLIN = [
  'BEGIN:VTIMEZONE',
  'TZID:Europe/Berlin',
  'BEGIN:STANDARD',
  'DTSTART:19701025T030000',
  'RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU',
  'TZOFFSETFROM:+0200',
  'TZOFFSETTO:+0100',
  'END:STANDARD',
  'BEGIN:DAYLIGHT',
  'DTSTART:19700329T020000',
  'RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU',
  'TZOFFSETFROM:+0100',
  'TZOFFSETTO:+0200',
  'END:DAYLIGHT',
  'END:VTIMEZONE',
];

function calendar(method: string, event: string[], extra: string[] = []): string {
  return ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//itip-agent//EN', `METHOD:${method}`, ...extra, 'BEGIN:VEVENT', ...event, 'END:VEVENT', 'END:VCALENDAR', ''].join(CRLF);
}

const EVENT = [
  'UID:planning@example.com',
  'DTSTAMP:20261115T120000Z',
  'DTSTART;TZID=Europe/Berlin:20261201T100000',
  'DTEND;TZID=Europe/Berlin:20261201T110000',
  'SEQUENCE:0',
  'SUMMARY:Planning',
  'LOCATION:Room 1',
  'ORGANIZER;CN=Alice Example:mailto:alice@example.com',
  'ATTENDEE;CN=Alice Example;PARTSTAT=ACCEPTED:mailto:alice@example.com',
  'ATTENDEE;CN=Bob;PARTSTAT=NEEDS-ACTION;RSVP=TRUE;SCHEDULE-STATUS=1.2:mailto:bob@example.com',
];

async function compose(method: string, event: string[], from = 'mailto:alice@example.com', to = ['mailto:bob@example.com']) {
  const ics = calendar(method, event, BERLIN);
  const mail = await composeImip({ from, to, ics, messageId: 'itip-1@example.com', date: new Date('2026-11-15T12:00:00Z') });
  return { mail, parsed: await readMail(mail.raw), text: mail.raw.toString('utf8') };
}

/** The decoded text/plain part. */
async function plainText(raw: Buffer): Promise<string> {
  const { simpleParser } = await import('mailparser');
  return (await simpleParser(raw)).text ?? '';
}

describe('composeImip', () => {
  it('puts one text/calendar part whose method equals METHOD next to a text part, with From (CN), To, Subject, Date and Message-ID', async () => {
    const { mail, parsed, text } = await compose('REQUEST', EVENT);
    expect(mail.method).toBe('REQUEST');
    expect(parsed.warnings).toEqual([]);
    expect(parsed.calendars).toHaveLength(1);
    expect(parsed.calendars[0]).toMatchObject({ contentType: 'text/calendar', methodParam: 'REQUEST' });
    expect(parsed.calendars[0].text).toMatch(/^METHOD:REQUEST\r$/m);
    expect(parsed.facts).toMatchObject({
      messageId: 'itip-1@example.com',
      from: 'mailto:alice@example.com',
      to: ['mailto:bob@example.com'],
      subject: 'Invitation: Planning',
      date: '2026-11-15T12:00:00Z',
    });
    expect(text).toMatch(/^From: Alice Example <alice@example\.com>\r$/m);
    expect(text).toMatch(/^Content-Type: multipart\/alternative;/m);
    expect(text).toMatch(/^Content-Type: text\/plain; charset=utf-8\r$/m);
    expect(text).toMatch(/^Content-Type: text\/calendar; charset=utf-8; method=REQUEST\r$/m);
    // No second copy as an attachment (invite.ics).
    expect(text.match(/^Content-Type: (text\/calendar|application\/ics)/gm)).toHaveLength(1);
    expect(text).not.toMatch(/invite\.ics/);
    expect(mail.envelope).toEqual({ from: 'alice@example.com', to: ['bob@example.com'] });
  });

  it('writes CRLF line ends only, and the calendar folded at 75 octets without splitting characters', async () => {
    const long = `SUMMARY:${'Besprechung über Öl und Wärme '.repeat(8).trim()}`;
    const { mail, parsed } = await compose('REQUEST', EVENT.map((line) => (line.startsWith('SUMMARY') ? long : line)));
    expect(mail.raw.toString('latin1')).not.toMatch(/[^\r]\n/);
    const calendarText = parsed.calendars[0].text;
    for (const line of calendarText.split(CRLF)) expect(Buffer.byteLength(line, 'utf8')).toBeLessThanOrEqual(75);
    expect(calendarText.replace(/\r\n /g, '')).toContain(long.replace(/,/g, '\\,'));
    expect(calendarText).not.toContain('\uFFFD');
  });

  it('takes SCHEDULE-STATUS out of the message (RFC 6638 section 7.3)', async () => {
    const { parsed, text } = await compose('REQUEST', EVENT);
    expect(text).not.toMatch(/SCHEDULE-STATUS/i);
    expect(parsed.calendars[0].text.replace(/\r\n /g, '')).toMatch(/ATTENDEE;[^\r\n]*RSVP=TRUE[^\r\n]*:mailto:bob@example\.com/);
  });

  it('has a readable text part: the event, the time in UTC and in its zone, the place, the organizer', async () => {
    const { mail } = await compose('REQUEST', EVENT);
    const body = await plainText(mail.raw);
    expect(body).toContain('Alice Example (alice@example.com) invites you to this event.');
    expect(body).toContain('Planning');
    expect(body).toContain('2026-12-01 09:00 - 10:00 UTC (2026-12-01 10:00 - 11:00 Europe/Berlin)');
    expect(body).toContain('Room 1');
    expect(body).toContain('Organizer:  Alice Example <alice@example.com>');
    expect(body).toContain('Bob <bob@example.com> (not answered yet)');
  });

  it('names the answer of a REPLY in subject and text', async () => {
    const reply = (partstat: string) => [
      'UID:planning@example.com',
      'DTSTAMP:20261115T120000Z',
      'DTSTART:20261201T090000Z',
      'DTEND:20261201T100000Z',
      'SUMMARY:Planning',
      'ORGANIZER;CN=Alice Example:mailto:alice@example.com',
      `ATTENDEE;CN=Bob;PARTSTAT=${partstat}:mailto:bob@example.com`,
    ];
    for (const [partstat, subject, sentence] of [
      ['ACCEPTED', 'Accepted: Planning', 'has accepted this invitation'],
      ['DECLINED', 'Declined: Planning', 'has declined this invitation'],
      ['TENTATIVE', 'Tentative: Planning', 'has tentatively accepted this invitation'],
    ]) {
      const { mail, parsed, text } = await compose('REPLY', reply(partstat), 'mailto:bob@example.com', ['mailto:alice@example.com']);
      expect(parsed.facts.subject).toBe(subject);
      expect(parsed.calendars[0].methodParam).toBe('REPLY');
      expect(text).toMatch(/^From: Bob <bob@example\.com>\r$/m);
      const body = await plainText(mail.raw);
      expect(body).toContain(sentence);
      expect(body).toContain(`Answer:     ${subject.split(':')[0]}`);
      expect(body).toContain('2026-12-01 09:00 - 10:00 UTC');
    }
  });

  it('gives each method a readable subject', () => {
    expect(subjectFor('REQUEST', 'Planning')).toBe('Invitation: Planning');
    expect(subjectFor('REQUEST', 'Planning', { sequence: 2 })).toBe('Updated: Planning');
    expect(subjectFor('CANCEL', 'Planning')).toBe('Cancelled: Planning');
    expect(subjectFor('REPLY', 'Planning', { partstat: 'DECLINED' })).toBe('Declined: Planning');
    expect(subjectFor('ADD', 'Planning')).toBe('Updated: Planning');
    expect(subjectFor('COUNTER', 'Planning')).toBe('New time proposed: Planning');
  });

  it('uses the From name given over the CN, and the UID when there is no SUMMARY (REFRESH)', async () => {
    const ics = calendar('REFRESH', ['UID:planning@example.com', 'DTSTAMP:20261115T120000Z', 'ORGANIZER:mailto:alice@example.com', 'ATTENDEE:mailto:bob@example.com']);
    const mail = await composeImip({ from: 'bob@example.com', fromName: 'Bob Builder', to: ['alice@example.com'], ics });
    const parsed = await readMail(mail.raw);
    expect(parsed.facts.subject).toBe('Please send the current version: planning@example.com');
    expect(parsed.calendars[0].methodParam).toBe('REFRESH');
    expect(mail.raw.toString('utf8')).toMatch(/^From: Bob Builder <bob@example\.com>\r$/m);
    expect(parsed.facts.messageId).toMatch(/@example\.com$/);
  });

  it('describes a free/busy REPLY by its range and busy times, and a REQUEST by what it asks', async () => {
    const freeBusy = (method: string, lines: string[]) =>
      ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//itip-agent//EN', `METHOD:${method}`, 'BEGIN:VFREEBUSY', 'UID:fb-1@example.org', 'DTSTAMP:20261115T120000Z',
        'ORGANIZER;CN=Alice Example:mailto:alice@example.com', 'ATTENDEE;CN=Bob:mailto:bob@example.com', 'DTSTART:20261201T000000Z', 'DTEND:20261202T000000Z',
        ...lines, 'END:VFREEBUSY', 'END:VCALENDAR', ''].join(CRLF);
    const reply = await composeImip({
      from: 'mailto:bob@example.com',
      to: ['mailto:alice@example.com'],
      ics: freeBusy('REPLY', ['FREEBUSY;FBTYPE=BUSY:20261201T090000Z/20261201T101500Z', 'FREEBUSY;FBTYPE=BUSY-TENTATIVE:20261201T140000Z/PT30M']),
      messageId: 'fb-reply@example.com',
    });
    expect(reply.subject).toBe('Free/busy: Bob');
    expect(reply.method).toBe('REPLY');
    const body = await plainText(reply.raw);
    expect(body).toContain('Bob (bob@example.com) sends busy times from 2026-12-01 00:00 UTC to 2026-12-02 00:00 UTC.');
    expect(body).toContain('Busy:\n  2026-12-01 09:00 UTC to 2026-12-01 10:15 UTC (busy)\n  2026-12-01 14:00 UTC to 2026-12-01 14:30 UTC (tentative)');
    expect((await readMail(reply.raw)).calendars.map((c) => c.methodParam)).toEqual(['REPLY']);

    const empty = await plainText((await composeImip({ from: 'mailto:bob@example.com', to: ['mailto:alice@example.com'], ics: freeBusy('REPLY', []) })).raw);
    expect(empty).toContain('No busy time in that range.');
    const request = await composeImip({ from: 'mailto:alice@example.com', to: ['mailto:bob@example.com'], ics: freeBusy('REQUEST', []) });
    expect(request.subject).toBe('Free/busy: Alice Example');
    expect(await plainText(request.raw)).toContain('Alice Example (alice@example.com) asks for your busy times from 2026-12-01 00:00 UTC to 2026-12-02 00:00 UTC.');
  });

  it('shows an all-day event as dates', async () => {
    const { mail } = await compose('CANCEL', [
      'UID:offsite@example.com',
      'DTSTAMP:20261115T120000Z',
      'DTSTART;VALUE=DATE:20261215',
      'DTEND;VALUE=DATE:20261217',
      'SUMMARY:Offsite',
      'ORGANIZER:mailto:alice@example.com',
      'ATTENDEE:mailto:bob@example.com',
    ]);
    const body = await plainText(mail.raw);
    expect(body).toContain('2026-12-15 to 2026-12-16 (all day)');
    expect(body).toContain('has cancelled this event');
  });

  it('keeps every value from the calendar on one line in the header and the text part (RFC 6868 ^n, CR LF, U+2028, bidi controls)', async () => {
    const hostile = [
      'UID:planning@example.com',
      'DTSTAMP:20261115T120000Z',
      'DTSTART;TZID="Mars^nX-Evil: 1":20261201T100000',
      'DTEND;TZID="Mars^nX-Evil: 1":20261201T110000',
      'SUMMARY:Planning\\nBcc: s@x.test\u2028Cc: t@x.test',
      'LOCATION:Room \u202Eevil\u202C\r\\nTo: u@x.test',
      'ORGANIZER;CN="Alice^nBcc: a@x.test":mailto:alice@example.com',
      'ATTENDEE;CN="Bob^nCc: b@x.test";PARTSTAT="X-MAYBE^nTo: c@x.test":mailto:bob@example.com',
    ];
    const { mail, text } = await compose('REQUEST', hostile);
    const { text: plain } = await compose('REQUEST', EVENT);
    const names = (raw: string) => raw.slice(0, raw.indexOf('\r\n\r\n')).split('\r\n').filter((l) => /^\S/.test(l)).map((l) => l.split(':')[0]);
    // The same header fields as for a harmless event: nothing added, nothing split off.
    expect(names(text)).toEqual(names(plain));
    expect(text).toMatch(/^From: "?Alice Bcc: a@x\.test"? <alice@example\.com>\r$/m);
    expect(mail.subject).toBe('Invitation: Planning Bcc: s@x.test Cc: t@x.test');

    const lines = (await plainText(mail.raw)).split('\n');
    expect(lines.filter((line) => /^\s*[a-z-]+:\s*[a-z0-9.]+@x\.test/i.test(line) || /^X-Evil/i.test(line))).toEqual([]);
    expect(lines.filter((line) => /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/.test(line))).toEqual([]);
    expect(lines).toContain('Alice Bcc: a@x.test (alice@example.com) invites you to this event.');
    expect(lines).toContain('Event:      Planning Bcc: s@x.test Cc: t@x.test');
    expect(lines).toContain('When:       2026-12-01 10:00 - 11:00 Mars X-Evil: 1');
    expect(lines).toContain('Where:      Room evil To: u@x.test');
    expect(lines).toContain('Organizer:  Alice Bcc: a@x.test <alice@example.com>');
    expect(lines).toContain('  Bob Cc: b@x.test <bob@example.com> (x-maybe to: c@x.test)');

    // A From name given by the caller (a user's CN preference) is made one line too.
    const named = await composeImip({ from: 'alice@example.com', fromName: 'Alice\r\nBcc: z@x.test', to: ['bob@example.com'], ics: calendar('REQUEST', EVENT) });
    expect(names(named.raw.toString('utf8'))).toEqual(names(plain));
    expect(named.raw.toString('utf8')).toMatch(/^From: "?Alice Bcc: z@x\.test"? <alice@example\.com>\r$/m);
  });

  it('keeps an FBTYPE from the calendar on one line in a free/busy text part', async () => {
    const ics = ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//itip-agent//EN', 'METHOD:REPLY', 'BEGIN:VFREEBUSY', 'UID:fb-1@example.org', 'DTSTAMP:20261115T120000Z',
      'ORGANIZER:mailto:alice@example.com', 'ATTENDEE;CN=Bob:mailto:bob@example.com', 'DTSTART:20261201T000000Z', 'DTEND:20261202T000000Z',
      'FREEBUSY;FBTYPE="X-ODD^nBcc: f@x.test":20261201T090000Z/PT1H', 'END:VFREEBUSY', 'END:VCALENDAR', ''].join(CRLF);
    const mail = await composeImip({ from: 'mailto:bob@example.com', to: ['mailto:alice@example.com'], ics });
    const lines = (await plainText(mail.raw)).split('\n');
    expect(lines).toContain('  2026-12-01 09:00 UTC to 2026-12-01 10:00 UTC (x-odd bcc: f@x.test)');
    expect(lines.filter((line) => /^bcc:/i.test(line))).toEqual([]);
  });

  it('refuses a METHOD that is not a name: it would go into the Content-Type header as written', async () => {
    const ics = calendar('REQUEST', EVENT).replace('METHOD:REQUEST', 'METHOD:REQUEST\u2028X');
    await expect(composeImip({ from: 'alice@example.com', to: ['bob@example.com'], ics })).rejects.toThrow(/not a method name/);
  });

  it('refuses a calendar without METHOD: the Content-Type method could not match it', async () => {
    const ics = calendar('REQUEST', EVENT).replace(/METHOD:REQUEST\r\n/, '');
    await expect(composeImip({ from: 'alice@example.com', to: ['bob@example.com'], ics })).rejects.toThrow(/METHOD/);
  });
});

describe('foldIcs', () => {
  it('unfolds and folds again at 75 octets with CRLF, whatever the input used', () => {
    const line = `DESCRIPTION:${'äöü'.repeat(40)}`;
    const folded = foldIcs(`BEGIN:VCALENDAR\n${line}\nEND:VCALENDAR\n`);
    expect(folded.endsWith(CRLF)).toBe(true);
    const lines = folded.split(CRLF).slice(0, -1);
    for (const l of lines) expect(Buffer.byteLength(l)).toBeLessThanOrEqual(75);
    expect(folded.replace(/\r\n /g, '')).toBe(`BEGIN:VCALENDAR${CRLF}${line}${CRLF}END:VCALENDAR${CRLF}`);
    expect(foldIcs(folded)).toBe(folded);
  });
});

// Real-client mail shapes (test/fixtures/mail/README.md) read with readMail: one
// calendar per message once the duplicate copies are collapsed, the iMIP method
// parameter equal to the body's METHOD (RFC 6047 section 2.4), and valid iCalendar.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ICAL from 'ical.js';
import { describe, expect, it } from 'vitest';
import { readMail } from '../../src/mail/read-mail.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/mail/', import.meta.url));

interface Fixture {
  file: string;
  method: string;
  contentType: string;
  filename?: string;
  uid: string;
  from: string;
  to: string[];
  messageId: string;
  date: string;
  /** Text the decoded calendar must contain (non-ASCII, client properties). */
  contains: string[];
  /** RECURRENCE-ID of the VEVENT, as written, when the message is about one instance. */
  recurrenceId?: string;
}

const OUTLOOK_UID =
  '040000008200E00074C5B7101A82E00800000000D0A3C8F1B1E8DC01000000000000000010000000C1A7B4D7E2F30E4B9A8F3C2D1E0F9A8B';
const GOOGLE_UID = '4k1q6n5hb0c3v8t7m2pq0s9r1a@google.com';
const THUNDERBIRD_UID = 'b7c3f2d4-6a1e-4c8b-9f0d-2e5a7c1b3d9f';

const fixtures: Fixture[] = [
  {
    file: 'outlook-request.eml',
    method: 'REQUEST',
    contentType: 'text/calendar',
    uid: OUTLOOK_UID,
    from: 'mailto:boss@example.com',
    to: ['mailto:alice@example.com'],
    messageId: 'AM0PR07MB51230B1E9C0D2F3A4B5C6D7E8F9A0B1C@AM0PR07MB5123.eurprd07.prod.outlook.com',
    date: '2026-10-01T08:12:45Z',
    contains: ['TZID:W. Europe Standard Time', 'X-MICROSOFT-CDO-INSTTYPE:1', 'Zahlen für Oktober'],
  },
  {
    file: 'outlook-reply.eml',
    method: 'REPLY',
    contentType: 'text/calendar',
    uid: OUTLOOK_UID,
    from: 'mailto:alice@example.com',
    to: ['mailto:boss@example.com'],
    messageId: 'DB9PR07MB7A1C2E3F4A5B6C7D8E9F0A1B2C3D4@DB9PR07MB7A1C.eurprd07.prod.outlook.com',
    date: '2026-10-01T09:30:12Z',
    contains: ['ATTENDEE;PARTSTAT=ACCEPTED;CN=Alice:mailto:alice@example.com'],
  },
  {
    file: 'outlook-request-windows-tzid.eml',
    method: 'REQUEST',
    contentType: 'text/calendar',
    uid: '040000008200E00074C5B7101A82E008000000003096D1E2F25EDD01000000000000000010000000F4E3D2C1B0A99887766554433221100F',
    from: 'mailto:boss@example.com',
    to: ['mailto:alice@example.com'],
    messageId: '000001dd5e3a$8f1b2c40$ad5184c0$@example.com',
    date: '2026-11-17T01:05:33Z',
    contains: ['DTSTART;TZID="Pacific Standard Time":20261203T090000'],
  },
  {
    file: 'google-request.eml',
    method: 'REQUEST',
    contentType: 'text/calendar',
    uid: GOOGLE_UID,
    from: 'mailto:organizer@gmail.com',
    to: ['mailto:alice@example.com'],
    messageId: 'calendar-8d2f0c4e-6b1a-4f3e-9a27-5c8e1d0b7f64@google.com',
    date: '2026-10-15T14:00:26Z',
    contains: ['RRULE:FREQ=WEEKLY;BYDAY=TU', 'TZID:America/New_York'],
  },
  {
    file: 'google-cancel-instance.eml',
    method: 'CANCEL',
    contentType: 'text/calendar',
    uid: GOOGLE_UID,
    from: 'mailto:organizer@gmail.com',
    to: ['mailto:alice@example.com'],
    messageId: 'calendar-1f7b3a9d-2c4e-4d8a-b6f1-0e9c5a3d7b21@google.com',
    date: '2026-11-02T16:20:11Z',
    contains: ['STATUS:CANCELLED', 'SEQUENCE:1'],
    recurrenceId: '2026-11-10T15:00:00Z',
  },
  {
    file: 'google-reply.eml',
    method: 'REPLY',
    contentType: 'text/calendar',
    uid: THUNDERBIRD_UID,
    from: 'mailto:someone@gmail.com',
    to: ['mailto:alice@example.com'],
    messageId: 'calendar-3b8e2d51-7f0a-4c96-a1d4-92e6f5c0b8a3@google.com',
    date: '2026-11-06T08:45:03Z',
    contains: ['PARTSTAT=DECLINED', 'Raum Südflügel 2'],
    recurrenceId: '2026-11-11T13:00:00Z',
  },
  {
    file: 'apple-request.eml',
    method: 'REQUEST',
    contentType: 'text/calendar',
    filename: 'iCal-20261102-101500.ics',
    uid: '5F2C8A91-3D4B-4E7A-9C1F-0B6D2E8A4F73',
    from: 'mailto:carol@example.org',
    to: ['mailto:alice@example.com'],
    messageId: 'E4B7A2C9-1F3D-4C6E-8A5B-9D0F2E7C1B36@example.org',
    date: '2026-11-02T09:15:00Z',
    contains: ['LOCATION:Café de Flore', 'X-APPLE-STRUCTURED-LOCATION', 'BEGIN:VALARM', 'TZID:Europe/Paris'],
  },
  {
    file: 'apple-request-allday.eml',
    method: 'REQUEST',
    contentType: 'text/calendar',
    filename: 'iCal-20261103-090500.ics',
    uid: 'A93D5E17-6B2C-4F08-8D4E-71C5B9A2E3F0',
    from: 'mailto:carol@example.org',
    to: ['mailto:alice@example.com'],
    messageId: '3C7F9B1E-5A2D-4E8C-B4F6-0D9A1E2C7B58@example.org',
    date: '2026-11-03T08:05:00Z',
    contains: ['DTSTART;VALUE=DATE:20261215', 'LOCATION:Château de Vincennes'],
  },
  {
    file: 'thunderbird-request.eml',
    method: 'REQUEST',
    contentType: 'text/calendar',
    uid: THUNDERBIRD_UID,
    from: 'mailto:alice@example.com',
    to: ['mailto:someone@gmail.com', 'mailto:bob@example.org'],
    messageId: 'c2a6e0f4-81b3-4d57-a9e2-3f60b8d41c75@example.com',
    date: '2026-10-05T09:18:12Z',
    contains: ['TZID:Europe/Berlin', 'LOCATION:Raum Südflügel 2', 'X-MOZ-SEND-INVITATIONS:TRUE'],
  },
  {
    file: 'thunderbird-cancel.eml',
    method: 'CANCEL',
    contentType: 'text/calendar',
    uid: THUNDERBIRD_UID,
    from: 'mailto:alice@example.com',
    to: ['mailto:someone@gmail.com', 'mailto:bob@example.org'],
    messageId: '5e9d1b7a-0c3f-4a62-8e4b-d71a2c96f038@example.com',
    date: '2026-11-16T09:02:40Z',
    contains: ['STATUS:CANCELLED', 'SEQUENCE:1'],
  },
];

describe('client fixtures', () => {
  it.each(fixtures)('$file', async (fixture) => {
    const mail = await readMail(readFileSync(FIXTURES + fixture.file));

    expect(mail.warnings).toEqual([]);
    expect(mail.facts).toMatchObject({
      messageId: fixture.messageId,
      from: fixture.from,
      to: fixture.to,
      date: fixture.date,
    });
    expect(mail.facts.authenticationResults).toHaveLength(1);

    // Outlook, Google and Thunderbird send the calendar twice; one must remain.
    expect(mail.calendars).toHaveLength(1);
    const [part] = mail.calendars;
    expect(part.methodParam).toBe(fixture.method);
    expect(part.contentType).toBe(fixture.contentType);
    expect(part.filename).toBe(fixture.filename);
    for (const piece of fixture.contains) expect(part.text.replace(/\r?\n[ \t]/g, '')).toContain(piece);

    const calendar = new ICAL.Component(ICAL.parse(part.text));
    expect(calendar.name).toBe('vcalendar');
    expect(calendar.getFirstPropertyValue('method')).toBe(fixture.method);
    const events = calendar.getAllSubcomponents('vevent');
    expect(events).toHaveLength(1);
    expect(events[0].getFirstPropertyValue('uid')).toBe(fixture.uid);
    const recurrenceId = events[0].getFirstPropertyValue('recurrence-id') as ICAL.Time | null;
    expect(recurrenceId ? recurrenceId.toJSDate().toISOString().replace('.000Z', 'Z') : undefined).toBe(
      fixture.recurrenceId,
    );
  });

  it('the Exchange REPLY carries no ORGANIZER', async () => {
    const mail = await readMail(readFileSync(FIXTURES + 'outlook-reply.eml'));
    const event = new ICAL.Component(ICAL.parse(mail.calendars[0].text)).getFirstSubcomponent('vevent');
    expect(event?.getFirstProperty('organizer')).toBeNull();
  });

  it('the Windows-zone request has no VTIMEZONE', async () => {
    const mail = await readMail(readFileSync(FIXTURES + 'outlook-request-windows-tzid.eml'));
    const calendar = new ICAL.Component(ICAL.parse(mail.calendars[0].text));
    expect(calendar.getAllSubcomponents('vtimezone')).toEqual([]);
  });
});

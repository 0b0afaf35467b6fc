// readMail over messages built in many MIME shapes: where the calendar parts are, how
// they are encoded, which copies are the same calendar, and what must not be read.

import MailComposer from 'nodemailer/lib/mail-composer/index.js';
import { describe, expect, it } from 'vitest';
import { canonicalCalendarText, readMail } from '../../src/mail/read-mail.js';
import { HEAD, SUMMARY, base64, calendar, message, mixed, type Case } from './mail-builders.js';

const cases: Case[] = [
  {
    name: 'inline text/calendar in multipart/alternative, 7bit, lower-case method',
    raw: () =>
      message(
        HEAD,
        'Content-Type: multipart/alternative; boundary="alt"',
        '',
        '--alt',
        'Content-Type: text/plain; charset=utf-8',
        '',
        'You are invited.',
        '--alt',
        'Content-Type: text/calendar; charset="utf-8"; method=request',
        'Content-Transfer-Encoding: 7bit',
        '',
        calendar('Weekly sync'),
        '--alt--',
      ),
    parts: [{ contentType: 'text/calendar', methodParam: 'REQUEST', contains: ['SUMMARY:Weekly sync'] }],
  },
  {
    name: 'upper-case parameter name METHOD and quoted value',
    raw: () =>
      message(HEAD, 'Content-Type: text/calendar; METHOD="Reply"; Charset=UTF-8', '', calendar('Re', 'REPLY')),
    parts: [{ contentType: 'text/calendar', methodParam: 'REPLY' }],
  },
  {
    name: 'a whole message that is one text/calendar body',
    raw: () => message(HEAD, 'Content-Type: text/calendar; method=CANCEL', '', calendar('Gone', 'CANCEL')),
    parts: [{ contentType: 'text/calendar', methodParam: 'CANCEL', contains: ['METHOD:CANCEL'] }],
  },
  {
    name: 'application/ics attachment only, base64, no method parameter',
    raw: () =>
      mixed(
        [
          'Content-Type: text/plain',
          '',
          'See attached.',
        ],
        [
          'Content-Type: application/ics; name="invite.ics"',
          'Content-Disposition: attachment; filename="invite.ics"',
          'Content-Transfer-Encoding: base64',
          '',
          base64(calendar('Attached only')),
        ],
      ),
    parts: [{ contentType: 'application/ics', filename: 'invite.ics', contains: ['SUMMARY:Attached only'] }],
  },
  {
    name: 'application/octet-stream named *.ics',
    raw: () =>
      mixed(
        [
          'Content-Type: application/octet-stream; name=meeting.ics',
          'Content-Disposition: attachment; filename=meeting.ics',
          'Content-Transfer-Encoding: base64',
          '',
          base64(calendar('Generic type')),
        ],
      ),
    parts: [{ contentType: 'application/octet-stream', filename: 'meeting.ics', contains: ['SUMMARY:Generic type'] }],
  },
  {
    name: 'no Content-Type, an attachment named invite.ics: the name gives the type',
    raw: () =>
      mixed(
        [
          'Content-Disposition: attachment; filename=invite.ics',
          'Content-Transfer-Encoding: base64',
          '',
          base64(calendar('Named only')),
        ],
      ),
    parts: [{ contentType: 'text/calendar', filename: 'invite.ics', contains: ['SUMMARY:Named only'] }],
  },
  {
    name: 'parameters in RFC 2231 continuations and encoded form',
    raw: () =>
      mixed(
        [
          "Content-Type: text/calendar; charset*=utf-8''utf-8; method*0=REQ; method*1=UEST;",
          " name*=utf-8''Besprechung%20%C3%BCber%20%C3%96l.ics",
          'Content-Transfer-Encoding: base64',
          '',
          base64(calendar(SUMMARY)),
        ],
      ),
    parts: [{ contentType: 'text/calendar', methodParam: 'REQUEST', filename: 'Besprechung über Öl.ics', contains: [`SUMMARY:${SUMMARY}`] }],
  },
  {
    name: 'a calendar as the inline text/plain body is text; as a text/plain attachment it is read',
    raw: () =>
      mixed(
        [
          'Content-Type: text/plain; charset=utf-8',
          '',
          calendar('Pasted into the body'),
        ],
        [
          'Content-Type: text/plain; charset=utf-8',
          'Content-Disposition: attachment; filename=event.txt',
          '',
          calendar('Attached as text'),
        ],
      ),
    parts: [{ contentType: 'text/plain', filename: 'event.txt', contains: ['SUMMARY:Attached as text'] }],
  },
  {
    name: 'application/octet-stream that is not a calendar is ignored',
    raw: () =>
      mixed(
        [
          'Content-Type: text/plain',
          '',
          'Report attached.',
        ],
        [
          'Content-Type: application/octet-stream; name=report.bin',
          'Content-Disposition: attachment; filename=report.bin',
          'Content-Transfer-Encoding: base64',
          '',
          base64(Buffer.from([0, 1, 2, 3, 255, 254, 10, 13])),
        ],
        [
          'Content-Type: application/pdf; name=agenda.pdf',
          'Content-Transfer-Encoding: base64',
          '',
          base64('%PDF-1.4 not really'),
        ],
      ),
    parts: [],
  },
  {
    name: 'deeply nested: mixed > related > alternative > text/calendar',
    raw: () =>
      message(
        HEAD,
        'Content-Type: multipart/mixed; boundary=a',
        '',
        '--a',
        'Content-Type: multipart/related; boundary=b',
        '',
        '--b',
        'Content-Type: multipart/alternative; boundary=c',
        '',
        '--c',
        'Content-Type: text/plain',
        '',
        'Hi',
        '--c',
        'Content-Type: text/html',
        '',
        '<p>Hi</p>',
        '--c',
        'Content-Type: text/calendar; method=REQUEST; charset=UTF-8',
        'Content-Transfer-Encoding: base64',
        '',
        base64(calendar('Nested')),
        '--c--',
        '--b',
        'Content-Type: image/png',
        'Content-ID: <logo@example.com>',
        'Content-Transfer-Encoding: base64',
        '',
        'iVBORw0KGgo=',
        '--b--',
        '--a--',
      ),
    parts: [{ contentType: 'text/calendar', methodParam: 'REQUEST', contains: ['SUMMARY:Nested'] }],
  },
  {
    name: 'iso-8859-1, base64',
    raw: () =>
      message(
        HEAD,
        'Content-Type: text/calendar; charset=iso-8859-1; method=REQUEST',
        'Content-Transfer-Encoding: base64',
        '',
        base64(Buffer.from(calendar(SUMMARY), 'latin1')),
      ),
    parts: [{ contentType: 'text/calendar', methodParam: 'REQUEST', contains: [`SUMMARY:${SUMMARY}`] }],
  },
  {
    name: 'iso-8859-1, 8bit',
    raw: () =>
      message(
        HEAD,
        'Content-Type: text/calendar; charset=ISO-8859-1; method=REQUEST',
        'Content-Transfer-Encoding: 8bit',
        '',
        Buffer.from(calendar(SUMMARY), 'latin1'),
      ),
    parts: [{ contentType: 'text/calendar', methodParam: 'REQUEST', contains: [`SUMMARY:${SUMMARY}`] }],
  },
  {
    name: 'utf-8, base64',
    raw: () =>
      message(
        HEAD,
        'Content-Type: text/calendar; charset=utf-8; method=REQUEST',
        'Content-Transfer-Encoding: base64',
        '',
        base64(calendar(SUMMARY)),
      ),
    parts: [{ contentType: 'text/calendar', methodParam: 'REQUEST', contains: [`SUMMARY:${SUMMARY}`] }],
  },
  {
    name: 'utf-8, quoted-printable with soft line breaks',
    raw: () =>
      message(
        HEAD,
        'Content-Type: text/calendar; charset=UTF-8; method=REQUEST',
        'Content-Transfer-Encoding: quoted-printable',
        '',
        // Real encoders write '=' as =3D (RFC 2045 section 6.7) and break long lines with '='.
        calendar('@@')
          .replace(/=/g, '=3D')
          .replace('@@', 'Besprechung =C3=BCber =C3=96l und eine sehr lange Beschreibung, die weit =\r\n=C3=BCber das Zeilenende hinaus geht'),
      ),
    parts: [
      {
        contentType: 'text/calendar',
        methodParam: 'REQUEST',
        contains: ['SUMMARY:Besprechung über Öl und eine sehr lange Beschreibung, die weit über das Zeilenende hinaus geht'],
      },
    ],
  },
  {
    name: 'windows-1252, 8bit (euro sign is 0x80)',
    raw: () =>
      message(
        HEAD,
        'Content-Type: text/calendar; charset=windows-1252; method=REQUEST',
        '',
        Buffer.from(calendar('Budget 100 \u0000').replace('\u0000', '\u0080'), 'latin1'),
      ),
    parts: [{ contentType: 'text/calendar', methodParam: 'REQUEST', contains: ['SUMMARY:Budget 100 €'] }],
  },
  {
    name: 'koi8-r, 8bit',
    raw: () =>
      message(
        HEAD,
        'Content-Type: text/calendar; charset=koi8-r; method=REQUEST',
        '',
        // "Встреча" in KOI8-R
        Buffer.from(calendar('@@').replace('@@', '\u00f7\u00d3\u00d4\u00d2\u00c5\u00de\u00c1'), 'latin1'),
      ),
    parts: [{ contentType: 'text/calendar', methodParam: 'REQUEST', contains: ['SUMMARY:Встреча'] }],
  },
  {
    name: 'utf-16 little-endian with byte order mark, base64',
    raw: () =>
      message(
        HEAD,
        'Content-Type: text/calendar; charset=utf-16; method=REQUEST',
        'Content-Transfer-Encoding: base64',
        '',
        base64(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(calendar(SUMMARY), 'utf16le')])),
      ),
    parts: [{ contentType: 'text/calendar', methodParam: 'REQUEST', contains: [`SUMMARY:${SUMMARY}`] }],
  },
  {
    name: 'utf-16 big-endian without byte order mark, base64',
    raw: () =>
      message(
        HEAD,
        'Content-Type: text/calendar; charset=UTF-16; method=REQUEST',
        'Content-Transfer-Encoding: base64',
        '',
        base64(Buffer.from(calendar(SUMMARY), 'utf16le').swap16()),
      ),
    parts: [{ contentType: 'text/calendar', methodParam: 'REQUEST', contains: [`SUMMARY:${SUMMARY}`] }],
  },
  {
    name: 'utf-7, a charset only iconv-lite knows',
    raw: () =>
      message(HEAD, 'Content-Type: text/calendar; charset=utf-7; method=REQUEST', '', calendar('Gr+APw-n')),
    parts: [{ contentType: 'text/calendar', methodParam: 'REQUEST', contains: ['SUMMARY:Grün'] }],
  },
  {
    name: 'utf-8 byte order mark is stripped',
    raw: () =>
      message(
        HEAD,
        'Content-Type: text/calendar; charset=utf-8; method=REQUEST',
        'Content-Transfer-Encoding: base64',
        '',
        base64(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(calendar(SUMMARY))])),
      ),
    parts: [{ contentType: 'text/calendar', methodParam: 'REQUEST', contains: [`SUMMARY:${SUMMARY}`] }],
  },
  {
    name: 'Latin-1 bytes labelled utf-8 fall back to windows-1252',
    raw: () =>
      message(HEAD, 'Content-Type: text/calendar; charset=utf-8; method=REQUEST', '', Buffer.from(calendar(SUMMARY), 'latin1')),
    parts: [{ contentType: 'text/calendar', methodParam: 'REQUEST', contains: [`SUMMARY:${SUMMARY}`] }],
    warnings: [/not valid UTF-8/],
  },
  {
    name: 'unknown charset is read as UTF-8 with a warning',
    raw: () => message(HEAD, 'Content-Type: text/calendar; charset=x-martian; method=REQUEST', '', calendar(SUMMARY)),
    parts: [{ contentType: 'text/calendar', methodParam: 'REQUEST', contains: [`SUMMARY:${SUMMARY}`] }],
    warnings: [/unknown charset "x-martian"/],
  },
  {
    name: 'Outlook duplicate: inline 7bit CRLF and invite.ics base64 with LF, other folding, no trailing newline',
    raw: () =>
      mixed(
        [
          'Content-Type: multipart/alternative; boundary=alt',
          '',
          '--alt',
          'Content-Type: text/plain; charset=utf-8',
          '',
          'Invitation',
          '--alt',
          'Content-Type: text/calendar; charset=utf-8; method=REQUEST',
          'Content-Transfer-Encoding: 7bit',
          '',
          calendar('A rather long summary that a client may fold at seventy-five octets', 'REQUEST'),
          '--alt--',
        ],
        [
          'Content-Type: application/ics; name=invite.ics',
          'Content-Disposition: attachment; filename=invite.ics',
          'Content-Transfer-Encoding: base64',
          '',
          base64(
            calendar('A rather long summary that a client may fold at seventy-five octets', 'REQUEST', undefined, '\n')
              .replace('SUMMARY:A rather long summary that a client may fold', 'SUMMARY:A rather long summary\n  that a client may fold')
              .trimEnd(),
          ),
        ],
      ),
    parts: [{ contentType: 'text/calendar', methodParam: 'REQUEST', contains: ['SUMMARY:A rather long summary that'] }],
  },
  {
    name: 'duplicate: the copy with a method parameter wins, at the first copy\'s place',
    raw: () =>
      mixed(
        [
          'Content-Type: application/ics; name=invite.ics',
          'Content-Transfer-Encoding: base64',
          '',
          base64(calendar('First')),
        ],
        [
          'Content-Type: text/calendar; method=REQUEST; charset=utf-8',
          'Content-Transfer-Encoding: quoted-printable',
          '',
          calendar('First'),
        ],
        [
          'Content-Type: text/calendar; method=REQUEST',
          '',
          calendar('Second', 'REQUEST', 'read-mail-2@example.com'),
        ],
      ),
    parts: [
      { contentType: 'text/calendar', methodParam: 'REQUEST', contains: ['SUMMARY:First'] },
      { contentType: 'text/calendar', methodParam: 'REQUEST', contains: ['SUMMARY:Second'] },
    ],
  },
  {
    name: 'forwarded invitation as message/rfc822 attachment is not descended',
    raw: () =>
      mixed(
        [
          'Content-Type: text/plain',
          '',
          'FYI, see the forwarded invitation.',
        ],
        [
          'Content-Type: message/rfc822; name="Invitation.eml"',
          'Content-Disposition: attachment; filename="Invitation.eml"',
          '',
          'From: other@example.org',
          'Subject: Invitation',
          'Content-Type: multipart/alternative; boundary=inner',
          '',
          '--inner',
          'Content-Type: text/calendar; method=REQUEST',
          '',
          calendar('Not ours'),
          '--inner--',
        ],
      ),
    parts: [],
    warnings: [/attached message \(Invitation\.eml\) not searched/],
  },
  {
    name: 'inline message/rfc822 is not descended either',
    raw: () =>
      mixed(
        [
          'Content-Type: message/rfc822',
          'Content-Disposition: inline',
          '',
          'From: other@example.org',
          'Content-Type: text/calendar; method=CANCEL',
          '',
          calendar('Not ours either', 'CANCEL'),
        ],
        [
          'Content-Type: text/calendar; method=REQUEST',
          '',
          calendar('Ours'),
        ],
      ),
    parts: [{ contentType: 'text/calendar', methodParam: 'REQUEST', contains: ['SUMMARY:Ours'] }],
    warnings: [/attached message not searched/],
  },
  {
    name: 'a part over the size limit is skipped with a warning',
    raw: () =>
      mixed(
        [
          'Content-Type: text/calendar; method=REQUEST',
          '',
          calendar('Small'),
        ],
        [
          'Content-Type: application/ics; name=big.ics',
          'Content-Transfer-Encoding: base64',
          '',
          base64(calendar(`Big ${'x'.repeat(2000)}`, 'REQUEST', 'big@example.com')),
        ],
      ),
    limit: 1000,
    parts: [{ contentType: 'text/calendar', methodParam: 'REQUEST', contains: ['SUMMARY:Small'] }],
    warnings: [/application\/ics \(big\.ics\) skipped: \d+ bytes, over the limit of 1000/],
  },
  {
    name: 'method parameter that differs from METHOD is kept, with a warning',
    raw: () => message(HEAD, 'Content-Type: text/calendar; method=REQUEST', '', calendar('Mismatch', 'CANCEL')),
    parts: [{ contentType: 'text/calendar', methodParam: 'REQUEST', contains: ['METHOD:CANCEL'] }],
    warnings: [/method parameter REQUEST does not match METHOD:CANCEL \(RFC 6047 section 2\.4\)/],
  },
  {
    name: 'nodemailer icalEvent: alternative text/calendar plus invite.ics, collapsed to one',
    raw: async () => {
      const composer = new MailComposer({
        from: 'boss@example.com',
        to: 'alice@example.com',
        subject: 'Invitation',
        text: 'You are invited',
        icalEvent: { method: 'REQUEST', content: calendar(SUMMARY) },
      });
      return composer.compile().build();
    },
    parts: [{ contentType: 'text/calendar', methodParam: 'REQUEST', contains: [`SUMMARY:${SUMMARY}`] }],
  },
];

describe('readMail: calendar parts', () => {
  it.each(cases)('$name', async (test) => {
    const raw = await test.raw();
    const mail = await readMail(raw, test.limit ? { maxCalendarBytes: test.limit } : undefined);
    expect(
      mail.calendars.map((part) => ({
        contentType: part.contentType,
        methodParam: part.methodParam,
        filename: part.filename,
      })),
    ).toEqual(
      test.parts.map((part) => ({ contentType: part.contentType, methodParam: part.methodParam, filename: part.filename })),
    );
    test.parts.forEach((part, index) => {
      const text = canonicalCalendarText(mail.calendars[index].text);
      expect(text.startsWith('BEGIN:VCALENDAR')).toBe(true);
      for (const piece of part.contains ?? []) expect(text).toContain(piece);
    });
    const expectedWarnings = test.warnings ?? [];
    expect(mail.warnings).toHaveLength(expectedWarnings.length);
    expectedWarnings.forEach((pattern) => expect(mail.warnings.some((warning) => pattern.test(warning))).toBe(true));
  });
});

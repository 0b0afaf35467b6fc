// Calendar parts in the legacy East Asian charsets that some clients still
// write. The build reads iconv-lite's double-byte tables and encoding-japanese
// from the installed packages on first use (scripts/bundle.mjs), not from the
// bundle: these mails are what proves that the built command still finds them.

import iconv from 'iconv-lite';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from './run-cli.js';
import { json } from './helpers.js';

/** A REQUEST from boss to alice whose text/calendar part is written in `charset`. */
function requestIn(charset: string, uid: string, summary: string): Buffer {
  const ics = [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'PRODID:-//Example Corp//Calendar//EN',
    'METHOD:REQUEST',
    'BEGIN:VEVENT',
    `UID:${uid}`,
    'DTSTAMP:20261101T080000Z',
    'DTSTART:20261204T150000Z',
    'DTEND:20261204T160000Z',
    'SEQUENCE:0',
    `SUMMARY:${summary}`,
    'ORGANIZER;CN=Boss:mailto:boss@example.com',
    'ATTENDEE;CN=Alice;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:alice@example.com',
    'END:VEVENT',
    'END:VCALENDAR',
    '',
  ].join('\r\n');
  const head = [
    'From: Boss <boss@example.com>',
    'To: Alice <alice@example.com>',
    `Subject: Invitation (${charset})`,
    `Message-ID: <${uid}>`,
    'Date: Sun, 01 Nov 2026 08:00:00 +0000',
    'MIME-Version: 1.0',
    `Content-Type: text/calendar; charset=${charset}; method=REQUEST`,
    'Content-Transfer-Encoding: 8bit',
    '',
    '',
  ].join('\r\n');
  return Buffer.concat([Buffer.from(head, 'ascii'), iconv.encode(ics, charset)]);
}

const CASES: Array<[charset: string, summary: string]> = [
  ['GB2312', '季度计划会议'],
  ['GB18030', '季度计划会议'],
  ['Big5', '季度計劃會議'],
  ['EUC-KR', '분기 계획 회의'],
  ['Shift_JIS', '四半期計画会議'],
  ['EUC-JP', '四半期計画会議'],
];

describe('process: calendar parts in legacy East Asian charsets', () => {
  const dir = tempDir();
  const store = `${dir.path}/store`;
  afterAll(() => dir.remove());

  for (const [charset, summary] of CASES) {
    it(`stores the SUMMARY of a ${charset} calendar part as the text it encodes`, () => {
      const uid = `plan-${charset.toLowerCase()}@example.com`;
      const input = requestIn(charset, uid, summary);
      // The encoded bytes are not UTF-8 (else the test would prove nothing).
      expect(input.includes(Buffer.from(summary, 'utf8'))).toBe(false);
      const processed = json<{ users: Array<{ entries: Array<{ outcome: string }> }> }>(
        ['process', '--recipient', 'alice@example.com'],
        { store, input },
      );
      expect(processed.users[0].entries.map((e) => e.outcome)).toEqual(['applied']);
      const objects = json<Array<{ uid: string; summary: string }>>(['objects', '--user', 'alice@example.com'], { store });
      expect(objects.find((o) => o.uid === uid)?.summary).toBe(summary);
    });
  }
});

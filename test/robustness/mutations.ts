// Mutations of real client mail for the property tests: bytes cut, doubled,
// flipped or inserted; iCalendar lines dropped, repeated or given hostile
// values, among them time zone rules that cannot be followed within bounds.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { ROOT } from '../cli/run-cli.js';

const MAIL_DIR = join(ROOT, 'test/fixtures/mail');
export const MAILS = readdirSync(MAIL_DIR)
  .filter((name) => name.endsWith('.eml'))
  .sort()
  .map((name) => readFileSync(join(MAIL_DIR, name)));

/** Values that have broken parsers and expanders elsewhere. */
export const HOSTILE_LINES = [
  'RRULE:FREQ=SECONDLY',
  'RRULE:FREQ=SECONDLY;BYSECOND=0,1,2,3,4,5,6,7,8,9;BYMINUTE=0,1,2,3,4,5;BYHOUR=0,1,2,3,4,5,6,7',
  'RRULE:FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30',
  'RRULE:FREQ=DAILY;COUNT=999999999',
  'RRULE:FREQ=MINUTELY;INTERVAL=0',
  'RRULE:garbage',
  'DTSTART:99999999T999999Z',
  'DTSTART;TZID=Nowhere/Never:20261201T090000',
  'DTEND;VALUE=DATE:20261130',
  'RECURRENCE-ID:19000101T000000Z',
  'EXDATE:not-a-date',
  'RDATE;VALUE=PERIOD:20261201T090000Z/PT-1H',
  'SEQUENCE:-1',
  'SEQUENCE:99999999999999999999',
  'DTSTAMP:',
  'UID:',
  'ATTENDEE;PARTSTAT=ACCEPTED:mailto:',
  'ORGANIZER:mailto:alice@example.com',
  'METHOD:CANCEL',
  'METHOD:BOGUS',
  'BEGIN:VEVENT',
  'END:VCALENDAR',
  'BEGIN:VTIMEZONE',
  // Time zone definitions whose rules cannot be followed within bounds, and a
  // time that uses one: a line edit may also land inside a real VTIMEZONE.
  ['BEGIN:VTIMEZONE', 'TZID:Bomb/Zone', 'BEGIN:STANDARD', 'DTSTART:19700101T000000', 'RRULE:FREQ=SECONDLY', 'TZOFFSETFROM:+0100', 'TZOFFSETTO:+0200', 'END:STANDARD', 'END:VTIMEZONE'].join('\r\n'),
  ['BEGIN:VTIMEZONE', 'TZID:Bomb/Zone', 'BEGIN:DAYLIGHT', 'DTSTART:19700101T000000', 'RRULE:FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30', 'TZOFFSETFROM:+0100', 'TZOFFSETTO:+0200', 'END:DAYLIGHT', 'END:VTIMEZONE'].join('\r\n'),
  'DTSTART;TZID=Bomb/Zone:20261201T090000',
  'RRULE:FREQ=MINUTELY;COUNT=999999999',
  'X-\u0000-NUL:\u0000',
  ' folded continuation without a line before it',
];

/** One edit of a raw mail. */
const edit = fc.oneof(
  fc.record({ kind: fc.constant('cut' as const), at: fc.nat(), length: fc.nat({ max: 400 }) }),
  fc.record({ kind: fc.constant('double' as const), at: fc.nat(), length: fc.nat({ max: 400 }) }),
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ maxLength: 64 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('line' as const), at: fc.nat(), line: fc.constantFrom(...HOSTILE_LINES) }),
  fc.record({ kind: fc.constant('drop-line' as const), at: fc.nat() }),
);
type Edit = typeof edit extends fc.Arbitrary<infer T> ? T : never;

function apply(raw: Buffer, edits: Edit[]): Buffer {
  let bytes = raw;
  for (const e of edits) {
    const at = bytes.length === 0 ? 0 : e.at % bytes.length;
    switch (e.kind) {
      case 'cut':
        bytes = Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + e.length)]);
        break;
      case 'double':
        bytes = Buffer.concat([bytes.subarray(0, at + e.length), bytes.subarray(at)]);
        break;
      case 'flip':
        bytes = Buffer.from(bytes);
        if (bytes.length) bytes[at] = e.byte;
        break;
      case 'insert':
        bytes = Buffer.concat([bytes.subarray(0, at), Buffer.from(e.bytes), bytes.subarray(at)]);
        break;
      case 'truncate':
        bytes = bytes.subarray(0, at);
        break;
      case 'line':
      case 'drop-line': {
        // Line edits work on the text, so that they reach iCalendar inside
        // plain parts; inside base64 parts they break the encoding instead.
        const lines = bytes.toString('latin1').split('\r\n');
        const index = e.at % Math.max(lines.length, 1);
        if (e.kind === 'line') lines.splice(index, 0, e.line);
        else lines.splice(index, 1);
        bytes = Buffer.from(lines.join('\r\n'), 'latin1');
        break;
      }
    }
  }
  return bytes;
}

/** The To addresses of an unmutated mail: its recipients, as the MTA would give them. */
function recipientsOf(raw: Buffer): string[] {
  const to = /^To:(.*(?:\r\n[ \t].*)*)/im.exec(raw.toString('latin1'))?.[1] ?? '';
  return [...to.matchAll(/[\w.+-]+@[\w.-]+/g)].map((m) => m[0].toLowerCase());
}

export const mutatedMail = fc
  .record({ base: fc.nat({ max: MAILS.length - 1 }), edits: fc.array(edit, { minLength: 1, maxLength: 6 }) })
  .map(({ base, edits }) => ({ raw: apply(MAILS[base]!, edits), recipients: recipientsOf(MAILS[base]!) }));

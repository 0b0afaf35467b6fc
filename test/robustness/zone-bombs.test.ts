// VTIMEZONEs whose rules cannot be followed within bounds (RRULE:FREQ=SECONDLY
// in a STANDARD part once held the agent for good): wherever the zone is used,
// in an event, in an override, beside a VFREEBUSY request, in a room's booking
// check, through the command line, the mail gets its outcome at once, the
// journal says which VTIMEZONE was not used and why, its TZID is read as if the
// VTIMEZONE had not come, and the mail is handed on.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { processMail } from '../../src/agent/process-message.js';
import { LmdbStore } from '../../src/store/lmdb-store.js';
import { imipMail } from '../cli/helpers.js';
import { runCliAsync, tempDir } from '../cli/run-cli.js';

const NOW = Date.parse('2026-11-15T12:00:00Z');

/** A VTIMEZONE with a rule every second, under any TZID. */
function bombZone(tzid: string): string[] {
  return [
    'BEGIN:VTIMEZONE',
    `TZID:${tzid}`,
    'BEGIN:STANDARD',
    'DTSTART:19700101T000000',
    'RRULE:FREQ=SECONDLY',
    'TZOFFSETFROM:+0500',
    'TZOFFSETTO:+0600',
    'END:STANDARD',
    'END:VTIMEZONE',
  ];
}

function calendar(method: string, body: string[]): string {
  return ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//bomb//EN', `METHOD:${method}`, ...body, 'END:VCALENDAR', ''].join('\r\n');
}

function event(lines: string[], attendees = ['alice@example.com']): string[] {
  return [
    'BEGIN:VEVENT',
    'DTSTAMP:20261101T080000Z',
    'SEQUENCE:0',
    'SUMMARY:Planning',
    'ORGANIZER:mailto:boss@example.com',
    ...attendees.map((a) => `ATTENDEE;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:${a}`),
    ...lines,
    'END:VEVENT',
  ];
}

function mail(ics: string, to: string, id: string): Buffer {
  return imipMail({ from: 'boss@example.com', to: [to], subject: 'Planning', messageId: id, ics });
}

const NOT_USED = /the VTIMEZONE "([^"]+)" was not used because it has more than 5000 onsets up to 2200 \(its rule FREQ=SECONDLY\); its times are read as for a TZID without VTIMEZONE/;

let dir: string;
let store: LmdbStore;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'itip-zone-bombs-'));
  store = new LmdbStore(dir);
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

async function deliver(raw: Buffer, to: string) {
  const result = await processMail(store, raw, { recipients: [to], sender: 'boss@example.com' }, NOW);
  return result.users.flatMap((u) => u.entries);
}

describe('a VTIMEZONE that cannot be followed within bounds', () => {
  it('in an event: the event is stored, its TZID read from the Olson database, the zone left out', async () => {
    const ics = calendar('REQUEST', [
      ...bombZone('Europe/Berlin'),
      ...event(['UID:z1', 'DTSTART;TZID=Europe/Berlin:20261201T090000', 'DTEND;TZID=Europe/Berlin:20261201T100000']),
    ]);
    const [entry] = await deliver(mail(ics, 'alice@example.com', 'z1@example.com'), 'alice@example.com');
    expect(entry!.outcome).toBe('applied');
    expect(entry!.reason).toMatch(NOT_USED);
    expect(NOT_USED.exec(entry!.reason)![1]).toBe('Europe/Berlin');
    // 09:00 in Berlin in December, not at the bomb's +06:00.
    expect((await store.freeBusy('mailto:alice@example.com', { others: true })).map((p) => [p.start, p.end])).toEqual([
      ['2026-12-01T08:00:00Z', '2026-12-01T09:00:00Z'],
    ]);
    expect((await store.getObject('mailto:alice@example.com', 'z1'))!.ics).not.toContain('FREQ=SECONDLY');
  });

  it('in an override: the series and the moved instance are stored', async () => {
    const ics = calendar('REQUEST', [
      ...bombZone('Nowhere/Special'),
      ...event(['UID:z2', 'DTSTART:20261201T090000Z', 'DTEND:20261201T100000Z', 'RRULE:FREQ=WEEKLY;COUNT=3']),
      ...event(['UID:z2', 'RECURRENCE-ID:20261208T090000Z', 'DTSTART;TZID=Nowhere/Special:20261208T140000', 'DTEND;TZID=Nowhere/Special:20261208T150000']),
    ]);
    const [entry] = await deliver(mail(ics, 'alice@example.com', 'z2@example.com'), 'alice@example.com');
    expect(entry!.outcome).toBe('applied');
    expect(NOT_USED.exec(entry!.reason)?.[1]).toBe('Nowhere/Special');
    // An unknown TZID without VTIMEZONE is floating: read in the user's zone, here none (UTC).
    expect((await store.freeBusy('mailto:alice@example.com', { others: true })).map((p) => p.start)).toEqual([
      '2026-12-01T09:00:00Z',
      '2026-12-08T14:00:00Z',
      '2026-12-15T09:00:00Z',
    ]);
  });

  it('beside a VFREEBUSY request: the request is answered', async () => {
    await store.transact('mailto:alice@example.com', (tx) => tx.setPref('freebusy_sharing', 'share'));
    const ics = calendar('REQUEST', [
      ...bombZone('Europe/Berlin'),
      'BEGIN:VFREEBUSY',
      'UID:fb-z3',
      'DTSTAMP:20261101T080000Z',
      'DTSTART:20261201T000000Z',
      'DTEND:20261202T000000Z',
      'ORGANIZER:mailto:boss@example.com',
      'ATTENDEE:mailto:alice@example.com',
      'END:VFREEBUSY',
    ]);
    const [entry] = await deliver(mail(ics, 'alice@example.com', 'z3@example.com'), 'alice@example.com');
    expect(entry!.outcome).toBe('applied');
    expect((await store.listOutbox('mailto:alice@example.com')).map((item) => item.method)).toEqual(['REPLY']);
  });

  it('in a room\'s booking check: the room decides and answers', async () => {
    await store.transact('mailto:room@example.com', (tx) => tx.setRole('resource'));
    const ics = calendar('REQUEST', [
      ...bombZone('Europe/Berlin'),
      ...event(['UID:z4', 'DTSTART;TZID=Europe/Berlin:20261201T090000', 'DTEND;TZID=Europe/Berlin:20261201T100000'], ['room@example.com']),
    ]);
    const [entry] = await deliver(mail(ics, 'room@example.com', 'z4@example.com'), 'room@example.com');
    expect(entry!.outcome).toBe('applied');
    expect(entry!.reason).toMatch(NOT_USED);
    expect((await store.freeBusy('mailto:room@example.com')).map((p) => [p.start, p.fbtype])).toEqual([['2026-12-01T08:00:00Z', 'BUSY']]);
    const [reply] = await store.listOutbox('mailto:room@example.com');
    expect(reply!.method).toBe('REPLY');
    expect(reply!.ics).toContain('PARTSTAT=ACCEPTED');
    // The answer carries no copy of the unusable definition.
    expect(reply!.ics).not.toContain('FREQ=SECONDLY');
  });
});

describe('the command line with such a VTIMEZONE', () => {
  it('processes the mail, journals why, and hands it on byte for byte', async () => {
    const work = tempDir('itip-zone-bomb-cli-');
    try {
      const raw = mail(
        calendar('REQUEST', [...bombZone('Bomb/Zone'), ...event(['UID:z5', 'DTSTART;TZID=Bomb/Zone:20261201T090000', 'DTEND;TZID=Bomb/Zone:20261201T100000'])]),
        'alice@example.com',
        'z5@example.com',
      );
      const args = ['process', '--recipient', 'alice@example.com', '--sender', 'boss@example.com', '--deliver', 'stdout'];
      const result = await runCliAsync(args, { store: work.path, input: raw });
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdoutBytes.equals(raw)).toBe(true);
      const journal = await runCliAsync(['journal', '--json'], { store: work.path });
      const [entry] = JSON.parse(journal.stdout) as Array<{ outcome: string; reason: string }>;
      expect(entry!.outcome).toBe('applied');
      expect(NOT_USED.exec(entry!.reason)?.[1]).toBe('Bomb/Zone');
    } finally {
      work.remove();
    }
  });
});

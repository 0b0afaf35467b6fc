// A corpus of hostile mail, each with the outcome it must get. Forgeries are
// refused without a change, bombs are bounded, oversized or malformed input
// gets a clear outcome, and nothing throws out of the handler.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_AGENT_POLICY } from '../../src/agent/policy.js';
import { processMail } from '../../src/agent/process-message.js';
import { DEFAULT_EXPANSION_LIMITS } from '../../src/ical/expand.js';
import { LmdbStore } from '../../src/store/lmdb-store.js';
import { imipMail } from '../cli/helpers.js';

const NOW = Date.parse('2026-11-15T12:00:00Z');
const ALICE = 'mailto:alice@example.com';

let dir: string;
let store: LmdbStore;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'itip-hostile-'));
  store = new LmdbStore(dir);
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

interface EventSpec {
  method?: string;
  uid?: string;
  organizer?: string;
  sequence?: number;
  extra?: string[];
  attendees?: string[];
}

function calendar(events: EventSpec[], method = events[0]?.method ?? 'REQUEST'): string {
  const lines = ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//hostile//EN', `METHOD:${method}`];
  for (const e of events) {
    lines.push(
      'BEGIN:VEVENT',
      `UID:${e.uid ?? 'board@example.com'}`,
      'DTSTAMP:20261101T080000Z',
      'DTSTART:20261201T090000Z',
      'DTEND:20261201T100000Z',
      `SEQUENCE:${e.sequence ?? 0}`,
      'SUMMARY:Board meeting',
      `ORGANIZER:mailto:${e.organizer ?? 'boss@example.com'}`,
      ...(e.attendees ?? ['alice@example.com']).map((a) => `ATTENDEE;PARTSTAT=NEEDS-ACTION:mailto:${a}`),
      ...(e.extra ?? []),
      'END:VEVENT',
    );
  }
  lines.push('END:VCALENDAR', '');
  return lines.join('\r\n');
}

function mail(from: string, ics: string, messageId: string): Buffer {
  return imipMail({ from, to: ['alice@example.com'], subject: 'hostile', messageId, ics });
}

async function deliver(raw: Buffer, sender: string) {
  const result = await processMail(store, raw, { recipients: ['alice@example.com'], sender }, NOW);
  return result.users.flatMap((u) => u.entries);
}

async function invite() {
  const entries = await deliver(mail('boss@example.com', calendar([{}]), 'invite@example.com'), 'boss@example.com');
  expect(entries.map((e) => e.outcome)).toEqual(['applied']);
  return store.getObject(ALICE, 'board@example.com');
}

describe('hostile mail', () => {
  it('refuses a forged CANCEL from someone who is not the organizer, changing nothing', async () => {
    const before = await invite();
    const forged = calendar([{ method: 'CANCEL', sequence: 5, extra: ['STATUS:CANCELLED'] }]);
    const entries = await deliver(mail('mallory@evil.example', forged, 'forged-cancel@evil.example'), 'mallory@evil.example');
    expect(entries.map((e) => e.outcome)).toEqual(['refused']);
    expect(await store.getObject(ALICE, 'board@example.com')).toEqual(before);
    expect(await store.listRequests(ALICE)).toHaveLength(1);
  });

  it('refuses a CANCEL that names another organizer, even from that organizer', async () => {
    const before = await invite();
    const forged = calendar([{ method: 'CANCEL', sequence: 5, organizer: 'mallory@evil.example' }]);
    const entries = await deliver(mail('mallory@evil.example', forged, 'other-organizer@evil.example'), 'mallory@evil.example');
    expect(entries[0]).toMatchObject({ outcome: 'refused', reason: expect.stringMatching(/differs from the stored organizer/) });
    expect(await store.getObject(ALICE, 'board@example.com')).toEqual(before);
  });

  it('refuses one UID whose components name different organizers', async () => {
    const ics = calendar([
      { organizer: 'boss@example.com' },
      { organizer: 'mallory@evil.example', extra: ['RECURRENCE-ID:20261201T090000Z'] },
    ]);
    const entries = await deliver(mail('boss@example.com', ics, 'two-organizers@example.com'), 'boss@example.com');
    expect(entries[0]).toMatchObject({ outcome: 'refused', reason: expect.stringMatching(/several organizers/) });
    expect(await store.listObjects(ALICE)).toEqual([]);
  });

  it('bounds an RRULE bomb: an endless FREQ=SECONDLY and a rule with huge BYxxx sets', async () => {
    const seconds = Array.from({ length: 60 }, (_, i) => i).join(',');
    const bombs = [
      ['RRULE:FREQ=SECONDLY'],
      [`RRULE:FREQ=DAILY;BYHOUR=${seconds.split(',').slice(0, 24).join(',')};BYMINUTE=${seconds};BYSECOND=${seconds}`],
    ];
    for (const [i, extra] of bombs.entries()) {
      const uid = `bomb-${i}@example.com`;
      const entries = await deliver(mail('boss@example.com', calendar([{ uid, extra }]), `${uid}-mail`), 'boss@example.com');
      // Stored, bounded, and the journal says that free/busy holds only part of it.
      expect(entries).toMatchObject([{ outcome: 'applied', reason: expect.stringMatching(/expanded only up to a limit/) }]);
      const organizerPeriods = (await store.freeBusy(ALICE, { others: true })).filter((p) => p.uid === uid);
      expect(organizerPeriods.length).toBeLessThanOrEqual(DEFAULT_EXPANSION_LIMITS.maxInstances);
    }
  });

  it('refuses a calendar part over 10 MB with a reason, and stores nothing', async () => {
    const padding = Array.from({ length: 110_000 }, (_, i) => `X-PAD-${i}:${'x'.repeat(90)}`);
    const ics = calendar([{ extra: padding }]);
    expect(ics.length).toBeGreaterThan(10 * 1024 * 1024);
    const entries = await deliver(mail('boss@example.com', ics, 'big@example.com'), 'boss@example.com');
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ outcome: 'refused', reason: expect.stringMatching(/over the limit of 10485760/) });
    expect(await store.listObjects(ALICE)).toEqual([]);
  }, 60_000);

  it('hands on a mail over the message limit without reading its calendar, and says so', async () => {
    const padding = Array.from({ length: 300 }, (_, i) => `X-PAD-${i}:${'x'.repeat(90)}`);
    const raw = mail('boss@example.com', calendar([{ uid: 'huge@example.com', extra: padding }]), 'huge-mail@example.com');
    const policy = { ...DEFAULT_AGENT_POLICY, maxMessageBytes: 10_000 };
    const result = await processMail(store, raw, { recipients: ['alice@example.com'], sender: 'boss@example.com' }, NOW, policy);
    expect(result.users[0]!.entries).toMatchObject([
      { messageId: 'huge-mail@example.com', outcome: 'refused', reason: `the mail has ${raw.length} bytes, over the limit of 10000; its calendar parts were not read` },
    ]);
    expect(await store.listObjects(ALICE)).toEqual([]);
  });

  it('refuses an event with 5,000 attendees', async () => {
    const attendees = Array.from({ length: 5000 }, (_, i) => `guest${i}@example.org`);
    const ics = calendar([{ attendees: ['alice@example.com', ...attendees] }]);
    const entries = await deliver(mail('boss@example.com', ics, 'crowd@example.com'), 'boss@example.com');
    expect(entries[0]).toMatchObject({ outcome: 'refused', reason: 'a VEVENT has 5001 attendees, over the limit of 2000' });
    expect(await store.listObjects(ALICE)).toEqual([]);
  });

  it('reads a calendar at the bottom of deeply nested MIME, or gives up cleanly', async () => {
    const depth = 120;
    const ics = calendar([{ uid: 'deep@example.com' }]);
    let body = `Content-Type: text/calendar; charset=utf-8; method=REQUEST\r\n\r\n${ics}`;
    for (let i = depth; i > 0; i--) {
      body = `Content-Type: multipart/mixed; boundary="b${i}"\r\n\r\n--b${i}\r\n${body}\r\n--b${i}--\r\n`;
    }
    const raw = Buffer.from(
      `From: boss@example.com\r\nTo: alice@example.com\r\nSubject: deep\r\nMessage-ID: <deep@example.com>\r\nMIME-Version: 1.0\r\n${body}`,
    );
    const entries = await deliver(raw, 'boss@example.com');
    // Either the calendar was found and applied, or there was nothing to apply:
    // what must not happen is an exception or a half-written store.
    expect(entries.every((e) => e.outcome === 'applied')).toBe(true);
    expect((await store.listObjects(ALICE)).length).toBe(entries.length);
  });

  it('reads a calendar that is not valid UTF-8', async () => {
    const ics = Buffer.from(calendar([{ uid: 'latin@example.com', extra: ['LOCATION:Caf\u00e9 M\u00fcller'] }]), 'latin1');
    const head = 'From: boss@example.com\r\nTo: alice@example.com\r\nSubject: latin\r\nMessage-ID: <latin@example.com>\r\n' +
      'MIME-Version: 1.0\r\nContent-Type: text/calendar; charset=utf-8; method=REQUEST\r\n\r\n';
    const entries = await deliver(Buffer.concat([Buffer.from(head), ics]), 'boss@example.com');
    expect(entries.map((e) => e.outcome)).toEqual(['applied']);
    expect((await store.getObject(ALICE, 'latin@example.com'))?.ics).toContain('LOCATION:Café Müller');
  });

  it('refuses a REQUEST whose RRULE has no FREQ instead of failing inside the expander', async () => {
    const ics = calendar([{ uid: 'nofreq@example.com', extra: ['RRULE:COUNT=3'] }]);
    const entries = await deliver(mail('boss@example.com', ics, 'nofreq@example.com'), 'boss@example.com');
    expect(entries[0]).toMatchObject({ outcome: 'refused', reason: expect.stringMatching(/no valid FREQ/) });
    expect(await store.listObjects(ALICE)).toEqual([]);
  });
});

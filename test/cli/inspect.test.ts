// The inspection commands after a realistic run of mail through one store:
// objects, object, freebusy, requests, inbox, outbox, journal. Scripts read
// their --json output, so key sets, order and formats are checked exactly.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ComponentSummary } from '../../src/ical/describe.js';
import { NOW, fixture, tempDir } from './run-cli.js';
import { ISO_UTC, MAILTO, cliAsync, errors, imipMail, json, jsonAsync, mailFixture, ok, okAsync, scenarioFile, sortedKeys } from './helpers.js';

const ALICE = 'alice@example.com';
const PLANNING = 'planning-2026-12-01@example.com';
const REVIEW = 'review-2026-12-02@example.com';
const OUTLOOK = '040000008200E00074C5B7101A82E00800000000D0A3C8F1B1E8DC01000000000000000010000000C1A7B4D7E2F30E4B9A8F3C2D1E0F9A8B';
const GOOGLE = '4k1q6n5hb0c3v8t7m2pq0s9r1a@google.com';
const WEEKLY = 'weekly-dst@example.com';
const ALLDAY = 'A93D5E17-6B2C-4F08-8D4E-71C5B9A2E3F0';

const OBJECT_KEYS = ['attendees', 'component', 'end', 'etag', 'exdates', 'organizer', 'recurrenceId', 'rrule', 'sequence', 'start', 'status', 'summary', 'uid'];
const PERIOD_KEYS = ['end', 'fbtype', 'recurrenceId', 'start', 'uid'];
const REQUEST_KEYS = ['from', 'method', 'received', 'recurrenceId', 'uid'];
const JOURNAL_KEYS = ['at', 'messageId', 'method', 'outcome', 'reason', 'recipient', 'uid'];
const OUTBOX_KEYS = ['attempts', 'from', 'ics', 'id', 'method', 'state', 'to', 'uid'];

/** An object row of `objects --json`: one component as the iCalendar layer summarises it. */
type ObjectRow = ComponentSummary;

interface PeriodRow {
  start: string;
  end: string;
  fbtype: string;
  uid: string;
  recurrenceId: string | null;
  participant?: string;
}

type Row = Record<string, unknown>;

/** Bob asks alice, the organizer of the review, for the current version of it. */
const refreshFromBob = imipMail({
  from: 'Bob <bob@example.com>',
  to: ['Alice <alice@example.com>'],
  subject: 'Refresh: Review',
  messageId: 'review-refresh-bob@example.com',
  date: 'Tue, 03 Nov 2026 10:00:00 +0000',
  ics: [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'PRODID:-//Example Corp//Calendar//EN',
    'METHOD:REFRESH',
    'BEGIN:VEVENT',
    `UID:${REVIEW}`,
    'DTSTAMP:20261103T100000Z',
    'ORGANIZER;CN=Alice:mailto:alice@example.com',
    'ATTENDEE;CN=Bob:mailto:bob@example.com',
    'END:VEVENT',
    'END:VCALENDAR',
    '',
  ].join('\n'),
});

/** A weekly series in a Windows zone across the end of DST, with an EXDATE (from the recurrence scenarios). */
const weeklyRequest = imipMail({
  from: 'Boss <boss@example.com>',
  to: ['Alice <alice@example.com>'],
  subject: 'Invitation: Planning (weekly)',
  messageId: 'weekly-dst-request@example.com',
  ics: scenarioFile('recurrence/weekly-across-dst-windows-zone/01-request.ics'),
});
const weeklyReply = imipMail({
  from: 'Alice <alice@example.com>',
  to: ['Boss <boss@example.com>'],
  subject: 'Accepted: Planning (weekly)',
  messageId: 'weekly-dst-reply@example.com',
  ics: scenarioFile('recurrence/weekly-across-dst-windows-zone/02-reply.ics'),
});

function isSorted<T>(rows: T[], compare: (a: T, b: T) => number): boolean {
  return rows.every((row, i) => i === 0 || compare(rows[i - 1], row) <= 0);
}

function text(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  return a < b ? -1 : 1;
}

describe('inspection after a realistic sequence of mail', () => {
  const dir = tempDir();
  const store = join(dir.path, 'store');
  afterAll(() => dir.remove());

  beforeAll(() => {
    const steps: Array<[string[], Buffer]> = [
      // Boss invites alice.
      [['--recipient', ALICE], fixture('request-alice.eml')],
      // Alice invites bob (her own mail), and bob accepts (at alice's, the organizer's, store).
      [['--outgoing'], fixture('organizer-request.eml')],
      [['--recipient', ALICE], fixture('reply-bob.eml')],
      // An Outlook series across the end of DST that alice accepts.
      [['--recipient', ALICE], mailFixture('outlook-request.eml')],
      [['--outgoing'], mailFixture('outlook-reply.eml')],
      // A Google series, then one instance of it cancelled.
      [['--recipient', ALICE], mailFixture('google-request.eml')],
      [['--recipient', ALICE], mailFixture('google-cancel-instance.eml')],
      // An all-day event from Apple Calendar.
      [['--recipient', ALICE], mailFixture('apple-request-allday.eml')],
      // A series in a Windows zone with an EXDATE, accepted.
      [['--recipient', ALICE], weeklyRequest],
      [['--outgoing', '--sender', ALICE], weeklyReply],
    ];
    for (const [args, input] of steps) ok(['process', ...args], { store, input });
    // Alice answers REFRESH requests herself: bob's lands in the outbox.
    ok(['prefs', ALICE, 'event_refreshing', 'always'], { store });
    ok(['process', '--recipient', ALICE], { store, input: refreshFromBob });
    // Twelve runs of the program one after another: generous on a loaded machine.
  }, 120_000);

  describe('objects --user', () => {
    let rows: ObjectRow[];
    beforeAll(() => {
      rows = json<ObjectRow[]>(['objects', '--user', ALICE], { store });
    });

    it('gives one row per stored component with exactly the documented keys, sorted by uid then recurrenceId (master first)', () => {
      for (const row of rows) {
        expect(sortedKeys(row)).toEqual(OBJECT_KEYS);
        for (const attendee of row.attendees) expect(sortedKeys(attendee)).toEqual(['address', 'partstat']);
      }
      expect(rows.map((r) => [r.uid, r.recurrenceId])).toEqual([
        [OUTLOOK, null],
        [GOOGLE, null],
        [GOOGLE, '2026-11-10T15:00:00Z'],
        [ALLDAY, null],
        [PLANNING, null],
        [REVIEW, null],
        [WEEKLY, null],
      ]);
      expect(isSorted(rows, (a, b) => text(a.uid, b.uid) || text(a.recurrenceId, b.recurrenceId))).toBe(true);
    });

    it('writes addresses as lower-case mailto:, times as ISO 8601 UTC and the days of all-day events as dates', () => {
      for (const row of rows) {
        expect(row.component).toBe('VEVENT');
        expect(row.organizer).toMatch(MAILTO);
        for (const attendee of row.attendees) expect(attendee.address).toMatch(MAILTO);
        const format = row.uid === ALLDAY ? /^\d{4}-\d{2}-\d{2}$/ : ISO_UTC;
        expect(row.start).toMatch(format);
        expect(row.end).toMatch(format);
        for (const exdate of row.exdates) expect(exdate).toMatch(ISO_UTC);
      }
      expect(rows.find((r) => r.uid === ALLDAY)).toMatchObject({ start: '2026-12-15', end: '2026-12-16', summary: 'Team offsite', organizer: 'mailto:carol@example.org' });
    });

    it('shows what each mail did', () => {
      const find = (uid: string, recurrenceId: string | null = null) => rows.find((r) => r.uid === uid && r.recurrenceId === recurrenceId)!;
      expect(find(PLANNING)).toEqual({
        uid: PLANNING,
        recurrenceId: null,
        component: 'VEVENT',
        sequence: 0,
        status: null,
        summary: 'Planning',
        organizer: 'mailto:boss@example.com',
        attendees: [
          { address: 'mailto:alice@example.com', partstat: 'NEEDS-ACTION' },
          { address: 'mailto:boss@example.com', partstat: 'ACCEPTED' },
        ],
        start: '2026-12-01T09:00:00Z',
        end: '2026-12-01T10:00:00Z',
        rrule: null,
        exdates: [],
        etag: expect.stringMatching(/^"[A-Za-z0-9_-]{22}"$/),
      });
      // Bob's REPLY reached the organizer's copy.
      expect(find(REVIEW).organizer).toBe('mailto:alice@example.com');
      expect(find(REVIEW).attendees).toEqual([
        { address: 'mailto:alice@example.com', partstat: 'ACCEPTED' },
        { address: 'mailto:bob@example.com', partstat: 'ACCEPTED' },
      ]);
      // The Windows zone resolves: 09:00 W. Europe is 07:00Z in October (CEST).
      expect(find(WEEKLY)).toMatchObject({
        start: '2026-10-14T07:00:00Z',
        end: '2026-10-14T08:00:00Z',
        rrule: 'FREQ=WEEKLY;UNTIL=20261104T080000Z',
        exdates: ['2026-10-21T07:00:00Z'],
      });
      expect(find(WEEKLY).attendees).toEqual([{ address: 'mailto:alice@example.com', partstat: 'ACCEPTED' }]);
      expect(find(OUTLOOK)).toMatchObject({ summary: 'Weekly planning', start: '2026-10-06T08:00:00Z', status: 'CONFIRMED' });
      expect(find(OUTLOOK).rrule).toContain('FREQ=WEEKLY');
      expect(find(GOOGLE, '2026-11-10T15:00:00Z')).toMatchObject({ status: 'CANCELLED', start: '2026-11-10T15:00:00Z', rrule: null });
    });

    it('prints a table for people, one line per component', () => {
      const table = ok(['objects', '--user', ALICE], { store }).stdout;
      for (const uid of [PLANNING, REVIEW, OUTLOOK, GOOGLE, WEEKLY, ALLDAY]) expect(table).toContain(uid);
      expect(table.trimEnd().split('\n')).toHaveLength(rows.length + 1);
    });
  });

  describe('object --user ADDR UID', () => {
    it('prints the stored VCALENDAR', () => {
      const result = ok(['object', '--user', ALICE, REVIEW], { store });
      expect(result.stdout.startsWith('BEGIN:VCALENDAR\r\n')).toBe(true);
      expect(result.stdout.endsWith('END:VCALENDAR\r\n')).toBe(true);
      expect(result.stdout).toContain(`UID:${REVIEW}\r\n`);
      expect(result.stdout).toMatch(/ATTENDEE[^\r\n]*PARTSTAT=ACCEPTED[^\r\n]*:mailto:bob@example.com/);
    });

    it('--json gives the same object as jCal', () => {
      const jcal = json<[string, Array<[string, ...unknown[]]>, Array<[string, Array<[string, ...unknown[]]>, unknown[]]>]>(
        ['object', '--user', 'MAILTO:Alice@Example.com', GOOGLE],
        { store },
      );
      expect(jcal[0]).toBe('vcalendar');
      const events = jcal[2].filter((c) => c[0] === 'vevent');
      // The master and the cancelled instance, in one calendar object.
      expect(events).toHaveLength(2);
      for (const event of events) expect(event[1].find((p) => p[0] === 'uid')?.[3]).toBe(GOOGLE);
    });

    it('exits 1 for an unknown UID or user, with the reason on stderr', async () => {
      const runs = [['--user', ALICE, 'no-such-uid@example.com'], ['--user', 'nobody@example.com', REVIEW]].flatMap((args) =>
        [[], ['--json']].map((extra) => cliAsync(['object', ...args, ...extra], { store })),
      );
      for (const result of await Promise.all(runs)) {
        expect(result.code).toBe(1);
        expect(result.stdout).toBe('');
        expect(errors(result)).toHaveLength(1);
      }
    });
  });

  describe('freebusy --user', () => {
    it('lists own periods with exactly {start, end, fbtype, uid, recurrenceId}, sorted by start, across the DST change', () => {
      const rows = json<PeriodRow[]>(['freebusy', '--user', ALICE], { store });
      for (const row of rows) {
        expect(sortedKeys(row)).toEqual(PERIOD_KEYS);
        expect(row.start).toMatch(ISO_UTC);
        expect(row.end).toMatch(ISO_UTC);
      }
      expect(isSorted(rows, (a, b) => text(a.start, b.start))).toBe(true);
      // Accepted: the Outlook series (8 Tuesdays, 08:00Z before and 09:00Z after 25 October),
      // the weekly series without its EXDATE, and her own review. Not yet answered: nothing.
      expect(rows.filter((r) => r.uid === OUTLOOK).map((r) => r.start)).toEqual([
        '2026-10-06T08:00:00Z',
        '2026-10-13T08:00:00Z',
        '2026-10-20T08:00:00Z',
        '2026-10-27T09:00:00Z',
        '2026-11-03T09:00:00Z',
        '2026-11-10T09:00:00Z',
        '2026-11-17T09:00:00Z',
        '2026-11-24T09:00:00Z',
      ]);
      expect(rows.filter((r) => r.uid === WEEKLY)).toEqual([
        { start: '2026-10-14T07:00:00Z', end: '2026-10-14T08:00:00Z', fbtype: 'BUSY', uid: WEEKLY, recurrenceId: '2026-10-14T07:00:00Z' },
        { start: '2026-10-28T08:00:00Z', end: '2026-10-28T09:00:00Z', fbtype: 'BUSY', uid: WEEKLY, recurrenceId: '2026-10-28T08:00:00Z' },
        { start: '2026-11-04T08:00:00Z', end: '2026-11-04T09:00:00Z', fbtype: 'BUSY', uid: WEEKLY, recurrenceId: '2026-11-04T08:00:00Z' },
      ]);
      expect(rows.filter((r) => r.uid === REVIEW)).toEqual([
        { start: '2026-12-02T14:00:00Z', end: '2026-12-02T15:00:00Z', fbtype: 'BUSY', uid: REVIEW, recurrenceId: null },
      ]);
      expect(rows.filter((r) => r.uid === PLANNING || r.uid === GOOGLE || r.uid === ALLDAY)).toEqual([]);
      expect(rows).toHaveLength(12);
    });

    it('--from/--to keep the periods overlapping the half-open range', async () => {
      const range = async (...args: string[]) =>
        (await jsonAsync<PeriodRow[]>(['freebusy', '--user', ALICE, ...args], { store })).map(
          (r) => `${r.uid === OUTLOOK ? 'outlook' : r.uid === WEEKLY ? 'weekly' : r.uid} ${r.start}`,
        );
      const [october, touching, dates, offsets, from] = await Promise.all([
        range('--from', '2026-10-20T00:00:00Z', '--to', '2026-10-29T00:00:00Z'),
        range('--from', '2026-10-20T09:00:00Z', '--to', '2026-10-27T09:00:00Z'),
        range('--from', '2026-12-02', '--to', '2026-12-03'),
        range('--from', '2026-10-20T10:30:00+02:00', '--to', '2026-10-20T10:31:00+02:00'),
        range('--from', '2026-11-20T00:00:00Z'),
      ]);
      expect(october).toEqual(['outlook 2026-10-20T08:00:00Z', 'outlook 2026-10-27T09:00:00Z', 'weekly 2026-10-28T08:00:00Z']);
      // A period ending at --from, or starting at --to, is outside.
      expect(touching).toEqual([]);
      // A date is its midnight UTC; other offsets are converted.
      expect(dates).toEqual([`${REVIEW} 2026-12-02T14:00:00Z`]);
      expect(offsets).toEqual(['outlook 2026-10-20T08:00:00Z']);
      expect(from).toEqual(['outlook 2026-11-24T09:00:00Z', `${REVIEW} 2026-12-02T14:00:00Z`]);
    });

    it('--others lists the periods of the others, with participant', () => {
      const rows = json<PeriodRow[]>(['freebusy', '--user', ALICE, '--others', '--from', '2026-11-01T00:00:00Z', '--to', '2026-12-03T00:00:00Z'], { store });
      for (const row of rows) {
        expect(sortedKeys(row)).toEqual([...PERIOD_KEYS, 'participant'].sort());
        expect(row.participant).toMatch(MAILTO);
      }
      expect(isSorted(rows, (a, b) => text(a.start, b.start))).toBe(true);
      expect(rows.filter((r) => r.uid === PLANNING)).toEqual([
        { start: '2026-12-01T09:00:00Z', end: '2026-12-01T10:00:00Z', fbtype: 'BUSY', uid: PLANNING, recurrenceId: null, participant: 'mailto:boss@example.com' },
      ]);
      expect(rows.filter((r) => r.uid === REVIEW).map((r) => r.participant)).toEqual(['mailto:bob@example.com']);
      // The cancelled Google instance (10 November) is gone; the series goes on at 15:00Z (EST).
      expect(rows.filter((r) => r.uid === GOOGLE).map((r) => r.start)).toEqual([
        '2026-11-03T15:00:00Z',
        '2026-11-17T15:00:00Z',
        '2026-11-24T15:00:00Z',
        '2026-12-01T15:00:00Z',
      ]);
      expect(rows.every((r) => r.start < '2026-12-03T00:00:00Z' && r.end > '2026-11-01T00:00:00Z')).toBe(true);
    });

    it('prints a table for people, with the participant column for --others', async () => {
      const [own, others] = await Promise.all([
        okAsync(['freebusy', '--user', ALICE, '--from', '2026-12-02', '--to', '2026-12-03'], { store }),
        okAsync(['freebusy', '--user', ALICE, '--others', '--from', '2026-12-02', '--to', '2026-12-03'], { store }),
      ]);
      expect(own.stdout).toContain(REVIEW);
      expect(own.stdout).toContain('2026-12-02T14:00:00Z');
      expect(own.stdout).not.toContain('mailto:');
      expect(others.stdout).toContain('mailto:bob@example.com');
    });

    it('refuses a range that is not one (64)', async () => {
      const invalid = [['--from', 'yesterday'], ['--from', '2026-12-02', '--to', '2026-12-01'], ['--to', '2026-13-45T99:00:00Z']];
      for (const result of await Promise.all(invalid.map((args) => cliAsync(['freebusy', '--user', ALICE, ...args, '--json'], { store })))) {
        expect(result.code).toBe(64);
        expect(result.stdout).toBe('');
        expect(errors(result)).toHaveLength(1);
      }
    });
  });

  it('requests --user lists what waits for alice: {uid, recurrenceId, method, from, received}', () => {
    const rows = json<Row[]>(['requests', '--user', ALICE], { store });
    for (const row of rows) expect(sortedKeys(row)).toEqual(REQUEST_KEYS);
    // Her own event (the review) and the series she answered wait for nothing.
    expect(rows).toEqual([
      { uid: GOOGLE, recurrenceId: null, method: 'REQUEST', from: 'mailto:organizer@gmail.com', received: NOW },
      { uid: ALLDAY, recurrenceId: null, method: 'REQUEST', from: 'mailto:carol@example.org', received: NOW },
      { uid: PLANNING, recurrenceId: null, method: 'REQUEST', from: 'mailto:boss@example.com', received: NOW },
    ]);
    const table = ok(['requests', '--user', ALICE], { store }).stdout;
    expect(table).toContain(PLANNING);
    expect(table).toContain('mailto:organizer@gmail.com');
  });

  it('inbox --user holds each received scheduling message with its iCalendar', () => {
    const rows = json<Array<Row & { ics: string }>>(['inbox', '--user', ALICE], { store });
    const byMessage = new Map(rows.map((r) => [r.messageId, r]));
    expect(byMessage.get('planning-request-1@example.com')).toMatchObject({ method: 'REQUEST', uid: PLANNING, from: 'mailto:boss@example.com', received: NOW });
    expect(byMessage.get('review-reply-bob@example.com')).toMatchObject({ method: 'REPLY', uid: REVIEW, from: 'mailto:bob@example.com' });
    expect(byMessage.get('calendar-1f7b3a9d-2c4e-4d8a-b6f1-0e9c5a3d7b21@google.com')).toMatchObject({ method: 'CANCEL', uid: GOOGLE });
    // Mail alice sent herself is no inbox item.
    expect(byMessage.has('review-request-1@example.com')).toBe(false);
    for (const row of rows) {
      expect(row.id).toEqual(expect.any(String));
      expect(row.from).toMatch(MAILTO);
      expect(row.received).toMatch(ISO_UTC);
      // Long lines are folded (RFC 5545 section 3.1): unfold before looking for a property.
      const unfolded = row.ics.replace(/\r?\n[ \t]/g, '');
      expect(unfolded).toContain('BEGIN:VCALENDAR');
      expect(unfolded).toContain(`UID:${row.uid}\r\n`);
      expect(unfolded).toContain(`METHOD:${row.method}\r\n`);
    }
    expect(new Set(rows.map((r) => r.id)).size).toBe(rows.length);
    expect(ok(['inbox', '--user', ALICE], { store }).stdout).toContain('review-reply-bob@example.com');
  });

  it('outbox lists the REQUEST alice\'s agent queued for bob\'s REFRESH', () => {
    const rows = json<Array<Row & { ics: string }>>(['outbox'], { store });
    expect(rows).toHaveLength(1);
    const [item] = rows;
    for (const key of OUTBOX_KEYS) expect(item).toHaveProperty(key);
    expect(item).toMatchObject({
      method: 'REQUEST',
      uid: REVIEW,
      from: 'mailto:alice@example.com',
      to: ['mailto:bob@example.com'],
      state: 'unprocessed',
      attempts: 0,
    });
    expect(item.id).toEqual(expect.any(String));
    expect(item.ics).toContain('METHOD:REQUEST');
    expect(item.ics).toContain(`UID:${REVIEW}`);
    // Generated now: its DTSTAMP is ITIP_AGENT_NOW.
    expect(item.ics).toContain('DTSTAMP:20261115T120000Z');
    expect(json(['outbox', '--user', ALICE], { store })).toEqual(rows);
    expect(ok(['outbox'], { store }).stdout).toContain(REVIEW);
  });

  it('journal lists one entry per message, recipient and UID, in the order written, stamped with ITIP_AGENT_NOW', () => {
    const rows = json<Row[]>(['journal'], { store });
    for (const row of rows) {
      expect(sortedKeys(row)).toEqual(JOURNAL_KEYS);
      expect(row.at).toBe(NOW);
      expect(row.recipient).toBe('mailto:alice@example.com');
    }
    expect(rows.map((r) => [r.method, r.uid, r.outcome])).toEqual([
      ['REQUEST', PLANNING, 'applied'],
      ['REQUEST', REVIEW, 'applied'],
      ['REPLY', REVIEW, 'applied'],
      ['REQUEST', OUTLOOK, 'applied'],
      ['REPLY', OUTLOOK, 'applied'],
      ['REQUEST', GOOGLE, 'applied'],
      ['CANCEL', GOOGLE, 'applied'],
      ['REQUEST', ALLDAY, 'applied'],
      ['REQUEST', WEEKLY, 'applied'],
      ['REPLY', WEEKLY, 'applied'],
      ['REFRESH', REVIEW, 'applied'],
    ]);
    expect(rows[0].messageId).toBe('planning-request-1@example.com');
    expect(json(['journal', '--user', ALICE], { store })).toEqual(rows);
    const table = ok(['journal', '--user', ALICE], { store }).stdout;
    expect(table).toContain(PLANNING);
    expect(table).toContain('applied');
  });

  it('an unknown user gives [] with --json, nothing on stdout without, exit 0 and a note', async () => {
    const user = 'nobody@example.com';
    const commands = [['objects'], ['freebusy'], ['freebusy', '--others'], ['requests'], ['inbox'], ['outbox'], ['journal']];
    const [asJson, asText] = await Promise.all([
      Promise.all(commands.map((args) => jsonAsync([...args, '--user', user], { store }))),
      Promise.all(commands.map((args) => okAsync([...args, '--user', user], { store }))),
    ]);
    expect(asJson).toEqual(commands.map(() => []));
    for (const human of asText) {
      expect(human.stdout).toBe('');
      expect(human.logs.some((l) => l.level === 'warn' && String(l.msg).includes('mailto:nobody@example.com'))).toBe(true);
    }
  });
});

describe('inspection of a store that does not exist yet', () => {
  const dir = tempDir();
  const store = join(dir.path, 'never-made');
  afterAll(() => dir.remove());

  it('prints [] and does not create the store', async () => {
    const commands = [['objects', '--user', ALICE], ['freebusy', '--user', ALICE], ['requests', '--user', ALICE], ['inbox', '--user', ALICE], ['outbox'], ['journal']];
    const [listed, missing] = await Promise.all([
      Promise.all(commands.map((args) => jsonAsync(args, { store }))),
      cliAsync(['object', '--user', ALICE, PLANNING], { store }),
    ]);
    expect(listed).toEqual(commands.map(() => []));
    expect(missing.code).toBe(1);
    expect(existsSync(store)).toBe(false);
  });

  it('needs --user where it is mandatory (64)', async () => {
    const results = await Promise.all(['objects', 'object', 'freebusy', 'requests', 'inbox'].map((command) => cliAsync([command, '--json'], { store })));
    for (const result of results) {
      expect(result.code).toBe(64);
      expect(result.stdout).toBe('');
      expect(errors(result)).toHaveLength(1);
    }
  });
});

describe('outbox when nothing was queued', () => {
  const dir = tempDir();
  const store = join(dir.path, 'store');
  afterAll(() => dir.remove());

  it('is [] for everyone and for each user', () => {
    ok(['process', '--recipient', ALICE], { store, input: fixture('request-alice.eml') });
    expect(json(['outbox'], { store })).toEqual([]);
    expect(json(['outbox', '--user', ALICE], { store })).toEqual([]);
    expect(ok(['outbox'], { store }).stdout).toBe('');
  });
});

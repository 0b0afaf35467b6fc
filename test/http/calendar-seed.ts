// A store for the web page tests, filled the way a real one is: invitations,
// updates, cancellations, counter-proposals and refresh requests processed as
// mail through processMail (src/agent/process-message.ts) into real LMDB, and
// the delivery status of a sent invitation recorded as the outbox sender
// records it. Calendar text is hostile where a page shows it: a SUMMARY that
// is a script, a CN with quotes and markup, a description with markup and
// line breaks.

import { processMail } from '../../src/agent/process-message.js';
import { recordScheduleStatus } from '../../src/agent/schedule-status-update.js';
import { LmdbStore } from '../../src/store/lmdb-store.js';
import { tempDir } from './web-support.js';

export const ALICE = 'mailto:alice@example.com';
export const BOB = 'mailto:bob@example.com';
export const ROOM = 'mailto:room-1@example.com';
/** The calendar clock of the pages: Monday of ISO week 2026-W47. */
export const NOW = Date.parse('2026-11-16T08:00:00Z');
export const HOSTILE_SUMMARY = '<script>alert(1)</script>';

export interface Seeded {
  store: LmdbStore;
  /** The REQUEST text Alice sent for her own event "Budget review". */
  budgetRequest: string;
  close(): Promise<void>;
}

function calendar(method: string, ...events: string[][]): string {
  const lines = ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//web-test//EN', `METHOD:${method}`];
  for (const event of events) lines.push('BEGIN:VEVENT', ...event, 'END:VEVENT');
  lines.push('END:VCALENDAR', '');
  return lines.join('\r\n');
}

/** An iMIP mail (RFC 6047) with one text/calendar body. */
function imipMail(from: string, to: string[], messageId: string, ics: string): Buffer {
  const method = /^METHOD:(\S+)/m.exec(ics)?.[1] ?? 'REQUEST';
  const head = [`From: ${from}`, `To: ${to.join(', ')}`, 'Subject: Invitation', `Message-ID: <${messageId}>`, 'Date: Mon, 09 Nov 2026 08:00:00 +0000', 'MIME-Version: 1.0', `Content-Type: text/calendar; charset=utf-8; method=${method}`, 'Content-Transfer-Encoding: 8bit'];
  return Buffer.from(`${head.join('\r\n')}\r\n\r\n${ics}`, 'utf8');
}

let messages = 0;
let minute = 0;

/** One mail through the real mail path, each a minute after the one before (so that versions have an order). */
async function deliver(store: LmdbStore, ics: string, from: string, to: string[], options: { outgoing?: boolean } = {}): Promise<void> {
  const raw = imipMail(from, to, `seed-${++messages}@web-test`, ics);
  const envelope = options.outgoing ? { recipients: [], sender: from, outgoing: true } : { recipients: to, sender: from };
  const result = await processMail(store, raw, envelope, NOW - 7 * 86_400_000 + ++minute * 60_000);
  const outcomes = result.users.flatMap((u) => u.entries.map((e) => `${e.outcome}: ${e.reason}`));
  if (outcomes.length === 0 || outcomes.some((o) => /^(refused|error|ignored)/.test(o))) throw new Error(`seeding a mail went wrong: ${outcomes.join('; ')}\n${ics}`);
}

export async function seedCalendar(): Promise<Seeded> {
  const dir = tempDir('itip-agent-web-store-');
  const store = new LmdbStore(dir.path);
  const carol = 'ORGANIZER;CN=Carol:mailto:carol@example.org';

  // An invitation whose text is hostile, clashing with Alice's own event below.
  await deliver(
    store,
    calendar('REQUEST', [
      'UID:inv-1@example.org',
      'DTSTAMP:20261101T080000Z',
      'DTSTART:20261201T090000Z',
      'DTEND:20261201T100000Z',
      'SEQUENCE:0',
      `SUMMARY:${HOSTILE_SUMMARY}`,
      'LOCATION:Room "A" & <B>',
      'DESCRIPTION:Line one\\nLine <b>two</b> & "three"',
      carol,
      'ATTENDEE;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:alice@example.com',
      'ATTENDEE;CN="Bob ^\'The Builder^\' <b>";PARTSTAT=ACCEPTED:mailto:bob@example.com',
    ]),
    'carol@example.org',
    ['alice@example.com'],
  );

  // An invitation, then its update that moves it.
  const moved = (sequence: number, start: string, end: string) =>
    calendar('REQUEST', [
      'UID:moved-1@example.org',
      `DTSTAMP:2026110${sequence + 1}T080000Z`,
      `DTSTART:${start}`,
      `DTEND:${end}`,
      `SEQUENCE:${sequence}`,
      'SUMMARY:Quarterly planning',
      carol,
      'ATTENDEE;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:alice@example.com',
    ]);
  await deliver(store, moved(0, '20261202T100000Z', '20261202T110000Z'), 'carol@example.org', ['alice@example.com']);
  await deliver(store, moved(1, '20261203T140000Z', '20261203T150000Z'), 'carol@example.org', ['alice@example.com']);

  // A weekly series from Monday 16 November; its second instance is cancelled.
  await deliver(
    store,
    calendar('REQUEST', [
      'UID:series-1@example.org',
      'DTSTAMP:20261101T080000Z',
      'DTSTART:20261116T090000Z',
      'DTEND:20261116T093000Z',
      'RRULE:FREQ=WEEKLY;COUNT=6',
      'SEQUENCE:0',
      'SUMMARY:Weekly stand-up',
      carol,
      'ATTENDEE;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:alice@example.com',
    ]),
    'carol@example.org',
    ['alice@example.com'],
  );
  await deliver(
    store,
    calendar('CANCEL', [
      'UID:series-1@example.org',
      'DTSTAMP:20261102T080000Z',
      'RECURRENCE-ID:20261123T090000Z',
      'DTSTART:20261123T090000Z',
      'DTEND:20261123T093000Z',
      'SEQUENCE:1',
      'STATUS:CANCELLED',
      'SUMMARY:Weekly stand-up',
      carol,
      'ATTENDEE:mailto:alice@example.com',
    ]),
    'carol@example.org',
    ['alice@example.com'],
  );

  // Alice's own events (mail she sent): busy time, a counter-proposal, a refresh request.
  const budgetRequest = calendar('REQUEST', [
    'UID:budget-1@example.com',
    'DTSTAMP:20261101T080000Z',
    'DTSTART:20261201T093000Z',
    'DTEND:20261201T103000Z',
    'SEQUENCE:0',
    'SUMMARY:Budget review',
    'ORGANIZER;CN=Alice:mailto:alice@example.com',
    'ATTENDEE;CN=Dan;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:dan@example.net',
    'ATTENDEE;CN=Frank;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:frank@example.net',
  ]);
  await deliver(store, budgetRequest, 'alice@example.com', ['dan@example.net', 'frank@example.net'], { outgoing: true });
  await recordScheduleStatus(
    store,
    { id: 'seed-outbox', user: ALICE, method: 'REQUEST', uid: 'budget-1@example.com', from: ALICE, to: ['mailto:dan@example.net', 'mailto:frank@example.net'], state: 'processed', attempts: 1, created: '2026-11-09T08:00:00Z', ics: budgetRequest },
    { 'mailto:dan@example.net': '1.2', 'mailto:frank@example.net': '3.7' },
    '<seed-outbox@web-test>',
    NOW - 7 * 86_400_000,
  );
  await deliver(
    store,
    calendar('COUNTER', [
      'UID:budget-1@example.com',
      'DTSTAMP:20261102T080000Z',
      'DTSTART:20261201T110000Z',
      'DTEND:20261201T120000Z',
      'SEQUENCE:0',
      'SUMMARY:Budget review',
      'ORGANIZER;CN=Alice:mailto:alice@example.com',
      'ATTENDEE;CN=Dan;PARTSTAT=TENTATIVE:mailto:dan@example.net',
      'COMMENT:Later <please>',
    ]),
    'dan@example.net',
    ['alice@example.com'],
  );
  await deliver(
    store,
    calendar('REQUEST', [
      'UID:sync-1@example.com',
      'DTSTAMP:20261101T080000Z',
      'DTSTART:20261204T130000Z',
      'DTEND:20261204T140000Z',
      'SEQUENCE:0',
      'SUMMARY:Design sync',
      'ORGANIZER:mailto:alice@example.com',
      'ATTENDEE;PARTSTAT=NEEDS-ACTION:mailto:erin@example.net',
    ]),
    'alice@example.com',
    ['erin@example.net'],
    { outgoing: true },
  );
  await deliver(
    store,
    calendar('REFRESH', ['UID:sync-1@example.com', 'DTSTAMP:20261102T080000Z', 'ORGANIZER:mailto:alice@example.com', 'ATTENDEE:mailto:erin@example.net']),
    'erin@example.net',
    ['alice@example.com'],
  );

  // Bob's own invitation, which Alice must not see.
  await deliver(
    store,
    calendar('REQUEST', [
      'UID:bob-only@example.org',
      'DTSTAMP:20261101T080000Z',
      'DTSTART:20261201T090000Z',
      'DTEND:20261201T100000Z',
      'SEQUENCE:0',
      'SUMMARY:Bob private',
      carol,
      'ATTENDEE;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:bob@example.com',
    ]),
    'carol@example.org',
    ['bob@example.com'],
  );

  // A room Alice manages, booked by Carol (the room accepts on its own).
  await store.transact(ROOM, (tx) => {
    tx.setRole('resource');
    tx.setPref('owners', 'alice@example.com');
  });
  await deliver(
    store,
    calendar('REQUEST', [
      'UID:room-booking@example.org',
      'DTSTAMP:20261101T080000Z',
      'DTSTART:20261117T100000Z',
      'DTEND:20261117T110000Z',
      'SEQUENCE:0',
      'SUMMARY:Offsite prep',
      carol,
      'ATTENDEE;CUTYPE=ROOM;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:room-1@example.com',
    ]),
    'carol@example.org',
    ['room-1@example.com'],
  );

  return {
    store,
    budgetRequest,
    async close() {
      await store.close();
      dir.remove();
    },
  };
}

/** Everything a page may read of the store, to show that a GET changed none of it. */
export async function snapshot(store: LmdbStore): Promise<string> {
  const users = (await store.listUsers()).sort();
  return JSON.stringify({
    users: await Promise.all(
      users.map(async (user) => ({
        user,
        role: await store.getRole(user),
        prefs: await store.getPrefs(user),
        objects: await store.listObjects(user),
        requests: await store.listRequests(user),
        counters: await store.listCounters(user),
        inbox: await store.listInbox(user),
        freeBusy: await store.freeBusy(user),
        others: await store.freeBusy(user, { others: true }),
      })),
    ),
    outbox: await store.listOutbox(),
    journal: await store.listJournal(),
  });
}

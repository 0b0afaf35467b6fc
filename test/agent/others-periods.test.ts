// Others' free/busy after a series moves: what a message leaves behind is what
// the stored object implies, exactly as the upkeep computes it, so a restart
// (which runs the upkeep) changes nothing. Real mail reader, core and LMDB.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { processMail } from '../../src/agent/process-message.js';
import { refreshFreeBusy } from '../../src/agent/upkeep.js';
import { LmdbStore } from '../../src/store/lmdb-store.js';

const DAY = 86_400_000;
const WEEK = 7 * DAY;
const T0 = Date.parse('2026-11-15T12:00:00Z');
const UID = 'weekly@x';
const ALICE = 'mailto:alice@example.com';
const BOB = 'mailto:bob@example.org';
const CAROL = 'mailto:carol@example.org';

interface Sent {
  method: string;
  from: string;
  to: string;
  /** The VEVENT's lines besides UID and SUMMARY. */
  lines: string[];
  outgoing?: boolean;
}

let messages = 0;
async function send(store: LmdbStore, { method, from, to, lines, outgoing }: Sent, now = T0) {
  const ics = ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//t//EN', `METHOD:${method}`, 'BEGIN:VEVENT', `UID:${UID}`, 'SUMMARY:Standup', ...lines, 'END:VEVENT', 'END:VCALENDAR', ''];
  const raw = Buffer.from(
    `From: ${from}\r\nTo: ${to}\r\nSubject: s\r\nMessage-ID: <m${++messages}@t>\r\nContent-Type: text/calendar; method=${method}\r\n\r\n${ics.join('\r\n')}`,
  );
  const envelope = outgoing ? { recipients: [], sender: from, outgoing: true } : { recipients: [to], sender: from };
  const result = await processMail(store, raw, envelope, now);
  return result.users.flatMap((u) => u.entries.map((e) => e.outcome));
}

/** A weekly series without end, starting 2026-12-01 at the given UTC hour, half an hour long. */
function weekly(hour: string): string[] {
  return [`DTSTART:20261201T${hour}0000Z`, `DTEND:20261201T${hour}3000Z`, 'RRULE:FREQ=WEEKLY'];
}

/** The periods such a series gives within the window (365 days either side of T0). */
function weeklyPeriods(hour: number, participant: string) {
  const periods = [];
  for (let start = Date.parse('2026-12-01T00:00:00Z') + hour * 3_600_000; start < T0 + 365 * DAY; start += WEEK) {
    const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');
    periods.push({ start: iso(start), end: iso(start + 1_800_000), fbtype: 'BUSY', uid: UID, recurrenceId: iso(start), participant });
  }
  return periods;
}

/** Runs the upkeep at `now` and says whether the whole others' listing of the user stayed the same. */
async function upkeepChangesNothing(store: LmdbStore, user: string, now = T0) {
  const before = await store.freeBusy(user, { others: true });
  const own = await store.freeBusy(user);
  await refreshFreeBusy(store, now);
  expect(await store.freeBusy(user, { others: true })).toEqual(before);
  expect(await store.freeBusy(user)).toEqual(own);
}

let dir: string;
let store: LmdbStore;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'itip-others-'));
  store = new LmdbStore(dir);
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const byParticipant = async (user: string, participant: string) =>
  (await store.freeBusy(user, { others: true })).filter((p) => (p as { participant?: string }).participant === participant);

describe("others' free/busy follows a moved series", () => {
  it("the organizer's reschedule moves the periods of attendees still accepted and drops those asked again", async () => {
    const organizer = 'ORGANIZER:mailto:alice@example.com';
    const v0 = ['DTSTAMP:20261101T080000Z', 'SEQUENCE:0', organizer];
    expect(
      await send(store, {
        method: 'REQUEST', from: 'alice@example.com', to: 'bob@example.org', outgoing: true,
        lines: [...v0, ...weekly('09'), `ATTENDEE;PARTSTAT=NEEDS-ACTION:${BOB}`, `ATTENDEE;PARTSTAT=NEEDS-ACTION:${CAROL}`],
      }),
    ).toEqual(['applied']);
    for (const [who, address] of [['bob@example.org', BOB], ['carol@example.org', CAROL]] as const) {
      expect(
        await send(store, {
          method: 'REPLY', from: who, to: 'alice@example.com',
          lines: ['DTSTAMP:20261102T080000Z', 'SEQUENCE:0', organizer, ...weekly('09'), `ATTENDEE;PARTSTAT=ACCEPTED:${address}`],
        }),
      ).toEqual(['applied']);
    }
    expect(await byParticipant(ALICE, BOB)).toEqual(weeklyPeriods(9, BOB));
    expect(await byParticipant(ALICE, CAROL)).toEqual(weeklyPeriods(9, CAROL));

    // Alice moves the series to 14:00: her client keeps Bob's acceptance and asks Carol again.
    expect(
      await send(store, {
        method: 'REQUEST', from: 'alice@example.com', to: 'bob@example.org', outgoing: true,
        lines: ['DTSTAMP:20261103T080000Z', 'SEQUENCE:1', organizer, ...weekly('14'), `ATTENDEE;PARTSTAT=ACCEPTED:${BOB}`, `ATTENDEE;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:${CAROL}`],
      }),
    ).toEqual(['applied']);
    const others = await store.freeBusy(ALICE, { others: true });
    expect(weeklyPeriods(14, BOB)).toHaveLength(50);
    expect(others).toEqual(weeklyPeriods(14, BOB));
    await upkeepChangesNothing(store, ALICE);
  });

  it("an attendee's copy moved by the organizer's REQUEST holds the organizer's new periods, and the upkeep keeps them", async () => {
    const organizer = 'ORGANIZER:mailto:alice@example.com';
    expect(
      await send(store, {
        method: 'REQUEST', from: 'alice@example.com', to: 'bob@example.org',
        lines: ['DTSTAMP:20261101T080000Z', 'SEQUENCE:0', organizer, ...weekly('09'), `ATTENDEE;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:${BOB}`],
      }),
    ).toEqual(['applied']);
    expect(
      await send(store, {
        method: 'REPLY', from: 'bob@example.org', to: 'alice@example.com', outgoing: true,
        lines: ['DTSTAMP:20261102T080000Z', 'SEQUENCE:0', organizer, ...weekly('09'), `ATTENDEE;PARTSTAT=ACCEPTED:${BOB}`],
      }),
    ).toEqual(['applied']);
    await upkeepChangesNothing(store, BOB);
    expect(
      await send(store, {
        method: 'REQUEST', from: 'alice@example.com', to: 'bob@example.org',
        lines: ['DTSTAMP:20261103T080000Z', 'SEQUENCE:1', organizer, ...weekly('14'), `ATTENDEE;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:${BOB}`],
      }),
    ).toEqual(['applied']);
    expect(await store.freeBusy(BOB, { others: true })).toEqual(weeklyPeriods(14, ALICE));
    await upkeepChangesNothing(store, BOB);
  });

  it('a CANCEL of one instance, then of the whole series, leaves what the upkeep leaves, on both sides', async () => {
    const organizer = 'ORGANIZER:mailto:alice@example.com';
    const series = [organizer, ...weekly('09')];
    await send(store, {
      method: 'REQUEST', from: 'alice@example.com', to: 'bob@example.org', outgoing: true,
      lines: ['DTSTAMP:20261101T080000Z', 'SEQUENCE:0', ...series, `ATTENDEE;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:${BOB}`],
    });
    await send(store, {
      method: 'REQUEST', from: 'alice@example.com', to: 'bob@example.org',
      lines: ['DTSTAMP:20261101T080000Z', 'SEQUENCE:0', ...series, `ATTENDEE;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:${BOB}`],
    });
    await send(store, {
      method: 'REPLY', from: 'bob@example.org', to: 'alice@example.com',
      lines: ['DTSTAMP:20261102T080000Z', 'SEQUENCE:0', ...series, `ATTENDEE;PARTSTAT=ACCEPTED:${BOB}`],
    });
    expect(await byParticipant(ALICE, BOB)).toEqual(weeklyPeriods(9, BOB));

    const instance = [organizer, 'RECURRENCE-ID:20261208T090000Z', 'DTSTART:20261208T090000Z', 'DTEND:20261208T093000Z', 'STATUS:CANCELLED', `ATTENDEE:${BOB}`];
    const cancelInstance = { method: 'CANCEL', from: 'alice@example.com', to: 'bob@example.org', lines: ['DTSTAMP:20261103T080000Z', 'SEQUENCE:1', ...instance] };
    expect(await send(store, { ...cancelInstance, outgoing: true })).toEqual(['applied']);
    expect(await send(store, cancelInstance)).toEqual(['applied']);
    const without = (periods: ReturnType<typeof weeklyPeriods>) => periods.filter((p) => p.recurrenceId !== '2026-12-08T09:00:00Z');
    expect(await store.freeBusy(ALICE, { others: true })).toEqual(without(weeklyPeriods(9, BOB)));
    expect(await store.freeBusy(BOB, { others: true })).toEqual(without(weeklyPeriods(9, ALICE)));
    await upkeepChangesNothing(store, ALICE);
    await upkeepChangesNothing(store, BOB);

    const cancelAll = { method: 'CANCEL', from: 'alice@example.com', to: 'bob@example.org', lines: ['DTSTAMP:20261104T080000Z', 'SEQUENCE:2', ...series, 'STATUS:CANCELLED', `ATTENDEE:${BOB}`] };
    expect(await send(store, { ...cancelAll, outgoing: true })).toEqual(['applied']);
    expect(await send(store, cancelAll)).toEqual(['applied']);
    expect(await store.freeBusy(ALICE, { others: true })).toEqual([]);
    expect(await store.freeBusy(BOB, { others: true })).toEqual([]);
    await upkeepChangesNothing(store, ALICE);
    await upkeepChangesNothing(store, BOB);
  });
});

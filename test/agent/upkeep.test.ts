// Free/busy upkeep: as time passes, the window of a series without end moves,
// for the user's own periods and for the organizer's kept periods alike.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processMail } from '../../src/agent/process-message.js';
import { refreshFreeBusy } from '../../src/agent/upkeep.js';
import { LmdbStore } from '../../src/store/lmdb-store.js';

const DAY = 86_400_000;
const T0 = Date.parse('2026-11-15T12:00:00Z');
const ALICE = 'mailto:alice@example.com';

function mail(method: string, from: string, to: string, uid: string, lines: string[]): Buffer {
  const ics = [
    'BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//t//EN', `METHOD:${method}`, 'BEGIN:VEVENT', `UID:${uid}`,
    'DTSTAMP:20261101T080000Z', 'SEQUENCE:0', 'SUMMARY:Standup', 'ORGANIZER:mailto:boss@example.com', ...lines,
    'END:VEVENT', 'END:VCALENDAR', '',
  ].join('\r\n');
  return Buffer.from(
    `From: ${from}\r\nTo: ${to}\r\nSubject: s\r\nMessage-ID: <${method}-${uid}>\r\nContent-Type: text/calendar; method=${method}\r\n\r\n${ics}`,
  );
}

let dir: string;
let store: LmdbStore;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'itip-upkeep-'));
  store = new LmdbStore(dir);
  const weekly = ['DTSTART:20261201T090000Z', 'DTEND:20261201T093000Z', 'RRULE:FREQ=WEEKLY'];
  const once = ['DTSTART:20261202T090000Z', 'DTEND:20261202T100000Z'];
  await processMail(store, mail('REQUEST', 'boss@example.com', 'alice@example.com', 'weekly@x', [...weekly, 'ATTENDEE;PARTSTAT=NEEDS-ACTION:mailto:alice@example.com']), { recipients: ['alice@example.com'], sender: 'boss@example.com' }, T0);
  await processMail(store, mail('REPLY', 'alice@example.com', 'boss@example.com', 'weekly@x', [...weekly, 'ATTENDEE;PARTSTAT=ACCEPTED:mailto:alice@example.com']), { recipients: [], sender: 'alice@example.com', outgoing: true }, T0);
  await processMail(store, mail('REQUEST', 'boss@example.com', 'alice@example.com', 'once@x', [...once, 'ATTENDEE;PARTSTAT=ACCEPTED:mailto:alice@example.com']), { recipients: ['alice@example.com'], sender: 'boss@example.com' }, T0);
});
afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const lastStart = (periods: Array<{ start: string; uid: string }>, uid: string) =>
  Math.max(...periods.filter((p) => p.uid === uid).map((p) => Date.parse(p.start)));

describe('free/busy upkeep', () => {
  it('moves the window of a series without end, own and organizer periods alike', async () => {
    const ownBefore = lastStart(await store.freeBusy(ALICE), 'weekly@x');
    const organizerBefore = lastStart(await store.freeBusy(ALICE, { others: true }), 'weekly@x');
    // Before: the series reaches to the end of the window around T0, no further.
    expect(ownBefore).toBeGreaterThan(T0 + 358 * DAY);
    expect(ownBefore).toBeLessThanOrEqual(T0 + 365 * DAY);
    expect(organizerBefore).toBeGreaterThan(T0 + 358 * DAY);
    expect(organizerBefore).toBeLessThanOrEqual(T0 + 365 * DAY);

    const key = (p: { start: string; uid: string; participant?: string }) => `${p.uid} ${p.start} ${p.participant ?? ''}`;
    const before = new Set([...(await store.freeBusy(ALICE)), ...(await store.freeBusy(ALICE, { others: true }))].map(key));
    const summary = await refreshFreeBusy(store, T0 + 200 * DAY);
    const after = new Set([...(await store.freeBusy(ALICE)), ...(await store.freeBusy(ALICE, { others: true }))].map(key));
    // Real counts: every user looked at, and the periods that really changed.
    expect(summary).toMatchObject({ users: (await store.listUsers()).length, usersWithSeries: 1, objects: 1, objectsChanged: 1, failed: [] });
    expect(summary.periodsAdded).toBe([...after].filter((k) => !before.has(k)).length);
    expect(summary.periodsRemoved).toBe([...before].filter((k) => !after.has(k)).length);
    expect(summary.periodsAdded).toBeGreaterThan(20);
    // The same day again: the periods are computed again, and none changes.
    expect(await refreshFreeBusy(store, T0 + 200 * DAY)).toMatchObject({ objects: 1, objectsChanged: 0, periodsAdded: 0, periodsRemoved: 0 });

    const own = (await store.freeBusy(ALICE)).filter((p) => p.uid === 'weekly@x');
    expect(lastStart(own, 'weekly@x')).toBeGreaterThan(T0 + 558 * DAY);
    expect(lastStart(own, 'weekly@x')).toBeLessThanOrEqual(T0 + 565 * DAY);
    expect(Math.min(...own.map((p) => Date.parse(p.start)))).toBeGreaterThanOrEqual(T0 - 165 * DAY);
    expect(lastStart(await store.freeBusy(ALICE, { others: true }), 'weekly@x')).toBeGreaterThan(T0 + 558 * DAY);
  });

  it('leaves a single event as it was', async () => {
    expect((await store.freeBusy(ALICE)).filter((p) => p.uid === 'once@x')).toEqual([
      { start: '2026-12-02T09:00:00Z', end: '2026-12-02T10:00:00Z', fbtype: 'BUSY', uid: 'once@x', recurrenceId: null },
    ]);
  });
});

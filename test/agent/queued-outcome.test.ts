// Outcome `queued`: a message that only waits for the user's decision (a party
// crasher's REPLY, a COUNTER, a REFRESH the organizer answers) is journalled as
// queued, with its request entry, and is no refusal: a delivered copy is not
// marked refused for it. Real mail reader, core and LMDB.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { processMail, refusalsOf } from '../../src/agent/process-message.js';
import { LmdbStore } from '../../src/store/lmdb-store.js';

const NOW = Date.parse('2026-11-01T00:00:00Z');
const ALICE = 'mailto:alice@example.com';

let messages = 0;
function mail(method: string, from: string, lines: string[]): Buffer {
  const ics = [
    'BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//t//EN', `METHOD:${method}`,
    'BEGIN:VEVENT', 'UID:evt@x', 'DTSTART:20261201T090000Z', 'DTEND:20261201T100000Z', 'SUMMARY:Planning',
    'ORGANIZER:mailto:alice@example.com', ...lines, 'END:VEVENT', 'END:VCALENDAR', '',
  ];
  return Buffer.from(`From: ${from}\r\nTo: alice@example.com\r\nSubject: s\r\nMessage-ID: <q${++messages}@t>\r\nContent-Type: text/calendar; method=${method}\r\n\r\n${ics.join('\r\n')}`);
}

let dir: string;
let store: LmdbStore;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'itip-queued-'));
  store = new LmdbStore(dir);
  const invitation = mail('REQUEST', 'alice@example.com', ['DTSTAMP:20261101T080000Z', 'SEQUENCE:0', 'ATTENDEE;PARTSTAT=NEEDS-ACTION:mailto:bob@example.org']);
  await processMail(store, invitation, { recipients: [], sender: 'alice@example.com', outgoing: true }, NOW);
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('outcome queued', () => {
  it('journals a REPLY from someone not invited as queued, and it is no refusal', async () => {
    const reply = mail('REPLY', 'dave@example.net', ['DTSTAMP:20261101T090000Z', 'SEQUENCE:0', 'ATTENDEE;PARTSTAT=ACCEPTED:mailto:dave@example.net']);
    const result = await processMail(store, reply, { recipients: ['alice@example.com'], sender: 'dave@example.net' }, NOW);
    expect(result.users.flatMap((u) => u.entries.map((e) => e.outcome))).toEqual(['queued']);
    expect(refusalsOf(result)).toEqual([]);
    expect((await store.listRequests(ALICE)).map((r) => [r.method, r.from])).toEqual([['REPLY', 'mailto:dave@example.net']]);
  });

  it('journals a COUNTER and a REFRESH that wait for the organizer as queued', async () => {
    const counter = mail('COUNTER', 'bob@example.org', ['DTSTAMP:20261101T090000Z', 'SEQUENCE:0', 'ATTENDEE;PARTSTAT=TENTATIVE:mailto:bob@example.org']);
    const refresh = mail('REFRESH', 'bob@example.org', ['DTSTAMP:20261101T100000Z', 'ATTENDEE:mailto:bob@example.org']);
    // One request entry per UID and instance: the later message takes its place.
    for (const [raw, method] of [[counter, 'COUNTER'], [refresh, 'REFRESH']] as const) {
      const result = await processMail(store, raw, { recipients: ['alice@example.com'], sender: 'bob@example.org' }, NOW);
      expect(result.users.flatMap((u) => u.entries.map((e) => e.outcome))).toEqual(['queued']);
      expect(refusalsOf(result)).toEqual([]);
      expect((await store.listRequests(ALICE)).map((r) => r.method)).toEqual([method]);
    }
  });

  it('answers a REFRESH at once with event_refreshing=always: applied, not queued', async () => {
    await store.transact(ALICE, (tx) => tx.setPref('event_refreshing', 'always'));
    const refresh = mail('REFRESH', 'bob@example.org', ['DTSTAMP:20261101T100000Z', 'ATTENDEE:mailto:bob@example.org']);
    const result = await processMail(store, refresh, { recipients: ['alice@example.com'], sender: 'bob@example.org' }, NOW);
    expect(result.users.flatMap((u) => u.entries.map((e) => e.outcome))).toEqual(['applied']);
    expect(await store.listRequests(ALICE)).toEqual([]);
  });
});

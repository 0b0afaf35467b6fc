// A meeting room through the command line, as an administrator and an MTA
// drive it: `user add --resource`, `prefs`, `process` for each invitation,
// then the room's answers in `outbox --json` and its bookings in `freebusy --json`.

import { join } from 'node:path';
import ICAL from 'ical.js';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from './run-cli.js';
import { ISO_UTC, imipMail, json, ok, sortedKeys } from './helpers.js';

interface OutboxRow {
  id: string;
  method: string;
  uid: string;
  from: string;
  to: string[];
  state: string;
  attempts: number;
  ics: string;
}

function invitation(uid: string, organizer: string, start: string, end: string, extra: string[] = []): string {
  return [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'PRODID:-//Example Corp//CLI test//EN',
    'METHOD:REQUEST',
    'BEGIN:VEVENT',
    `UID:${uid}`,
    'DTSTAMP:20261101T080000Z',
    `DTSTART:${start}`,
    `DTEND:${end}`,
    ...extra,
    'SEQUENCE:0',
    'SUMMARY:Planning',
    `ORGANIZER:mailto:${organizer}`,
    'ATTENDEE;CUTYPE=ROOM;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:room@example.com',
    'END:VEVENT',
    'END:VCALENDAR',
    '',
  ].join('\r\n');
}

/** The room's PARTSTAT in each VEVENT of a generated message, keyed by RECURRENCE-ID ('' for the master). */
function partstats(ics: string): Record<string, string> {
  const vcalendar = new ICAL.Component(ICAL.parse(ics) as never);
  const out: Record<string, string> = {};
  for (const event of vcalendar.getAllSubcomponents('vevent')) {
    const attendees = event.getAllProperties('attendee');
    expect(attendees).toHaveLength(1);
    expect(String(attendees[0].getFirstValue()).toLowerCase()).toBe('mailto:room@example.com');
    const rid = event.getFirstPropertyValue('recurrence-id');
    out[rid ? String(rid) : ''] = String(attendees[0].getParameter('partstat'));
  }
  return out;
}

describe('a resource through the command line', () => {
  const dir = tempDir();
  const store = join(dir.path, 'store');
  afterAll(() => dir.remove());
  const room = 'room@example.com';

  const send = (from: string, ics: string, id: string) =>
    ok(['process', '--recipient', room, '--sender', from], {
      store,
      input: imipMail({ from, to: [room], subject: 'Invitation', messageId: id, ics }),
    });

  it('is set up with user add --resource and prefs', () => {
    ok(['user', 'add', room, '--resource'], { store });
    ok(['prefs', room, 'scheduling_function', 'permitted_times,freebusy'], { store });
    ok(['prefs', room, 'permitted_times', 'days=mon-fri; hours=08:00-18:00'], { store });
    ok(['prefs', room, 'recurrence_policy', 'per-instance'], { store });
    expect(json(['user', 'list'], { store })).toEqual([{ address: 'mailto:room@example.com', role: 'resource' }]);
  });

  it('accepts a free slot and answers the organizer with a REPLY in the outbox', () => {
    send('alice@example.com', invitation('cli-a1', 'alice@example.com', '20261201T090000Z', '20261201T100000Z'), 'cli-a1@example.com');
    const outbox = json<OutboxRow[]>(['outbox', '--user', room], { store });
    expect(outbox).toHaveLength(1);
    const [reply] = outbox;
    expect(sortedKeys(reply)).toEqual(expect.arrayContaining(['attempts', 'from', 'ics', 'id', 'method', 'state', 'to', 'uid']));
    expect(reply).toMatchObject({ method: 'REPLY', uid: 'cli-a1', from: 'mailto:room@example.com', to: ['mailto:alice@example.com'], state: 'unprocessed', attempts: 0 });
    expect(reply.ics).toMatch(/^METHOD:REPLY\r$/m);
    expect(partstats(reply.ics)).toEqual({ '': 'ACCEPTED' });
    expect(json(['freebusy', '--user', room], { store })).toEqual([
      { start: '2026-12-01T09:00:00Z', end: '2026-12-01T10:00:00Z', fbtype: 'BUSY', uid: 'cli-a1', recurrenceId: null },
    ]);
  });

  it('declines an overlapping request and a request outside the permitted hours, blocking nothing', () => {
    send('bob@example.com', invitation('cli-b1', 'bob@example.com', '20261201T093000Z', '20261201T103000Z'), 'cli-b1@example.com');
    send('bob@example.com', invitation('cli-b2', 'bob@example.com', '20261201T190000Z', '20261201T200000Z'), 'cli-b2@example.com');
    const outbox = json<OutboxRow[]>(['outbox', '--user', room], { store });
    const byUid = Object.fromEntries(outbox.map((o) => [o.uid, o]));
    expect(partstats(byUid['cli-b1'].ics)).toEqual({ '': 'DECLINED' });
    expect(byUid['cli-b1'].ics).toContain('REQUEST-STATUS:4.0');
    expect(partstats(byUid['cli-b2'].ics)).toEqual({ '': 'DECLINED' });
    const periods = json<Array<{ uid: string; start: string }>>(['freebusy', '--user', room], { store });
    expect(periods.map((p) => p.uid)).toEqual(['cli-a1']);
    for (const period of periods) expect(period.start).toMatch(ISO_UTC);
  });

  it('answers a weekly series per instance: the clashing week is declined with a RECURRENCE-ID', () => {
    send(
      'carol@example.com',
      invitation('cli-s1', 'carol@example.com', '20261124T093000Z', '20261124T103000Z', ['RRULE:FREQ=WEEKLY;COUNT=3']),
      'cli-s1@example.com',
    );
    const reply = json<OutboxRow[]>(['outbox', '--user', room], { store }).find((o) => o.uid === 'cli-s1')!;
    expect(partstats(reply.ics)).toEqual({ '': 'ACCEPTED', '2026-12-01T09:30:00Z': 'DECLINED' });
    const periods = json<Array<{ uid: string; recurrenceId: string | null }>>(['freebusy', '--user', room, '--from', '2026-11-20', '--to', '2026-12-20'], { store });
    expect(periods.filter((p) => p.uid === 'cli-s1').map((p) => p.recurrenceId)).toEqual(['2026-11-24T09:30:00Z', '2026-12-08T09:30:00Z']);
  });
});

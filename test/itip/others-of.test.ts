// Whose periods a calendar object implies besides the user's own: the one rule
// behind the others' periods of every message and of the free/busy upkeep.

import { describe, expect, it } from 'vitest';
import { CalendarObject } from '../../src/itip/calendar-object.js';
import { objectPeriods, othersOf } from '../../src/itip/freebusy/periods.js';

const ALICE = 'mailto:alice@example.com';
const BOB = 'mailto:bob@example.org';
const CAROL = 'mailto:carol@example.org';
const WINDOW = { from: Date.parse('2026-01-01T00:00:00Z'), to: Date.parse('2028-01-01T00:00:00Z') };

function objectOf(...lines: string[]): CalendarObject {
  const ics = [
    'BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//t//EN', 'BEGIN:VEVENT', 'UID:u1', 'DTSTAMP:20261101T080000Z',
    'DTSTART:20261201T090000Z', 'DTEND:20261201T100000Z', 'RRULE:FREQ=WEEKLY;COUNT=2', ...lines, 'END:VEVENT',
    // An override that names one more attendee, who accepted only this instance.
    'BEGIN:VEVENT', 'UID:u1', 'DTSTAMP:20261101T080000Z', 'RECURRENCE-ID:20261208T090000Z',
    'DTSTART:20261208T150000Z', 'DTEND:20261208T160000Z', ...lines, 'ATTENDEE;PARTSTAT=ACCEPTED:mailto:dan@example.org', 'END:VEVENT',
    'END:VCALENDAR', '',
  ].join('\r\n');
  return CalendarObject.fromStored({ uid: 'u1', ics }, null);
}

describe('othersOf', () => {
  it("in a copy the user attends, the organizer's periods only", () => {
    const object = objectOf(`ORGANIZER:${BOB}`, `ATTENDEE;PARTSTAT=ACCEPTED:${ALICE}`, `ATTENDEE;PARTSTAT=ACCEPTED:${CAROL}`);
    expect(othersOf(object, ALICE)).toEqual([BOB]);
    expect(objectPeriods(object, ALICE, WINDOW).others.map((p) => [p.participant, p.start])).toEqual([
      [BOB, '2026-12-01T09:00:00Z'],
      [BOB, '2026-12-08T15:00:00Z'],
    ]);
  });

  it("in the user's own event, every attendee's as the event records their answer", () => {
    const object = objectOf(`ORGANIZER:${ALICE}`, `ATTENDEE;PARTSTAT=ACCEPTED:${ALICE}`, `ATTENDEE;PARTSTAT=TENTATIVE:${BOB}`, `ATTENDEE;PARTSTAT=NEEDS-ACTION:${CAROL}`);
    expect(othersOf(object, ALICE)).toEqual([BOB, CAROL, 'mailto:dan@example.org']);
    const periods = objectPeriods(object, ALICE, WINDOW);
    expect(periods.others.map((p) => [p.participant, p.start, p.fbtype])).toEqual([
      [BOB, '2026-12-01T09:00:00Z', 'BUSY-TENTATIVE'],
      [BOB, '2026-12-08T15:00:00Z', 'BUSY-TENTATIVE'],
      ['mailto:dan@example.org', '2026-12-08T15:00:00Z', 'BUSY'],
    ]);
    expect(periods.own.map((p) => p.start)).toEqual(['2026-12-01T09:00:00Z', '2026-12-08T15:00:00Z']);
  });

  it('an object that names no organizer implies nobody else', () => {
    const object = objectOf(`ATTENDEE;PARTSTAT=ACCEPTED:${BOB}`);
    expect(othersOf(object, ALICE)).toEqual([]);
    expect(objectPeriods(object, ALICE, WINDOW).others).toEqual([]);
  });
});

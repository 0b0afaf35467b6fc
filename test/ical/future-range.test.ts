// RECURRENCE-ID;RANGE=THISANDFUTURE in expansion (RFC 5545 sections 3.2.13
// and 3.8.4.4), and a task's DUE as the end of its instances (section 3.6.2).

import { describe, expect, it } from 'vitest';
import { parseCalendar, scheduledComponentsOf } from '../../src/ical/calendar.js';
import { expandObject } from '../../src/ical/expand.js';
import { formatUtc } from '../../src/ical/times.js';
import { ZoneResolver } from '../../src/ical/zones.js';
import { CalendarObject } from '../../src/itip/calendar-object.js';

function calendar(kind: string, ...components: string[][]): string {
  const body = components.flatMap((c) => [`BEGIN:${kind}`, 'UID:s', 'DTSTAMP:20261001T000000Z', ...c, `END:${kind}`]);
  return ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//t//EN', ...body, 'END:VCALENDAR', ''].join('\r\n');
}

function expand(text: string, from: string, to: string) {
  const vcalendar = parseCalendar(text);
  const zones = new ZoneResolver(vcalendar, null);
  const result = expandObject(scheduledComponentsOf(vcalendar), zones, { from: Date.parse(from), to: Date.parse(to) });
  return result.instances.map((i) => `${i.key} ${formatUtc(i.start)}/${formatUtc(i.end)} ${String(i.component.getFirstPropertyValue('summary'))}`);
}

const BERLIN_WEEKLY = ['DTSTART;TZID=Europe/Berlin:20270301T090000', 'DTEND;TZID=Europe/Berlin:20270301T100000', 'RRULE:FREQ=WEEKLY', 'SUMMARY:series'];

describe('RANGE=THISANDFUTURE', () => {
  it('moves every later instance of an endless series on the wall clock, across a change to summer time', () => {
    const text = calendar(
      'VEVENT',
      BERLIN_WEEKLY,
      ['RECURRENCE-ID;RANGE=THISANDFUTURE;TZID=Europe/Berlin:20270315T090000', 'DTSTART;TZID=Europe/Berlin:20270315T100000',
        'DTEND;TZID=Europe/Berlin:20270315T113000', 'SUMMARY:moved'],
    );
    expect(expand(text, '2027-03-08T00:00:00Z', '2027-04-06T00:00:00Z')).toEqual([
      '2027-03-08T08:00:00Z 2027-03-08T08:00:00Z/2027-03-08T09:00:00Z series',
      '2027-03-15T08:00:00Z 2027-03-15T09:00:00Z/2027-03-15T10:30:00Z moved',
      '2027-03-22T08:00:00Z 2027-03-22T09:00:00Z/2027-03-22T10:30:00Z moved',
      // Summer time from 28 March: 10:00 in Berlin is 08:00 UTC; the key stays the original start.
      '2027-03-29T07:00:00Z 2027-03-29T08:00:00Z/2027-03-29T09:30:00Z moved',
      '2027-04-05T07:00:00Z 2027-04-05T08:00:00Z/2027-04-05T09:30:00Z moved',
    ]);
  });

  it('brings into the window an instance the move puts there, and leaves out one it moves away', () => {
    const text = calendar(
      'VEVENT',
      ['DTSTART:20270104T230000Z', 'DTEND:20270104T233000Z', 'RRULE:FREQ=DAILY;COUNT=5', 'SUMMARY:series'],
      ['RECURRENCE-ID;RANGE=THISANDFUTURE:20270104T230000Z', 'DTSTART:20270105T010000Z', 'DTEND:20270105T013000Z', 'SUMMARY:later'],
    );
    // The window is 6 January: instance 2 (5 January 23:00) moves into it; instance 3 (6 January 23:00) out of it.
    expect(expand(text, '2027-01-06T00:00:00Z', '2027-01-07T00:00:00Z')).toEqual([
      '2027-01-05T23:00:00Z 2027-01-06T01:00:00Z/2027-01-06T01:30:00Z later',
    ]);
  });

  it('follows the latest range that begins before an instance, and leaves instances with their own override alone', () => {
    const text = calendar(
      'VEVENT',
      ['DTSTART:20270101T090000Z', 'DTEND:20270101T100000Z', 'RRULE:FREQ=DAILY;COUNT=6', 'SUMMARY:series'],
      ['RECURRENCE-ID;RANGE=THISANDFUTURE:20270102T090000Z', 'DTSTART:20270102T100000Z', 'DTEND:20270102T110000Z', 'SUMMARY:first move'],
      ['RECURRENCE-ID:20270103T090000Z', 'DTSTART:20270103T160000Z', 'DTEND:20270103T170000Z', 'SUMMARY:own'],
      ['RECURRENCE-ID;RANGE=THISANDFUTURE:20270105T090000Z', 'DTSTART:20270105T070000Z', 'DTEND:20270105T080000Z', 'SUMMARY:second move'],
    );
    expect(expand(text, '2027-01-01T00:00:00Z', '2027-01-08T00:00:00Z')).toEqual([
      '2027-01-01T09:00:00Z 2027-01-01T09:00:00Z/2027-01-01T10:00:00Z series',
      '2027-01-02T09:00:00Z 2027-01-02T10:00:00Z/2027-01-02T11:00:00Z first move',
      '2027-01-03T09:00:00Z 2027-01-03T16:00:00Z/2027-01-03T17:00:00Z own',
      '2027-01-04T09:00:00Z 2027-01-04T10:00:00Z/2027-01-04T11:00:00Z first move',
      '2027-01-05T09:00:00Z 2027-01-05T07:00:00Z/2027-01-05T08:00:00Z second move',
      '2027-01-06T09:00:00Z 2027-01-06T07:00:00Z/2027-01-06T08:00:00Z second move',
    ]);
  });

  it('makes an override for a later instance from the range, at its moved time', () => {
    const text = calendar(
      'VEVENT',
      ['DTSTART:20270101T090000Z', 'DTEND:20270101T100000Z', 'RRULE:FREQ=WEEKLY', 'SUMMARY:series'],
      ['RECURRENCE-ID;RANGE=THISANDFUTURE:20270115T090000Z', 'DTSTART:20270115T100000Z', 'DTEND:20270115T113000Z', 'SUMMARY:moved'],
    );
    const object = CalendarObject.fromStored({ uid: 's', ics: text }, null);
    const earlier = parseCalendar(calendar('VEVENT', ['RECURRENCE-ID:20270108T090000Z'])).getFirstSubcomponent('vevent')!;
    const later = parseCalendar(calendar('VEVENT', ['RECURRENCE-ID:20270205T090000Z'])).getFirstSubcomponent('vevent')!;
    const before = object.instanceOf(earlier.getFirstProperty('recurrence-id')!)!;
    expect([before.getFirstPropertyValue('summary'), String(before.getFirstPropertyValue('dtstart'))]).toEqual(['series', '2027-01-08T09:00:00Z']);
    const after = object.instanceOf(later.getFirstProperty('recurrence-id')!)!;
    expect(after.getFirstProperty('recurrence-id')!.getParameter('range')).toBeUndefined();
    expect(['summary', 'recurrence-id', 'dtstart', 'dtend'].map((name) => String(after.getFirstPropertyValue(name)))).toEqual([
      'moved', '2027-02-05T09:00:00Z', '2027-02-05T10:00:00Z', '2027-02-05T11:30:00Z',
    ]);
  });
});

describe('tasks in expansion', () => {
  it('ends each instance of a recurring VTODO at its DUE, and recurs from DUE where there is no DTSTART', () => {
    const withStart = calendar('VTODO', ['DTSTART:20270101T090000Z', 'DUE:20270103T170000Z', 'RRULE:FREQ=MONTHLY;COUNT=2', 'SUMMARY:t']);
    expect(expand(withStart, '2026-12-01T00:00:00Z', '2027-12-01T00:00:00Z')).toEqual([
      '2027-01-01T09:00:00Z 2027-01-01T09:00:00Z/2027-01-03T17:00:00Z t',
      '2027-02-01T09:00:00Z 2027-02-01T09:00:00Z/2027-02-03T17:00:00Z t',
    ]);
    const dueOnly = calendar('VTODO', ['DUE:20270105T170000Z', 'RRULE:FREQ=WEEKLY;COUNT=2', 'SUMMARY:t']);
    expect(expand(dueOnly, '2026-12-01T00:00:00Z', '2027-12-01T00:00:00Z')).toEqual([
      '2027-01-05T17:00:00Z 2027-01-05T17:00:00Z/2027-01-05T17:00:00Z t',
      '2027-01-12T17:00:00Z 2027-01-12T17:00:00Z/2027-01-12T17:00:00Z t',
    ]);
  });
});

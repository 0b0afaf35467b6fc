import { describe, expect, it } from 'vitest';
import { CalendarError, eventsOf, parseCalendar } from '../../src/ical/calendar.js';
import { DEFAULT_EXPANSION_LIMITS, expandObject, type ExpansionLimits } from '../../src/ical/expand.js';
import { formatUtc } from '../../src/ical/times.js';
import { olsonZoneFor, ZoneResolver } from '../../src/ical/zones.js';

function calendar(...events: string[][]): string {
  return ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//t//EN', ...events.flatMap((e) => ['BEGIN:VEVENT', 'DTSTAMP:20261001T000000Z', ...e, 'END:VEVENT']), 'END:VCALENDAR', ''].join('\r\n');
}

const YEAR = { from: Date.parse('2026-01-01T00:00:00Z'), to: Date.parse('2028-01-01T00:00:00Z') };

function expand(text: string, window = YEAR, floating?: string, limits: ExpansionLimits = DEFAULT_EXPANSION_LIMITS) {
  const vcalendar = parseCalendar(text);
  const zones = new ZoneResolver(vcalendar, floating ? olsonZoneFor(floating) : null);
  const result = expandObject(eventsOf(vcalendar), zones, window, limits);
  return {
    truncated: result.truncated,
    instances: result.instances.map((i) => `${i.key} ${formatUtc(i.start)}/${formatUtc(i.end)}`),
  };
}

describe('recurrence expansion', () => {
  it('keeps local time across DST and applies EXDATE and overrides by instant', () => {
    const text = calendar(
      ['UID:a', 'DTSTART;TZID=Europe/Berlin:20261014T090000', 'DTEND;TZID=Europe/Berlin:20261014T100000',
        'RRULE:FREQ=WEEKLY;UNTIL=20261104T080000Z', 'EXDATE:20261021T070000Z'],
      ['UID:a', 'RECURRENCE-ID:20261028T080000Z', 'DTSTART;TZID=Europe/Berlin:20261028T150000', 'DTEND;TZID=Europe/Berlin:20261028T160000'],
    );
    expect(expand(text).instances).toEqual([
      '2026-10-14T07:00:00Z 2026-10-14T07:00:00Z/2026-10-14T08:00:00Z',
      '2026-10-28T08:00:00Z 2026-10-28T14:00:00Z/2026-10-28T15:00:00Z',
      '2026-11-04T08:00:00Z 2026-11-04T08:00:00Z/2026-11-04T09:00:00Z',
    ]);
  });

  it('adds RDATEs, including periods', () => {
    const text = calendar(['UID:b', 'DTSTART:20261201T090000Z', 'DURATION:PT1H', 'RDATE:20261203T090000Z', 'RDATE;VALUE=PERIOD:20261205T100000Z/PT2H']);
    expect(expand(text).instances).toEqual([
      '2026-12-01T09:00:00Z 2026-12-01T09:00:00Z/2026-12-01T10:00:00Z',
      '2026-12-03T09:00:00Z 2026-12-03T09:00:00Z/2026-12-03T10:00:00Z',
      '2026-12-05T10:00:00Z 2026-12-05T10:00:00Z/2026-12-05T12:00:00Z',
    ]);
  });

  it('expands all-day series as dates in the user zone', () => {
    const text = calendar(['UID:c', 'DTSTART;VALUE=DATE:20261224', 'RRULE:FREQ=DAILY;COUNT=2']);
    expect(expand(text, YEAR, 'Europe/Berlin').instances).toEqual([
      '2026-12-24 2026-12-23T23:00:00Z/2026-12-24T23:00:00Z',
      '2026-12-25 2026-12-24T23:00:00Z/2026-12-25T23:00:00Z',
    ]);
  });

  it('ignores an override for a date the rule never produces', () => {
    const text = calendar(
      ['UID:d', 'DTSTART:20261201T090000Z', 'DTEND:20261201T100000Z', 'RRULE:FREQ=WEEKLY;COUNT=2'],
      ['UID:d', 'RECURRENCE-ID:20261203T090000Z', 'DTSTART:20261203T090000Z', 'DTEND:20261203T100000Z'],
    );
    expect(expand(text).instances.map((i) => i.split(' ')[0])).toEqual(['2026-12-01T09:00:00Z', '2026-12-08T09:00:00Z']);
  });

  it('counts a moved override where it now is, even from outside the window', () => {
    const text = calendar(
      ['UID:e', 'DTSTART:20261201T090000Z', 'DTEND:20261201T100000Z', 'RRULE:FREQ=WEEKLY;COUNT=3'],
      ['UID:e', 'RECURRENCE-ID:20261215T090000Z', 'DTSTART:20261202T090000Z', 'DTEND:20261202T100000Z'],
    );
    const window = { from: Date.parse('2026-12-01T00:00:00Z'), to: Date.parse('2026-12-05T00:00:00Z') };
    expect(expand(text, window).instances.map((i) => i.split(' ')[0])).toEqual(['2026-12-01T09:00:00Z', '2026-12-15T09:00:00Z']);
  });

  it('bounds an endless rule by the window and by the instance limit', () => {
    const text = calendar(['UID:f', 'DTSTART:20261201T000000Z', 'DTEND:20261201T000001Z', 'RRULE:FREQ=SECONDLY']);
    const day = { from: Date.parse('2026-12-01T00:00:00Z'), to: Date.parse('2026-12-02T00:00:00Z') };
    // The time limit is lifted so that only the instance limit can stop it,
    // however slow the machine is.
    const result = expand(text, day, undefined, { ...DEFAULT_EXPANSION_LIMITS, maxMilliseconds: 600_000 });
    expect(result.truncated).toBe(true);
    expect(result.instances.length).toBe(DEFAULT_EXPANSION_LIMITS.maxInstances);
  });

  it('stops an expansion that runs past its time limit', () => {
    const text = calendar(['UID:t', 'DTSTART:20261201T000000Z', 'DTEND:20261201T000001Z', 'RRULE:FREQ=SECONDLY;BYSECOND=0,30']);
    const day = { from: Date.parse('2026-12-01T00:00:00Z'), to: Date.parse('2026-12-02T00:00:00Z') };
    // A deadline already past: the first clock check (every 1024 candidates) stops it.
    const result = expand(text, day, undefined, { ...DEFAULT_EXPANSION_LIMITS, maxMilliseconds: -1 });
    expect(result.truncated).toBe(true);
    expect(result.instances.length).toBeLessThan(1024);
  });

  it('refuses a rule without FREQ with a clear error instead of failing inside ical.js', () => {
    const text = calendar(['UID:h', 'DTSTART:20261201T090000Z', 'DTEND:20261201T100000Z', 'RRULE:COUNT=3;BYDAY=MO']);
    expect(() => expand(text)).toThrow(CalendarError);
    expect(() => expand(text)).toThrow(/no valid FREQ/);
  });

  it('stops a rule that can never produce another instance', () => {
    // ical.js alone would test candidate days for ever: February never has a 30th.
    const text = calendar(['UID:g', 'DTSTART:20260101T000000Z', 'DTEND:20260101T010000Z', 'RRULE:FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30']);
    const result = expand(text);
    expect(result.truncated).toBe(true);
    expect(result.instances).toEqual(['2026-01-01T00:00:00Z 2026-01-01T00:00:00Z/2026-01-01T01:00:00Z']);
  });
});

import { describe, expect, it } from 'vitest';
import { CalendarError, eventsOf, parseCalendar } from '../../src/ical/calendar.js';
import { DEFAULT_EXPANSION_LIMITS, expandObject, expansionPaths, type ExpansionLimits } from '../../src/ical/expand.js';
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
    const result = expand(text, day);
    expect(result.truncated).toBe(true);
    expect(result.instances.length).toBe(DEFAULT_EXPANSION_LIMITS.maxInstances);
  });

  it('cuts a rule that needs too many candidates at the same place on every run', () => {
    const text = calendar(['UID:t', 'DTSTART:20261201T000000Z', 'DTEND:20261201T000001Z', 'RRULE:FREQ=MINUTELY;BYHOUR=9']);
    const days = { from: Date.parse('2026-12-01T00:00:00Z'), to: Date.parse('2026-12-04T00:00:00Z') };
    // Every minute is a candidate, those from 09:00 to 09:59 are instances. With
    // 3,000 candidates the rule reaches 2026-12-03 02:00 (1,440 a day), so the
    // third day's meetings are cut, the same on every run however loaded the machine.
    const limits = { ...DEFAULT_EXPANSION_LIMITS, maxCandidates: 3_000 };
    const runs = Array.from({ length: 3 }, () => expand(text, days, undefined, limits));
    for (const run of runs) {
      expect(run.truncated).toBe(true);
      expect(run.instances).toEqual(runs[0]!.instances);
    }
    expect(runs[0]!.instances).toHaveLength(1 + 2 * 60);
    expect(runs[0]!.instances.at(-1)!.split(' ')[0]).toBe('2026-12-02T09:59:00Z');
    expect(expand(text, days).instances).toHaveLength(1 + 3 * 60);
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

  it('steps daily and weekly series by arithmetic exactly as ical.js iterates them', () => {
    // A seeded spread of the rules the arithmetic path takes (and some it must
    // leave to ical.js), in zones with DST both ways, all-day and in UTC, with
    // windows before, across and after the series.
    let seed = 20261121;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const starts = [
      ['DTSTART;TZID=Europe/Berlin:20260322T023000', 'DTEND;TZID=Europe/Berlin:20260322T033000'],
      ['DTSTART;TZID=America/New_York:20261029T090000', 'DTEND;TZID=America/New_York:20261029T100000'],
      ['DTSTART;TZID=Australia/Sydney:20250104T180000', 'DURATION:PT90M'],
      ['DTSTART:20260105T120000Z', 'DTEND:20260105T123000Z'],
      ['DTSTART:20260110T083000', 'DTEND:20260110T093000'],
      ['DTSTART;VALUE=DATE:20260226', 'DTEND;VALUE=DATE:20260227'],
      ['DTSTART;TZID=Europe/London:19990331T010000', 'DTEND;TZID=Europe/London:19990331T020000'],
    ];
    const weekday = (start: string) => ['SU', 'MO', 'TU', 'WE', 'TH', 'FR', 'SA'][new Date(Date.parse(`${/(\d{4})(\d{2})(\d{2})/.exec(start)!.slice(1).join('-')}T00:00:00Z`)).getUTCDay()];
    const windows = [
      YEAR,
      { from: Date.parse('2020-01-01T00:00:00Z'), to: Date.parse('2021-01-01T00:00:00Z') },
      { from: Date.parse('2026-03-20T00:00:00Z'), to: Date.parse('2026-04-10T00:00:00Z') },
      { from: Date.parse('2026-10-20T00:00:00Z'), to: Date.parse('2026-11-20T00:00:00Z') },
    ];
    let compared = 0;
    for (let i = 0; i < 160; i++) {
      const [dtstart, end] = starts[random(starts.length)]!;
      const freq = random(2) ? 'DAILY' : 'WEEKLY';
      const parts = [`FREQ=${freq}`];
      if (random(2)) parts.push(`INTERVAL=${1 + random(4)}`);
      const bound = random(4);
      if (bound === 1) parts.push(`COUNT=${1 + random(60)}`);
      if (bound === 2) parts.push(dtstart!.includes('VALUE=DATE') ? 'UNTIL=20260601' : 'UNTIL=20261115T090000Z');
      if (bound === 3) parts.push('UNTIL=20270301');
      const byday = random(5);
      if (freq === 'WEEKLY' && byday === 1) parts.push(`BYDAY=${weekday(dtstart!)}`);
      if (freq === 'WEEKLY' && byday === 2) parts.push('BYDAY=MO,TH');
      const text = calendar([`UID:r${i}`, dtstart!, end!, `RRULE:${parts.join(';')}`, 'EXDATE:20261105T080000Z']);
      const window = windows[random(windows.length)]!;
      try {
        expansionPaths.arithmetic = false;
        const iterated = expand(text, window, 'Europe/Berlin');
        expansionPaths.arithmetic = true;
        const stepped = expand(text, window, 'Europe/Berlin');
        expect(stepped, `RRULE:${parts.join(';')} from ${dtstart}`).toEqual(iterated);
        compared += iterated.instances.length;
      } finally {
        expansionPaths.arithmetic = true;
      }
    }
    // The spread reached real series, not only empty windows.
    expect(compared).toBeGreaterThan(1000);
  });
});


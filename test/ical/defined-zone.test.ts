// Zones read from VTIMEZONEs: the shapes real clients send give the offsets
// the Olson database gives, and definitions that cannot be followed within
// bounds (a rule every second, a rule that never matches) are refused with a
// reason instead of holding the process, their TZID resolved as if the
// VTIMEZONE had not come.

import { describe, expect, it } from 'vitest';
import { parseCalendar } from '../../src/ical/calendar.js';
import { readVtimezone, VTIMEZONE_LIMITS, ZoneRefused } from '../../src/ical/defined-zone.js';
import { vtimezoneFor } from '../../src/ical/vtimezone.js';
import { olsonZoneFor, ZoneResolver } from '../../src/ical/zones.js';

function vcalendarWith(...vtimezone: string[]) {
  return parseCalendar(['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//t//EN', ...vtimezone, 'END:VCALENDAR', ''].join('\r\n'));
}

function vtimezone(tzid: string, ...parts: string[][]): string[] {
  return ['BEGIN:VTIMEZONE', `TZID:${tzid}`, ...parts.flat(), 'END:VTIMEZONE'];
}

function part(kind: 'STANDARD' | 'DAYLIGHT', from: string, to: string, ...lines: string[]): string[] {
  return [`BEGIN:${kind}`, `TZOFFSETFROM:${from}`, `TZOFFSETTO:${to}`, ...lines, `END:${kind}`];
}

function read(lines: string[]) {
  const component = vcalendarWith(...lines).getFirstSubcomponent('vtimezone')!;
  return readVtimezone(String(component.getFirstPropertyValue('tzid')), component);
}

/** As Outlook writes them: Windows name, DTSTART in 1601, INTERVAL=1. */
const OUTLOOK_BERLIN = vtimezone(
  'W. Europe Standard Time',
  part('STANDARD', '+0200', '+0100', 'DTSTART:16010101T030000', 'RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=10'),
  part('DAYLIGHT', '+0100', '+0200', 'DTSTART:16010101T020000', 'RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=3'),
);

/** As Google and Thunderbird write them. */
const GOOGLE_NEW_YORK = vtimezone(
  'America/New_York',
  part('DAYLIGHT', '-0500', '-0400', 'TZNAME:EDT', 'DTSTART:19700308T020000', 'RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU'),
  part('STANDARD', '-0400', '-0500', 'TZNAME:EST', 'DTSTART:19701101T020000', 'RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU'),
);

/** Older tzurl style: the US rules before and after 2007, ended by UNTIL, days picked by BYMONTHDAY. */
const HISTORIC_NEW_YORK = vtimezone(
  'US-Eastern',
  part('DAYLIGHT', '-0500', '-0400', 'DTSTART:19870405T020000', 'RRULE:FREQ=YEARLY;BYMONTH=4;BYDAY=SU;BYMONTHDAY=1,2,3,4,5,6,7;UNTIL=20060402T070000Z'),
  part('STANDARD', '-0400', '-0500', 'DTSTART:19671029T020000', 'RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU;UNTIL=20061029T060000Z'),
  part('DAYLIGHT', '-0500', '-0400', 'DTSTART:20070311T020000', 'RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU'),
  part('STANDARD', '-0400', '-0500', 'DTSTART:20071104T020000', 'RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU'),
);

/** As Apple writes some: each onset listed by RDATE, no rule. */
const LISTED_SYDNEY = vtimezone(
  'Australia/Sydney',
  part('STANDARD', '+1100', '+1000', 'DTSTART:20260405T030000', 'RDATE:20270404T030000'),
  part('DAYLIGHT', '+1000', '+1100', 'DTSTART:20261004T020000', 'RDATE:20271003T020000'),
);

const HOUR = 3_600_000;

/** Checks a defined zone against the Olson zone every 5 h 7 min over the years, both readings of time. */
function expectSameAsOlson(lines: string[], olson: string, fromYear: number, toYear: number): void {
  const zone = read(lines);
  const reference = olsonZoneFor(olson)!;
  for (let t = Date.UTC(fromYear, 0, 1); t < Date.UTC(toYear + 1, 0, 1); t += 5 * HOUR + 7 * 60_000) {
    expect(zone.offsetAtInstant(t), new Date(t).toISOString()).toBe(reference.offsetAtInstant(t));
    const wall = t + reference.offsetAtInstant(t);
    expect(zone.wallToInstant(wall), new Date(t).toISOString()).toBe(reference.wallToInstant(wall));
  }
}

describe('zones read from VTIMEZONEs', () => {
  it('reads Outlook\'s rules from 1601 as the Olson database has Berlin', () => {
    expectSameAsOlson(OUTLOOK_BERLIN, 'Europe/Berlin', 2000, 2040);
  });

  it('reads Google\'s rules as the Olson database has New York', () => {
    expectSameAsOlson(GOOGLE_NEW_YORK, 'America/New_York', 2008, 2040);
  });

  it('follows rules ended by UNTIL and days picked by BYMONTHDAY across the 2007 change', () => {
    expectSameAsOlson(HISTORIC_NEW_YORK, 'America/New_York', 1990, 2030);
  });

  it('reads onsets listed by RDATE', () => {
    expectSameAsOlson(LISTED_SYDNEY, 'Australia/Sydney', 2026, 2027);
  });

  it('reads the VTIMEZONEs it makes itself back as the zone they were made from', () => {
    const made = vtimezoneFor('Europe/Lisbon', olsonZoneFor('Europe/Lisbon')!, 2026, 2030).toString().split('\r\n');
    expectSameAsOlson(made, 'Europe/Lisbon', 2026, 2030);
  });

  it('reads a wall time in a gap with the offset before it, and a doubled one as its first (RFC 5545 section 3.3.5)', () => {
    const zone = read(OUTLOOK_BERLIN);
    // 2026-03-29 02:30 does not exist in Berlin; 2026-10-25 02:30 happens twice.
    expect(new Date(zone.wallToInstant(Date.UTC(2026, 2, 29, 2, 30))).toISOString()).toBe('2026-03-29T01:30:00.000Z');
    expect(new Date(zone.wallToInstant(Date.UTC(2026, 9, 25, 2, 30))).toISOString()).toBe('2026-10-25T00:30:00.000Z');
  });
});

/** Definitions that must not hold the process: each refused, within counted bounds. */
const UNBOUNDED: Array<[string, string[], RegExp]> = [
  ['a rule every second', ['DTSTART:19700101T000000', 'RRULE:FREQ=SECONDLY'], /more than 5000 onsets/],
  ['a rule every minute, with a COUNT beyond reach', ['DTSTART:19700101T000000', 'RRULE:FREQ=MINUTELY;COUNT=999999999'], /more than 5000 onsets/],
  ['a rule that never matches', ['DTSTART:19700101T000000', 'RRULE:FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30'], /candidate times/],
  ['a rule that matches rarely and needs many candidates', ['DTSTART:19700101T000000', 'RRULE:FREQ=SECONDLY;BYMONTH=12;BYMONTHDAY=31;BYHOUR=23;BYMINUTE=59;BYSECOND=59'], /candidate times/],
  ['too many listed onsets', ['DTSTART:19700101T000000', `RDATE:${Array.from({ length: 6000 }, (_, i) => `${1970 + Math.floor(i / 12)}${String((i % 12) + 1).padStart(2, '0')}01T000000`).join(',')}`], /more than 5000 onsets/],
];

describe('VTIMEZONEs that cannot be followed within bounds', () => {
  for (const [what, lines, reason] of UNBOUNDED) {
    it(`refuses ${what}, with the reason`, () => {
      const definition = vtimezone('Bomb/Zone', part('STANDARD', '+0100', '+0200', ...lines));
      expect(() => read(definition)).toThrow(ZoneRefused);
      expect(() => read(definition)).toThrow(reason);
    });
  }

  it('resolves the TZID of a refused VTIMEZONE as if it had come without one', () => {
    const bomb = part('DAYLIGHT', '+0100', '+0200', 'DTSTART:19700101T000000', 'RRULE:FREQ=SECONDLY');
    const resolver = new ZoneResolver(vcalendarWith(...vtimezone('Europe/Berlin', bomb), ...vtimezone('Nowhere/Special', bomb)), null);
    expect(resolver.refused.get('Europe/Berlin')).toMatch(/more than 5000 onsets/);
    expect(resolver.refused.get('Nowhere/Special')).toMatch(/more than 5000 onsets/);
    // An Olson name falls back to the Olson database, another name to floating time.
    expect(resolver.zone('Europe/Berlin')!.offsetAtInstant(Date.UTC(2026, 6, 1))).toBe(2 * HOUR);
    expect(resolver.zone('Nowhere/Special')).toBeNull();
    expect([...resolver.unknown]).toEqual(['Nowhere/Special']);
  });

  it('bounds the rules it follows by year as well', () => {
    // A monthly rule is not of the yearly shape: followed up to the last year, no further.
    const zone = read(vtimezone('Monthly', part('STANDARD', '+0100', '+0200', 'DTSTART:20260101T000000', 'RRULE:FREQ=MONTHLY')));
    expect(zone.offsetAtInstant(Date.UTC(VTIMEZONE_LIMITS.lastYear + 50, 0, 1))).toBe(2 * HOUR);
  });
});

describe('how many unusual VTIMEZONEs one calendar may carry', () => {
  it('reads a few with rules of other than the yearly shape and refuses the rest', () => {
    const monthly = (n: number) => vtimezone(`Monthly/${n}`, part('STANDARD', '+0100', '+0200', 'DTSTART:20260101T000000', `RRULE:FREQ=MONTHLY;BYMONTHDAY=${n}`));
    const many = Array.from({ length: VTIMEZONE_LIMITS.maxWithOtherRules + 2 }, (_, i) => monthly(i + 1));
    const resolver = new ZoneResolver(vcalendarWith(...many.flat(), ...GOOGLE_NEW_YORK), null);
    expect([...resolver.refused.keys()]).toEqual([`Monthly/${VTIMEZONE_LIMITS.maxWithOtherRules + 1}`, `Monthly/${VTIMEZONE_LIMITS.maxWithOtherRules + 2}`]);
    expect(resolver.refused.get(`Monthly/${VTIMEZONE_LIMITS.maxWithOtherRules + 1}`)).toMatch(/more than 4 VTIMEZONEs with rules of other than the yearly shape/);
    // Yearly rules, as every client writes them, do not count.
    expect(resolver.zone('America/New_York')!.offsetAtInstant(Date.UTC(2026, 6, 1))).toBe(-4 * HOUR);
  });
});

/** A small seeded generator, so that a failing order can be run again. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

/**
 * The instants a check of a zone looks at in the given years: every hour (at
 * 17 minutes past), each year's turn, and each change of offset to the
 * millisecond with the instants on either side, shuffled.
 */
function instantsToCheck(zone: { offsetBySearch(instant: number): number }, years: number[]): number[] {
  const instants: number[] = [];
  for (const year of years) {
    const from = Date.UTC(year, 0, 1);
    const to = Date.UTC(year + 1, 0, 1);
    instants.push(from - 1, from, to - 1, to);
    let previous = zone.offsetBySearch(from - HOUR);
    for (let t = from; t <= to + HOUR; t += HOUR) {
      const offset = zone.offsetBySearch(t);
      if (offset !== previous) {
        let low = t - HOUR;
        let high = t;
        while (high - low > 1) {
          const middle = Math.floor((low + high) / 2);
          if (zone.offsetBySearch(middle) === previous) low = middle;
          else high = middle;
        }
        instants.push(high - 1, high, high + 1);
      }
      instants.push(t + 17 * 60_000);
      previous = offset;
    }
  }
  const random = seeded(years[0]!);
  for (let i = instants.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [instants[i], instants[j]] = [instants[j]!, instants[i]!];
  }
  return instants;
}

/** Definitions whose onsets fall where a table per UTC year could go wrong. */
const TABLE_CASES: Array<[string, string[], number[]]> = [
  ['Outlook\'s rules from 1601', OUTLOOK_BERLIN, [1601, 1602, 2026, 2100]],
  ['Google\'s rules, from their first year', GOOGLE_NEW_YORK, [1969, 1970, 2026]],
  ['rules ended by UNTIL within a year', HISTORIC_NEW_YORK, [1967, 1987, 2006, 2007, 2026]],
  ['onsets listed by RDATE', LISTED_SYDNEY, [2025, 2026, 2027, 2028]],
  ['two observances with the same onsets (the later one wins)', vtimezone(
    'Tie/Zone',
    part('DAYLIGHT', '+0100', '+0200', 'DTSTART:20260329T020000', 'RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU'),
    part('STANDARD', '+0100', '+0300', 'DTSTART:20260329T020000', 'RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU'),
    part('STANDARD', '+0300', '+0100', 'DTSTART:20261025T030000', 'RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU'),
  ), [2025, 2026, 2027]],
  ['onsets that cross the turn of the UTC year, and an RDATE before DTSTART', vtimezone(
    'Turn/Zone',
    part('STANDARD', '-0500', '+1400', 'DTSTART:20261231T233000', 'RRULE:FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=31', 'RDATE:20241231T233000'),
    part('DAYLIGHT', '+1400', '-0500', 'DTSTART:20270101T003000', 'RRULE:FREQ=YEARLY;BYMONTH=1;BYMONTHDAY=1'),
  ), [2024, 2025, 2026, 2027, 2028]],
  ['a rule every other year', vtimezone(
    'Interval/Zone',
    part('DAYLIGHT', '+0100', '+0200', 'DTSTART:20260329T020000', 'RRULE:FREQ=YEARLY;INTERVAL=2;BYMONTH=3;BYDAY=-1SU'),
    part('STANDARD', '+0200', '+0100', 'DTSTART:20261025T030000', 'RRULE:FREQ=YEARLY;INTERVAL=2;BYMONTH=10;BYDAY=-1SU'),
  ), [2026, 2027, 2028]],
  ['monthly rules, up to the last year followed', vtimezone(
    'Monthly/Zone',
    part('STANDARD', '+0200', '+0100', 'DTSTART:20260101T000000', 'RRULE:FREQ=MONTHLY;BYMONTHDAY=1'),
    part('DAYLIGHT', '+0100', '+0200', 'DTSTART:20260115T000000', 'RRULE:FREQ=MONTHLY;BYMONTHDAY=15'),
  ), [2026, VTIMEZONE_LIMITS.lastYear, VTIMEZONE_LIMITS.lastYear + 1]],
  ['a weekly rule', vtimezone(
    'Weekly/Zone',
    part('STANDARD', '+0200', '+0100', 'DTSTART:21500101T000000', 'RRULE:FREQ=WEEKLY'),
    part('DAYLIGHT', '+0100', '+0200', 'DTSTART:21500103T000000', 'RRULE:FREQ=YEARLY;BYMONTH=1;BYMONTHDAY=3'),
  ), [2150, 2151, 2199]],
  ['a rule twice a week, too many onsets in a year for a table', vtimezone(
    'Twice/Zone',
    part('STANDARD', '+0200', '+0100', 'DTSTART:21600101T000000', 'RRULE:FREQ=WEEKLY;BYDAY=MO,TH'),
    part('DAYLIGHT', '+0100', '+0200', 'DTSTART:21600103T000000', 'RRULE:FREQ=YEARLY;BYMONTH=1;BYMONTHDAY=3'),
  ), [2160, 2161, 2199]],
];

describe('offsets from a table per UTC year', () => {
  for (const [what, lines, years] of TABLE_CASES) {
    it(`give what the search gives at every instant looked at: ${what}`, () => {
      const zone = read(lines);
      const instants = instantsToCheck(zone, years);
      const wrong = instants.filter((t) => zone.offsetAtInstant(t) !== zone.offsetBySearch(t)).map((t) => new Date(t).toISOString());
      expect(wrong).toEqual([]);
      // Asked again in time order, from the tables already made.
      const sorted = [...instants].sort((a, b) => a - b);
      expect(sorted.filter((t) => zone.offsetAtInstant(t) !== zone.offsetBySearch(t))).toEqual([]);
    });
  }
});

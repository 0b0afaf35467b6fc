import ICAL from 'ical.js';
import { describe, expect, it } from 'vitest';
import { parseCalendar } from '../../src/ical/calendar.js';
import { formatUtc, instantOf } from '../../src/ical/times.js';
import { zoneTable } from '../../src/ical/zone-tables.js';
import { olsonZoneFor, ZoneResolver } from '../../src/ical/zones.js';

function wall(text: string): ICAL.Time {
  const time = ICAL.Time.fromDateTimeString(text);
  time.zone = ICAL.Timezone.localTimezone;
  return time;
}

describe('zones without VTIMEZONE', () => {
  const resolver = new ZoneResolver(null);
  const cases: Array<[string, string, string]> = [
    // [TZID as written, wall-clock time, UTC instant]
    ['Europe/Berlin', '2026-07-01T09:00:00', '2026-07-01T07:00:00Z'],
    ['Europe/Berlin', '2026-12-01T09:00:00', '2026-12-01T08:00:00Z'],
    ['W. Europe Standard Time', '2026-07-01T09:00:00', '2026-07-01T07:00:00Z'],
    ['Pacific Standard Time', '2026-12-01T09:00:00', '2026-12-01T17:00:00Z'],
    ['Eastern Standard Time', '2026-07-01T09:00:00', '2026-07-01T13:00:00Z'],
    ['/mozilla.org/20050126_1/Europe/Paris', '2026-12-01T09:00:00', '2026-12-01T08:00:00Z'],
    ['UTC', '2026-12-01T09:00:00', '2026-12-01T09:00:00Z'],
    // RFC 5545 3.3.5: a time in the spring-forward gap uses the offset before the gap.
    ['Europe/Berlin', '2026-03-29T02:30:00', '2026-03-29T01:30:00Z'],
    // A time that occurs twice in autumn is its first occurrence (still summer time).
    ['Europe/Berlin', '2026-10-25T02:30:00', '2026-10-25T00:30:00Z'],
    ['America/New_York', '2026-11-01T01:30:00', '2026-11-01T05:30:00Z'],
  ];
  for (const [tzid, local, utc] of cases) {
    it(`${tzid} ${local} is ${utc}`, () => {
      expect(formatUtc(instantOf(wall(local), tzid, resolver))).toBe(utc);
    });
  }

  it('knows nothing of a made-up name, and reads it as floating', () => {
    expect(olsonZoneFor('Atlantis/Lost City')).toBeNull();
    const floating = new ZoneResolver(null, olsonZoneFor('Asia/Tokyo'));
    expect(formatUtc(instantOf(wall('2026-12-01T09:00:00'), 'Atlantis/Lost City', floating))).toBe('2026-12-01T00:00:00Z');
    expect(floating.unknown.has('Atlantis/Lost City')).toBe(true);
  });
});

describe('zones from the message', () => {
  it('prefers the VTIMEZONE in the calendar over the Olson name', () => {
    // A sender's own definition of "Europe/Berlin" with a fixed +03:00 offset wins.
    const vcalendar = parseCalendar(
      [
        'BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//t//EN',
        'BEGIN:VTIMEZONE', 'TZID:Europe/Berlin',
        'BEGIN:STANDARD', 'DTSTART:19700101T000000', 'TZOFFSETFROM:+0300', 'TZOFFSETTO:+0300', 'END:STANDARD',
        'END:VTIMEZONE', 'END:VCALENDAR', '',
      ].join('\r\n'),
    );
    const resolver = new ZoneResolver(vcalendar);
    expect(formatUtc(instantOf(wall('2026-12-01T09:00:00'), 'Europe/Berlin', resolver))).toBe('2026-12-01T06:00:00Z');
  });
});

describe('offsets from change tables', () => {
  /** The offset as Intl gives it for one instant, computed here independently. */
  function intlOffset(olson: string, ms: number): number {
    const parts = new Intl.DateTimeFormat('en-US', {
      timeZone: olson, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric',
    }).formatToParts(new Date(ms));
    const field = (type: string) => Number(parts.find((p) => p.type === type)?.value);
    return Date.UTC(field('year'), field('month') - 1, field('day'), field('hour'), field('minute'), field('second')) - Math.floor(ms / 60_000) * 60_000;
  }

  // Northern and southern daylight time, a half-hour shift, a zone without
  // daylight time, and one that changed its rules (Samoa skipped a day in 2011).
  for (const olson of ['Europe/Berlin', 'Australia/Sydney', 'Australia/Lord_Howe', 'Asia/Kolkata', 'Pacific/Apia']) {
    it(`agrees with Intl every five hours over three years in ${olson}`, () => {
      const zone = olsonZoneFor(olson)!;
      const from = Date.UTC(2010, 0, 1);
      // Thousands of lookups: most of them are answered from the tables.
      for (let ms = from; ms < from + 3 * 365 * 86_400_000; ms += 5 * 3_600_000 + 7 * 60_000) {
        expect(zone.offsetAtInstant(ms), new Date(ms).toISOString()).toBe(intlOffset(olson, ms));
      }
    });
  }

  it('changes at the minute of the shift, also when the table is used', () => {
    const zone = olsonZoneFor('Europe/Berlin')!;
    // Enough lookups in the span for its table to be made.
    for (let day = 0; day < 40; day++) zone.offsetAtInstant(Date.UTC(2031, 0, 1 + day));
    expect(zone.offsetAtInstant(Date.parse('2031-03-30T00:59:59Z'))).toBe(3_600_000);
    expect(zone.offsetAtInstant(Date.parse('2031-03-30T01:00:00Z'))).toBe(7_200_000);
    expect(zone.changesBetween(Date.UTC(2031, 0, 1), Date.UTC(2032, 0, 1))).toStrictEqual([
      Date.parse('2031-03-30T01:00:00Z'),
      Date.parse('2031-10-26T01:00:00Z'),
    ]);
  });
});

describe('zone tables made by the build', () => {
  const intlName = (olson: string, ms: number) =>
    new Intl.DateTimeFormat('en-US', { timeZone: olson, timeZoneName: 'short' }).formatToParts(new Date(ms)).find((p) => p.type === 'timeZoneName')?.value;

  it('has a table for Olson names and their aliases, and none for anything else', () => {
    expect(zoneTable('Europe/Berlin')).toBeDefined();
    expect(zoneTable('Asia/Kolkata')).toStrictEqual(zoneTable('Asia/Calcutta'));
    for (const name of ['../../package', 'Europe/../../package', '__proto__', 'constructor', 'toString', 'Europe/Nowhere', '']) {
      expect(zoneTable(name), name).toBeUndefined();
    }
  });

  it('answers like Intl inside its years and asks Intl outside them', () => {
    for (const olson of ['America/New_York', 'Australia/Lord_Howe', 'Asia/Kolkata']) {
      const zone = olsonZoneFor(olson)!;
      const table = zoneTable(olson)!;
      // Around each change of three years, and past the table's last year.
      const changes = table.changes.filter(([at]) => at >= Date.UTC(2024, 0, 1) && at < Date.UTC(2027, 0, 1));
      const instants = changes.flatMap(([at]) => [at - 60_000, at, at + 60_000]);
      instants.push(table.to + 86_400_000 * 100, table.to + 86_400_000 * 280, Date.UTC(1990, 6, 1));
      for (const ms of instants) {
        const parts = new Intl.DateTimeFormat('en-US', { timeZone: olson, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' }).formatToParts(new Date(ms));
        const field = (type: string) => Number(parts.find((p) => p.type === type)?.value);
        const offset = Date.UTC(field('year'), field('month') - 1, field('day'), field('hour'), field('minute'), field('second')) - ms;
        expect(zone.offsetAtInstant(ms), `${olson} ${new Date(ms).toISOString()}`).toBe(offset);
        expect(zone.shortNameAt(ms), `${olson} ${new Date(ms).toISOString()}`).toBe(intlName(olson, ms));
      }
    }
  });
});

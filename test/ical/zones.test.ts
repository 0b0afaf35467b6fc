import ICAL from 'ical.js';
import { describe, expect, it } from 'vitest';
import { parseCalendar } from '../../src/ical/calendar.js';
import { formatUtc, instantOf } from '../../src/ical/times.js';
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

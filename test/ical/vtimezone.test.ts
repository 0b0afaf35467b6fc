// VTIMEZONEs made from the Olson database must say what the Olson database
// says: read back with ical.js, they give the same offsets as Intl at every
// instant we try, in both hemispheres, without DST, and under Windows names.

import ICAL from 'ical.js';
import { describe, expect, it } from 'vitest';
import { vtimezoneFor } from '../../src/ical/vtimezone.js';
import { olsonZoneFor } from '../../src/ical/zones.js';
import { CalendarObject } from '../../src/itip/calendar-object.js';

/** The instant ical.js reads for a wall-clock time (epoch-like ms) in the component's zone. */
function icalInstant(vtimezone: ICAL.Component, wall: number): number {
  const d = new Date(wall);
  const zone = new ICAL.Timezone(vtimezone);
  const time = new ICAL.Time(
    { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), hour: d.getUTCHours(), minute: d.getUTCMinutes(), second: 0, isDate: false },
    zone,
  );
  return time.toUnixTime() * 1000;
}

describe('vtimezoneFor', () => {
  for (const tzid of ['Europe/Berlin', 'America/New_York', 'Australia/Sydney', 'Asia/Kolkata', 'W. Europe Standard Time']) {
    it(`matches the Olson database for ${tzid} through 2026 and 2027`, () => {
      const zone = olsonZoneFor(tzid)!;
      const vtimezone = vtimezoneFor(tzid, zone, 2026, 2027);
      expect(vtimezone.getFirstPropertyValue('tzid')).toBe(tzid);
      // Every 5 hours and 7 minutes over the two years: each side of every change.
      // (Read as wall times: ical.js converts UTC to a zone only approximately near a change.)
      for (let t = Date.UTC(2026, 0, 1, 12); t < Date.UTC(2027, 11, 31); t += 5 * 3_600_000 + 7 * 60_000) {
        const wall = t + zone.offsetAtInstant(t);
        // Within an hour of a change a wall time may occur twice, and ical.js
        // takes the later one where RFC 5545 takes the first: skip those.
        if (zone.offsetAtInstant(t - 3_600_000) !== zone.offsetAtInstant(t + 3_600_000)) continue;
        expect(icalInstant(vtimezone, wall), new Date(t).toISOString()).toBe(t);
      }
    });
  }

  it('has one observance per offset change, daylight ones marked', () => {
    const vtimezone = vtimezoneFor('Europe/Berlin', olsonZoneFor('Europe/Berlin')!, 2026, 2026);
    const parts = vtimezone.getAllSubcomponents().map((c) => `${c.name} ${c.getFirstPropertyValue('dtstart')?.toString()}`);
    expect(parts).toEqual(['standard 2026-01-01T01:00:00', 'daylight 2026-03-29T02:00:00', 'standard 2026-10-25T03:00:00']);
  });
});

describe('messages about events whose TZID came without a VTIMEZONE', () => {
  it('carry one made from the Olson database', () => {
    const ics = [
      'BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//t//EN', 'BEGIN:VEVENT', 'UID:u', 'DTSTAMP:20261101T000000Z',
      'DTSTART;TZID=W. Europe Standard Time:20261201T090000', 'DTEND;TZID=W. Europe Standard Time:20261201T100000',
      'RRULE:FREQ=WEEKLY', 'END:VEVENT', 'END:VCALENDAR', '',
    ].join('\r\n');
    const object = CalendarObject.fromStored({ uid: 'u', ics }, null);
    const message = ICAL.Component.fromString(object.toMessage('REQUEST'));
    const zones = message.getAllSubcomponents('vtimezone');
    expect(zones.map((z) => z.getFirstPropertyValue('tzid'))).toEqual(['W. Europe Standard Time']);
    // A series: the years of the event and five more.
    const last = zones[0]!.getAllSubcomponents().at(-1)!.getFirstPropertyValue('dtstart') as ICAL.Time;
    expect(last.year).toBe(2031);
    // The stored form is left as it came.
    expect(object.toStored().ics).not.toContain('BEGIN:VTIMEZONE');
  });
});

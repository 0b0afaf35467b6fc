// A VTIMEZONE is read once per definition and shared by every message that
// carries the same text (src/ical/zones.ts, calendar.ts, and the kept copies
// of src/itip/calendar-object.ts). The cache is keyed by the whole
// definition: a sender who defines a TZID differently changes the times of
// their own message only, never another's. And it stays bounded whatever
// stream of new definitions comes.

import { describe, expect, it } from 'vitest';
import { cloneComponent, eventsOf, parseCalendar, zoneBlockCache } from '../../src/ical/calendar.js';
import { definedZoneCache, readDefinedZones, ZoneResolver } from '../../src/ical/zones.js';
import type { ItipInput, ItipResult } from '../../src/itip/effects.js';
import { schedule } from '../../src/itip/schedule.js';

const HOUR = 3_600_000;

function part(kind: 'STANDARD' | 'DAYLIGHT', from: string, to: string, ...lines: string[]): string[] {
  return [`BEGIN:${kind}`, `TZOFFSETFROM:${from}`, `TZOFFSETTO:${to}`, ...lines, `END:${kind}`];
}

function vtimezone(tzid: string, ...parts: string[][]): string[] {
  return ['BEGIN:VTIMEZONE', `TZID:${tzid}`, ...parts.flat(), 'END:VTIMEZONE'];
}

/** Central European rules, as Outlook writes them. */
const central = (tzid: string) =>
  vtimezone(
    tzid,
    part('STANDARD', '+0200', '+0100', 'DTSTART:16010101T030000', 'RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=10'),
    part('DAYLIGHT', '+0100', '+0200', 'DTSTART:16010101T020000', 'RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=3'),
  );

/** One fixed offset all year. */
const fixed = (tzid: string, offset: string) => vtimezone(tzid, part('STANDARD', offset, offset, 'DTSTART:19700101T000000'));

function request(uid: string, tzid: string, zone: string[]): string {
  return [
    'BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//t//EN', 'METHOD:REQUEST',
    ...zone,
    'BEGIN:VEVENT', `UID:${uid}`, 'DTSTAMP:20261101T080000Z',
    `DTSTART;TZID=${tzid}:20261204T150000`, `DTEND;TZID=${tzid}:20261204T160000`,
    'SEQUENCE:0', 'SUMMARY:Review', 'ORGANIZER:mailto:boss@example.com',
    'ATTENDEE;PARTSTAT=ACCEPTED:mailto:alice@example.com', 'END:VEVENT', 'END:VCALENDAR', '',
  ].join('\r\n');
}

function scheduleRequest(text: string, uid: string): ItipResult {
  const message = parseCalendar(text);
  const input: ItipInput = {
    method: 'REQUEST', uid, components: eventsOf(message), message,
    user: 'mailto:alice@example.com', role: 'person', prefs: {}, counters: [],
    sender: { addresses: ['mailto:boss@example.com'] }, direction: 'incoming',
    now: Date.parse('2026-11-01T00:00:00Z'),
  };
  return schedule(input);
}

/** The start of the user's busy time and the stored text of one scheduled REQUEST. */
function scheduled(text: string, uid: string): { start: string; stored: string } {
  const result = scheduleRequest(text, uid);
  expect(result.outcome).toBe('applied');
  const own = result.effects.find((e) => e.type === 'own-periods');
  const put = result.effects.find((e) => e.type === 'put-object');
  if (own?.type !== 'own-periods' || put?.type !== 'put-object') throw new Error('no periods or object');
  return { start: own.periods[0]!.start, stored: put.object.ics };
}

describe('VTIMEZONEs of one TZID defined differently by different messages', () => {
  it('gives each message the times of its own definition, before and after the other', () => {
    const berlin = request('a@example.com', 'Office/Local', central('Office/Local'));
    const kolkata = request('b@example.com', 'Office/Local', fixed('Office/Local', '+0530'));
    // 15:00 on 4 December: +01:00 in the first definition, +05:30 in the second.
    const first = scheduled(berlin, 'a@example.com');
    expect(first.start).toBe('2026-12-04T14:00:00Z');
    const second = scheduled(kolkata, 'b@example.com');
    expect(second.start).toBe('2026-12-04T09:30:00Z');
    const firstAgain = scheduled(berlin, 'a@example.com');
    expect(firstAgain.start).toBe('2026-12-04T14:00:00Z');
    expect(firstAgain.stored).toBe(first.stored);
    // Each stored object carries its own definition, none of the other's.
    expect(first.stored).toContain('TZOFFSETTO:+0100');
    expect(first.stored).not.toContain('+0530');
    expect(second.stored).toContain('TZOFFSETTO:+0530');
    expect(second.stored).not.toContain('+0100');
  });

  it('leaves a TZID that comes without VTIMEZONE to the Olson database, whatever others defined for it', () => {
    const stranger = request('s@example.com', 'W. Europe Standard Time', fixed('W. Europe Standard Time', '+0900'));
    expect(scheduled(stranger, 's@example.com').start).toBe('2026-12-04T06:00:00Z');
    const plain = request('p@example.com', 'W. Europe Standard Time', []);
    expect(scheduled(plain, 'p@example.com').start).toBe('2026-12-04T14:00:00Z');
  });

  it('tells apart definitions that differ in one line, however they were parsed', () => {
    const a = request('x@example.com', 'Office/Local', fixed('Office/Local', '+0200'));
    const b = request('x@example.com', 'Office/Local', fixed('Office/Local', '+0300'));
    const at = Date.UTC(2026, 11, 4, 12);
    const offsetIn = (text: string) => new ZoneResolver(parseCalendar(text), null).zone('Office/Local')!.offsetAtInstant(at);
    // A text that begins otherwise than "BEGIN:VCALENDAR" is parsed whole, and
    // its VTIMEZONE keyed by its jCal instead of its text.
    const wholeA = a.replace('BEGIN:VCALENDAR', 'begin:vcalendar');
    const wholeB = b.replace('BEGIN:VCALENDAR', 'begin:vcalendar');
    for (const [text, hours] of [[a, 2], [b, 3], [wholeA, 2], [wholeB, 3], [a, 2], [wholeB, 3]] as const) {
      expect(offsetIn(text)).toBe(hours * HOUR);
    }
  });

  it('reads a changed copy of a parsed VTIMEZONE as the copy says', () => {
    const vcalendar = parseCalendar(request('c@example.com', 'Office/Local', fixed('Office/Local', '+0200')));
    const copy = cloneComponent(vcalendar.getFirstSubcomponent('vtimezone')!);
    copy.getFirstSubcomponent('standard')!.updatePropertyWithValue('tzoffsetto', '+0400');
    const holder = parseCalendar(['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//t//EN', 'END:VCALENDAR', ''].join('\r\n'));
    holder.addSubcomponent(copy);
    const at = Date.UTC(2026, 11, 4, 12);
    expect(readDefinedZones(holder).zones.get('Office/Local')!.offsetAtInstant(at)).toBe(4 * HOUR);
    expect(readDefinedZones(vcalendar).zones.get('Office/Local')!.offsetAtInstant(at)).toBe(2 * HOUR);
  });
});

describe('the caches of VTIMEZONE definitions', () => {
  it('stay within their bounds over a stream of distinct definitions, each still read right', () => {
    for (let i = 0; i < 700; i++) {
      // Offsets from -11:59 to +11:59, one minute apart: each text distinct.
      const minutes = (i % 1_438) - 719;
      const sign = minutes < 0 ? '-' : '+';
      const offset = `${sign}${String(Math.floor(Math.abs(minutes) / 60)).padStart(2, '0')}${String(Math.abs(minutes) % 60).padStart(2, '0')}`;
      const text = request(`n${i}@example.com`, 'Stream/Zone', fixed('Stream/Zone', offset));
      const zone = new ZoneResolver(parseCalendar(text), null).zone('Stream/Zone')!;
      expect(zone.offsetAtInstant(Date.UTC(2026, 11, 4))).toBe(minutes * 60_000);
    }
    for (const cache of [definedZoneCache, zoneBlockCache]) {
      expect(cache.size).toBeLessThanOrEqual(256);
      expect(cache.totalWeight).toBeLessThanOrEqual(1_000_000);
    }
  });

  it('keep large definitions within their total size, and read one too large to keep each time', () => {
    // Long definitions (a comment line makes them so), each one distinct.
    const long = (i: number, size: number) =>
      vtimezone('Long/Zone', part('STANDARD', '+0100', '+0100', 'DTSTART:19700101T000000', `COMMENT:${String(i).padStart(size, 'x')}`));
    for (let i = 0; i < 60; i++) {
      const text = request(`l${i}@example.com`, 'Long/Zone', long(i, 50_000));
      expect(new ZoneResolver(parseCalendar(text), null).zone('Long/Zone')!.offsetAtInstant(0)).toBe(HOUR);
    }
    for (const cache of [definedZoneCache, zoneBlockCache]) expect(cache.totalWeight).toBeLessThanOrEqual(1_000_000);
    const sizes = [definedZoneCache.size, zoneBlockCache.size];
    const huge = request('h@example.com', 'Long/Zone', long(1, 200_000));
    for (let i = 0; i < 2; i++) {
      expect(new ZoneResolver(parseCalendar(huge), null).zone('Long/Zone')!.offsetAtInstant(0)).toBe(HOUR);
    }
    // Not kept: nothing was dropped to make room for it.
    expect([definedZoneCache.size, zoneBlockCache.size]).toEqual(sizes);
  });
});

// parseCalendar reads each VTIMEZONE block once and copies its jCal in where
// it stood (src/ical/calendar.ts). Whatever the text, the result must be what
// ical.js makes of the whole text; these texts probe where the two could part.

import ICAL from 'ical.js';
import { describe, expect, it } from 'vitest';
import { parseCalendar } from '../../src/ical/calendar.js';

const ZONE = [
  'BEGIN:VTIMEZONE',
  'TZID:Europe/Paris',
  'X-LIC-LOCATION:Europe/Paris',
  'BEGIN:DAYLIGHT',
  'TZOFFSETFROM:+0100',
  'TZOFFSETTO:+0200',
  'TZNAME:CEST',
  'DTSTART:19700329T020000',
  'RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU',
  'END:DAYLIGHT',
  'BEGIN:STANDARD',
  'TZOFFSETFROM:+0200',
  'TZOFFSETTO:+0100',
  'TZNAME:CET',
  'DTSTART:19701025T030000',
  'RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU',
  'END:STANDARD',
  'END:VTIMEZONE',
];

const EVENT = [
  'BEGIN:VEVENT',
  'UID:zone-blocks@example.com',
  'DTSTAMP:20261101T080000Z',
  'DTSTART;TZID=Europe/Paris:20261204T150000',
  'DTEND;TZID=Europe/Paris:20261204T160000',
  'SUMMARY:Planning',
  'END:VEVENT',
];

function calendar(...parts: string[][]): string {
  return ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//Example//EN', 'METHOD:REQUEST', ...parts.flat(), 'END:VCALENDAR', ''].join('\r\n');
}

/** What ical.js itself makes of the whole text (the first VCALENDAR). */
function wholeParse(text: string): unknown {
  const data = ICAL.parse(text) as unknown[];
  const root = typeof data[0] === 'string' ? data : (data[0] as unknown[]);
  return new ICAL.Component(root as never).toJSON();
}

function expectSameAsWhole(text: string): void {
  expect(parseCalendar(text).toJSON()).toStrictEqual(wholeParse(text));
}

describe('parseCalendar with VTIMEZONE blocks', () => {
  it('gives the jCal ical.js gives for the whole text, the first time and from what it kept', () => {
    const text = calendar(ZONE, EVENT);
    expectSameAsWhole(text);
    expectSameAsWhole(text);
    // LF line ends and the block between two events.
    const lf = calendar(EVENT, ZONE, EVENT.map((line) => line.replace('zone-blocks@', 'second@'))).replace(/\r\n/g, '\n');
    expectSameAsWhole(lf);
    expectSameAsWhole(lf);
  });

  it('gives each parse its own copy: changing one VTIMEZONE leaves the next parse as the text says', () => {
    const text = calendar(ZONE, EVENT);
    const first = parseCalendar(text);
    const zone = first.getFirstSubcomponent('vtimezone')!;
    zone.removeAllSubcomponents('daylight');
    zone.updatePropertyWithValue('tzid', 'Changed/Zone');
    const again = parseCalendar(text);
    expect(again.getFirstSubcomponent('vtimezone')!.getFirstPropertyValue('tzid')).toBe('Europe/Paris');
    expect(again.toJSON()).toStrictEqual(wholeParse(text));
  });

  it('reads folded lines, a second zone, and texts where the block does not stand alone as ical.js reads it in place', () => {
    const folded = ZONE.map((line) => (line.startsWith('RRULE') ? `${line.slice(0, 20)}\r\n ${line.slice(20)}` : line));
    const texts = [
      calendar(folded, EVENT),
      calendar(ZONE, ZONE.map((line) => line.replace('Europe/Paris', 'Europe/Brussels')), EVENT),
      // A continuation of the END line: in place it makes END:VTIMEZONEX, no longer the end.
      calendar(ZONE, [' X'], EVENT),
      // Lower-case component lines, which ical.js reads as component lines too.
      calendar(ZONE.map((line, i) => (i === 5 ? 'end:daylight' : line)), EVENT),
      // A component that begins inside the zone and ends after it.
      calendar([...ZONE.slice(0, -1), 'BEGIN:VEVENT', 'END:VTIMEZONE', 'UID:inner@example.com', 'END:VEVENT'], EVENT),
      // The stand-in property this parser uses for a block, written by a sender.
      calendar(['BEGIN:VTIMEZONE', 'X-ITIP-AGENT-ZONE-BLOCK:0', 'END:VTIMEZONE'], ZONE, EVENT),
      calendar(['begin:vtimezone', 'X-ITIP-AGENT-ZONE-BLOCK:0', 'end:vtimezone'], ZONE, EVENT),
      // An empty VTIMEZONE, and one with parameters on its BEGIN line.
      calendar(['BEGIN:VTIMEZONE', 'END:VTIMEZONE'], EVENT),
      calendar(['BEGIN;X=1:VTIMEZONE', ...ZONE.slice(1)], EVENT),
    ];
    for (const text of texts) {
      let whole: unknown;
      try {
        whole = wholeParse(text);
      } catch (error) {
        expect(() => parseCalendar(text)).toThrow((error as Error).message);
        continue;
      }
      expect(parseCalendar(text).toJSON()).toStrictEqual(whole);
    }
  });

  it('tells apart blocks that differ in one character anywhere, parsed in turns', () => {
    // A block is found by a fingerprint read from part of it: blocks that
    // differ where it does not read share one, and must still each give their own.
    const long = [...ZONE.slice(0, -1), `COMMENT:${'x'.repeat(200)}`, 'END:VTIMEZONE'];
    const at = long.join('\r\n').indexOf('COMMENT:') + 100;
    const variants = Array.from({ length: 8 }, (_, i) => {
      const block = long.join('\r\n');
      return calendar([`${block.slice(0, at + i)}y${block.slice(at + i + 1)}`], EVENT);
    });
    for (let round = 0; round < 2; round++) for (const text of variants) expectSameAsWhole(text);
  });

  it('reports a VTIMEZONE that never ends as ical.js does', () => {
    const text = calendar(ZONE.slice(0, -1), EVENT);
    expect(() => parseCalendar(text)).toThrow(/not valid iCalendar: invalid ical body/);
  });
});

// The faster line folding gives exactly what ical.js's own folding gives, on
// every kind of line: short, long, exactly at the limit, with two-, three- and
// four-byte characters on the fold, and in whole components written by
// ical.js.

import ICAL from 'ical.js';
import { describe, expect, it } from 'vitest';
import { foldLine } from '../../src/ical/fast-fold.js';
import { parseCalendar } from '../../src/ical/calendar.js';

const icalFold = (line: string): string => (ICAL.helpers as unknown as { foldline(line: string): string }).foldline(line);

describe('foldLine', () => {
  it('folds as ical.js does, for lines of every length and mix of characters', () => {
    const pieces = ['a', 'Z', ' ', ';', 'é', 'ß', '€', '中', '😀', '\t', 'x'.repeat(7)];
    let seed = 11;
    const random = (n: number) => (seed = (seed * 48271) % 2147483647) % n;
    const lines = ['', 'A', 'x'.repeat(74), 'x'.repeat(75), 'x'.repeat(76), 'x'.repeat(150), 'x'.repeat(151), `${'x'.repeat(74)}é`, `${'x'.repeat(73)}😀y`, '😀'.repeat(40)];
    for (let n = 0; n < 2000; n++) {
      let line = '';
      const length = random(4) === 0 ? random(400) : random(90);
      while (line.length < length) line += pieces[random(pieces.length)];
      lines.push(line);
    }
    for (const line of lines) expect(foldLine(line)).toBe(icalFold(line));
  });

  it('is what ical.js writes a component with', () => {
    const description = `DESCRIPTION:${'Agenda: budget and hiring in the new office in Zürich — 会议 😀. '.repeat(6)}`;
    const text = ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//test//EN', 'BEGIN:VEVENT', 'UID:fold@example.com', 'DTSTAMP:20261101T080000Z', description, 'END:VEVENT', 'END:VCALENDAR', ''].join('\r\n');
    const written = parseCalendar(text).toString();
    const lines = written.split('\r\n');
    expect(lines.some((l) => l.startsWith(' '))).toBe(true);
    // Unfolded, the DESCRIPTION is what came in; folded again by ical.js's own folding, the same text.
    const unfolded = written.replace(/\r\n /g, '');
    expect(unfolded).toContain(description);
    expect(unfolded.split('\r\n').map(icalFold).join('\r\n')).toBe(written);
    for (const line of lines) expect(Buffer.byteLength(line.replace(/^ /, ''), 'utf8')).toBeLessThanOrEqual(75);
  });
});

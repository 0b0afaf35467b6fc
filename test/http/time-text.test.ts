// Days, ISO weeks and months of the calendar pages, and times read and written
// in the user's zone across a change of daylight time.

import { describe, expect, it } from 'vitest';
import { dayKey, dayNumber, isoWeekOf, parseDay, parseMonth, parseWeek, TimeText, weekKey } from '../../src/http/time-text.js';

describe('ISO weeks', () => {
  it('finds the Monday of a week and the week of a day, at the ends of years', () => {
    expect(dayKey(parseWeek('2026-W49')!)).toBe('2026-11-30');
    // 2026 begins on a Thursday: it has a week 53, and 1 January is in week 1.
    expect(dayKey(parseWeek('2026-W53')!)).toBe('2026-12-28');
    expect(dayKey(parseWeek('2026-W01')!)).toBe('2025-12-29');
    expect(parseWeek('2027-W53')).toBeUndefined();
    expect(weekKey(dayNumber(2027, 1, 3))).toBe('2026-W53');
    expect(weekKey(dayNumber(2027, 1, 4))).toBe('2027-W01');
    expect(isoWeekOf(dayNumber(2024, 12, 30))).toEqual({ year: 2025, week: 1 });
    for (const bad of ['2026-W00', '2026-W54', '2026W49', '2026-w49', '12026-W01', '1899-W10']) expect(parseWeek(bad), bad).toBeUndefined();
  });

  it('reads months and days only when they exist', () => {
    expect(parseMonth('2026-12')).toEqual({ year: 2026, month: 12 });
    expect(parseMonth('2026-13')).toBeUndefined();
    expect(parseDay('2026-02-29')).toBeUndefined();
    expect(dayKey(parseDay('2028-02-29')!)).toBe('2028-02-29');
  });
});

describe('TimeText', () => {
  it('writes times in the user\'s zone, with the change of daylight time', () => {
    const berlin = new TimeText('Europe/Berlin');
    expect(berlin.span(Date.parse('2026-10-24T08:00:00Z'), Date.parse('2026-10-24T09:00:00Z'), false)).toBe('Sat 24 Oct 2026, 10:00-11:00');
    expect(berlin.span(Date.parse('2026-10-26T08:00:00Z'), Date.parse('2026-10-26T09:00:00Z'), false)).toBe('Mon 26 Oct 2026, 09:00-10:00');
    expect(berlin.span(Date.parse('2026-12-01T22:30:00Z'), Date.parse('2026-12-02T00:30:00Z'), false)).toBe('Tue 1 Dec 2026, 23:30 - Wed 2 Dec 2026, 01:30');
    // A day of 25 hours still begins at local midnight.
    expect(new Date(berlin.dayStart(berlin.day(Date.parse('2026-10-25T12:00:00Z')))).toISOString()).toBe('2026-10-24T22:00:00.000Z');
    expect(new TimeText(undefined).label).toBe('UTC');
    expect(new TimeText('Not/AZone').label).toBe('UTC');
  });

  it('writes all-day events by their dates, the end day exclusive', () => {
    const utc = new TimeText(undefined);
    expect(utc.span(Date.parse('2026-12-01T00:00:00Z'), Date.parse('2026-12-02T00:00:00Z'), true)).toBe('Tue 1 Dec 2026 (all day)');
    expect(utc.span(Date.parse('2026-12-01T00:00:00Z'), Date.parse('2026-12-04T00:00:00Z'), true)).toBe('Tue 1 Dec 2026 - Thu 3 Dec 2026 (all day)');
  });

  it('reads and writes the datetime-local fields in the zone', () => {
    const berlin = new TimeText('Europe/Berlin');
    expect(berlin.inputValue(Date.parse('2026-07-01T07:30:00Z'))).toBe('2026-07-01T09:30');
    expect(berlin.parseInput('2026-07-01T09:30')).toBe(Date.parse('2026-07-01T07:30:00Z'));
    expect(berlin.parseInput('2026-12-01T09:30:15')).toBe(Date.parse('2026-12-01T08:30:15Z'));
    for (const bad of ['', '2026-07-01', '2026-07-01 09:30', '2026-02-30T09:00', '2026-07-01T24:00', 'tomorrow']) expect(berlin.parseInput(bad), bad).toBeUndefined();
  });
});

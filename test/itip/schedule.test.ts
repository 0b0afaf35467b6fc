// The core on its own: no store, no mail, no clock. The same input gives the
// same effects, and a broken input gives an outcome instead of an exception.

import { describe, expect, it } from 'vitest';
import { eventsOf, parseCalendar } from '../../src/ical/calendar.js';
import type { ItipInput } from '../../src/itip/effects.js';
import { schedule } from '../../src/itip/schedule.js';

const REQUEST = [
  'BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//t//EN', 'METHOD:REQUEST',
  'BEGIN:VEVENT', 'UID:u1', 'DTSTAMP:20261101T080000Z', 'DTSTART:20261201T090000Z', 'DTEND:20261201T100000Z',
  'SEQUENCE:0', 'SUMMARY:Review', 'ORGANIZER:mailto:boss@example.com',
  'ATTENDEE;PARTSTAT=ACCEPTED:mailto:alice@example.com', 'END:VEVENT', 'END:VCALENDAR', '',
].join('\r\n');

function input(overrides: Partial<ItipInput> = {}): ItipInput {
  const message = parseCalendar(REQUEST);
  return {
    method: 'REQUEST',
    uid: 'u1',
    components: eventsOf(message),
    message,
    user: 'mailto:alice@example.com',
    role: 'person',
    prefs: {},
    counters: [],
    sender: { addresses: ['mailto:boss@example.com'] },
    direction: 'incoming',
    now: Date.parse('2026-11-01T00:00:00Z'),
    ...overrides,
  };
}

describe('schedule', () => {
  it('answers a REQUEST with effects and no side effects', () => {
    const first = schedule(input());
    const second = schedule(input());
    expect(second).toEqual(first);
    expect(first.outcome).toBe('applied');
    expect(first.effects.map((e) => e.type)).toEqual(['put-object', 'own-periods', 'others-periods', 'put-request', 'inbox']);
    const own = first.effects.find((e) => e.type === 'own-periods');
    expect(own).toEqual({
      type: 'own-periods',
      uid: 'u1',
      periods: [{ start: '2026-12-01T09:00:00Z', end: '2026-12-01T10:00:00Z', fbtype: 'BUSY', uid: 'u1', recurrenceId: null }],
    });
  });

  it('gives an error outcome for a broken stored object instead of throwing', () => {
    const result = schedule(input({ stored: { uid: 'u1', ics: 'not a calendar' } }));
    expect(result.outcome).toBe('error');
    expect(result.effects).toEqual([]);
    expect(result.reason).toMatch(/could not be processed/);
  });

  it('refuses a REQUEST whose mail names no sender', () => {
    const result = schedule(input({ sender: { addresses: [] } }));
    expect(result.outcome).toBe('refused');
    expect(result.effects).toEqual([]);
  });

  it('accepts an alias configured for the organizer', () => {
    const aliased = input({
      sender: { addresses: ['mailto:b.oss@example.com'] },
      prefs: { sender_aliases: 'boss@example.com=b.oss@example.com' },
    });
    expect(schedule(aliased).outcome).toBe('applied');
  });
});

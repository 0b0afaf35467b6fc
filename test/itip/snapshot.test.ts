// The core as a function of plain data: what it reads besides the message is
// named by snapshotNeeds and handed over in the input of schedule(), the one
// entry point for VEVENTs and VFREEBUSYs alike. No store, no mail, no clock.

import { describe, expect, it } from 'vitest';
import { eventsOf, parseCalendar } from '../../src/ical/calendar.js';
import type { FreeBusyInput, ItipInput } from '../../src/itip/effects.js';
import type { Period } from '../../src/itip/model.js';
import { schedule } from '../../src/itip/schedule.js';
import { snapshotNeeds } from '../../src/itip/snapshot.js';

const NOW = Date.parse('2026-11-01T00:00:00Z');
const ROOM = 'mailto:room@example.com';

function calendar(method: string, lines: string[]): ReturnType<typeof parseCalendar> {
  return parseCalendar(['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//t//EN', `METHOD:${method}`, ...lines, 'END:VCALENDAR', ''].join('\r\n'));
}

function busy(start: string, end: string, uid: string): Period {
  return { start, end, fbtype: 'BUSY', uid, recurrenceId: null };
}

/** A REQUEST for the room on 2026-12-01 09:00-10:00 UTC, as the room would get it (no snapshot read yet). */
function roomRequest(prefs: Record<string, string> = {}) {
  const message = calendar('REQUEST', [
    'BEGIN:VEVENT', 'UID:meeting@x', 'DTSTAMP:20261101T080000Z', 'DTSTART:20261201T090000Z', 'DTEND:20261201T100000Z',
    'SEQUENCE:0', 'ORGANIZER:mailto:boss@example.com', 'ATTENDEE;CUTYPE=ROOM;RSVP=TRUE:mailto:room@example.com', 'END:VEVENT',
  ]);
  return {
    method: 'REQUEST' as const,
    uid: 'meeting@x',
    components: eventsOf(message),
    message,
    user: ROOM,
    role: 'resource' as const,
    prefs,
    sender: { addresses: ['mailto:boss@example.com'] },
    direction: 'incoming' as const,
    now: NOW,
  };
}

function freeBusyRequest(prefs: Record<string, string>): Omit<FreeBusyInput, 'busy'> {
  const message = calendar('REQUEST', [
    'BEGIN:VFREEBUSY', 'UID:fb@x', 'DTSTAMP:20261101T080000Z', 'DTSTART:20261201T000000Z', 'DTEND:20261202T000000Z',
    'ORGANIZER:mailto:boss@example.com', 'ATTENDEE:mailto:alice@example.com', 'END:VFREEBUSY',
  ]);
  return {
    kind: 'VFREEBUSY',
    method: 'REQUEST',
    uid: 'fb@x',
    component: message.getFirstSubcomponent('vfreebusy')!,
    message,
    user: 'mailto:alice@example.com',
    role: 'person',
    prefs,
    sender: { addresses: ['mailto:boss@example.com'] },
    direction: 'incoming',
    now: NOW,
  };
}

describe('snapshotNeeds', () => {
  it('asks a resource for its bookings around the instance it judges, and no more', () => {
    const needs = snapshotNeeds(roomRequest());
    expect(needs).toEqual({
      counters: false,
      ownBusy: { from: Date.parse('2026-12-01T09:00:00Z'), to: Date.parse('2026-12-01T10:00:00Z') },
      organizers: false,
      correspondents: [],
    });
  });

  it('widens the span by the quota period and the counter search, and asks for organizers only with quotas', () => {
    const needs = snapshotNeeds(roomRequest({ scheduling_function: 'freebusy quota', quota: 'PT2H/P1W per organizer', counter_offers: 'on', counter_search_days: '3' }));
    expect(needs.organizers).toBe(true);
    const span = needs.ownBusy!;
    // The quota's week around the request (from Monday 2026-11-30), and slots
    // searched up to three days later, with their weeks (to Monday 2026-12-07)...
    expect(span.from).toBeLessThanOrEqual(Date.parse('2026-11-30T00:00:00Z'));
    expect(span.to).toBeGreaterThanOrEqual(Date.parse('2026-12-07T00:00:00Z'));
    // ...but not the whole free/busy window.
    expect(span.from).toBeGreaterThanOrEqual(Date.parse('2026-11-20T00:00:00Z'));
    expect(span.to).toBeLessThanOrEqual(Date.parse('2026-12-25T00:00:00Z'));
  });

  it('asks a person for nothing on a REQUEST, for the counters on a DECLINECOUNTER', () => {
    const person = { ...roomRequest(), user: 'mailto:alice@example.com', role: 'person' as const };
    expect(snapshotNeeds(person)).toEqual({ counters: false, organizers: false, correspondents: [] });
    expect(snapshotNeeds({ ...person, method: 'DECLINECOUNTER' })).toEqual({ counters: true, organizers: false, correspondents: [] });
  });

  it('asks for the busy time a free/busy REQUEST is answered for, only when free/busy is shared', () => {
    expect(snapshotNeeds(freeBusyRequest({ freebusy_sharing: 'share' })).ownBusy).toEqual({
      from: Date.parse('2026-12-01T00:00:00Z'),
      to: Date.parse('2026-12-02T00:00:00Z'),
    });
    expect(snapshotNeeds(freeBusyRequest({})).ownBusy).toBeUndefined();
  });
});

describe('schedule with a snapshot of plain data', () => {
  it('answers a VFREEBUSY REQUEST from the busy periods in its input', () => {
    const input: FreeBusyInput = {
      ...freeBusyRequest({ freebusy_sharing: 'share' }),
      busy: [busy('2026-12-01T09:00:00Z', '2026-12-01T10:00:00Z', 'a'), busy('2026-12-01T09:30:00Z', '2026-12-01T11:00:00Z', 'b')],
    };
    const first = schedule(input);
    expect(schedule(input)).toEqual(first);
    expect(first.outcome).toBe('applied');
    expect(first.reason).toMatch(/with 1 busy period\(s\)$/);
    const send = first.effects.find((e) => e.type === 'send');
    expect(send && send.type === 'send' && send.ics).toContain('FREEBUSY;FBTYPE=BUSY:20261201T090000Z/20261201T110000Z');
  });

  it('declines for a clash among the bookings it was given, and accepts without it', () => {
    const unread = roomRequest();
    const span = snapshotNeeds(unread).ownBusy!;
    const clash: ItipInput = { ...unread, counters: [], bookings: { ...span, periods: [busy('2026-12-01T09:30:00Z', '2026-12-01T10:30:00Z', 'other@x')] } };
    expect(schedule(clash).reason).toMatch(/^declined the event: 2026-12-01T09:00:00Z to 2026-12-01T10:00:00Z is already booked/);
    const free: ItipInput = { ...unread, counters: [], bookings: { ...span, periods: [] } };
    expect(schedule(free).reason).toMatch(/^accepted the event/);
  });

  it('gives an error, not free time, when the bookings do not cover what the decision reads', () => {
    const input: ItipInput = { ...roomRequest(), counters: [], bookings: { from: 0, to: 0, periods: [] } };
    const result = schedule(input);
    expect(result.outcome).toBe('error');
    expect(result.effects).toEqual([]);
  });
});

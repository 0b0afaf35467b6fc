// Which calendars the core takes as scheduling messages (RFC 5546 section 1.4,
// RFC 6047 section 2.4): a pure rule, tested without mail or store.

import { describe, expect, it } from 'vitest';
import { acceptCalendar } from '../../src/itip/rules/message-acceptance.js';

function calendar(method: string | undefined, body: string[]): string {
  return [
    'BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//t//EN', ...(method ? [`METHOD:${method}`] : []),
    ...body, 'END:VCALENDAR', '',
  ].join('\r\n');
}

const EVENT = ['BEGIN:VEVENT', 'UID:u1', 'DTSTAMP:20261101T080000Z', 'DTSTART:20261201T090000Z', 'END:VEVENT'];

describe('acceptCalendar', () => {
  it('takes a REQUEST and groups its VEVENTs by UID', () => {
    const taken = acceptCalendar(calendar('REQUEST', [...EVENT, ...EVENT.map((l) => l.replace('u1', 'u2'))]), 'REQUEST');
    expect('outcome' in taken).toBe(false);
    if ('outcome' in taken) return;
    expect(taken.method).toBe('REQUEST');
    expect([...taken.units.keys()]).toEqual(['u1', 'u2']);
    expect(taken.note).toBeUndefined();
  });

  it('uses the METHOD inside the calendar and notes a Content-Type that disagrees', () => {
    const taken = acceptCalendar(calendar('CANCEL', EVENT), 'REQUEST');
    expect(taken).toMatchObject({ method: 'CANCEL', note: expect.stringContaining('method=REQUEST') });
  });

  it('ignores a calendar without METHOD, and one whose METHOD is not for events', () => {
    expect(acceptCalendar(calendar(undefined, EVENT), undefined)).toMatchObject({ outcome: 'ignored', reason: expect.stringMatching(/no METHOD/) });
    expect(acceptCalendar(calendar('X-OTHER', EVENT), undefined)).toMatchObject({ outcome: 'ignored', method: 'X-OTHER' });
  });

  it('refuses an unreadable calendar and one over a limit', () => {
    expect(acceptCalendar('BEGIN:VCALENDAR\r\nnot a line\r\n', 'REQUEST')).toMatchObject({ outcome: 'refused' });
    const crowded = EVENT.flatMap((l) => (l === 'END:VEVENT' ? ['ATTENDEE:mailto:a@x.test', 'ATTENDEE:mailto:b@x.test', l] : [l]));
    expect(acceptCalendar(calendar('REQUEST', crowded), 'REQUEST', { maxComponents: 10, maxAttendees: 1 })).toMatchObject({
      outcome: 'refused',
      reason: 'a VEVENT has 2 attendees, over the limit of 1',
    });
  });

  it('ignores a calendar that holds no VEVENT, VTODO or VFREEBUSY, naming what it holds', () => {
    const taken = acceptCalendar(calendar('PUBLISH', ['BEGIN:VJOURNAL', 'UID:j1', 'END:VJOURNAL']), 'PUBLISH');
    expect(taken).toMatchObject({ outcome: 'ignored', reason: 'only VEVENT, VTODO and VFREEBUSY are scheduled; the calendar holds VJOURNAL' });
  });

  it('takes VTODOs as tasks (RFC 5546 section 3.4), one kind per UID', () => {
    const todo = ['BEGIN:VTODO', 'UID:t1', 'DTSTAMP:20261101T080000Z', 'DUE:20261201T170000Z', 'END:VTODO'];
    const taken = acceptCalendar(calendar('REQUEST', [...todo, ...EVENT.map((l) => l.replace('u1', 't1'))]), 'REQUEST');
    if ('outcome' in taken) throw new Error(taken.reason);
    expect(taken.units.get('t1')!.map((c) => c.name)).toEqual(['vtodo']);
  });
});

// SCHEDULE-STATUS on the organizer's stored copy (RFC 6638 sections 3.2.9, 7.3),
// as the pure function the outbox sender calls.

import { describe, expect, it } from 'vitest';
import { isFinalStatus, withScheduleStatus, withScheduleStatusOn } from '../../src/itip/schedule-status.js';

const CRLF = '\r\n';
const UID = 'weekly@example.com';

function vcalendar(method: string | undefined, events: string[][]): string {
  return [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'PRODID:-//itip-agent//EN',
    ...(method ? [`METHOD:${method}`] : []),
    ...events.flatMap((e) => ['BEGIN:VEVENT', ...e, 'END:VEVENT']),
    'END:VCALENDAR',
    '',
  ].join(CRLF);
}

const master = [
  `UID:${UID}`,
  'DTSTAMP:20261101T090000Z',
  'DTSTART:20261201T090000Z',
  'DTEND:20261201T100000Z',
  'RRULE:FREQ=WEEKLY;COUNT=4',
  'ORGANIZER:mailto:alice@example.com',
  'ATTENDEE;PARTSTAT=ACCEPTED:mailto:alice@example.com',
  'ATTENDEE;PARTSTAT=NEEDS-ACTION:mailto:bob@example.com',
  'ATTENDEE;PARTSTAT=NEEDS-ACTION:mailto:carol@example.com',
];
const override = [
  `UID:${UID}`,
  'DTSTAMP:20261101T090000Z',
  'RECURRENCE-ID:20261208T090000Z',
  'DTSTART:20261208T100000Z',
  'DTEND:20261208T110000Z',
  'ORGANIZER:mailto:alice@example.com',
  'ATTENDEE;PARTSTAT=NEEDS-ACTION:mailto:bob@example.com',
];
const stored = { uid: UID, ics: vcalendar(undefined, [master, override]), replyMarks: { '': { 'mailto:bob@example.com': { sequence: 0, dtstamp: '2026-11-01T09:00:00Z' } } } };

const unfold = (text: string) => text.replace(/\r\n[ \t]/g, '');
const statusOf = (ics: string, address: string) =>
  unfold(ics)
    .split(CRLF)
    .filter((line) => line.startsWith('ATTENDEE') && line.endsWith(`:mailto:${address}`))
    .map((line) => /SCHEDULE-STATUS=([\d.]+)/.exec(line)?.[1] ?? null);

describe('withScheduleStatus', () => {
  it('sets the code on the attendees the message went to, in every component of a master message, and keeps the rest of the object', () => {
    const next = withScheduleStatus(stored, 'mailto:alice@example.com', vcalendar('REQUEST', [master]), { 'mailto:bob@example.com': '1.2' })!;
    expect(statusOf(next.ics, 'bob@example.com')).toEqual(['1.2', '1.2']);
    expect(statusOf(next.ics, 'carol@example.com')).toEqual([null]);
    expect(statusOf(next.ics, 'alice@example.com')).toEqual([null]);
    expect(next.replyMarks).toEqual(stored.replyMarks);
    expect(unfold(next.ics)).toContain('RRULE:FREQ=WEEKLY;COUNT=4');
  });

  it('a message about one instance changes only that override', () => {
    const next = withScheduleStatus(stored, 'alice@example.com', vcalendar('CANCEL', [override]), { 'bob@example.com': '5.1' })!;
    expect(statusOf(next.ics, 'bob@example.com')).toEqual([null, '5.1']);
  });

  it('changes nothing when the user is not the organizer, the method is an attendee\'s, the attendee is gone, or the code is the same', () => {
    expect(withScheduleStatus(stored, 'mailto:bob@example.com', vcalendar('REQUEST', [master]), { 'mailto:carol@example.com': '1.2' })).toBeUndefined();
    expect(withScheduleStatus(stored, 'mailto:alice@example.com', vcalendar('REPLY', [master]), { 'mailto:bob@example.com': '1.2' })).toBeUndefined();
    expect(withScheduleStatus(stored, 'mailto:alice@example.com', vcalendar('REQUEST', [master]), { 'mailto:dave@example.com': '1.2' })).toBeUndefined();
    const once = withScheduleStatus(stored, 'mailto:alice@example.com', vcalendar('REQUEST', [master]), { 'mailto:bob@example.com': '1.2' })!;
    expect(withScheduleStatus(once, 'mailto:alice@example.com', vcalendar('REQUEST', [master]), { 'mailto:bob@example.com': '1.2' })).toBeUndefined();
    const changed = withScheduleStatus(once, 'mailto:alice@example.com', vcalendar('REQUEST', [master]), { 'mailto:bob@example.com': '1.0' })!;
    expect(statusOf(changed.ics, 'bob@example.com')).toEqual(['1.0', '1.0']);
  });

  it('replaces a present code only where the guard allows it (a retry raises 1.1 to 1.2, never a bounce\'s 5.1)', () => {
    const sent = withScheduleStatus(stored, 'mailto:alice@example.com', vcalendar('REQUEST', [master]), { 'mailto:bob@example.com': '1.1', 'mailto:carol@example.com': '5.1' })!;
    const raisable = (current: string | undefined) => current === '1.0' || current === '1.1';
    const scope = { method: 'REQUEST', instances: [''] };
    const raised = withScheduleStatusOn(sent, 'mailto:alice@example.com', scope, { 'mailto:bob@example.com': '1.2', 'mailto:carol@example.com': '1.2' }, raisable)!;
    expect(statusOf(raised.ics, 'bob@example.com')).toEqual(['1.2', '1.2']);
    expect(statusOf(raised.ics, 'carol@example.com')).toEqual(['5.1']);
    expect(withScheduleStatusOn(raised, 'mailto:alice@example.com', scope, { 'mailto:carol@example.com': '1.2' }, raisable)).toBeUndefined();
  });

  it('tells final codes from pending', () => {
    expect(isFinalStatus('1.0')).toBe(false);
    expect(isFinalStatus(undefined)).toBe(false);
    expect(['1.1', '1.2', '5.1', '3.7'].every(isFinalStatus)).toBe(true);
  });
});

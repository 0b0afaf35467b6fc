// The events the attendee's action tests start from: alice organizes, bob (the
// acting user) and carol are invited, dave is someone bob may delegate to.

import { expect } from 'vitest';
import type { Effect } from '../../../src/itip/effects.js';
import type { Period } from '../../../src/itip/model.js';
import { calendar, vevent } from './support.js';

export const ALICE = 'mailto:alice@example.com';
export const BOB = 'mailto:bob@example.com';
export const CAROL = 'mailto:carol@example.com';
export const DAVE = 'mailto:dave@example.com';

export const ORGANIZER = 'ORGANIZER;CN=Alice:mailto:alice@example.com';
export const BOB_ASKED = 'ATTENDEE;CN=Bob;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:bob@example.com';
export const CAROL_ACCEPTED = 'ATTENDEE;CN=Carol;PARTSTAT=ACCEPTED:mailto:carol@example.com';
export const BOB_ALARM = ['BEGIN:VALARM', 'ACTION:DISPLAY', 'DESCRIPTION:Planning', 'TRIGGER:-PT15M', 'END:VALARM'];

/** Bob's answer as his ATTENDEE line carries it after answering. */
export function bob(partstat: string): string {
  return `ATTENDEE;CN=Bob;ROLE=REQ-PARTICIPANT;PARTSTAT=${partstat}:mailto:bob@example.com`;
}

/** A single event, as bob's copy holds it (with his own alarm). */
export function meetingLines(attendee = BOB_ASKED, extra: string[] = []): string[] {
  return [
    'UID:m1',
    'DTSTAMP:20261101T080000Z',
    'DTSTART:20261201T090000Z',
    'DTEND:20261201T100000Z',
    'SEQUENCE:2',
    'SUMMARY:Planning',
    ORGANIZER,
    attendee,
    CAROL_ACCEPTED,
    ...extra,
  ];
}

export function meeting(attendee = BOB_ASKED, extra: string[] = [], alarm = BOB_ALARM): string {
  return calendar(vevent([...meetingLines(attendee, extra), ...alarm]));
}

/** The message lines every REPLY for the meeting carries. */
export function meetingReply(attendee: string, extra: string[] = []): string {
  return calendar(
    vevent(['UID:m1', 'DTSTAMP:20261115T120000Z', 'DTSTART:20261201T090000Z', 'DTEND:20261201T100000Z', 'SEQUENCE:2', 'SUMMARY:Planning', ORGANIZER, attendee, ...extra]),
    'REPLY',
  );
}

/** A weekly series in UTC, four instances from 2026-12-01, the third one moved to 11:00. */
export const SERIES_MASTER = [
  'UID:s1',
  'DTSTAMP:20261101T080000Z',
  'DTSTART:20261201T090000Z',
  'DTEND:20261201T100000Z',
  'RRULE:FREQ=WEEKLY;COUNT=4',
  'SEQUENCE:1',
  'SUMMARY:Weekly',
  ORGANIZER,
];

export function seriesOverride(attendees: string[], extra: string[] = []): string[] {
  return vevent([
    'UID:s1',
    'DTSTAMP:20261101T080000Z',
    'RECURRENCE-ID:20261215T090000Z',
    'DTSTART:20261215T110000Z',
    'DTEND:20261215T120000Z',
    'SEQUENCE:1',
    'SUMMARY:Weekly',
    ORGANIZER,
    ...attendees,
    ...extra,
  ]);
}

export function series(master = BOB_ASKED, override: string[] | null = [BOB_ASKED, CAROL_ACCEPTED], masterExtra: string[] = []): string {
  return calendar([...vevent([...SERIES_MASTER, master, CAROL_ACCEPTED, ...masterExtra]), ...(override ? seriesOverride(override) : [])]);
}

/** The effects' own periods, as [start, fbtype] pairs. */
export function ownPeriods(effects: Effect[]): [string, string][] {
  const own = effects.find((e): e is Extract<Effect, { type: 'own-periods' }> => e.type === 'own-periods');
  expect(own, 'an own-periods effect').toBeDefined();
  return own!.periods.map((p: Period) => [p.start, p.fbtype]);
}

export function effectTypes(effects: Effect[]): string[] {
  return effects.map((e) => e.type);
}

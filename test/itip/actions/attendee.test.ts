// The attendee's own actions as tables: respond (whole, instance, with a
// comment), delegate, propose (COUNTER), ask-refresh (REFRESH) and delete
// (whole, instance), each with the stored copy before, the outcome, the copy
// after and the messages queued. The CalDAV PUT is in attendee-put.test.ts,
// the messages fed back into the receiving side in attendee-round-trip.test.ts.

import { describe, expect, it } from 'vitest';
import type { Effect } from '../../../src/itip/effects.js';
import {
  ALICE,
  BOB,
  BOB_ASKED,
  CAROL,
  CAROL_ACCEPTED,
  DAVE,
  ORGANIZER,
  SERIES_MASTER,
  bob,
  effectTypes,
  meeting,
  meetingLines,
  meetingReply,
  ownPeriods,
  series,
} from './attendee-fixtures.js';
import { calendar, runActionCase, vevent, type ActionCase } from './support.js';

const DAVE_ASKED = 'ATTENDEE;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE;DELEGATED-FROM="mailto:bob@example.com":mailto:dave@example.com';
const BOB_DELEGATED = 'ATTENDEE;CN=Bob;ROLE=REQ-PARTICIPANT;PARTSTAT=DELEGATED;DELEGATED-TO="mailto:dave@example.com":mailto:bob@example.com';

function instanceReply(partstat: string, rid: string, start: string, end: string, extra: string[] = []): string[] {
  return vevent(['UID:s1', 'DTSTAMP:20261115T120000Z', 'SEQUENCE:1', `RECURRENCE-ID:${rid}`, `DTSTART:${start}`, `DTEND:${end}`, 'SUMMARY:Weekly', ORGANIZER, bob(partstat), ...extra]);
}

const removesEverything = (effects: Effect[]) => {
  expect(effectTypes(effects).filter((t) => t !== 'send')).toEqual(['delete-object', 'own-periods', 'remove-others-periods', 'remove-requests', 'remove-counters']);
  expect(ownPeriods(effects)).toEqual([]);
};

const RESPOND: ActionCase[] = [
  {
    name: 'accepting the whole event: a REPLY with the one ATTENDEE to the organizer, the copy ACCEPTED and busy',
    user: BOB,
    stored: meeting(),
    action: { kind: 'respond', uid: 'm1', partstat: 'ACCEPTED' },
    outcome: 'applied',
    reason: /answered ACCEPTED for the whole event; a REPLY to mailto:alice@example.com is queued/,
    after: meeting(bob('ACCEPTED')),
    queued: [{ method: 'REPLY', to: [ALICE], meaning: meetingReply(bob('ACCEPTED')), lacks: ['BEGIN:VALARM', CAROL_ACCEPTED] }],
    check: (effects) => {
      expect(ownPeriods(effects)).toEqual([['2026-12-01T09:00:00Z', 'BUSY']]);
      expect(effects).toContainEqual({ type: 'remove-requests', uid: 'm1' });
    },
  },
  {
    name: 'a tentative answer with a comment: the COMMENT goes to the organizer, the time is tentatively busy',
    user: BOB,
    stored: meeting(),
    action: { kind: 'respond', uid: 'm1', partstat: 'TENTATIVE', comment: 'I may be late' },
    outcome: 'applied',
    after: meeting(bob('TENTATIVE')),
    queued: [{ method: 'REPLY', to: [ALICE], meaning: meetingReply(bob('TENTATIVE'), ['COMMENT:I may be late']) }],
    check: (effects) => expect(ownPeriods(effects)).toEqual([['2026-12-01T09:00:00Z', 'BUSY-TENTATIVE']]),
  },
  {
    name: 'declining frees the time',
    user: BOB,
    stored: meeting(bob('ACCEPTED')),
    action: { kind: 'respond', uid: 'm1', partstat: 'DECLINED' },
    outcome: 'applied',
    after: meeting(bob('DECLINED')),
    queued: [{ method: 'REPLY', to: [ALICE], meaning: meetingReply(bob('DECLINED')) }],
    check: (effects) => expect(ownPeriods(effects)).toEqual([]),
  },
  {
    name: 'the same answer again, with nothing waiting and nothing to say, is a duplicate: nothing sent',
    user: BOB,
    stored: meeting(bob('ACCEPTED')),
    action: { kind: 'respond', uid: 'm1', partstat: 'ACCEPTED' },
    outcome: 'duplicate',
    reason: /answered ACCEPTED for the whole event already/,
    queued: [],
    check: (effects) => expect(effects).toEqual([]),
  },
  {
    name: 'the same answer to an update waiting in the request queue is sent again, and the entry goes',
    user: BOB,
    stored: meeting(bob('ACCEPTED')),
    requests: [{ uid: 'm1', recurrenceId: null, method: 'REQUEST', from: ALICE, received: '2026-11-14T10:00:00Z' }],
    action: { kind: 'respond', uid: 'm1', partstat: 'ACCEPTED' },
    outcome: 'applied',
    queued: [{ method: 'REPLY', to: [ALICE], meaning: meetingReply(bob('ACCEPTED')) }],
    check: (effects) => expect(effects).toContainEqual({ type: 'remove-requests', uid: 'm1' }),
  },
  {
    name: 'the whole series: master and overrides answered in one REPLY, each stored ACCEPTED',
    user: BOB,
    stored: series(),
    action: { kind: 'respond', uid: 's1', partstat: 'ACCEPTED' },
    outcome: 'applied',
    after: series(bob('ACCEPTED'), [bob('ACCEPTED'), CAROL_ACCEPTED]),
    queued: [
      {
        method: 'REPLY',
        to: [ALICE],
        meaning: calendar(
          [
            ...vevent(['UID:s1', 'DTSTAMP:20261115T120000Z', 'SEQUENCE:1', 'DTSTART:20261201T090000Z', 'DTEND:20261201T100000Z', 'SUMMARY:Weekly', ORGANIZER, bob('ACCEPTED')]),
            ...instanceReply('ACCEPTED', '20261215T090000Z', '20261215T110000Z', '20261215T120000Z'),
          ],
          'REPLY',
        ),
      },
    ],
    check: (effects) =>
      expect(ownPeriods(effects)).toEqual([
        ['2026-12-01T09:00:00Z', 'BUSY'],
        ['2026-12-08T09:00:00Z', 'BUSY'],
        ['2026-12-15T11:00:00Z', 'BUSY'],
        ['2026-12-22T09:00:00Z', 'BUSY'],
      ]),
  },
  {
    name: 'one instance without an override: the REPLY names it, the copy gains an override for it',
    user: BOB,
    stored: series(bob('ACCEPTED'), null),
    action: { kind: 'respond', uid: 's1', recurrenceId: '2026-12-08T09:00:00Z', partstat: 'DECLINED' },
    outcome: 'applied',
    reason: /answered DECLINED for instance 2026-12-08T09:00:00Z/,
    after: calendar([
      ...vevent([...SERIES_MASTER, bob('ACCEPTED'), CAROL_ACCEPTED]),
      ...vevent(['UID:s1', 'DTSTAMP:20261101T080000Z', 'RECURRENCE-ID:20261208T090000Z', 'DTSTART:20261208T090000Z', 'DTEND:20261208T100000Z', 'SEQUENCE:1', 'SUMMARY:Weekly', ORGANIZER, bob('DECLINED'), CAROL_ACCEPTED]),
    ]),
    queued: [{ method: 'REPLY', to: [ALICE], meaning: calendar(instanceReply('DECLINED', '20261208T090000Z', '20261208T090000Z', '20261208T100000Z'), 'REPLY') }],
    check: (effects) =>
      expect(ownPeriods(effects)).toEqual([
        ['2026-12-01T09:00:00Z', 'BUSY'],
        ['2026-12-15T09:00:00Z', 'BUSY'],
        ['2026-12-22T09:00:00Z', 'BUSY'],
      ]),
  },
  {
    name: 'one instance given in the basic form of RECURRENCE-ID, with an override stored: only the override changes',
    user: BOB,
    stored: series(),
    action: { kind: 'respond', uid: 's1', recurrenceId: '20261215T090000Z', partstat: 'TENTATIVE' },
    outcome: 'applied',
    after: series(BOB_ASKED, [bob('TENTATIVE'), CAROL_ACCEPTED]),
    queued: [{ method: 'REPLY', to: [ALICE], meaning: calendar(instanceReply('TENTATIVE', '20261215T090000Z', '20261215T110000Z', '20261215T120000Z'), 'REPLY') }],
  },
  {
    name: 'an instance of a series in a zone: RECURRENCE-ID in the zone of DTSTART, its VTIMEZONE in the message',
    user: BOB,
    stored: calendar(
      vevent(['UID:z1', 'DTSTAMP:20261101T080000Z', 'DTSTART;TZID=Europe/Berlin:20261201T090000', 'DTEND;TZID=Europe/Berlin:20261201T100000', 'RRULE:FREQ=DAILY;COUNT=5', 'SUMMARY:Daily', ORGANIZER, BOB_ASKED]),
    ),
    action: { kind: 'respond', uid: 'z1', recurrenceId: '2026-12-03T08:00:00Z', partstat: 'ACCEPTED' },
    outcome: 'applied',
    afterContains: ['RECURRENCE-ID;TZID=Europe/Berlin:20261203T090000', 'DTSTART;TZID=Europe/Berlin:20261203T090000'],
    queued: [
      {
        method: 'REPLY',
        to: [ALICE],
        contains: ['RECURRENCE-ID;TZID=Europe/Berlin:20261203T090000', 'DTEND;TZID=Europe/Berlin:20261203T100000', 'TZID:Europe/Berlin', bob('ACCEPTED')],
        lacks: ['RRULE:FREQ=DAILY;COUNT=5'],
      },
    ],
  },
  {
    name: 'an instance the user is not invited to is refused, and nothing changes',
    user: BOB,
    stored: series(BOB_ASKED, [CAROL_ACCEPTED]),
    action: { kind: 'respond', uid: 's1', recurrenceId: '2026-12-15T09:00:00Z', partstat: 'ACCEPTED' },
    outcome: 'refused',
    reason: /mailto:bob@example.com is not invited to instance 2026-12-15T09:00:00Z of s1/,
    queued: [],
  },
  {
    name: 'a time that is no instance of the series is refused',
    user: BOB,
    stored: series(),
    action: { kind: 'respond', uid: 's1', recurrenceId: '2026-12-09T09:00:00Z', partstat: 'ACCEPTED' },
    outcome: 'refused',
    reason: /s1 has no instance 2026-12-09T09:00:00Z/,
  },
  {
    name: 'an instance time without a zone is refused with how to write it',
    user: BOB,
    stored: series(),
    action: { kind: 'respond', uid: 's1', recurrenceId: '2026-12-08T09:00:00', partstat: 'ACCEPTED' },
    outcome: 'refused',
    reason: /is not an instance time: give the original start in UTC/,
  },
  {
    name: 'a cancelled event cannot be answered',
    user: BOB,
    stored: meeting(BOB_ASKED, ['STATUS:CANCELLED']),
    action: { kind: 'respond', uid: 'm1', partstat: 'ACCEPTED' },
    outcome: 'refused',
    reason: /the organizer cancelled m1/,
  },
  {
    name: 'the answer on the version the user saw is applied',
    user: BOB,
    stored: meeting(),
    ifMatch: true,
    action: { kind: 'respond', uid: 'm1', partstat: 'ACCEPTED' },
    outcome: 'applied',
    queued: [{ method: 'REPLY', to: [ALICE], meaning: meetingReply(bob('ACCEPTED')) }],
  },
  {
    name: 'the answer on a version that changed since the user looked is stale: nothing stored, nothing sent',
    user: BOB,
    stored: meeting(),
    ifMatch: '"the-version-before-the-update"',
    action: { kind: 'respond', uid: 'm1', partstat: 'ACCEPTED' },
    outcome: 'stale',
    reason: /changed since you looked/,
    queued: [],
    check: (effects) => expect(effects).toEqual([]),
  },
  {
    name: 'ORGANIZER;SCHEDULE-AGENT=CLIENT: the answer is stored, the calendar program sends it, nothing queued',
    user: BOB,
    stored: calendar(vevent([...meetingLines().map((l) => (l === ORGANIZER ? 'ORGANIZER;CN=Alice;SCHEDULE-AGENT=CLIENT:mailto:alice@example.com' : l))])),
    action: { kind: 'respond', uid: 'm1', partstat: 'ACCEPTED' },
    outcome: 'applied',
    reason: /SCHEDULE-AGENT=CLIENT: the calendar program sends this event's messages itself \(RFC 6638 section 7.1\), so nothing is queued/,
    afterContains: [bob('ACCEPTED')],
    queued: [],
  },
];

const DELEGATE: ActionCase[] = [
  {
    name: 'delegating: REPLY DELEGATED with the delegate to the organizer, the event as REQUEST to the delegate',
    user: BOB,
    stored: meeting(),
    action: { kind: 'delegate', uid: 'm1', to: 'Dave@Example.com' },
    outcome: 'applied',
    reason: /delegated the whole event to mailto:dave@example.com; a REPLY to mailto:alice@example.com and a REQUEST to mailto:dave@example.com are queued/,
    after: meeting(BOB_DELEGATED, [DAVE_ASKED]),
    queued: [
      { method: 'REPLY', to: [ALICE], meaning: meetingReply(BOB_DELEGATED, [DAVE_ASKED]) },
      {
        method: 'REQUEST',
        to: [DAVE],
        // The organizer's version (DTSTAMP and SEQUENCE as the organizer sent them), without bob's alarm.
        meaning: calendar(vevent(meetingLines(BOB_DELEGATED, [DAVE_ASKED])), 'REQUEST'),
        contains: ['DTSTAMP:20261101T080000Z', 'SEQUENCE:2'],
        lacks: ['BEGIN:VALARM'],
      },
    ],
    check: (effects) => expect(ownPeriods(effects)).toEqual([]),
  },
  {
    name: 'delegating one instance: both messages name that instance only',
    user: BOB,
    stored: series(bob('ACCEPTED'), null),
    action: { kind: 'delegate', uid: 's1', recurrenceId: '2026-12-08T09:00:00Z', to: DAVE },
    outcome: 'applied',
    afterContains: ['RECURRENCE-ID:20261208T090000Z', BOB_DELEGATED, DAVE_ASKED],
    queued: [
      { method: 'REPLY', to: [ALICE], contains: ['RECURRENCE-ID:20261208T090000Z', BOB_DELEGATED, DAVE_ASKED] },
      { method: 'REQUEST', to: [DAVE], contains: ['RECURRENCE-ID:20261208T090000Z', BOB_DELEGATED, DAVE_ASKED, CAROL_ACCEPTED], lacks: ['RRULE:FREQ=WEEKLY;COUNT=4'] },
    ],
    check: (effects) =>
      expect(ownPeriods(effects)).toEqual([
        ['2026-12-01T09:00:00Z', 'BUSY'],
        ['2026-12-15T09:00:00Z', 'BUSY'],
        ['2026-12-22T09:00:00Z', 'BUSY'],
      ]),
  },
  {
    name: 'delegating to oneself is refused',
    user: BOB,
    stored: meeting(),
    action: { kind: 'delegate', uid: 'm1', to: 'bob@example.com' },
    outcome: 'refused',
    reason: /cannot delegate m1 to themselves/,
    queued: [],
  },
  {
    name: 'delegating to the organizer is refused',
    user: BOB,
    stored: meeting(),
    action: { kind: 'delegate', uid: 'm1', to: ALICE },
    outcome: 'refused',
    reason: /mailto:alice@example.com organizes m1; an invitation is delegated to someone else/,
  },
  {
    name: 'delegating to someone invited already is refused',
    user: BOB,
    stored: meeting(),
    action: { kind: 'delegate', uid: 'm1', to: CAROL },
    outcome: 'refused',
    reason: /mailto:carol@example.com is invited to m1 already/,
  },
];

const COUNTER_AND_REFRESH: ActionCase[] = [
  {
    name: 'proposing another time: a COUNTER with the new times, the user alone and the comment; the proposal kept',
    user: BOB,
    stored: meeting(),
    action: { kind: 'propose', uid: 'm1', start: '2026-12-01T13:00:00Z', end: '2026-12-01T14:00:00Z', comment: 'Afternoon suits me' },
    outcome: 'applied',
    reason: /proposed 2026-12-01T13:00:00Z to 2026-12-01T14:00:00Z for the whole event; a COUNTER to mailto:alice@example.com is queued/,
    queued: [
      {
        method: 'COUNTER',
        to: [ALICE],
        meaning: calendar(
          vevent(['UID:m1', 'DTSTAMP:20261115T120000Z', 'DTSTART:20261201T130000Z', 'DTEND:20261201T140000Z', 'SEQUENCE:2', 'SUMMARY:Planning', ORGANIZER, 'ATTENDEE;CN=Bob;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION:mailto:bob@example.com', 'COMMENT:Afternoon suits me']),
          'COUNTER',
        ),
      },
    ],
    check: (effects) => {
      expect(effectTypes(effects)).toEqual(['put-counter', 'remove-requests', 'send']);
      const kept = effects.find((e): e is Extract<Effect, { type: 'put-counter' }> => e.type === 'put-counter')!.entry;
      expect([kept.uid, kept.recurrenceId, kept.attendee]).toEqual(['m1', null, BOB]);
    },
  },
  {
    name: 'proposing another time for one instance names the instance',
    user: BOB,
    stored: series(bob('ACCEPTED'), null),
    action: { kind: 'propose', uid: 's1', recurrenceId: '2026-12-08T09:00:00Z', start: '2026-12-08T15:00:00+01:00', end: '2026-12-08T15:30:00Z' },
    outcome: 'applied',
    queued: [{ method: 'COUNTER', to: [ALICE], contains: ['RECURRENCE-ID:20261208T090000Z', 'DTSTART:20261208T140000Z', 'DTEND:20261208T153000Z'], lacks: ['RRULE:FREQ=WEEKLY;COUNT=4', CAROL_ACCEPTED] }],
    check: (effects) => expect(effects.find((e) => e.type === 'put-counter')).toMatchObject({ entry: { recurrenceId: '2026-12-08T09:00:00Z' } }),
  },
  {
    name: 'a proposal that ends before it starts is refused',
    user: BOB,
    stored: meeting(),
    action: { kind: 'propose', uid: 'm1', start: '2026-12-01T13:00:00Z', end: '2026-12-01T12:00:00Z' },
    outcome: 'refused',
    reason: /the proposed end 2026-12-01T12:00:00Z is not after the proposed start 2026-12-01T13:00:00Z/,
    queued: [],
  },
  {
    name: 'asking for the current version: a REFRESH to the organizer and nothing else',
    user: BOB,
    stored: meeting(),
    action: { kind: 'ask-refresh', uid: 'm1' },
    outcome: 'applied',
    reason: /asked mailto:alice@example.com for the current version of the event; a REFRESH is queued/,
    queued: [{ method: 'REFRESH', to: [ALICE], meaning: calendar(vevent(['UID:m1', 'DTSTAMP:20261115T120000Z', ORGANIZER, 'ATTENDEE:mailto:bob@example.com']), 'REFRESH') }],
    check: (effects) => expect(effectTypes(effects)).toEqual(['send']),
  },
  {
    name: 'asking for the current version of one instance names it',
    user: BOB,
    stored: series(),
    action: { kind: 'ask-refresh', uid: 's1', recurrenceId: '2026-12-15T09:00:00Z' },
    outcome: 'applied',
    queued: [{ method: 'REFRESH', to: [ALICE], contains: ['RECURRENCE-ID:20261215T090000Z', 'ATTENDEE:mailto:bob@example.com'] }],
  },
  {
    name: 'one may ask about an instance the organizer cancelled',
    user: BOB,
    stored: series(BOB_ASKED, [BOB_ASKED, 'STATUS:CANCELLED']),
    action: { kind: 'ask-refresh', uid: 's1', recurrenceId: '2026-12-15T09:00:00Z' },
    outcome: 'applied',
    queued: [{ method: 'REFRESH', to: [ALICE], contains: ['RECURRENCE-ID:20261215T090000Z'] }],
  },
  {
    name: 'but not answer it',
    user: BOB,
    stored: series(BOB_ASKED, [BOB_ASKED, 'STATUS:CANCELLED']),
    action: { kind: 'respond', uid: 's1', recurrenceId: '2026-12-15T09:00:00Z', partstat: 'ACCEPTED' },
    outcome: 'refused',
    reason: /the organizer cancelled instance 2026-12-15T09:00:00Z of s1/,
  },
];

const DELETE: ActionCase[] = [
  {
    name: 'removing the whole event: a DECLINED REPLY to the organizer, the copy and its periods gone',
    user: BOB,
    stored: meeting(bob('ACCEPTED')),
    action: { kind: 'delete', uid: 'm1' },
    outcome: 'applied',
    reason: /removed m1 from the calendar of mailto:bob@example.com; a DECLINED REPLY to mailto:alice@example.com is queued/,
    after: null,
    queued: [{ method: 'REPLY', to: [ALICE], meaning: meetingReply(bob('DECLINED')) }],
    check: removesEverything,
  },
  {
    name: 'removing an event declined already sends nothing',
    user: BOB,
    stored: meeting(bob('DECLINED')),
    action: { kind: 'delete', uid: 'm1' },
    outcome: 'applied',
    reason: /no REPLY: it was declined or cancelled already/,
    after: null,
    queued: [],
    check: removesEverything,
  },
  {
    name: 'removing one instance: a DECLINED REPLY for it, an EXDATE in the copy',
    user: BOB,
    stored: series(bob('ACCEPTED'), null),
    action: { kind: 'delete', uid: 's1', recurrenceId: '2026-12-08T09:00:00Z' },
    outcome: 'applied',
    reason: /removed instance 2026-12-08T09:00:00Z of s1/,
    after: series(bob('ACCEPTED'), null, ['EXDATE:20261208T090000Z']),
    queued: [{ method: 'REPLY', to: [ALICE], meaning: calendar(instanceReply('DECLINED', '20261208T090000Z', '20261208T090000Z', '20261208T100000Z'), 'REPLY') }],
    check: (effects) => {
      expect(ownPeriods(effects)).toEqual([
        ['2026-12-01T09:00:00Z', 'BUSY'],
        ['2026-12-15T09:00:00Z', 'BUSY'],
        ['2026-12-22T09:00:00Z', 'BUSY'],
      ]);
      expect(effects).toContainEqual({ type: 'remove-requests', uid: 's1', recurrenceId: '2026-12-08T09:00:00Z' });
    },
  },
  {
    name: 'removing an instance that has an override: the override goes, the EXDATE comes',
    user: BOB,
    stored: series(bob('ACCEPTED'), [bob('ACCEPTED'), CAROL_ACCEPTED]),
    action: { kind: 'delete', uid: 's1', recurrenceId: '2026-12-15T09:00:00Z' },
    outcome: 'applied',
    after: series(bob('ACCEPTED'), null, ['EXDATE:20261215T090000Z']),
    queued: [{ method: 'REPLY', to: [ALICE], meaning: calendar(instanceReply('DECLINED', '20261215T090000Z', '20261215T110000Z', '20261215T120000Z'), 'REPLY') }],
  },
  {
    name: 'removing an instance that is not in the series is refused',
    user: BOB,
    stored: series(bob('ACCEPTED'), null, ['EXDATE:20261208T090000Z']),
    action: { kind: 'delete', uid: 's1', recurrenceId: '2026-12-08T09:00:00Z' },
    outcome: 'refused',
    reason: /s1 has no instance 2026-12-08T09:00:00Z/,
    queued: [],
  },
];

describe('attendee actions', () => {
  describe('respond', () => {
    for (const testCase of RESPOND) it(testCase.name, () => void runActionCase(testCase));
  });
  describe('delegate', () => {
    for (const testCase of DELEGATE) it(testCase.name, () => void runActionCase(testCase));
  });
  describe('propose and ask-refresh', () => {
    for (const testCase of COUNTER_AND_REFRESH) it(testCase.name, () => void runActionCase(testCase));
  });
  describe('delete', () => {
    for (const testCase of DELETE) it(testCase.name, () => void runActionCase(testCase));
  });

  it('is pure: the same input gives the same effects', () => {
    const testCase = RESPOND[0]!;
    expect(runActionCase(testCase)).toEqual(runActionCase(testCase));
  });

});

// The organizer answers what waits in the queue: a counter-proposal (RFC 5546
// sections 3.2.7 and 3.2.8) and a REFRESH (section 3.2.6).

import { describe, expect, it } from 'vitest';
import type { CounterEntry, RequestEntry } from '../../../src/itip/model.js';
import { ALICE, BOB, CAROL, edit, event, MEETING, SERIES } from './organizer-fixtures.js';
import { calendar, runActionCase, vevent, type ActionCase } from './support.js';

const meeting = event(MEETING);

/** Bob's COUNTER: the meeting two hours later, in Room 4, with his answer for that time. */
function bobsCounter(partstat = 'ACCEPTED', recurrenceId: string | null = null, uid = 'm1'): CounterEntry {
  const lines = [
    `UID:${uid}`,
    'DTSTAMP:20261110T080000Z',
    ...(recurrenceId ? [`RECURRENCE-ID:${recurrenceId.replace(/[-:]/g, '')}`] : []),
    `DTSTART:${recurrenceId ? '20261208T110000Z' : '20261201T110000Z'}`,
    `DTEND:${recurrenceId ? '20261208T120000Z' : '20261201T120000Z'}`,
    'SEQUENCE:1',
    'LOCATION:Room 4',
    'ORGANIZER;CN=Alice:mailto:alice@example.com',
    `ATTENDEE;PARTSTAT=${partstat}:mailto:bob@example.com`,
    'COMMENT:Later suits me better',
  ];
  return { uid, recurrenceId, attendee: BOB, received: '2026-11-10T08:00:00Z', ics: calendar(vevent(lines), 'COUNTER') };
}

const counterQueued: RequestEntry = { uid: 'm1', recurrenceId: null, method: 'COUNTER', from: BOB, received: '2026-11-10T08:00:00Z' };
const refreshQueued: RequestEntry = { uid: 'm1', recurrenceId: null, method: 'REFRESH', from: BOB, received: '2026-11-10T08:00:00Z' };

const CASES: ActionCase[] = [
  {
    name: 'taking a proposal: its time and place become the event, SEQUENCE raised, everyone asked but the proposer',
    user: ALICE,
    stored: meeting,
    counters: [bobsCounter()],
    requests: [counterQueued],
    action: { kind: 'counter-accept', uid: 'm1', attendee: 'Bob@Example.com' },
    outcome: 'applied',
    reason: /^took the proposal of mailto:bob@example.com: significant change: DTSTART, DTEND, LOCATION; sequence 2; REQUEST to mailto:bob@example.com and mailto:carol@example.com$/,
    afterContains: [
      'DTSTART:20261201T110000Z',
      'DTEND:20261201T120000Z',
      'LOCATION:Room 4',
      'SEQUENCE:2',
      'ATTENDEE;PARTSTAT=ACCEPTED:mailto:bob@example.com',
      'ATTENDEE;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:carol@example.com',
      'ATTENDEE;PARTSTAT=ACCEPTED:mailto:alice@example.com',
    ],
    afterLacks: ['COMMENT:Later suits me better'],
    queued: [{ method: 'REQUEST', to: [BOB, CAROL], contains: ['DTSTART:20261201T110000Z', 'SEQUENCE:2'] }],
    check: (effects) => {
      expect(effects).toContainEqual({ type: 'remove-counters', uid: 'm1', recurrenceId: null, attendee: BOB });
      expect(effects).toContainEqual({ type: 'remove-requests', uid: 'm1', recurrenceId: null });
    },
  },
  {
    name: 'a proposal without an answer of its own: the proposer is asked as everyone is',
    user: ALICE,
    stored: meeting,
    counters: [bobsCounter('NEEDS-ACTION')],
    action: { kind: 'counter-accept', uid: 'm1', attendee: BOB },
    outcome: 'applied',
    afterContains: ['ATTENDEE;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:bob@example.com'],
  },
  {
    name: 'taking a proposal for one instance moves that instance only',
    user: ALICE,
    stored: event(SERIES),
    counters: [bobsCounter('ACCEPTED', '2026-12-08T09:00:00Z', 's1')],
    action: { kind: 'counter-accept', uid: 's1', attendee: BOB, recurrenceId: '2026-12-08T09:00:00Z' },
    outcome: 'applied',
    reason: /significant change: DTSTART, DTEND, LOCATION; sequence 2/,
    afterContains: ['RECURRENCE-ID:20261208T090000Z', 'DTSTART:20261208T110000Z', 'DTSTART:20261201T090000Z', 'RRULE:FREQ=WEEKLY;COUNT=4'],
    queued: [{ method: 'REQUEST', to: [BOB, CAROL], contains: ['RECURRENCE-ID:20261208T090000Z', 'DTSTART:20261208T110000Z'] }],
  },
  {
    name: 'taking a proposal nobody made is refused',
    user: ALICE,
    stored: meeting,
    counters: [],
    action: { kind: 'counter-accept', uid: 'm1', attendee: CAROL },
    outcome: 'refused',
    reason: /no proposal from mailto:carol@example.com waits for m1/,
  },
  {
    name: 'declining a proposal: a DECLINECOUNTER to the proposer, the event unchanged',
    user: ALICE,
    stored: meeting,
    counters: [bobsCounter()],
    requests: [counterQueued],
    action: { kind: 'counter-decline', uid: 'm1', attendee: BOB, comment: 'The room is taken then' },
    outcome: 'applied',
    reason: /^declined the proposal of mailto:bob@example.com; DECLINECOUNTER to mailto:bob@example.com$/,
    queued: [
      {
        method: 'DECLINECOUNTER',
        to: [BOB],
        meaning: calendar(
          vevent([
            'UID:m1',
            'DTSTAMP:20261115T120000Z',
            'SEQUENCE:1',
            'ORGANIZER;CN=Alice:mailto:alice@example.com',
            'ATTENDEE;PARTSTAT=ACCEPTED:mailto:bob@example.com',
            'COMMENT:The room is taken then',
          ]),
          'DECLINECOUNTER',
        ),
      },
    ],
    check: (effects) => {
      expect(effects.some((e) => e.type === 'put-object')).toBe(false);
      expect(effects).toContainEqual({ type: 'remove-counters', uid: 'm1', recurrenceId: null, attendee: BOB });
      expect(effects).toContainEqual({ type: 'remove-requests', uid: 'm1', recurrenceId: null });
    },
  },
  {
    name: 'declining a proposal for one instance names the instance',
    user: ALICE,
    stored: event(SERIES),
    counters: [bobsCounter('ACCEPTED', '2026-12-08T09:00:00Z', 's1')],
    action: { kind: 'counter-decline', uid: 's1', attendee: BOB },
    outcome: 'applied',
    queued: [{ method: 'DECLINECOUNTER', to: [BOB], contains: ['RECURRENCE-ID:20261208T090000Z', 'SEQUENCE:1'], lacks: ['COMMENT:Later suits me better'] }],
  },
  {
    name: 'answering a queued REFRESH: the current event as a REQUEST to that attendee',
    user: ALICE,
    stored: event(
      edit(MEETING, {
        set: { ATTENDEE: ['ATTENDEE;PARTSTAT=ACCEPTED:mailto:alice@example.com', 'ATTENDEE;PARTSTAT=ACCEPTED;SCHEDULE-STATUS=1.2:mailto:bob@example.com', 'ATTENDEE;PARTSTAT=TENTATIVE:mailto:carol@example.com'] },
        add: ['BEGIN:VALARM', 'ACTION:DISPLAY', 'DESCRIPTION:Planning', 'TRIGGER:-PT5M', 'END:VALARM'],
      }),
    ),
    requests: [refreshQueued],
    action: { kind: 'refresh-answer', uid: 'm1', attendee: BOB },
    outcome: 'applied',
    reason: /^sent the current event to mailto:bob@example.com/,
    queued: [{ method: 'REQUEST', to: [BOB], contains: ['SEQUENCE:1', 'DTSTAMP:20261115T120000Z', 'ATTENDEE;PARTSTAT=ACCEPTED:mailto:bob@example.com'], lacks: ['BEGIN:VALARM'] }],
    check: (effects) => {
      expect(effects).toContainEqual({ type: 'remove-requests', uid: 'm1', recurrenceId: null });
      expect(effects.some((e) => e.type === 'put-object')).toBe(false);
    },
  },
  {
    name: 'answering a REFRESH that is not queued is refused, and says what waits',
    user: ALICE,
    stored: meeting,
    requests: [counterQueued],
    action: { kind: 'refresh-answer', uid: 'm1', attendee: BOB },
    outcome: 'refused',
    reason: /no REFRESH from mailto:bob@example.com waits for m1 \(waiting: COUNTER from mailto:bob@example.com\)/,
    queued: [],
  },
  {
    name: 'answering a REFRESH of an attendee the organizer client schedules is refused',
    user: ALICE,
    stored: event(edit(MEETING, { set: { ATTENDEE: ['ATTENDEE;SCHEDULE-AGENT=CLIENT:mailto:bob@example.com'] } })),
    requests: [refreshQueued],
    action: { kind: 'refresh-answer', uid: 'm1', attendee: BOB },
    outcome: 'refused',
    reason: /SCHEDULE-AGENT=CLIENT/,
  },
];

describe('organizer: answering proposals and refresh requests', () => {
  for (const testCase of CASES) it(testCase.name, () => void runActionCase(testCase));
});

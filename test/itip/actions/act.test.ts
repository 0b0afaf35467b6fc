// The entry point of the user's actions: who may take which action, and the
// "changed since you looked" check before anything else.

import { describe, it } from 'vitest';
import { calendar, runActionCase, vevent, type ActionCase } from './support.js';

const ALICE = 'mailto:alice@example.com';
const BOB = 'mailto:bob@example.com';

const invitation = calendar(
  vevent([
    'UID:m1',
    'DTSTAMP:20261101T080000Z',
    'DTSTART:20261201T090000Z',
    'DTEND:20261201T100000Z',
    'SEQUENCE:0',
    'SUMMARY:Planning',
    'ORGANIZER:mailto:alice@example.com',
    'ATTENDEE;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:bob@example.com',
  ]),
);

const CASES: ActionCase[] = [
  {
    name: 'an action on another version than the one stored is stale, and changes nothing',
    user: BOB,
    stored: invitation,
    ifMatch: '"not-the-one-stored"',
    action: { kind: 'respond', uid: 'm1', partstat: 'ACCEPTED' },
    outcome: 'stale',
    reason: /changed since you looked/,
    queued: [],
  },
  {
    name: 'an action on an event that is not stored is refused',
    user: BOB,
    action: { kind: 'respond', uid: 'nothing', partstat: 'ACCEPTED' },
    outcome: 'refused',
    reason: /there is no event nothing in the calendar of mailto:bob@example.com/,
  },
  {
    name: 'the organizer cannot answer their own invitation',
    user: ALICE,
    stored: invitation,
    action: { kind: 'respond', uid: 'm1', partstat: 'ACCEPTED' },
    outcome: 'refused',
    reason: /organizes m1; only an attendee can answer it/,
  },
  {
    name: 'an attendee cannot answer a proposal',
    user: BOB,
    stored: invitation,
    action: { kind: 'counter-accept', uid: 'm1', attendee: ALICE },
    outcome: 'refused',
    reason: /organized by mailto:alice@example.com; only the organizer can answer a proposal/,
  },
  {
    name: 'someone not invited cannot answer',
    user: 'mailto:carol@example.com',
    stored: invitation,
    action: { kind: 'respond', uid: 'm1', partstat: 'ACCEPTED' },
    outcome: 'refused',
    reason: /not among the attendees/,
  },
];

describe('user actions: the entry point', () => {
  for (const testCase of CASES) it(testCase.name, () => void runActionCase(testCase));
});

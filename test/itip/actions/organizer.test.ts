// The organizer's new versions and deletions (RFC 6638 section 3.2.1, RFC 5546
// sections 2.1.4, 3.2.2, 3.2.5): what is stored and what goes to whom.

import { describe, expect, it } from 'vitest';
import { ALICE, BOB, CAROL, DAVE, edit, event, MEETING, SERIES } from './organizer-fixtures.js';
import { calendar, runActionCase, vevent, type ActionCase } from './support.js';

const meeting = event(MEETING);
const series = event(SERIES);
const BOB_ASKED = 'ATTENDEE;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:bob@example.com';
const CAROL_ASKED = 'ATTENDEE;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:carol@example.com';
const BOB_KEPT = 'ATTENDEE;PARTSTAT=ACCEPTED:mailto:bob@example.com';
const ALICE_KEPT = 'ATTENDEE;PARTSTAT=ACCEPTED:mailto:alice@example.com';

const put = (lines: string[]) => ({ kind: 'put' as const, ics: event(lines) });

/** A significant change of one property: SEQUENCE raised, everyone but Alice asked anew, a REQUEST to both. */
function significant(name: string, stored: string[], changed: string[]): ActionCase {
  return {
    name: `a change of ${name} is significant`,
    user: ALICE,
    stored: event(stored),
    action: put(changed),
    outcome: 'applied',
    reason: new RegExp(`significant change: ${name}; sequence 2`),
    afterContains: ['SEQUENCE:2', BOB_ASKED, CAROL_ASKED, ALICE_KEPT],
    queued: [{ method: 'REQUEST', to: [BOB, CAROL], contains: ['SEQUENCE:2', BOB_ASKED, CAROL_ASKED], lacks: ['SCHEDULE-STATUS'] }],
  };
}

const withDuration = edit(MEETING, { set: { DTEND: ['DURATION:PT1H'] } });
const berlinSeries = edit(SERIES, { set: { DTSTART: ['DTSTART;TZID=Europe/Berlin:20261201T100000'], DTEND: ['DTEND;TZID=Europe/Berlin:20261201T110000'] } });

const SIGNIFICANT: ActionCase[] = [
  significant('DTSTART', MEETING, edit(MEETING, { set: { DTSTART: ['DTSTART:20261201T083000Z'] } })),
  significant('DTEND', MEETING, edit(MEETING, { set: { DTEND: ['DTEND:20261201T110000Z'] } })),
  significant('DURATION', withDuration, edit(withDuration, { set: { DURATION: ['DURATION:PT2H'] } })),
  significant('RRULE', SERIES, edit(SERIES, { set: { RRULE: ['RRULE:FREQ=WEEKLY;COUNT=6'] } })),
  significant('RDATE', SERIES, edit(SERIES, { add: ['RDATE:20261203T090000Z'] })),
  significant('EXDATE', edit(SERIES, { add: ['EXDATE:20261208T090000Z'] }), SERIES),
  significant('STATUS', edit(MEETING, { add: ['STATUS:TENTATIVE'] }), edit(MEETING, { add: ['STATUS:CONFIRMED'] })),
  significant('LOCATION', MEETING, edit(MEETING, { set: { LOCATION: ['LOCATION:Room 2'] } })),
  {
    // The client raised SEQUENCE itself, higher than one more: that one counts.
    ...significant('DTSTART', MEETING, edit(MEETING, { set: { DTSTART: ['DTSTART:20261201T083000Z'], SEQUENCE: ['SEQUENCE:5'] } })),
    name: 'a new version that raised SEQUENCE itself keeps its SEQUENCE',
    reason: /significant change: DTSTART; sequence 5/,
    afterContains: ['SEQUENCE:5', BOB_ASKED],
    queued: [{ method: 'REQUEST', to: [BOB, CAROL], contains: ['SEQUENCE:5'] }],
  },
];

const UPDATES: ActionCase[] = [
  {
    name: 'a brand-new event goes to every attendee as it is, SEQUENCE as given, without the organizer and her alarms',
    user: ALICE,
    action: put(
      edit(MEETING, {
        set: { SEQUENCE: ['SEQUENCE:0'], ATTENDEE: [ALICE_KEPT, 'ATTENDEE;CN=Bob:mailto:bob@example.com', 'ATTENDEE;RSVP=TRUE:mailto:carol@example.com'] },
        add: ['BEGIN:VALARM', 'ACTION:DISPLAY', 'DESCRIPTION:Planning', 'TRIGGER:-PT15M', 'END:VALARM'],
      }),
    ),
    outcome: 'applied',
    reason: /^new event; REQUEST to mailto:bob@example.com and mailto:carol@example.com$/,
    afterContains: ['SEQUENCE:0', 'BEGIN:VALARM', 'ATTENDEE;CN=Bob:mailto:bob@example.com'],
    queued: [
      {
        method: 'REQUEST',
        to: [BOB, CAROL],
        meaning: calendar(
          vevent([
            'UID:m1',
            'DTSTAMP:20261115T120000Z',
            'DTSTART:20261201T090000Z',
            'DTEND:20261201T100000Z',
            'SEQUENCE:0',
            'SUMMARY:Planning',
            'LOCATION:Room 1',
            'ORGANIZER;CN=Alice:mailto:alice@example.com',
            ALICE_KEPT,
            'ATTENDEE;CN=Bob;PARTSTAT=NEEDS-ACTION:mailto:bob@example.com',
            'ATTENDEE;RSVP=TRUE;PARTSTAT=NEEDS-ACTION:mailto:carol@example.com',
          ]),
          'REQUEST',
        ),
      },
    ],
  },
  {
    name: 'a new series with an override: each attendee gets the components they are in',
    user: ALICE,
    action: {
      kind: 'put',
      ics: calendar([
        ...vevent(edit(SERIES, { drop: ['carol'] })),
        ...vevent([
          'UID:s1',
          'RECURRENCE-ID:20261215T090000Z',
          'DTSTART:20261215T100000Z',
          'DTEND:20261215T110000Z',
          'SEQUENCE:1',
          'SUMMARY:Planning',
          'ORGANIZER;CN=Alice:mailto:alice@example.com',
          'ATTENDEE;PARTSTAT=ACCEPTED:mailto:alice@example.com',
          'ATTENDEE;PARTSTAT=NEEDS-ACTION:mailto:carol@example.com',
        ]),
      ]),
    },
    outcome: 'applied',
    queued: [
      // Bob is not in the override: his series leaves that instance out.
      { method: 'REQUEST', to: [BOB], contains: ['RRULE:FREQ=WEEKLY;COUNT=4', 'EXDATE:20261215T090000Z'], lacks: ['RECURRENCE-ID:20261215T090000Z'] },
      { method: 'REQUEST', to: [CAROL], contains: ['RECURRENCE-ID:20261215T090000Z'], lacks: ['RRULE:FREQ=WEEKLY;COUNT=4'] },
    ],
  },
  {
    name: 'a change that is not significant goes out without a new SEQUENCE, answers kept',
    user: ALICE,
    stored: meeting,
    action: put(edit(MEETING, { set: { SUMMARY: ['SUMMARY:Planning 2027'] }, add: ['DESCRIPTION:Bring the numbers'] })),
    outcome: 'applied',
    reason: /changed DESCRIPTION, SUMMARY \(not significant, sequence kept\); REQUEST to mailto:bob@example.com and mailto:carol@example.com/,
    afterContains: ['SEQUENCE:1', BOB_KEPT, 'SUMMARY:Planning 2027'],
    queued: [{ method: 'REQUEST', to: [BOB, CAROL], contains: ['SEQUENCE:1', BOB_KEPT, 'SUMMARY:Planning 2027'] }],
  },
  {
    name: 'a new version with a lower SEQUENCE than stored is sent with the stored one',
    user: ALICE,
    stored: meeting,
    action: put(edit(MEETING, { set: { SUMMARY: ['SUMMARY:Planning 2027'], SEQUENCE: ['SEQUENCE:0'] } })),
    outcome: 'applied',
    afterContains: ['SEQUENCE:1'],
    queued: [{ method: 'REQUEST', to: [BOB, CAROL], contains: ['SEQUENCE:1'] }],
  },
  {
    name: 'the same version again is a duplicate: nothing stored, nothing sent',
    user: ALICE,
    stored: meeting,
    action: put(edit(MEETING, { set: { DTSTAMP: ['DTSTAMP:20261110T080000Z'] } })),
    outcome: 'duplicate',
    reason: /nothing changed/,
    queued: [],
    check: (effects) => expect(effects).toEqual([]),
  },
  {
    name: 'times written in another zone that keep their instants are no change',
    user: ALICE,
    stored: meeting,
    action: put(edit(MEETING, { set: { DTSTART: ['DTSTART;TZID=Europe/Berlin:20261201T100000'], DTEND: ['DTEND;TZID=W. Europe Standard Time:20261201T110000'] } })),
    outcome: 'duplicate',
    queued: [],
  },
  {
    name: "a series' zone written another way (a Windows name for the Olson one) is not significant",
    user: ALICE,
    stored: event(berlinSeries),
    action: put(edit(berlinSeries, { set: { DTSTART: ['DTSTART;TZID=W. Europe Standard Time:20261201T100000'], SUMMARY: ['SUMMARY:Weekly planning'] } })),
    outcome: 'applied',
    reason: /changed SUMMARY \(not significant, sequence kept\)/,
    afterContains: ['SEQUENCE:1', BOB_KEPT],
  },
  {
    name: "a series moved to another zone at the same first instant is significant (later instances move)",
    user: ALICE,
    stored: event(berlinSeries),
    action: put(edit(berlinSeries, { set: { DTSTART: ['DTSTART:20261201T090000Z'], DTEND: ['DTEND:20261201T100000Z'] } })),
    outcome: 'applied',
    reason: /significant change: DTSTART; sequence 2/,
  },
  {
    name: "only the organizer's own alarm changed: stored, nothing sent",
    user: ALICE,
    stored: meeting,
    action: put(edit(MEETING, { add: ['BEGIN:VALARM', 'ACTION:DISPLAY', 'DESCRIPTION:Planning', 'TRIGGER:-PT5M', 'END:VALARM'] })),
    outcome: 'applied',
    reason: /nothing to send: nothing the attendees see changed/,
    afterContains: ['BEGIN:VALARM', 'SEQUENCE:1'],
    queued: [],
  },
  {
    name: 'an added attendee is invited, and the others learn of them without a new SEQUENCE',
    user: ALICE,
    stored: meeting,
    action: put(edit(MEETING, { add: ['ATTENDEE;RSVP=TRUE:mailto:dave@example.com'] })),
    outcome: 'applied',
    reason: /added mailto:dave@example.com; REQUEST to mailto:bob@example.com, mailto:carol@example.com and mailto:dave@example.com/,
    afterContains: ['SEQUENCE:1', BOB_KEPT],
    queued: [{ method: 'REQUEST', to: [BOB, CAROL, DAVE], contains: ['SEQUENCE:1', 'ATTENDEE;RSVP=TRUE;PARTSTAT=NEEDS-ACTION:mailto:dave@example.com'] }],
  },
  {
    name: 'a removed attendee gets a CANCEL with a raised SEQUENCE; the others the update',
    user: ALICE,
    stored: meeting,
    action: put(edit(MEETING, { drop: ['carol@'] })),
    outcome: 'applied',
    reason: /removed mailto:carol@example.com; sequence 2; CANCEL to mailto:carol@example.com; REQUEST to mailto:bob@example.com/,
    afterContains: ['SEQUENCE:2', BOB_KEPT],
    queued: [
      {
        method: 'CANCEL',
        to: [CAROL],
        meaning: calendar(
          vevent([
            'UID:m1',
            'DTSTAMP:20261115T120000Z',
            'SEQUENCE:2',
            'ORGANIZER;CN=Alice:mailto:alice@example.com',
            'ATTENDEE;PARTSTAT=TENTATIVE:mailto:carol@example.com',
            'SUMMARY:Planning',
            'DTSTART:20261201T090000Z',
            'DTEND:20261201T100000Z',
          ]),
          'CANCEL',
        ),
      },
      { method: 'REQUEST', to: [BOB], contains: ['SEQUENCE:2', BOB_KEPT], lacks: ['ATTENDEE;PARTSTAT=TENTATIVE:mailto:carol@example.com'] },
    ],
  },
  {
    name: 'an instance removed by a new EXDATE: a CANCEL of that instance, the series kept as it was',
    user: ALICE,
    stored: series,
    action: put(edit(SERIES, { add: ['EXDATE:20261208T090000Z'] })),
    outcome: 'applied',
    reason: /^cancelled instance 2026-12-08T09:00:00Z; CANCEL to mailto:bob@example.com and mailto:carol@example.com$/,
    afterContains: ['EXDATE:20261208T090000Z', 'SEQUENCE:1', BOB_KEPT],
    queued: [
      {
        method: 'CANCEL',
        to: [BOB, CAROL],
        contains: ['RECURRENCE-ID:20261208T090000Z', 'DTSTART:20261208T090000Z', 'STATUS:CANCELLED', 'SEQUENCE:2', BOB_KEPT],
        lacks: ['RRULE:FREQ=WEEKLY;COUNT=4'],
      },
    ],
  },
  {
    name: 'an override turned STATUS:CANCELLED: a CANCEL of that instance',
    user: ALICE,
    stored: series,
    action: {
      kind: 'put',
      ics: calendar([
        ...vevent(SERIES),
        ...vevent([...edit(MEETING, { set: { UID: ['UID:s1'], DTSTART: ['DTSTART:20261215T090000Z'], DTEND: ['DTEND:20261215T100000Z'] } }), 'RECURRENCE-ID:20261215T090000Z', 'STATUS:CANCELLED']),
      ]),
    },
    outcome: 'applied',
    reason: /cancelled instance 2026-12-15T09:00:00Z; CANCEL to mailto:bob@example.com and mailto:carol@example.com$/,
    queued: [{ method: 'CANCEL', to: [BOB, CAROL], contains: ['RECURRENCE-ID:20261215T090000Z', 'STATUS:CANCELLED', 'SEQUENCE:2'] }],
  },
  {
    name: 'STATUS:CANCELLED on the event cancels it for everyone',
    user: ALICE,
    stored: meeting,
    action: put(edit(MEETING, { add: ['STATUS:CANCELLED'] })),
    outcome: 'applied',
    reason: /^cancelled the event \(STATUS:CANCELLED\); sequence 2; CANCEL to mailto:bob@example.com and mailto:carol@example.com$/,
    afterContains: ['STATUS:CANCELLED', 'SEQUENCE:2'],
    queued: [{ method: 'CANCEL', to: [BOB, CAROL], contains: ['STATUS:CANCELLED', 'SEQUENCE:2', BOB_KEPT, 'ATTENDEE;PARTSTAT=TENTATIVE:mailto:carol@example.com'], lacks: ['RECURRENCE-ID'] }],
  },
  {
    name: 'an event without attendees is stored and nobody is told',
    user: ALICE,
    action: put(edit(MEETING, { drop: ['ATTENDEE'] })),
    outcome: 'applied',
    reason: /new event; nothing to send: the event has no attendees/,
    queued: [],
  },
  {
    name: 'a new version that hands the event to another organizer is refused',
    user: ALICE,
    stored: event(edit(MEETING, { set: { ORGANIZER: ['ORGANIZER:mailto:zoe@example.com'] } })),
    action: put(MEETING),
    outcome: 'refused',
    reason: /organized by mailto:zoe@example.com/,
  },
  {
    name: 'a new version of several events is refused',
    user: ALICE,
    action: { kind: 'put', ics: calendar([...vevent(MEETING), ...vevent(edit(MEETING, { set: { UID: ['UID:m2'] } }))]) },
    outcome: 'refused',
    reason: /several events \(UIDs m1, m2\)/,
  },
];

const SCHEDULING: ActionCase[] = [
  {
    name: 'SCHEDULE-AGENT=CLIENT: that attendee gets nothing and is not asked anew here',
    user: ALICE,
    stored: event(edit(MEETING, { set: { ATTENDEE: [ALICE_KEPT, BOB_KEPT, 'ATTENDEE;PARTSTAT=TENTATIVE;SCHEDULE-AGENT=CLIENT:mailto:carol@example.com'] } })),
    action: put(
      edit(MEETING, {
        set: { LOCATION: ['LOCATION:Room 2'], ATTENDEE: [ALICE_KEPT, BOB_KEPT, 'ATTENDEE;PARTSTAT=TENTATIVE;SCHEDULE-AGENT=CLIENT:mailto:carol@example.com'] },
      }),
    ),
    outcome: 'applied',
    reason: /REQUEST to mailto:bob@example.com; nothing sent to mailto:carol@example.com: SCHEDULE-AGENT=CLIENT/,
    afterContains: [BOB_ASKED, 'ATTENDEE;PARTSTAT=TENTATIVE;SCHEDULE-AGENT=CLIENT:mailto:carol@example.com'],
    queued: [{ method: 'REQUEST', to: [BOB] }],
  },
  {
    name: 'SCHEDULE-AGENT=NONE on a removed attendee: no CANCEL for them',
    user: ALICE,
    stored: event(edit(MEETING, { set: { ATTENDEE: [ALICE_KEPT, BOB_KEPT, 'ATTENDEE;SCHEDULE-AGENT=NONE:mailto:carol@example.com'] } })),
    action: put(edit(MEETING, { drop: ['carol@'] })),
    outcome: 'applied',
    reason: /nothing sent to mailto:carol@example.com: SCHEDULE-AGENT=NONE/,
    queued: [{ method: 'REQUEST', to: [BOB] }],
  },
  {
    name: 'SCHEDULE-FORCE-SEND=REQUEST sends a REQUEST without a change, and is neither kept nor sent',
    user: ALICE,
    stored: meeting,
    action: put(edit(MEETING, { set: { ATTENDEE: [ALICE_KEPT, 'ATTENDEE;PARTSTAT=ACCEPTED;SCHEDULE-FORCE-SEND=REQUEST:mailto:bob@example.com', 'ATTENDEE;PARTSTAT=TENTATIVE:mailto:carol@example.com'] } })),
    outcome: 'applied',
    reason: /REQUEST to mailto:bob@example.com$/,
    afterContains: [BOB_KEPT, 'SEQUENCE:1'],
    queued: [{ method: 'REQUEST', to: [BOB], contains: [BOB_KEPT, 'SEQUENCE:1'], lacks: ['SCHEDULE-FORCE-SEND'] }],
    check: (effects) => {
      const stored = effects.find((e) => e.type === 'put-object');
      expect(stored && stored.type === 'put-object' && stored.object.ics).not.toMatch(/SCHEDULE-FORCE-SEND/);
    },
  },
  {
    name: 'SCHEDULE-STATUS stays in the stored copy, also when the new version leaves it out, and is never sent',
    user: ALICE,
    stored: event(edit(MEETING, { set: { ATTENDEE: [ALICE_KEPT, 'ATTENDEE;PARTSTAT=ACCEPTED;SCHEDULE-STATUS=1.2:mailto:bob@example.com', 'ATTENDEE;PARTSTAT=TENTATIVE:mailto:carol@example.com'] } })),
    action: put(edit(MEETING, { set: { SUMMARY: ['SUMMARY:Planning 2027'] } })),
    outcome: 'applied',
    afterContains: ['ATTENDEE;PARTSTAT=ACCEPTED;SCHEDULE-STATUS=1.2:mailto:bob@example.com'],
    queued: [{ method: 'REQUEST', to: [BOB, CAROL], contains: [BOB_KEPT], lacks: ['ATTENDEE;PARTSTAT=ACCEPTED;SCHEDULE-STATUS=1.2:mailto:bob@example.com'] }],
  },
  {
    name: 'a put on another version than the one stored is stale ("changed since you looked"): nothing happens',
    user: ALICE,
    stored: meeting,
    ifMatch: '"seen-before-the-reply-came"',
    action: put(edit(MEETING, { set: { LOCATION: ['LOCATION:Room 2'] } })),
    outcome: 'stale',
    reason: /changed since you looked/,
    queued: [],
    check: (effects) => expect(effects).toEqual([]),
  },
  {
    name: 'a put on the version stored goes ahead',
    user: ALICE,
    stored: meeting,
    ifMatch: true,
    action: put(edit(MEETING, { set: { LOCATION: ['LOCATION:Room 2'] } })),
    outcome: 'applied',
    queued: [{ method: 'REQUEST', to: [BOB, CAROL] }],
  },
];

const DELETES: ActionCase[] = [
  {
    name: 'deleting the event: one CANCEL to every attendee, the stored copy and its periods go',
    user: ALICE,
    stored: meeting,
    action: { kind: 'delete', uid: 'm1' },
    outcome: 'applied',
    reason: /^deleted the event; CANCEL to mailto:bob@example.com and mailto:carol@example.com$/,
    after: null,
    queued: [
      {
        method: 'CANCEL',
        to: [BOB, CAROL],
        meaning: calendar(
          vevent([
            'UID:m1',
            'DTSTAMP:20261115T120000Z',
            'SEQUENCE:2',
            'ORGANIZER;CN=Alice:mailto:alice@example.com',
            BOB_KEPT,
            'ATTENDEE;PARTSTAT=TENTATIVE:mailto:carol@example.com',
            'SUMMARY:Planning',
            'DTSTART:20261201T090000Z',
            'DTEND:20261201T100000Z',
            'STATUS:CANCELLED',
          ]),
          'CANCEL',
        ),
      },
    ],
    check: (effects) => {
      expect(effects).toContainEqual({ type: 'own-periods', uid: 'm1', periods: [] });
      expect(effects).toContainEqual({ type: 'remove-others-periods', uid: 'm1' });
      expect(effects).toContainEqual({ type: 'remove-requests', uid: 'm1' });
    },
  },
  {
    name: 'deleting an event already cancelled tells nobody again',
    user: ALICE,
    stored: event(edit(MEETING, { add: ['STATUS:CANCELLED'] })),
    action: { kind: 'delete', uid: 'm1' },
    outcome: 'applied',
    reason: /told of the cancellation already/,
    after: null,
    queued: [],
  },
  {
    name: 'deleting one instance: a CANCEL of it, the master excludes it',
    user: ALICE,
    stored: series,
    action: { kind: 'delete', uid: 's1', recurrenceId: '2026-12-08T09:00:00Z' },
    outcome: 'applied',
    reason: /^deleted instance 2026-12-08T09:00:00Z: cancelled instance 2026-12-08T09:00:00Z; CANCEL to mailto:bob@example.com and mailto:carol@example.com$/,
    afterContains: ['EXDATE:20261208T090000Z', 'SEQUENCE:1'],
    queued: [{ method: 'CANCEL', to: [BOB, CAROL], contains: ['RECURRENCE-ID:20261208T090000Z', 'STATUS:CANCELLED', 'SEQUENCE:2'] }],
  },
  {
    name: 'deleting one instance of a series in a zone: the EXDATE is written in that zone, its override goes',
    user: ALICE,
    stored: calendar([
      ...vevent(berlinSeries),
      ...vevent([...edit(MEETING, { set: { UID: ['UID:s1'], DTSTART: ['DTSTART:20261208T100000Z'], DTEND: ['DTEND:20261208T110000Z'], LOCATION: ['LOCATION:Room 3'] } }), 'RECURRENCE-ID;TZID=Europe/Berlin:20261208T100000']),
    ]),
    action: { kind: 'delete', uid: 's1', recurrenceId: '20261208T090000Z' },
    outcome: 'applied',
    afterContains: ['EXDATE;TZID=Europe/Berlin:20261208T100000'],
    afterLacks: ['LOCATION:Room 3'],
    queued: [{ method: 'CANCEL', to: [BOB, CAROL], contains: ['RECURRENCE-ID;TZID=Europe/Berlin:20261208T100000', 'STATUS:CANCELLED'] }],
  },
  {
    name: 'deleting an instance the series does not have is refused',
    user: ALICE,
    stored: series,
    action: { kind: 'delete', uid: 's1', recurrenceId: '2026-12-09T09:00:00Z' },
    outcome: 'refused',
    reason: /s1 has no instance at 2026-12-09T09:00:00Z/,
  },
];

describe('organizer: significant changes (RFC 5546 section 2.1.4)', () => {
  for (const testCase of SIGNIFICANT) it(testCase.name, () => void runActionCase(testCase));
});

describe('organizer: new versions', () => {
  for (const testCase of UPDATES) it(testCase.name, () => void runActionCase(testCase));
});

describe('organizer: SCHEDULE-AGENT, SCHEDULE-FORCE-SEND, SCHEDULE-STATUS (RFC 6638 section 7) and the version seen', () => {
  for (const testCase of SCHEDULING) it(testCase.name, () => void runActionCase(testCase));
});

describe('organizer: deleting', () => {
  for (const testCase of DELETES) it(testCase.name, () => void runActionCase(testCase));
});

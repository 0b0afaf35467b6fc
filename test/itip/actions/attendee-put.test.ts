// A CalDAV client's PUT of the attendee's copy (RFC 6638 section 3.2.2): the
// attendee's own changes are stored and a changed PARTSTAT goes to the
// organizer as a REPLY; the organizer's part is not taken from the attendee.

import { describe, expect, it } from 'vitest';
import {
  ALICE,
  BOB,
  BOB_ASKED,
  CAROL_ACCEPTED,
  ORGANIZER,
  bob,
  meeting,
  meetingLines,
  meetingReply,
  ownPeriods,
  series,
  seriesOverride,
  SERIES_MASTER,
} from './attendee-fixtures.js';
import { calendar, runActionCase, vevent, type ActionCase } from './support.js';

/** Bob's copy as his calendar program writes it back: its own DTSTAMP and LAST-MODIFIED, lines replaced. */
function edited(stored: string, replace: Record<string, string>, add: string[] = []): string {
  const lines = stored
    .split('\r\n')
    .map((line) => (line in replace ? replace[line]! : line === 'DTSTAMP:20261101T080000Z' ? 'DTSTAMP:20261115T115900Z' : line));
  const at = lines.indexOf('END:VEVENT');
  lines.splice(at, 0, 'LAST-MODIFIED:20261115T115900Z', ...add);
  return lines.join('\r\n');
}

const PUT: ActionCase[] = [
  {
    name: 'accepting in the calendar program: the PARTSTAT stored, a REPLY to the organizer, the organizer DTSTAMP kept',
    user: BOB,
    stored: meeting(),
    action: { kind: 'put', ics: edited(meeting(), { [BOB_ASKED]: 'ATTENDEE;CN=Bob;ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED;RSVP=TRUE:mailto:bob@example.com' }) },
    outcome: 'applied',
    reason: /stored PARTSTAT ACCEPTED for the event; a REPLY to mailto:alice@example.com is queued \(ACCEPTED for the event\)$/,
    after: meeting(bob('ACCEPTED')),
    afterContains: ['DTSTAMP:20261101T080000Z'],
    afterLacks: ['LAST-MODIFIED:20261115T115900Z'],
    queued: [{ method: 'REPLY', to: [ALICE], meaning: meetingReply(bob('ACCEPTED')) }],
    check: (effects) => {
      expect(ownPeriods(effects)).toEqual([['2026-12-01T09:00:00Z', 'BUSY']]);
      expect(effects).toContainEqual({ type: 'remove-requests', uid: 'm1' });
    },
  },
  {
    name: 'changing what only the organizer may (the time, the summary) is refused; the stored copy stays',
    user: BOB,
    stored: meeting(),
    action: { kind: 'put', ics: edited(meeting(), { 'DTSTART:20261201T090000Z': 'DTSTART:20261201T100000Z', 'DTEND:20261201T100000Z': 'DTEND:20261201T110000Z', 'SUMMARY:Planning': 'SUMMARY:My planning' }) },
    outcome: 'refused',
    reason: /only the organizer changes DTEND, DTSTART, SUMMARY of the event \(RFC 6638 section 3.2.2.1\); the organizer's version stays and nothing changed/,
    queued: [],
    check: (effects) => expect(effects).toEqual([]),
  },
  {
    name: 'a PARTSTAT change with a summary change: the answer is taken and sent, the summary is not, and the reason says so',
    user: BOB,
    stored: meeting(),
    action: { kind: 'put', ics: edited(meeting(), { [BOB_ASKED]: bob('TENTATIVE'), 'SUMMARY:Planning': 'SUMMARY:My planning', [CAROL_ACCEPTED]: 'ATTENDEE;CN=Carol;PARTSTAT=DECLINED:mailto:carol@example.com' }) },
    outcome: 'applied',
    reason: /stored PARTSTAT TENTATIVE for the event; .*; not taken: ATTENDEE, SUMMARY of the event \(only the organizer changes these, RFC 6638 section 3.2.2.1; the organizer's version stays\)/,
    after: meeting(bob('TENTATIVE')),
    queued: [{ method: 'REPLY', to: [ALICE], meaning: meetingReply(bob('TENTATIVE')), lacks: ['SUMMARY:My planning'] }],
  },
  {
    name: 'the attendee own alarm and TRANSP are stored; nothing to answer, nothing queued; TRANSPARENT frees the time',
    user: BOB,
    stored: meeting(bob('ACCEPTED')),
    action: { kind: 'put', ics: edited(meeting(bob('ACCEPTED')), { 'TRIGGER:-PT15M': 'TRIGGER:-PT30M' }, ['TRANSP:TRANSPARENT']) },
    outcome: 'applied',
    reason: /stored the alarms of the event, TRANSP of the event; nothing to answer, so nothing is queued$/,
    after: calendar(vevent([...meetingLines(bob('ACCEPTED')), 'TRANSP:TRANSPARENT', 'BEGIN:VALARM', 'ACTION:DISPLAY', 'DESCRIPTION:Planning', 'TRIGGER:-PT30M', 'END:VALARM'])),
    queued: [],
    check: (effects) => expect(ownPeriods(effects)).toEqual([]),
  },
  {
    name: 'the copy as stored, only rewritten (its own DTSTAMP, the time in another zone): a duplicate, nothing queued',
    user: BOB,
    stored: meeting(bob('ACCEPTED')),
    action: { kind: 'put', ics: edited(meeting(bob('ACCEPTED')), { 'DTSTART:20261201T090000Z': 'DTSTART;TZID=Europe/Berlin:20261201T100000', 'ORGANIZER;CN=Alice:mailto:alice@example.com': 'ORGANIZER;CN=Alice:MAILTO:Alice@Example.com' }) },
    outcome: 'duplicate',
    reason: /the copy is the same as the one stored/,
    queued: [],
    check: (effects) => expect(effects).toEqual([]),
  },
  {
    name: 'ORGANIZER;SCHEDULE-AGENT=CLIENT: the copy stored as written, nothing queued, and the reason says why',
    user: BOB,
    stored: meeting(),
    action: { kind: 'put', ics: edited(meeting(), { [ORGANIZER]: 'ORGANIZER;CN=Alice;SCHEDULE-AGENT=CLIENT:mailto:alice@example.com', [BOB_ASKED]: bob('ACCEPTED') }) },
    outcome: 'applied',
    reason: /as the calendar program wrote it; the ORGANIZER has SCHEDULE-AGENT=CLIENT: the calendar program sends this event's messages itself \(RFC 6638 section 7.1\), so nothing is queued/,
    afterContains: ['ORGANIZER;CN=Alice;SCHEDULE-AGENT=CLIENT:mailto:alice@example.com', bob('ACCEPTED'), 'LAST-MODIFIED:20261115T115900Z'],
    queued: [],
  },
  {
    name: 'SCHEDULE-FORCE-SEND=REPLY on the ORGANIZER sends the unchanged answer again, and is not stored',
    user: BOB,
    stored: meeting(bob('ACCEPTED')),
    action: { kind: 'put', ics: edited(meeting(bob('ACCEPTED')), { [ORGANIZER]: 'ORGANIZER;CN=Alice;SCHEDULE-FORCE-SEND=REPLY:mailto:alice@example.com' }) },
    outcome: 'applied',
    reason: /nothing of the copy to store; a REPLY to mailto:alice@example.com is queued \(ACCEPTED for the event\)/,
    queued: [{ method: 'REPLY', to: [ALICE], meaning: meetingReply(bob('ACCEPTED')), lacks: ['ORGANIZER;CN=Alice;SCHEDULE-FORCE-SEND=REPLY:mailto:alice@example.com'] }],
    check: (effects) => expect(effects.some((e) => e.type === 'put-object')).toBe(false),
  },
  {
    name: 'SCHEDULE-FORCE-SEND=REPLY on the user ATTENDEE sends a REPLY as well',
    user: BOB,
    stored: meeting(bob('TENTATIVE')),
    action: { kind: 'put', ics: edited(meeting(bob('TENTATIVE')), { [bob('TENTATIVE')]: 'ATTENDEE;CN=Bob;ROLE=REQ-PARTICIPANT;PARTSTAT=TENTATIVE;SCHEDULE-FORCE-SEND=REPLY:mailto:bob@example.com' }) },
    outcome: 'applied',
    queued: [{ method: 'REPLY', to: [ALICE], meaning: meetingReply(bob('TENTATIVE')) }],
  },
  {
    name: 'an override added to decline one instance: stored, and a REPLY for that instance only',
    user: BOB,
    stored: series(bob('ACCEPTED'), null),
    action: {
      kind: 'put',
      ics: calendar([
        ...vevent([...SERIES_MASTER, bob('ACCEPTED'), CAROL_ACCEPTED]),
        ...vevent(['UID:s1', 'DTSTAMP:20261115T115900Z', 'RECURRENCE-ID:20261208T090000Z', 'DTSTART:20261208T090000Z', 'DTEND:20261208T100000Z', 'SEQUENCE:1', 'SUMMARY:Weekly', ORGANIZER, bob('DECLINED'), CAROL_ACCEPTED]),
      ]),
    },
    outcome: 'applied',
    reason: /stored PARTSTAT DECLINED for instance 2026-12-08T09:00:00Z; a REPLY to mailto:alice@example.com is queued \(DECLINED for instance 2026-12-08T09:00:00Z\)$/,
    afterContains: ['RECURRENCE-ID:20261208T090000Z', bob('DECLINED')],
    queued: [{ method: 'REPLY', to: [ALICE], contains: ['RECURRENCE-ID:20261208T090000Z', bob('DECLINED')], lacks: [bob('ACCEPTED')] }],
    check: (effects) =>
      expect(ownPeriods(effects)).toEqual([
        ['2026-12-01T09:00:00Z', 'BUSY'],
        ['2026-12-15T09:00:00Z', 'BUSY'],
        ['2026-12-22T09:00:00Z', 'BUSY'],
      ]),
  },
  {
    name: 'an EXDATE the attendee adds removes the instance and declines it (RFC 6638 section 3.2.2.3)',
    user: BOB,
    stored: series(bob('ACCEPTED'), [bob('ACCEPTED'), CAROL_ACCEPTED]),
    action: { kind: 'put', ics: calendar(vevent([...SERIES_MASTER, bob('ACCEPTED'), CAROL_ACCEPTED, 'EXDATE:20261215T090000Z'])) },
    outcome: 'applied',
    reason: /stored the removal of instance 2026-12-15T09:00:00Z; a REPLY to mailto:alice@example.com is queued \(DECLINED for instance 2026-12-15T09:00:00Z\)$/,
    after: series(bob('ACCEPTED'), null, ['EXDATE:20261215T090000Z']),
    queued: [
      {
        method: 'REPLY',
        to: [ALICE],
        meaning: calendar(
          vevent(['UID:s1', 'DTSTAMP:20261115T120000Z', 'SEQUENCE:1', 'RECURRENCE-ID:20261215T090000Z', 'DTSTART:20261215T110000Z', 'DTEND:20261215T120000Z', 'SUMMARY:Weekly', ORGANIZER, bob('DECLINED')]),
          'REPLY',
        ),
      },
    ],
  },
  {
    name: 'leaving out an override is the organizer part: not taken, the stored override stays',
    user: BOB,
    stored: series(bob('ACCEPTED'), [bob('ACCEPTED'), CAROL_ACCEPTED]),
    action: { kind: 'put', ics: calendar(vevent([...SERIES_MASTER, bob('TENTATIVE'), CAROL_ACCEPTED])) },
    outcome: 'applied',
    reason: /not taken: the absence of instance 2026-12-15T09:00:00Z/,
    after: series(bob('TENTATIVE'), [bob('ACCEPTED'), CAROL_ACCEPTED]),
    queued: [{ method: 'REPLY', to: [ALICE], contains: [bob('TENTATIVE')], lacks: ['RECURRENCE-ID:20261215T090000Z'] }],
  },
  {
    name: 'an invitation the program stores before the agent saw it: stored, and its answer sent',
    user: BOB,
    action: { kind: 'put', ics: meeting(bob('ACCEPTED')) },
    outcome: 'applied',
    reason: /stored m1, which was not in the calendar; a REPLY to mailto:alice@example.com is queued \(ACCEPTED for the event\)/,
    after: meeting(bob('ACCEPTED')),
    queued: [{ method: 'REPLY', to: [ALICE], meaning: meetingReply(bob('ACCEPTED')) }],
  },
  {
    name: 'an invitation stored unanswered: kept, nothing to send',
    user: BOB,
    action: { kind: 'put', ics: meeting() },
    outcome: 'applied',
    reason: /nothing is answered in it, so nothing is queued/,
    after: meeting(),
    queued: [],
  },
  {
    name: 'an invitation stored unanswered with SCHEDULE-FORCE-SEND=REPLY: the REPLY goes, the parameter is not kept',
    user: BOB,
    action: { kind: 'put', ics: calendar(vevent([...meetingLines().map((l) => (l === ORGANIZER ? 'ORGANIZER;CN=Alice;SCHEDULE-FORCE-SEND=REPLY:mailto:alice@example.com' : l))])) },
    outcome: 'applied',
    after: calendar(vevent(meetingLines())),
    queued: [{ method: 'REPLY', to: [ALICE], meaning: meetingReply('ATTENDEE;CN=Bob;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION:mailto:bob@example.com') }],
  },
  {
    name: 'a calendar with two UIDs is refused',
    user: BOB,
    stored: meeting(),
    action: { kind: 'put', ics: calendar([...vevent(meetingLines()), ...seriesOverride([BOB_ASKED])]) },
    outcome: 'refused',
    reason: /a calendar object holds one UID \(RFC 4791 section 4.1\), this one holds m1, s1/,
  },
  {
    name: 'a PUT on a version that changed since the user looked is stale: nothing stored, nothing sent',
    user: BOB,
    stored: meeting(),
    ifMatch: '"an-older-version"',
    action: { kind: 'put', ics: edited(meeting(), { [BOB_ASKED]: bob('ACCEPTED') }) },
    outcome: 'stale',
    queued: [],
  },
];

describe('attendee actions: a CalDAV PUT of the attendee copy', () => {
  for (const testCase of PUT) it(testCase.name, () => void runActionCase(testCase));
});

// What the organizer's actions send must work at the other end: each queued
// REQUEST, CANCEL and DECLINECOUNTER, as text, goes into schedule() at an
// attendee holding the earlier invitation, and is applied there.

import { describe, expect, it } from 'vitest';
import { describeObject } from '../../../src/ical/describe.js';
import type { ItipResult } from '../../../src/itip/effects.js';
import { ALICE, BOB, CAROL, deliver, edit, event, MEETING, putText, sent, SERIES } from './organizer-fixtures.js';
import { calendar, inputOf, vevent, type ActionCase } from './support.js';
import { act } from '../../../src/itip/actions/act.js';

/** The organizer's action, run as the tables run it. */
function organizerDoes(testCase: Omit<ActionCase, 'outcome' | 'name'>): ItipResult {
  const outcome = act(inputOf({ ...testCase, name: '', outcome: 'applied' }));
  expect(outcome.outcome, outcome.reason).toBe('applied');
  return outcome;
}

/** The one message of that method to that attendee. */
function messageTo(outcome: ItipResult, method: string, attendee: string): string {
  const found = sent(outcome).filter((s) => s.method === method && s.to.includes(attendee));
  expect(found, `one ${method} to ${attendee}`).toHaveLength(1);
  return found[0]!.ics;
}

/** The attendee's copy after the message, described per component. */
function attendeeCopy(received: ItipResult) {
  expect(received.outcome, received.reason).toBe('applied');
  const text = putText(received);
  expect(text, 'the attendee stores the change').toBeDefined();
  return describeObject(text!);
}

const meeting = event(MEETING);
const series = event(SERIES);

describe('organizer messages at the attendee', () => {
  it('a significant change moves the event in the attendee copy and asks them anew', () => {
    const outcome = organizerDoes({
      user: ALICE,
      stored: meeting,
      action: { kind: 'put', ics: event(edit(MEETING, { set: { DTSTART: ['DTSTART:20261201T130000Z'], DTEND: ['DTEND:20261201T140000Z'] } })) },
    });
    const [copy] = attendeeCopy(deliver(messageTo(outcome, 'REQUEST', BOB), BOB, meeting));
    expect(copy).toMatchObject({ start: '2026-12-01T13:00:00Z', end: '2026-12-01T14:00:00Z', sequence: 2 });
    expect(copy!.attendees.find((a) => a.address === BOB)?.partstat).toBe('NEEDS-ACTION');
  });

  it('a change without a new SEQUENCE is still taken (its DTSTAMP is newer), the answer kept', () => {
    const outcome = organizerDoes({ user: ALICE, stored: meeting, action: { kind: 'put', ics: event(edit(MEETING, { set: { SUMMARY: ['SUMMARY:Budget'] } })) } });
    const [copy] = attendeeCopy(deliver(messageTo(outcome, 'REQUEST', CAROL), CAROL, meeting));
    expect(copy).toMatchObject({ summary: 'Budget', sequence: 1 });
    expect(copy!.attendees.find((a) => a.address === CAROL)?.partstat).toBe('TENTATIVE');
  });

  it('a removed attendee has the event cancelled; the others keep it without them', () => {
    const outcome = organizerDoes({ user: ALICE, stored: meeting, action: { kind: 'put', ics: event(edit(MEETING, { drop: ['carol@'] })) } });
    const [carols] = attendeeCopy(deliver(messageTo(outcome, 'CANCEL', CAROL), CAROL, meeting));
    expect(carols!.status).toBe('CANCELLED');
    const [bobs] = attendeeCopy(deliver(messageTo(outcome, 'REQUEST', BOB), BOB, meeting));
    expect(bobs!.status).toBeNull();
    expect(bobs!.attendees.map((a) => a.address)).not.toContain(CAROL);
  });

  it('a new EXDATE cancels that instance at the attendee', () => {
    const outcome = organizerDoes({ user: ALICE, stored: series, action: { kind: 'put', ics: event(edit(SERIES, { add: ['EXDATE:20261208T090000Z'] })) } });
    const copy = attendeeCopy(deliver(messageTo(outcome, 'CANCEL', BOB), BOB, series));
    expect(copy.find((c) => c.recurrenceId === '2026-12-08T09:00:00Z')).toMatchObject({ status: 'CANCELLED' });
    expect(copy.find((c) => c.recurrenceId === null)).toMatchObject({ status: null });
  });

  it('deleting one instance cancels it at the attendee', () => {
    const outcome = organizerDoes({ user: ALICE, stored: series, action: { kind: 'delete', uid: 's1', recurrenceId: '2026-12-15T09:00:00Z' } });
    const copy = attendeeCopy(deliver(messageTo(outcome, 'CANCEL', CAROL), CAROL, series));
    expect(copy.find((c) => c.recurrenceId === '2026-12-15T09:00:00Z')).toMatchObject({ status: 'CANCELLED' });
  });

  it('STATUS:CANCELLED on the event, and deleting it, cancel it at the attendee', () => {
    const cancelled = organizerDoes({ user: ALICE, stored: meeting, action: { kind: 'put', ics: event(edit(MEETING, { add: ['STATUS:CANCELLED'] })) } });
    expect(attendeeCopy(deliver(messageTo(cancelled, 'CANCEL', BOB), BOB, meeting))[0]!.status).toBe('CANCELLED');
    const deleted = organizerDoes({ user: ALICE, stored: meeting, action: { kind: 'delete', uid: 'm1' } });
    expect(attendeeCopy(deliver(messageTo(deleted, 'CANCEL', CAROL), CAROL, meeting))[0]!.status).toBe('CANCELLED');
  });

  it('a new event reaches an attendee who has nothing yet', () => {
    const outcome = organizerDoes({ user: ALICE, action: { kind: 'put', ics: event(edit(MEETING, { set: { SEQUENCE: ['SEQUENCE:0'] } })) } });
    const [copy] = attendeeCopy(deliver(messageTo(outcome, 'REQUEST', BOB), BOB, undefined));
    expect(copy).toMatchObject({ uid: 'm1', start: '2026-12-01T09:00:00Z', sequence: 0 });
  });

  it("a taken proposal moves the event for the other attendees; a declined one clears the proposer's", () => {
    const counter = calendar(
      vevent(['UID:m1', 'DTSTAMP:20261110T080000Z', 'DTSTART:20261202T090000Z', 'DTEND:20261202T100000Z', 'SEQUENCE:1', 'ORGANIZER:mailto:alice@example.com', 'ATTENDEE;PARTSTAT=ACCEPTED:mailto:bob@example.com']),
      'COUNTER',
    );
    const counters = [{ uid: 'm1', recurrenceId: null, attendee: BOB, received: '2026-11-10T08:00:00Z', ics: counter }];
    const taken = organizerDoes({ user: ALICE, stored: meeting, counters, action: { kind: 'counter-accept', uid: 'm1', attendee: BOB } });
    const [carols] = attendeeCopy(deliver(messageTo(taken, 'REQUEST', CAROL), CAROL, meeting));
    expect(carols).toMatchObject({ start: '2026-12-02T09:00:00Z', sequence: 2 });

    const declined = organizerDoes({ user: ALICE, stored: meeting, counters, action: { kind: 'counter-decline', uid: 'm1', attendee: BOB } });
    const received = deliver(messageTo(declined, 'DECLINECOUNTER', BOB), BOB, meeting);
    expect(received.outcome, received.reason).toBe('applied');
    expect(received.effects).toContainEqual({ type: 'remove-counters', uid: 'm1', recurrenceId: null, attendee: BOB });
  });

  it('the answer to a REFRESH brings an attendee with an older copy up to date', () => {
    const current = event(edit(MEETING, { set: { SEQUENCE: ['SEQUENCE:3'], LOCATION: ['LOCATION:Room 9'] } }));
    const requests = [{ uid: 'm1', recurrenceId: null, method: 'REFRESH' as const, from: BOB, received: '2026-11-10T08:00:00Z' }];
    const outcome = organizerDoes({ user: ALICE, stored: current, requests, action: { kind: 'refresh-answer', uid: 'm1', attendee: BOB } });
    const [copy] = attendeeCopy(deliver(messageTo(outcome, 'REQUEST', BOB), BOB, meeting));
    expect(copy).toMatchObject({ sequence: 3 });
  });
});

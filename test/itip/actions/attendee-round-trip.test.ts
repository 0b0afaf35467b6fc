// The attendee's messages must pass our own receiving side: each queued
// message is made into iMIP mail as the outbox makes it (composeImip), read
// back as incoming mail is read (readMail, acceptCalendar), and given to
// schedule() at its recipient, with the recipient's stored copy, the mail's
// sender, direction incoming.

import { describe, expect, it } from 'vitest';
import { eventsOf, findAttendee, parseCalendar } from '../../../src/ical/calendar.js';
import { act } from '../../../src/itip/actions/act.js';
import type { UserAction } from '../../../src/itip/actions/action.js';
import type { Effect, ItipResult } from '../../../src/itip/effects.js';
import { schedule } from '../../../src/itip/schedule.js';
import { acceptCalendar } from '../../../src/itip/rules/message-acceptance.js';
import { composeImip } from '../../../src/mail/compose-imip.js';
import { readMail } from '../../../src/mail/read-mail.js';
import { ALICE, BOB, BOB_ASKED, CAROL_ACCEPTED, DAVE, bob, meeting, series, SERIES_MASTER } from './attendee-fixtures.js';
import { calendar, inputOf, NOW, vevent } from './support.js';

type Send = Extract<Effect, { type: 'send' }>;

/** Alice's own copy of the meeting and of the series: what bob's copies came from, without bob's alarm. */
const ALICE_MEETING = meeting(BOB_ASKED, [], []);
const ALICE_SERIES = series();

/** Bob acts on his copy; the messages queued, in order. */
function bobActs(action: UserAction, stored: string): Send[] {
  const outcome = act(inputOf({ name: '', user: BOB, stored, action, outcome: 'applied' }));
  expect(outcome.outcome, outcome.reason).toBe('applied');
  return outcome.effects.filter((e): e is Send => e.type === 'send');
}

/** A queued message as mail from `from`, received by `recipient` whose copy is `stored`. */
async function deliver(message: Send, from: string, recipient: string, stored?: string): Promise<ItipResult> {
  expect(message.to).toContain(recipient);
  const mail = await composeImip({ from, to: message.to, ics: message.ics, date: new Date(NOW) });
  const parsed = await readMail(mail.raw);
  expect(parsed.calendars).toHaveLength(1);
  const part = parsed.calendars[0]!;
  const accepted = acceptCalendar(part.text, part.methodParam);
  if (!('units' in accepted)) throw new Error(`the ${message.method} is not taken as a message: ${accepted.reason}`);
  expect(accepted.method).toBe(message.method);
  const [uid, components] = [...accepted.units][0]!;
  return schedule({
    method: accepted.method,
    uid,
    message: accepted.vcalendar,
    components,
    user: recipient,
    role: 'person',
    prefs: {},
    counters: [],
    sender: { addresses: [parsed.facts.from!] },
    direction: 'incoming',
    now: NOW + 60_000,
    ...(stored ? { stored: { uid, ics: stored } } : {}),
  });
}

/** The stored copy an outcome puts. */
function putText(outcome: ItipResult): string {
  const put = outcome.effects.find((e): e is Extract<Effect, { type: 'put-object' }> => e.type === 'put-object');
  expect(put, `a put-object effect (${outcome.reason})`).toBeDefined();
  return put!.object.ics;
}

/** Each component's RECURRENCE-ID ('' for the master) with the address's ATTENDEE parameters that matter here. */
function participation(ics: string, address: string): Record<string, Record<string, string> | null> {
  const found: Record<string, Record<string, string> | null> = {};
  for (const event of eventsOf(parseCalendar(ics))) {
    const rid = event.getFirstProperty('recurrence-id')?.getFirstValue()?.toString() ?? '';
    const attendee = findAttendee(event, address);
    found[rid] = attendee
      ? Object.fromEntries(
          ['partstat', 'delegated-to', 'delegated-from', 'rsvp']
            .filter((name) => attendee.prop.getParameter(name) !== undefined)
            .map((name) => [name, String(attendee.prop.getParameter(name))]),
        )
      : null;
  }
  return found;
}

describe('attendee messages through the receiving side', () => {
  it('an accepted invitation: the organizer merges ACCEPTED', async () => {
    const [reply] = bobActs({ kind: 'respond', uid: 'm1', partstat: 'ACCEPTED' }, meeting());
    const atAlice = await deliver(reply!, BOB, ALICE, ALICE_MEETING);
    expect(atAlice.outcome, atAlice.reason).toBe('applied');
    expect(atAlice.reason).toMatch(/mailto:bob@example.com replied master: ACCEPTED/);
    expect(participation(putText(atAlice), BOB)).toEqual({ '': { partstat: 'ACCEPTED' } });
  });

  it('the whole series: the organizer merges the answer into the master and the override', async () => {
    const [reply] = bobActs({ kind: 'respond', uid: 's1', partstat: 'TENTATIVE', comment: 'Probably' }, series());
    const atAlice = await deliver(reply!, BOB, ALICE, ALICE_SERIES);
    expect(atAlice.outcome, atAlice.reason).toBe('applied');
    expect(participation(putText(atAlice), BOB)).toEqual({ '': { partstat: 'TENTATIVE' }, '2026-12-15T09:00:00Z': { partstat: 'TENTATIVE' } });
  });

  it('one instance: the organizer gains an override with the answer', async () => {
    const [reply] = bobActs({ kind: 'respond', uid: 's1', recurrenceId: '2026-12-08T09:00:00Z', partstat: 'DECLINED' }, series());
    const atAlice = await deliver(reply!, BOB, ALICE, ALICE_SERIES);
    expect(atAlice.outcome, atAlice.reason).toBe('applied');
    expect(participation(putText(atAlice), BOB)).toEqual({
      '': { partstat: 'NEEDS-ACTION', rsvp: 'TRUE' },
      '2026-12-08T09:00:00Z': { partstat: 'DECLINED' },
      '2026-12-15T09:00:00Z': { partstat: 'NEEDS-ACTION', rsvp: 'TRUE' },
    });
  });

  it('a delegation: the organizer learns of the delegate, and the delegate takes the forwarded REQUEST', async () => {
    const [reply, request] = bobActs({ kind: 'delegate', uid: 'm1', to: DAVE }, meeting());
    expect([reply!.method, request!.method]).toEqual(['REPLY', 'REQUEST']);

    const atAlice = await deliver(reply!, BOB, ALICE, ALICE_MEETING);
    expect(atAlice.outcome, atAlice.reason).toBe('applied');
    const alices = putText(atAlice);
    expect(participation(alices, BOB)).toEqual({ '': { partstat: 'DELEGATED', 'delegated-to': DAVE } });
    expect(participation(alices, DAVE)).toEqual({ '': { partstat: 'NEEDS-ACTION', 'delegated-from': BOB } });

    // The REQUEST comes from bob, not from the organizer: the delegate takes it as the delegator's forward.
    const atDave = await deliver(request!, BOB, DAVE);
    expect(atDave.outcome, atDave.reason).toBe('applied');
    expect(participation(putText(atDave), DAVE)).toEqual({ '': { partstat: 'NEEDS-ACTION', rsvp: 'TRUE', 'delegated-from': BOB } });
    expect(atDave.effects).toContainEqual(expect.objectContaining({ type: 'put-request', entry: expect.objectContaining({ uid: 'm1', from: ALICE }) }));
    expect(atDave.effects.find((e) => e.type === 'own-periods')).toEqual({ type: 'own-periods', uid: 'm1', periods: [] });
  });

  it('a re-delegation: the delegate chosen before gets a CANCEL that cancels its copy, and the organizer drops it', async () => {
    const ERIN = 'mailto:erin@example.com';
    const first = act(inputOf({ name: '', user: BOB, stored: meeting(), action: { kind: 'delegate', uid: 'm1', to: DAVE }, outcome: 'applied' }));
    const [reply, request] = first.effects.filter((e): e is Send => e.type === 'send');
    const bobs = putText(first);
    const atAlice = await deliver(reply!, BOB, ALICE, ALICE_MEETING);
    const atDave = await deliver(request!, BOB, DAVE);

    const again = bobActs({ kind: 'delegate', uid: 'm1', to: ERIN }, bobs);
    expect(again.map((m) => [m.method, m.to])).toEqual([
      ['REPLY', [ALICE]],
      ['REQUEST', [ERIN]],
      ['CANCEL', [DAVE]],
    ]);
    // Dave's copy, forwarded by bob, names bob as its delegator: bob's CANCEL is taken.
    const cancelled = await deliver(again[2]!, BOB, DAVE, putText(atDave));
    expect(cancelled.outcome, cancelled.reason).toBe('applied');
    expect(putText(cancelled)).toMatch(/STATUS:CANCELLED/);
    expect(cancelled.effects.find((e) => e.type === 'own-periods')).toEqual({ type: 'own-periods', uid: 'm1', periods: [] });
    // The organizer learns of the new delegate, and dave, whom bob no longer names, leaves her copy.
    const moved = await deliver(again[0]!, BOB, ALICE, putText(atAlice));
    expect(moved.outcome, moved.reason).toBe('applied');
    expect(participation(putText(moved), BOB)).toEqual({ '': { partstat: 'DELEGATED', 'delegated-to': ERIN } });
    expect(participation(putText(moved), DAVE)).toEqual({ '': null });
  });

  it('a proposal: the organizer keeps the COUNTER for a decision', async () => {
    const [counter] = bobActs({ kind: 'propose', uid: 'm1', start: '2026-12-01T13:00:00Z', end: '2026-12-01T14:00:00Z', comment: 'Afternoon?' }, meeting());
    const atAlice = await deliver(counter!, BOB, ALICE, ALICE_MEETING);
    expect(atAlice.outcome, atAlice.reason).toBe('queued');
    const kept = atAlice.effects.find((e): e is Extract<Effect, { type: 'put-counter' }> => e.type === 'put-counter');
    expect(kept?.entry).toMatchObject({ uid: 'm1', recurrenceId: null, attendee: BOB });
  });

  it('asking for the current version: the organizer queues the REFRESH', async () => {
    const [refresh] = bobActs({ kind: 'ask-refresh', uid: 'm1' }, meeting());
    const atAlice = await deliver(refresh!, BOB, ALICE, ALICE_MEETING);
    expect(atAlice.outcome, atAlice.reason).toBe('queued');
    expect(atAlice.reason).toMatch(/queued the refresh request of mailto:bob@example.com/);
  });

  it('removing an instance: the organizer merges DECLINED for it', async () => {
    const [reply] = bobActs({ kind: 'delete', uid: 's1', recurrenceId: '2026-12-22T09:00:00Z' }, series(bob('ACCEPTED'), null));
    const atAlice = await deliver(reply!, BOB, ALICE, calendar(vevent([...SERIES_MASTER, bob('ACCEPTED'), CAROL_ACCEPTED])));
    expect(atAlice.outcome, atAlice.reason).toBe('applied');
    expect(participation(putText(atAlice), BOB)).toEqual({ '': { partstat: 'ACCEPTED' }, '2026-12-22T09:00:00Z': { partstat: 'DECLINED' } });
  });

  it('an answer made in a CalDAV client: the organizer merges it', async () => {
    const [reply] = bobActs({ kind: 'put', ics: meeting(bob('TENTATIVE')) }, meeting());
    const atAlice = await deliver(reply!, BOB, ALICE, ALICE_MEETING);
    expect(atAlice.outcome, atAlice.reason).toBe('applied');
    expect(participation(putText(atAlice), BOB)).toEqual({ '': { partstat: 'TENTATIVE' } });
  });
});

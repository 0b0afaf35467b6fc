// Events and helpers the organizer's action tests share: Alice organizes,
// Bob and Carol attend; edits of an event's lines; and the receiving side of
// an attendee, to feed the messages the organizer's actions queue into.

import { calendarMethod, eventsOf, parseCalendar, uidOf } from '../../../src/ical/calendar.js';
import type { Effect, ItipResult } from '../../../src/itip/effects.js';
import { isMethod } from '../../../src/itip/model.js';
import { schedule } from '../../../src/itip/schedule.js';
import { calendar, NOW, vevent } from './support.js';

export const ALICE = 'mailto:alice@example.com';
export const BOB = 'mailto:bob@example.com';
export const CAROL = 'mailto:carol@example.com';
export const DAVE = 'mailto:dave@example.com';

/** Alice's meeting with Bob (accepted) and Carol (tentative); Alice attends her own meeting too. */
export const MEETING = [
  'UID:m1',
  'DTSTAMP:20261101T080000Z',
  'DTSTART:20261201T090000Z',
  'DTEND:20261201T100000Z',
  'SEQUENCE:1',
  'SUMMARY:Planning',
  'LOCATION:Room 1',
  'ORGANIZER;CN=Alice:mailto:alice@example.com',
  'ATTENDEE;PARTSTAT=ACCEPTED:mailto:alice@example.com',
  'ATTENDEE;PARTSTAT=ACCEPTED:mailto:bob@example.com',
  'ATTENDEE;PARTSTAT=TENTATIVE:mailto:carol@example.com',
];

/** The same meeting every Tuesday, four times. */
export const SERIES = [...MEETING.map((line) => line.replace('UID:m1', 'UID:s1')), 'RRULE:FREQ=WEEKLY;COUNT=4'];

/** The property name of a content line. */
function nameOf(line: string): string {
  return line.split(/[;:]/)[0]!.toUpperCase();
}

/**
 * The lines with edits: `set` replaces every line of that property (by name,
 * e.g. DTSTART) with the given ones (none: removed); `drop` removes lines
 * containing the text; `add` appends lines.
 */
export function edit(lines: string[], changes: { set?: Record<string, string[]>; drop?: string[]; add?: string[] }): string[] {
  const out: string[] = [];
  const done = new Set<string>();
  for (const line of lines) {
    const name = nameOf(line);
    if (changes.drop?.some((text) => line.includes(text))) continue;
    const replacement = changes.set?.[name];
    if (!replacement) {
      out.push(line);
      continue;
    }
    if (!done.has(name)) out.push(...replacement);
    done.add(name);
  }
  for (const [name, replacement] of Object.entries(changes.set ?? {})) if (!done.has(name)) out.push(...replacement);
  return [...out, ...(changes.add ?? [])];
}

/** One event as a calendar text. */
export function event(lines: string[], method?: string): string {
  return calendar(vevent(lines), method);
}

/** The messages an outcome queued, as send effects. */
export function sent(outcome: ItipResult): Array<Extract<Effect, { type: 'send' }>> {
  return outcome.effects.filter((e): e is Extract<Effect, { type: 'send' }> => e.type === 'send');
}

/** The stored copy an outcome put, as text. */
export function putText(outcome: ItipResult): string | undefined {
  const put = outcome.effects.find((e): e is Extract<Effect, { type: 'put-object' }> => e.type === 'put-object');
  return put?.object.ics;
}

/**
 * A queued message arriving at an attendee (direction incoming, sent by the
 * organizer), with the attendee's stored copy: the receiving side's outcome.
 */
export function deliver(ics: string, attendee: string, stored: string | undefined, from = ALICE): ItipResult {
  const message = parseCalendar(ics);
  const method = calendarMethod(message);
  if (!isMethod(method)) throw new Error(`not an iTIP method: ${method}`);
  const components = eventsOf(message);
  const uid = uidOf(components[0]!)!;
  return schedule({
    method,
    uid,
    components,
    message,
    user: attendee,
    role: 'person',
    prefs: {},
    counters: [],
    sender: { addresses: [from] },
    direction: 'incoming',
    now: NOW,
    ...(stored ? { stored: { uid, ics: stored } } : {}),
  });
}

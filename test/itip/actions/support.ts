// Table-driven tests of the user's own actions: a stored copy before, an
// action, and what must come out: the outcome, the copy after and the messages
// queued, with calendars compared by meaning (property order, parameter order,
// line folding and DTSTAMP do not count) rather than as text.

import ICAL from 'ical.js';
import { expect } from 'vitest';
import { parseCalendar } from '../../../src/ical/calendar.js';
import { act } from '../../../src/itip/actions/act.js';
import { etagOf, type ActionInput, type UserAction } from '../../../src/itip/actions/action.js';
import type { Effect, ItipResult } from '../../../src/itip/effects.js';
import type { CounterEntry, Outcome, Preferences, RequestEntry, StoredObject } from '../../../src/itip/model.js';

export const NOW = Date.parse('2026-11-15T12:00:00Z');

/** A VCALENDAR text (no METHOD unless given) around the given lines, CRLF. */
export function calendar(lines: string[], method?: string): string {
  return ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//test//EN', ...(method ? [`METHOD:${method}`] : []), ...lines, 'END:VCALENDAR', ''].join('\r\n');
}

/** One VEVENT's lines. */
export function vevent(lines: string[]): string[] {
  return ['BEGIN:VEVENT', ...lines, 'END:VEVENT'];
}

export interface ExpectedMessage {
  method: string;
  to: string[];
  /** The message means the same as this calendar (DTSTAMP ignored). */
  meaning?: string;
  /** Lines (unfolded) the message must hold, and must not. */
  contains?: string[];
  lacks?: string[];
}

export interface ActionCase {
  name: string;
  user: string;
  /** The stored copy before, as text; none: nothing stored. */
  stored?: string;
  action: UserAction;
  prefs?: Preferences;
  counters?: CounterEntry[];
  requests?: RequestEntry[];
  /** true: pass the stored copy's own etag; a string: that one. */
  ifMatch?: true | string;
  outcome: Outcome;
  /** The reason matches this. */
  reason?: RegExp;
  /** The stored copy after means the same as this calendar; null: it was deleted. */
  after?: string | null;
  /** Lines the stored copy after must hold or lack. */
  afterContains?: string[];
  afterLacks?: string[];
  /** The messages queued, in order. */
  queued?: ExpectedMessage[];
  /** Extra checks on the effects. */
  check?: (effects: Effect[]) => void;
}

/** The UID of a stored text: its first VEVENT's. */
function uidIn(ics: string): string {
  return String(parseCalendar(ics).getFirstSubcomponent('vevent')?.getFirstPropertyValue('uid') ?? '');
}

export function inputOf(testCase: ActionCase): ActionInput {
  const stored: StoredObject | undefined = testCase.stored ? { uid: uidIn(testCase.stored), ics: testCase.stored } : undefined;
  return {
    action: testCase.action,
    user: testCase.user,
    role: 'person',
    prefs: testCase.prefs ?? {},
    ...(stored ? { stored } : {}),
    ...(testCase.ifMatch === true && stored ? { ifMatch: etagOf(stored) } : typeof testCase.ifMatch === 'string' ? { ifMatch: testCase.ifMatch } : {}),
    counters: testCase.counters ?? [],
    requests: testCase.requests ?? [],
    now: NOW,
  };
}

/** Unfolded content lines of a calendar text. */
export function contentLines(ics: string): string[] {
  return ics.replace(/\r\n[ \t]/g, '').split(/\r?\n/).filter((line) => line !== '');
}

/**
 * A calendar's meaning as comparable data: components with their properties
 * sorted by name, parameters sorted, values as ical.js reads them; DTSTAMP,
 * PRODID and VERSION left out (they say when and by whom, not what).
 */
export function meaning(ics: string): unknown {
  const IGNORED = new Set(['dtstamp', 'prodid', 'version']);
  const normalise = (jcal: [string, unknown[][], unknown[][]]): unknown => {
    const [name, properties, components] = jcal;
    const props = properties
      .filter(([propName]) => !IGNORED.has(String(propName)))
      .map(([propName, params, type, ...values]) => [
        propName,
        Object.entries(params as Record<string, unknown>)
          .map(([k, v]) => [k, typeof v === 'string' && k !== 'cn' ? v.toLowerCase() : v])
          .sort(([a], [b]) => String(a).localeCompare(String(b))),
        type,
        values,
      ])
      .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
    const children = components.map((c) => normalise(c as never)).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
    return [name, props, children];
  };
  return normalise(ICAL.parse(ics) as never);
}

export function expectSameMeaning(actual: string, expected: string, what: string): void {
  expect(meaning(actual), what).toEqual(meaning(expected));
}

/** Runs a case and checks everything it names. */
export function runActionCase(testCase: ActionCase): ItipResult {
  const outcome = act(inputOf(testCase));
  expect(outcome.outcome, outcome.reason).toBe(testCase.outcome);
  if (testCase.reason) expect(outcome.reason).toMatch(testCase.reason);
  const put = outcome.effects.filter((e): e is Extract<Effect, { type: 'put-object' }> => e.type === 'put-object');
  const deleted = outcome.effects.some((e) => e.type === 'delete-object');
  if (testCase.after === null) expect(deleted, 'the stored copy is deleted').toBe(true);
  else if (testCase.after !== undefined) {
    expect(put, 'one put-object effect').toHaveLength(1);
    expectSameMeaning(put[0]!.object.ics, testCase.after, 'the stored copy after');
  }
  if (testCase.afterContains || testCase.afterLacks) {
    expect(put, 'one put-object effect').toHaveLength(1);
    const lines = contentLines(put[0]!.object.ics);
    for (const line of testCase.afterContains ?? []) expect(lines, `stored copy holds ${line}`).toContain(line);
    for (const line of testCase.afterLacks ?? []) expect(lines, `stored copy lacks ${line}`).not.toContain(line);
  }
  if (testCase.queued) {
    const sent = outcome.effects.filter((e): e is Extract<Effect, { type: 'send' }> => e.type === 'send');
    expect(sent.map((s) => [s.method, [...s.to].sort()]), 'messages queued').toEqual(testCase.queued.map((m) => [m.method, [...m.to].sort()]));
    testCase.queued.forEach((wanted, i) => {
      const message = sent[i]!;
      if (wanted.meaning) expectSameMeaning(message.ics, wanted.meaning, `queued ${wanted.method} ${i}`);
      const lines = contentLines(message.ics);
      for (const line of wanted.contains ?? []) expect(lines, `queued ${wanted.method} holds ${line}`).toContain(line);
      for (const line of wanted.lacks ?? []) expect(lines, `queued ${wanted.method} lacks ${line}`).not.toContain(line);
    });
  }
  testCase.check?.(outcome.effects);
  return outcome;
}

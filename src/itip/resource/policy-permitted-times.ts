// `permitted_times`: when the resource may be booked (the `permitted_times`
// preference, see settings.ts): allowed weekdays and hours in the resource's
// zone, start and end on a step, a longest (and shortest) booking.

import { DAY } from './local-time.js';
import type { Candidate, Judgement, Policy, Refusal } from './policy.js';
import { hoursText } from './policy.js';
import type { PermittedTimes } from './settings.js';

const NAMES = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

function hhmm(minutes: number): string {
  return `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
}

/** Why the instance is outside the permitted times, or undefined. `retimable` is false only for its length. */
export function permittedProblem(permitted: PermittedTimes, judgement: Judgement, candidate: Candidate): Refusal | undefined {
  const length = candidate.end - candidate.start;
  const refuse = (reason: string, retimable = true): Refusal => ({
    reason,
    status: '4.0',
    statusText: 'Event conflict. Not within permitted times.',
    retimable,
  });
  if (permitted.maxMs !== undefined && length > permitted.maxMs) {
    return refuse(`it lasts ${hoursText(length)}, longer than the permitted ${hoursText(permitted.maxMs)}`, false);
  }
  if (permitted.minMs !== undefined && length < permitted.minMs) {
    return refuse(`it lasts ${hoursText(length)}, shorter than the permitted ${hoursText(permitted.minMs)}`, false);
  }
  const { clock } = judgement;
  const day = clock.dayOf(candidate.start);
  const startMinute = Math.round((clock.wall(candidate.start) - day) / 60_000);
  const endMinute = Math.round((clock.wall(candidate.end) - day) / 60_000);
  if (permitted.days && !permitted.days.has(new Date(day).getUTCDay())) {
    return refuse(`it falls on a ${NAMES[new Date(day).getUTCDay()]}, not a permitted day`);
  }
  if (permitted.stepMinutes !== undefined) {
    const step = permitted.stepMinutes;
    if (startMinute % step !== 0 || endMinute % step !== 0) {
      return refuse(`it does not start and end on a ${step}-minute step`);
    }
  }
  if (permitted.hours) {
    const inside = endMinute <= DAY / 60_000 && permitted.hours.some(([from, to]) => startMinute >= from && endMinute <= to);
    if (!inside) {
      const end = endMinute > DAY / 60_000 ? 'the next day' : hhmm(endMinute);
      const ranges = permitted.hours.map(([a, b]) => `${hhmm(a)}-${hhmm(b)}`).join(', ');
      return refuse(`${hhmm(startMinute)} to ${end} is outside the permitted hours ${ranges}`);
    }
  }
  return undefined;
}

export const permittedTimesPolicy: Policy = {
  name: 'permitted_times',
  check(judgement, candidate) {
    const permitted = judgement.settings.permitted;
    return permitted ? permittedProblem(permitted, judgement, candidate) : undefined;
  },
};

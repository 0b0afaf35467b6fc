// `freebusy` (imip-agent's schedule_in_freebusy): the instance must not overlap
// more concurrent bookings than the resource's `capacity` allows (default 1:
// no overlap at all). Every busy type counts, tentative ones included.

import { formatUtcSeconds } from '../../ical/times.js';
import { BUSY_STATUS, type Candidate, type Judgement, type Policy } from './policy.js';

/** The most bookings that overlap at any one moment within [start, end). */
export function peakConcurrency(intervals: Array<{ start: number; end: number }>, start: number, end: number): number {
  const edges: Array<[number, number]> = [];
  for (const i of intervals) {
    const from = Math.max(i.start, start);
    const to = Math.min(i.end, end);
    if (from < to) edges.push([from, 1], [to, -1]);
  }
  // Ends sort before starts at the same moment: back-to-back bookings do not overlap.
  edges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let current = 0;
  let peak = 0;
  for (const [, delta] of edges) {
    current += delta;
    peak = Math.max(peak, current);
  }
  return peak;
}

export function overlapsAt(judgement: Judgement, candidate: Candidate): number {
  const others = judgement.bookings.overlapping(candidate.start, candidate.end);
  return peakConcurrency([...others, ...judgement.accepted], candidate.start, candidate.end);
}

export const freebusyPolicy: Policy = {
  name: 'freebusy',
  check(judgement, candidate) {
    const capacity = judgement.settings.capacity;
    const peak = overlapsAt(judgement, candidate);
    if (peak < capacity) return undefined;
    const what = capacity === 1 ? 'already booked' : `already booked ${peak} times (capacity ${capacity})`;
    return { reason: `${formatUtcSeconds(candidate.start)} to ${formatUtcSeconds(candidate.end)} is ${what}`, ...BUSY_STATUS, retimable: true };
  },
};

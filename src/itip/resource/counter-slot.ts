// The slot a counter-proposal offers (RFC 5546 section 3.2.7): the earliest
// start after the requested one, and not in the past, at which an event of the
// same length passes every scheduling function of the chain, within
// `counter_search_days`. Candidate starts are the permitted step grid (15
// minutes without one) and the ends of bookings, so a slot right after a
// meeting that ends at an odd time is found too.

import { firstRefusal } from './decide.js';
import type { Candidate, Judgement, Policy } from './policy.js';

const MINUTE = 60_000;

export function findFreeSlot(policies: Policy[], judgement: Judgement, requested: Candidate, now: number): Candidate | undefined {
  const length = requested.end - requested.start;
  const horizon = requested.start + judgement.settings.counterSearchDays * 86_400_000;
  const fixedStep = judgement.settings.permitted?.stepMinutes;
  const step = (fixedStep ?? 15) * MINUTE;
  const { clock } = judgement;
  const onGrid = (instant: number) => {
    const wall = clock.wall(instant);
    return (((wall - clock.dayOf(instant)) % step) + step) % step === 0;
  };
  const earliest = Math.max(requested.start + 1, now);
  const starts = new Set<number>();
  // The grid in local wall time, from the local midnight of the earliest start.
  const firstDay = clock.dayOf(earliest);
  for (let wall = firstDay; ; wall += step) {
    const instant = clock.instant(wall);
    if (instant >= horizon) break;
    if (instant >= earliest) starts.add(instant);
  }
  for (const booking of judgement.bookings.overlapping(earliest, horizon + length)) {
    // With a permitted step, only ends on it; without one, any end (the 15-minute grid is only a search aid).
    if (booking.end >= earliest && booking.end < horizon && (fixedStep === undefined || onGrid(booking.end))) starts.add(booking.end);
  }
  for (const start of [...starts].sort((a, b) => a - b)) {
    const candidate: Candidate = { key: requested.key, start, end: start + length };
    const probe: Judgement = { ...judgement, accepted: [...judgement.accepted] };
    if (!firstRefusal(policies, probe, candidate)) return candidate;
  }
  return undefined;
}

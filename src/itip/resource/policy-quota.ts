// `quota`: at most so much booked time per organizer, organizer domain or group
// in each calendar day, week, month or year (the `quota` preference, e.g.
// "PT10H/P1W per organizer"). Bookings count in the period they start in, with
// their whole length; the instances of this request accepted so far count too.

import type { Candidate, Judgement, Policy, Refusal } from './policy.js';
import { hoursText } from './policy.js';
import { formatUtcSeconds } from '../../ical/times.js';
import { addressDomain } from '../../ical/address.js';
import { matchesAccess, type Quota } from './settings.js';

/** Who a quota counts an organizer as: itself, its domain, or its group. */
function scopeKey(quota: Quota, organizer: string, judgement: Judgement): string {
  if (quota.scope === 'domain') return addressDomain(organizer);
  if (quota.scope === 'group') {
    const group = judgement.settings.quotaGroups.find((g) => matchesAccess(organizer, g.members));
    // An organizer in no group is a group of one.
    return group ? `group:${group.name}` : organizer;
  }
  return organizer;
}

function quotaProblem(quota: Quota, judgement: Judgement, candidate: Candidate): Refusal | undefined {
  const [from, to] = judgement.clock.periodAround(candidate.start, quota.period);
  const key = scopeKey(quota, judgement.organizer, judgement);
  let used = 0;
  for (const booking of judgement.bookings.overlapping(from, to)) {
    if (booking.start < from || booking.start >= to) continue;
    const organizer = judgement.bookings.organizer(booking.uid);
    if (organizer && scopeKey(quota, organizer, judgement) === key) used += booking.end - booking.start;
  }
  for (const accepted of judgement.accepted) {
    if (accepted.start >= from && accepted.start < to) used += accepted.end - accepted.start;
  }
  const length = candidate.end - candidate.start;
  if (used + length <= quota.amountMs) return undefined;
  const who = quota.scope === 'organizer' ? judgement.organizer : key.replace(/^group:/, 'group ');
  return {
    reason: `quota ${quota.text}: ${who} has ${hoursText(used)} booked in the ${quota.period} from ${formatUtcSeconds(from)}, and ${hoursText(length)} more would exceed ${hoursText(quota.amountMs)}`,
    status: '4.0',
    statusText: 'Event conflict. Quota exceeded.',
    retimable: true,
  };
}

export const quotaPolicy: Policy = {
  name: 'quota',
  check(judgement, candidate) {
    for (const quota of judgement.settings.quotas) {
      const problem = quotaProblem(quota, judgement, candidate);
      if (problem) return problem;
    }
    return undefined;
  },
};

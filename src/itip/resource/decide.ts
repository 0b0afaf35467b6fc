// Judging the instances of a request with the resource's chain of scheduling
// functions, one instance after the other in time order; an instance accepted
// counts against the ones after it (capacity, quotas).

import { POLICIES } from './registry.js';
import type { Candidate, Judgement, Policy, Refusal } from './policy.js';
import { compareText } from '../../ical/text-order.js';

export interface InstanceDecision {
  candidate: Candidate;
  /** undefined: accepted. */
  refusal?: Refusal;
}

export function policiesOf(chain: string[]): Policy[] {
  return chain.map((name) => POLICIES.get(name)).filter((p): p is Policy => p !== undefined);
}

export function firstRefusal(policies: Policy[], judgement: Judgement, candidate: Candidate): Refusal | undefined {
  for (const policy of policies) {
    const refusal = policy.check(judgement, candidate);
    if (refusal) return refusal;
  }
  return undefined;
}

/** Decides every candidate; `judgement.accepted` grows with the accepted ones. */
export function decideInstances(policies: Policy[], judgement: Judgement, candidates: Candidate[]): InstanceDecision[] {
  const decisions: InstanceDecision[] = [];
  for (const candidate of [...candidates].sort((a, b) => a.start - b.start || compareText(a.key, b.key))) {
    const refusal = firstRefusal(policies, judgement, candidate);
    if (!refusal) judgement.accepted.push(candidate);
    decisions.push({ candidate, refusal });
  }
  return decisions;
}

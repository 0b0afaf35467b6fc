// Recurrence rules stepped through under a budget counted in candidates, never
// in time, so that the same rule gives the same instances on any machine under
// any load.
//
// ical.js tries candidate times until one satisfies every BYxxx part, with no
// bound of its own: FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30 never yields and never
// returns, and FREQ=SECONDLY yields 31 million times a year. Each candidate
// passes through `check_contracting_rules`, so counting that call bounds the
// work any rule can cause. The count lives on the iterator made here; ical.js
// itself is not changed for anyone else.

import ICAL from 'ical.js';

/** How many candidate times may still be tried; shared by the iterators of one task. */
export class CandidateBudget {
  constructor(public remaining: number) {}
}

/** Thrown out of `next()` when the budget is spent; the caller decides what that means. */
export class CandidateBudgetSpent extends Error {
  constructor() {
    super('the recurrence rule needs more candidate times than the limit allows');
  }
}

const checkContractingRules = (ICAL.RecurIterator.prototype as unknown as { check_contracting_rules(): boolean })
  .check_contracting_rules;

class CountedRecurIterator extends ICAL.RecurIterator {
  declare budget: CandidateBudget;

  // ical.js calls this once per candidate, inside `next()` only (the constructor's
  // set-up does not), so the budget is always set by then.
  override check_contracting_rules(): boolean {
    if (--this.budget.remaining < 0) throw new CandidateBudgetSpent();
    return checkContractingRules.call(this);
  }
}

/** An iterator over `rule` from `start` whose candidates are counted against `budget`. */
export function countedIterator(rule: ICAL.Recur, start: ICAL.Time, budget: CandidateBudget): ICAL.RecurIterator {
  const iterator = new CountedRecurIterator({ rule, dtstart: start });
  iterator.budget = budget;
  return iterator;
}

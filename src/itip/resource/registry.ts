// The scheduling functions by name, and the chain a resource's
// `scheduling_function` preference names. imip-agent's names are accepted as
// aliases, so its configurations carry over.

import { accessPolicy } from './policy-access.js';
import { freebusyPolicy } from './policy-freebusy.js';
import { permittedTimesPolicy } from './policy-permitted-times.js';
import { quotaPolicy } from './policy-quota.js';
import { sameDomainPolicy } from './policy-same-domain.js';
import type { Policy } from './policy.js';
import { SettingError, splitChain } from './settings.js';
import type { Preferences } from '../model.js';
import { schedulingFunctions } from '../preferences.js';

/**
 * `delegate` is no per-instance check: it ends the chain by handing the request
 * to a free member of the resource group (see handler.ts).
 */
export const DELEGATE = 'delegate';

export const POLICIES: ReadonlyMap<string, Policy> = new Map(
  [freebusyPolicy, permittedTimesPolicy, sameDomainPolicy, accessPolicy, quotaPolicy].map((p) => [p.name, p]),
);

const ALIASES: Record<string, string> = {
  schedule_in_freebusy: 'freebusy',
  check_quota: 'quota',
  add_to_quota: 'quota',
  same_domain_only: 'same_domain',
  schedule_for_delegate: DELEGATE,
  permitted: 'permitted_times',
};

export function knownFunctions(): string[] {
  return [...POLICIES.keys(), DELEGATE];
}

/**
 * The chain a resource's preferences name, and why it fell back to `fallback`
 * when they name one that cannot be used.
 */
export function chainOf(prefs: Preferences, fallback: string[]): { chain: string[]; problem?: string } {
  try {
    return { chain: parseChain(schedulingFunctions(prefs)) };
  } catch (error) {
    return { chain: fallback, problem: (error as Error).message };
  }
}

/** The chain's names in canonical spelling; throws a SettingError naming an unknown one. */
export function parseChain(text: string): string[] {
  const names = splitChain(text).map((name) => ALIASES[name] ?? name);
  if (names.length === 0) throw new SettingError(`scheduling_function must name at least one of ${knownFunctions().join(', ')}`);
  for (const name of names) {
    if (name !== DELEGATE && !POLICIES.has(name)) {
      throw new SettingError(`scheduling_function: ${JSON.stringify(name)} is not known; known functions: ${knownFunctions().join(', ')}`);
    }
  }
  const delegate = names.indexOf(DELEGATE);
  if (delegate >= 0 && delegate !== names.length - 1) {
    throw new SettingError('scheduling_function: delegate hands the request on, so it must come last');
  }
  return [...new Set(names)];
}

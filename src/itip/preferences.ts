// The core's readers of a calendar user's preferences: each value the rules
// use, with its default, read in one place. `itip-agent prefs` checks values
// when they are set (src/agent/preferences.ts); these readers take what is
// stored and fall back to the default where a value is missing. A resource's
// own settings (capacity, permitted times, quotas, ...) are read, with the
// same parsers `prefs` checks them with, in src/itip/resource/settings.ts.

import { normalizeAddress } from '../ical/address.js';
import type { Preferences } from './model.js';

/**
 * The user's zone (an Olson or Windows name): floating times and all-day
 * dates are read in it. imip-agent writes the key `TZID`; `tzid` is accepted too.
 */
export function zoneOf(prefs: Preferences): string | undefined {
  return prefs.TZID ?? prefs.tzid;
}

/** How far before and after now series are expanded, in days (`freebusy_window_days`, default 365, at most 3660). */
export function freeBusyWindowDays(prefs: Preferences): number {
  const days = Number(prefs.freebusy_window_days ?? 365);
  return Number.isFinite(days) && days > 0 ? Math.min(days, 3660) : 365;
}

/** What an ADD does (RFC 5546 section 3.2.4): `add` (default), `ignore`, or `refresh`. */
export function addMethodResponse(prefs: Preferences): string {
  return (prefs.add_method_response ?? 'add').toLowerCase();
}

/** Whether a REFRESH is answered at once with the current event (`event_refreshing=always`) or waits for the organizer. */
export function answersRefreshAtOnce(prefs: Preferences): boolean {
  return (prefs.event_refreshing ?? 'never').toLowerCase() === 'always';
}

/** Whether free/busy requests are answered (`freebusy_sharing=share`, as in imip-agent). */
export function sharesFreeBusy(prefs: Preferences): boolean {
  return prefs.freebusy_sharing === 'share';
}

/** Whether the user wants a notice mail, with answer links, when a REQUEST waits (`notify_requests=yes`; default no). */
export function notifiesRequests(prefs: Preferences): boolean {
  return (prefs.notify_requests ?? 'no').toLowerCase() === 'yes';
}

/** A resource's chain of scheduling functions, as written (`scheduling_function`, default `freebusy`). */
export function schedulingFunctions(prefs: Preferences): string {
  return prefs.scheduling_function ?? 'freebusy';
}

/**
 * The configured aliases of `address` (`sender_aliases`, written
 * "owner=alias1,alias2;owner2=alias3"): addresses that may speak for it.
 */
export function senderAliases(prefs: Preferences, address: string): string[] {
  const names: string[] = [];
  for (const entry of (prefs.sender_aliases ?? '').split(';')) {
    const [owner, aliases] = entry.split('=');
    if (normalizeAddress(owner) !== address || !aliases) continue;
    for (const alias of aliases.split(',')) {
      const normal = normalizeAddress(alias);
      if (normal) names.push(normal);
    }
  }
  return names;
}

/** The people who may manage a resource in the web pages (`owners`, comma-separated addresses), as mailto: URIs. */
export function resourceOwners(prefs: Preferences): string[] {
  const owners: string[] = [];
  for (const part of (prefs.owners ?? '').split(/[\s,;]+/)) {
    const address = normalizeAddress(part);
    if (address && !owners.includes(address)) owners.push(address);
  }
  return owners;
}

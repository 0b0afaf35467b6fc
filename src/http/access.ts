// Who a signed-in person is, and whose data they may see and change.
//
// From what a person types as their login (or what Dovecot or a proxy calls
// them) to their calendar user address: a login with an @ is a mail address; a
// bare name (Dovecot's passdb often knows people as "alice") belongs to the
// first of localDomains. Without localDomains a bare name names no calendar.
//
// Every page and every CalDAV request is about one calendar user address; the
// route asks mayActFor(signed-in user, that address) before it reads or writes
// anything. A person acts for themself, and for the resources (rooms,
// projectors) whose `owners` preference names them: storeOwners reads that
// from the store, and this is the one place that says who may act for whom.

import { addressLengthProblem, normalizeAddress } from '../ical/address.js';
import { resourceOwners } from '../itip/preferences.js';
import type { Store } from '../store/store.js';

/** A mail address with one @ and nothing that cannot stand in one unquoted. */
const BARE_ADDRESS = /^[^\s<>()[\],;:"\\@]+@[^\s<>()[\],;:"\\@]+$/;

/** The calendar user address (lower-case mailto: URI) of a login, or undefined if it names none. */
export function loginAddress(login: string, localDomains: readonly string[]): string | undefined {
  let text = login.trim().replace(/^mailto:/i, '');
  if (text === '') return undefined;
  if (!text.includes('@')) {
    if (localDomains.length === 0) return undefined;
    text = `${text}@${localDomains[0]}`;
  }
  if (!BARE_ADDRESS.test(text)) return undefined;
  const address = normalizeAddress(text);
  if (!address || addressLengthProblem(address)) return undefined;
  return address;
}

/** The owners (calendar user addresses) who may act for an address, e.g. a resource's. */
export type OwnersOf = (address: string) => readonly string[];

/** Whether the signed-in user may see and change the data of `address`. */
export function mayActFor(user: string | undefined, address: string, ownersOf?: OwnersOf): boolean {
  const me = normalizeAddress(user);
  const target = normalizeAddress(address);
  if (!me || !target || !BARE_ADDRESS.test(target.slice('mailto:'.length))) return false;
  if (me === target) return true;
  return (ownersOf?.(target) ?? []).some((owner) => normalizeAddress(owner) === me);
}

/**
 * The owners of an address as the store knows them: a resource's `owners`
 * preference; a person has none. Read before mayActFor, which decides with
 * what it is given.
 */
export async function storeOwners(store: Store | undefined, address: string): Promise<readonly string[]> {
  if (!store || (await store.getRole(address)) !== 'resource') return [];
  return resourceOwners(await store.getPrefs(address));
}

// Calendar spam: who may put an invitation into a user's calendar (the
// `incoming` preference, after the tiers Google Calendar and Zimbra offer).
//
// - everyone (default): every invitation is handled as before;
// - known: only from an organizer who is local (a domain of this
//   installation: `localDomains`, or the user's own domain where none are
//   configured), whom the user has written iTIP mail to before (the
//   correspondents record, src/agent/correspondents.ts), or who is on the
//   user's `incoming_allow` list (addresses, domains, *.domains);
// - none: no invitation changes the calendar until the user answers it from
//   their mail program (the outgoing rule then stores it).
//
// An invitation outside the tier still reaches the mailbox untouched (the
// door delivers every mail) but changes nothing: no object, no free/busy, no
// answer. Above all no automatic answer: a decline, a resource's REPLY or a
// free/busy answer would tell the sender that the address is read. It waits in
// the request queue only where the user set `incoming_queue=yes`.
//
// Only invitations to an event not yet stored are judged: an update of an
// event the user keeps comes from an organizer they already took in.

import { addressDomain, normalizeAddress } from '../../ical/address.js';
import type { Preferences } from '../model.js';
import { type AccessEntry, SettingError, matchesAccess, parseAccessList } from '../resource/settings.js';

export type IncomingTier = 'everyone' | 'known' | 'none';

export const INCOMING_TIERS: readonly IncomingTier[] = ['everyone', 'known', 'none'];

/** The user's tier; a value that cannot be read counts as the default, everyone. */
export function incomingTier(prefs: Preferences): IncomingTier {
  const value = (prefs.incoming ?? 'everyone').trim().toLowerCase();
  return (INCOMING_TIERS as readonly string[]).includes(value) ? (value as IncomingTier) : 'everyone';
}

/** Whether invitations outside the tier wait in the request queue (`incoming_queue=yes`; default no). */
export function queuesOutsideTier(prefs: Preferences): boolean {
  return (prefs.incoming_queue ?? 'no').trim().toLowerCase() === 'yes';
}

/** The `incoming_allow` list; an unreadable one allows nobody (it was checked when set). */
export function incomingAllowList(prefs: Preferences): AccessEntry[] {
  if (!prefs.incoming_allow) return [];
  try {
    return parseAccessList(prefs.incoming_allow, 'incoming_allow');
  } catch (error) {
    if (error instanceof SettingError) return [];
    throw error;
  }
}

/** The methods by which an organizer puts something new into an attendee's calendar. */
const INVITING = new Set(['REQUEST', 'ADD', 'PUBLISH']);

/** Whether the tier applies to this message at all: an incoming invitation to an event not stored. */
export function judgedByTier(input: { method: string; direction: string; prefs: Preferences }, stored: boolean): boolean {
  return input.direction === 'incoming' && INVITING.has(input.method) && !stored && incomingTier(input.prefs) !== 'everyone';
}

export interface TierFacts {
  user: string;
  prefs: Preferences;
  /** Domains of this installation's users (the policy's localDomains). */
  localDomains: readonly string[];
  /** Of the addresses asked about, those the user has corresponded with. */
  correspondents: readonly string[];
}

/**
 * Why an invitation from `organizer` is outside the user's tier, or undefined
 * when it may go on. `what` names the message for the reason ("invitation").
 */
export function outsideTier(facts: TierFacts, organizer: string | undefined, what: string): string | undefined {
  const tier = incomingTier(facts.prefs);
  if (tier === 'everyone') return undefined;
  const queued = queuesOutsideTier(facts.prefs) ? '; it waits in the request queue (incoming_queue=yes)' : '';
  const tail = `; the mail is delivered as it came, and nothing is answered${queued}`;
  if (tier === 'none') return `incoming=none: no ${what} changes the calendar until ${facts.user} answers it${tail}`;
  const address = normalizeAddress(organizer);
  if (!address) return `incoming=known: the ${what} names no organizer to know${tail}`;
  if (isKnown(facts, address)) return undefined;
  return `incoming=known: ${address} is not local, not a correspondent and not on incoming_allow${tail}`;
}

function isKnown(facts: TierFacts, address: string): boolean {
  if (address === facts.user) return true;
  const domain = addressDomain(address);
  const local = facts.localDomains.length > 0 ? facts.localDomains.map((d) => d.toLowerCase()) : [addressDomain(facts.user)];
  if (domain && local.includes(domain)) return true;
  if (facts.correspondents.includes(address)) return true;
  return matchesAccess(address, incomingAllowList(facts.prefs));
}

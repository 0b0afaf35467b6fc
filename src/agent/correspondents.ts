// The record of whom a user has written iTIP mail to, for the `incoming=known`
// tier (src/itip/rules/incoming-tier.ts). Kept in the user's store, in the
// same transaction as the exchange that makes someone a correspondent, as a
// mark in the set the redelivery guard uses (UserTx.hasSeen/markSeen) under
// its own prefix: a point read per invitation judged, a write only the first
// time someone is met, and nothing new for the store formats to carry.
//
// Why a record and not a look through the stored objects: deciding on one
// invitation must not read every event of the user, and an event deleted
// later must not make its organizer a stranger again. Why only addresses the
// user wrote to: an invitation received says nothing about the sender (a
// spammer sends invitations too); an answer, an invitation or a counter the
// user sent does, whether their mail program sent it (the outgoing rule) or
// the agent on their behalf (an action, a resource's answer).

import ICAL from 'ical.js';
import { attendeesOf, organizerOf } from '../ical/calendar.js';
import type { UserTx, UserView } from '../store/store.js';

const PREFIX = 'correspondent:';

/** Of these addresses, those the user has written iTIP mail to (read from a view before the core runs). */
export async function correspondentsAmong(view: Pick<UserView, 'hasSeen'>, addresses: readonly string[]): Promise<string[]> {
  const known: string[] = [];
  for (const address of addresses) if (await view.hasSeen(PREFIX + address)) known.push(address);
  return known;
}

/** Marks the addresses (mailto: URIs) as correspondents of the user. */
export function recordCorrespondents(tx: UserTx, addresses: readonly string[], at: string): void {
  for (const address of new Set(addresses)) {
    if (!address || address === tx.user || tx.hasSeen(PREFIX + address)) continue;
    tx.markSeen(PREFIX + address, at);
  }
}

/** The people a message the user sent goes to: its ORGANIZER and ATTENDEEs other than the user. */
export function partiesOf(components: readonly ICAL.Component[]): string[] {
  const parties: string[] = [];
  for (const component of components) {
    const organizer = organizerOf(component);
    if (organizer) parties.push(organizer);
    for (const attendee of attendeesOf(component)) parties.push(attendee.address);
  }
  return parties;
}

// Delegation, checked (RFC 5546 sections 3.2.2.3 and 4.2.5). An attendee
// delegates by telling the organizer: its REPLY carries PARTSTAT=DELEGATED
// and names the delegate in DELEGATED-TO (RFC 5545 section 3.2.5). Only then
// may the delegate answer in its place; a message whose ATTENDEE merely
// claims DELEGATED-FROM (RFC 5545 section 3.2.4) someone who never delegated
// to it is from a party crasher, and waits for the organizer's decision
// instead of joining the event (src/itip/organizer/party-crasher.ts).

import { normalizeAddress } from '../../ical/address.js';
import { attendeesOf, type Participant } from '../../ical/calendar.js';
import type ICAL from 'ical.js';
import type { CalendarObject } from '../calendar-object.js';

/** The addresses a DELEGATED-TO or DELEGATED-FROM parameter lists, as lower-case mailto: URIs. */
export function delegationList(prop: ICAL.Property, name: 'delegated-to' | 'delegated-from'): string[] {
  const value = prop.getParameter(name);
  const list = Array.isArray(value) ? value : value ? [value] : [];
  return list.map((entry) => normalizeAddress(String(entry))).filter((a): a is string => !!a);
}

/**
 * Who, of the delegators `attendee` names in DELEGATED-FROM, delegated to it
 * in the organizer's copy: an ATTENDEE with that address whose DELEGATED-TO
 * names the attendee, in any component (a delegation may be per instance).
 */
export function backingDelegators(object: CalendarObject, attendee: Participant): string[] {
  const claimed = delegationList(attendee.prop, 'delegated-from');
  if (claimed.length === 0) return [];
  const stored = object.list().flatMap(attendeesOf);
  return claimed.filter((delegator) =>
    stored.some((a) => a.address === delegator && delegationList(a.prop, 'delegated-to').includes(attendee.address)),
  );
}

/**
 * Why the organizer's copy does not back the delegation the attendee claims,
 * or undefined when it does (or when it claims none).
 */
export function unbackedDelegation(object: CalendarObject, attendee: Participant): string | undefined {
  const claimed = delegationList(attendee.prop, 'delegated-from');
  if (claimed.length === 0 || backingDelegators(object, attendee).length > 0) return undefined;
  return (
    `${attendee.address} claims DELEGATED-FROM ${claimed.join(', ')}, but the organizer's copy shows no delegation ` +
    `from ${claimed.length > 1 ? 'them' : 'that attendee'} to ${attendee.address} (RFC 5546 section 4.2.5: the delegator's REPLY names the delegate in DELEGATED-TO)`
  );
}

/**
 * The delegator's own copy keeps its delegation through an organizer's update
 * that has not heard of it yet (the same SEQUENCE, or a new one that does not
 * ask again): while the recipient's PARTSTAT stays DELEGATED, so does the
 * DELEGATED-TO that says to whom (RFC 5545 section 3.2.5).
 */
export function keepOwnDelegation(mine: Participant, theirs: Participant): void {
  if (mine.partstat !== 'DELEGATED' || theirs.prop.getParameter('partstat') !== 'DELEGATED') return;
  const delegates = mine.prop.getParameter('delegated-to');
  if (delegates && !theirs.prop.getParameter('delegated-to')) theirs.prop.setParameter('delegated-to', delegates as string);
}

/**
 * A CANCEL from the attendee who delegated to this user, withdrawing the
 * delegation (a resource group that moved the booking to another member,
 * src/itip/resource/redelegation.ts). Only the user's stored copy counts:
 * there, this user's ATTENDEE names the delegator in DELEGATED-FROM and the
 * delegator's names this user in DELEGATED-TO; and the mail comes from the
 * delegator (RFC 5546 section 6.1.1, src/itip/rules/sender.ts).
 */
export function withdrawnByDelegator(
  method: string,
  user: string,
  stored: CalendarObject | undefined,
  comesFrom: (address: string) => boolean,
): boolean {
  if (method !== 'CANCEL' || !stored) return false;
  return stored.list().some((component) => {
    const mine = attendeesOf(component).find((a) => a.address === user);
    if (!mine) return false;
    return delegationList(mine.prop, 'delegated-from').some((delegator) => {
      const theirs = attendeesOf(component).find((a) => a.address === delegator);
      return !!theirs && delegationList(theirs.prop, 'delegated-to').includes(user) && comesFrom(delegator);
    });
  });
}

/** Whom the attendee delegates to in this component (its DELEGATED-TO), or none. */
export function delegatesOf(component: ICAL.Component, attendee: string): string[] {
  const found = attendeesOf(component).find((a) => a.address === attendee);
  return found ? delegationList(found.prop, 'delegated-to') : [];
}

/**
 * After the delegator's new REPLY: the delegates it named before and names no
 * more are removed, where they attend only in its place (their DELEGATED-FROM
 * names it). A re-delegation moves the seat; the earlier delegate's answer
 * and periods go with it. Returns the addresses removed.
 */
export function dropWithdrawnDelegates(component: ICAL.Component, delegator: string, before: string[]): string[] {
  const now = delegatesOf(component, delegator);
  const removed: string[] = [];
  for (const address of before) {
    if (now.includes(address)) continue;
    const delegate = attendeesOf(component).find((a) => a.address === address);
    if (!delegate || !delegationList(delegate.prop, 'delegated-from').includes(delegator)) continue;
    component.removeProperty(delegate.prop);
    removed.push(address);
  }
  return removed;
}

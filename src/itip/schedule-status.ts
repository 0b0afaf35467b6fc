// The organizer's record of how the scheduling messages it sent fared: the
// SCHEDULE-STATUS parameter on each ATTENDEE of its stored copy (RFC 6638
// sections 3.2.9 and 7.3). Pure: the outbox sender passes in the stored object,
// the message that went out and the per-recipient results, and stores what
// comes back.

import ICAL from 'ical.js';
import { normalizeAddress } from '../ical/address.js';
import { scheduledComponentsOf, organizerOf, parseCalendar, recurrenceKey, uidOf } from '../ical/calendar.js';
import { ZoneResolver } from '../ical/zones.js';
import { CalendarObject } from './calendar-object.js';
import type { StoredObject } from './model.js';

/**
 * Delivery status codes (RFC 6638 section 3.2.9), the same codes RFC 5546
 * section 3.6 uses for REQUEST-STATUS.
 */
export const SCHEDULE_STATUS = {
  /** The message is pending: the sender is still trying. */
  PENDING: '1.0',
  /** The message was sent; nothing is known about its delivery. */
  SENT: '1.1',
  /** The message was delivered (the next hop took responsibility for it). */
  DELIVERED: '1.2',
  /** The recipient is not a valid calendar user (its mailbox does not exist). */
  INVALID_USER: '3.7',
  /** The message could not be delivered. */
  NOT_DELIVERED: '5.1',
} as const;

/** Whether a code is final: the message was delivered or will not be. */
export function isFinalStatus(code: string | undefined): boolean {
  return code !== undefined && code !== '' && code !== SCHEDULE_STATUS.PENDING;
}

/**
 * Methods an organizer sends to attendees (RFC 5546 section 1.4); only their
 * delivery is recorded on ATTENDEE properties. A REPLY, REFRESH or COUNTER goes
 * from an attendee to the organizer.
 */
const ORGANIZER_METHODS = new Set(['REQUEST', 'ADD', 'CANCEL', 'PUBLISH', 'DECLINECOUNTER']);

/**
 * The stored object with SCHEDULE-STATUS set on the ATTENDEEs a message went to,
 * or undefined when nothing changes: the user is not the ORGANIZER of the stored
 * object, the message is not one an organizer sends, or no attendee named in
 * `statuses` is (still) in the components the message was about.
 *
 * `statuses` maps recipient addresses (any form; compared as lower-case mailto:
 * URIs) to codes. The components changed are those the message carried: all of
 * them for a message about the master, else the overrides of the instances it
 * named (the master when an instance has no override of its own). RFC 6638
 * section 7.3 allows the parameter only on attendees that were sent a message,
 * so attendees not named in `statuses` keep theirs.
 */
export function withScheduleStatus(
  stored: StoredObject,
  user: string,
  messageIcs: string,
  statuses: Record<string, string>,
): StoredObject | undefined {
  const message = parseCalendar(messageIcs);
  const method = String(message.getFirstPropertyValue('method') ?? '').toUpperCase();
  return withScheduleStatusOn(stored, user, { method, instances: messageInstances(message, stored.uid) }, statuses);
}

/** What a sent message was about: its METHOD and the recurrence keys of its components ('' for the master). */
export interface SentScope {
  method: string;
  instances: string[];
}

/** The recurrence keys ('' for the master) of the message's components of this UID. */
export function messageInstances(message: ICAL.Component, uid: string): string[] {
  const zones = new ZoneResolver(message, null);
  const keys = new Set<string>();
  for (const event of scheduledComponentsOf(message)) {
    if (uidOf(event) === uid) keys.add(recurrenceKey(event, zones));
  }
  return [...keys];
}

/**
 * withScheduleStatus for a message known by its scope alone (a bounce names
 * the message it returns; the store kept what it was about, not its text).
 */
export function withScheduleStatusOn(
  stored: StoredObject,
  user: string,
  scope: SentScope,
  statuses: Record<string, string>,
  /** Whether an attendee's present code (undefined: none) may be replaced; any, when absent. */
  replaces: (current: string | undefined, address: string) => boolean = () => true,
): StoredObject | undefined {
  const organizerAddress = normalizeAddress(user);
  if (!ORGANIZER_METHODS.has(scope.method.toUpperCase())) return undefined;

  const object = CalendarObject.fromStored(stored, null);
  const reference = object.master ?? object.list()[0];
  if (!reference || organizerOf(reference) !== organizerAddress) return undefined;

  const codes = new Map<string, string>();
  for (const [address, code] of Object.entries(statuses)) {
    const normal = normalizeAddress(address);
    if (normal && /^\d+(\.\d+)*$/.test(code)) codes.set(normal, code);
  }
  if (codes.size === 0) return undefined;

  const targets = targetComponents(object, scope.instances);
  let changed = false;
  for (const component of targets) {
    for (const prop of component.getAllProperties('attendee')) {
      const address = normalizeAddress(String(prop.getFirstValue() ?? ''));
      const code = address ? codes.get(address) : undefined;
      const current = prop.getParameter('schedule-status');
      if (!address || code === undefined || current === code) continue;
      if (!replaces(typeof current === 'string' ? current : undefined, address)) continue;
      prop.setParameter('schedule-status', code);
      changed = true;
    }
  }
  return changed ? object.toStored() : undefined;
}

function targetComponents(object: CalendarObject, instances: string[]): ICAL.Component[] {
  const keys = new Set(instances);
  if (keys.size === 0 || keys.has('')) return object.list();
  const targets = new Set<ICAL.Component>();
  for (const key of keys) {
    const component = object.get(key) ?? object.master;
    if (component) targets.add(component);
  }
  return [...targets];
}

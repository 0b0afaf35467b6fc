// Re-delegation by a resource group (RFC 5546 sections 3.2.2.3 and 4.2.5):
// when the organizer's update moves the event and the member the group chose
// before is not free at the new time, the group delegates to another member.
// The member chosen before still holds the old booking, and nobody else will
// tell it: the group, its delegator, sends it a CANCEL (section 3.2.5) and
// drops it from its own copy, so that the member's periods go (it processes
// the CANCEL at once, being of the same store) and the organizer's answer
// names the new member alone. This is what a calendar user means by "the
// room moved to another room": the first room is free again.

import ICAL from 'ical.js';
import { findAttendee } from '../../ical/calendar.js';
import type { CalendarObject } from '../calendar-object.js';
import type { Context } from '../context.js';
import type { Effect } from '../effects.js';
import { sendableCopies } from '../messages.js';
import { delegationList } from '../rules/delegation.js';

/**
 * The members the group delegated this event to before (its DELEGATED-TO in
 * the stored copy), other than `member` (undefined: all of them).
 */
export function replacedMembers(context: Context, member?: string): string[] {
  const { stored, input } = context;
  if (!stored) return [];
  const earlier = new Set<string>();
  for (const component of stored.list()) {
    const group = findAttendee(component, input.user);
    if (!group) continue;
    for (const address of delegationList(group.prop, 'delegated-to')) if (address !== member && address !== input.user) earlier.add(address);
  }
  return [...earlier];
}

/** Drops the replaced members the group delegated to from the working copy (the organizer's update may still list them). */
export function dropReplaced(object: CalendarObject, group: string, replaced: string[]): void {
  for (const component of object.list()) {
    for (const address of replaced) {
      const present = findAttendee(component, address);
      if (present && delegationList(present.prop, 'delegated-from').includes(group)) component.removeProperty(present.prop);
    }
  }
}

/**
 * The group's CANCEL to a member it no longer delegates to: the organizer's
 * current version (its SEQUENCE and DTSTAMP, so it orders after what the
 * member holds), STATUS:CANCELLED, naming that member alone. Handed to the
 * member at once, as the REQUEST was.
 */
export function withdrawal(context: Context, object: CalendarObject, member: string): Effect {
  const copies = sendableCopies(object);
  const master = copies.filter((c) => !c.hasProperty('recurrence-id'));
  const components = (master.length > 0 ? master : copies).map((copy) => {
    copy.removeAllProperties('attendee');
    const attendee = new ICAL.Property('attendee');
    attendee.setValue(member);
    copy.addProperty(attendee);
    copy.updatePropertyWithValue('status', 'CANCELLED');
    copy.removeAllSubcomponents('valarm');
    return copy;
  });
  return { type: 'send', method: 'CANCEL', uid: context.input.uid, to: [member], ics: object.toMessage('CANCEL', components), handoff: true };
}

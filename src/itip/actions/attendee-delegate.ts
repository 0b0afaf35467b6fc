// Delegation by an attendee (RFC 5546 section 4.2.5, with section 3.2.2.3):
// the user hands the invitation to someone else. The organizer gets a REPLY
// with the user's ATTENDEE as PARTSTAT=DELEGATED;DELEGATED-TO=delegate and the
// delegate's ATTENDEE with DELEGATED-FROM=user; the delegate gets the
// organizer's event as a REQUEST carrying both ATTENDEEs, the delegate asked
// to answer (PARTSTAT=NEEDS-ACTION;RSVP=TRUE). The user's own copy keeps
// PARTSTAT=DELEGATED;DELEGATED-TO and blocks no time (src/itip/freebusy/periods.ts).

import ICAL from 'ical.js';
import { normalizeAddress } from '../../ical/address.js';
import { findAttendee } from '../../ical/calendar.js';
import type { Zone } from '../../ical/zones.js';
import { CalendarObject, organizerOfObject } from '../calendar-object.js';
import { type Effect, type ItipResult, result } from '../effects.js';
import { sendableCopies } from '../messages.js';
import type { ActionInput, UserAction } from './action.js';
import { clientSchedules, clientSchedulesReason, replySend, replyText } from './attendee-reply.js';
import { attendeeTargets, describeTargets, type Target } from './attendee-target.js';
import { floatingZone, notesOf, recordAsSent, storedObject } from './record-as-sent.js';
import { withoutSchedulingParameters } from './scheduling-parameters.js';
import { delegationList } from '../rules/delegation.js';
import { utcTime } from '../../ical/times.js';

/** The addresses of a DELEGATED-TO or DELEGATED-FROM parameter. */
function addresses(value: unknown): string[] {
  return (Array.isArray(value) ? value : value ? [value] : []).map((v) => normalizeAddress(String(v))).filter((v): v is string => !!v);
}

/**
 * The delegate's ATTENDEE (RFC 5545 section 3.2.4): asked to answer, with the
 * user's role and calendar user type, since the delegate attends in the
 * user's place.
 */
function delegateAttendee(component: ICAL.Component, user: string, delegate: string): ICAL.Property {
  const mine = findAttendee(component, user)!.prop;
  const prop = new ICAL.Property('attendee');
  for (const name of ['cutype', 'role']) {
    const value = mine.getParameter(name);
    if (typeof value === 'string') prop.setParameter(name, value);
  }
  prop.setParameter('partstat', 'NEEDS-ACTION');
  prop.setParameter('rsvp', 'TRUE');
  prop.setParameter('delegated-from', user);
  prop.setValue(delegate);
  return prop;
}

/** The organizer's event for the delegate: each target with the user delegating and the delegate added. */
function delegatedRequest(object: CalendarObject, targets: Target[], user: string, delegate: ICAL.Property, floating: Zone | null): string {
  const chosen = new CalendarObject(object.uid, floating);
  for (const target of targets) chosen.set(target.key, target.component);
  const delegateAddress = String(delegate.getFirstValue());
  // The organizer's DTSTAMP and SEQUENCE stay: it is the organizer's version, passed on.
  const components = sendableCopies(chosen).map((copy) => {
    const mine = findAttendee(copy, user)!.prop;
    mine.setParameter('partstat', 'DELEGATED');
    mine.removeParameter('rsvp');
    mine.setParameter('delegated-to', delegateAddress);
    const present = findAttendee(copy, normalizeAddress(delegateAddress)!);
    if (present) copy.removeProperty(present.prop);
    copy.addProperty(ICAL.Property.fromString(delegate.toICALString()));
    return withoutSchedulingParameters(copy);
  });
  return object.toMessage('REQUEST', components);
}

/**
 * The CANCEL to a delegate the user delegated to before: the organizer's
 * version (its SEQUENCE) of what is delegated, stamped now, naming that
 * delegate alone, so that its copy is cancelled and its time freed.
 */
function withdrawnDelegation(object: CalendarObject, targets: Target[], delegate: string, now: number, floating: Zone | null): string {
  const chosen = new CalendarObject(object.uid, floating);
  for (const target of targets) chosen.set(target.key, target.component);
  const components = sendableCopies(chosen).map((copy) => {
    copy.removeAllProperties('attendee');
    const attendee = new ICAL.Property('attendee');
    attendee.setValue(delegate);
    copy.addProperty(attendee);
    copy.updatePropertyWithValue('status', 'CANCELLED');
    copy.updatePropertyWithValue('dtstamp', utcTime(now));
    return withoutSchedulingParameters(copy);
  });
  return object.toMessage('CANCEL', components);
}

export function delegate(input: ActionInput, action: Extract<UserAction, { kind: 'delegate' }>): ItipResult {
  const object = storedObject(input)!;
  const { user } = input;
  const organizer = organizerOfObject(object)!;
  const to = normalizeAddress(action.to);
  if (!to || !to.includes('@')) return result('refused', `"${action.to}" is not a mail address to delegate ${object.uid} to`);
  if (to === user) return result('refused', `${user} cannot delegate ${object.uid} to themselves`);
  if (to === organizer) {
    return result('refused', `${to} organizes ${object.uid}; an invitation is delegated to someone else, not back to its organizer (decline it instead)`);
  }
  const agent = clientSchedules(object);
  if (agent) return result('refused', `${clientSchedulesReason(agent)}; a delegation is made of messages, so it cannot be done here; nothing changed`);
  const found = attendeeTargets(object, user, action.recurrenceId);
  if ('problem' in found) return result('refused', found.problem);
  const { targets } = found;
  const where = describeTargets(targets, action.recurrenceId === undefined);
  const done = targets.every((target) => {
    const mine = findAttendee(target.component, user)!;
    return mine.partstat === 'DELEGATED' && addresses(mine.prop.getParameter('delegated-to')).includes(to);
  });
  if (done) return result('duplicate', `${user} has delegated ${where} to ${to} already; nothing sent`);
  const invited = targets.find((target) => {
    const theirs = findAttendee(target.component, to);
    return theirs && !addresses(theirs.prop.getParameter('delegated-from')).includes(user);
  });
  if (invited) {
    const there = invited.key === '' ? object.uid : `instance ${invited.key} of ${object.uid}`;
    return result('refused', `${to} is invited to ${there} already; delegate to someone who is not`);
  }

  const delegateProp = delegateAttendee(targets[0]!.component, user, to);
  const reply = replyText(object, targets, user, 'DELEGATED', input.now, { delegate: delegateProp });
  const stored = recordAsSent(input, object.uid, 'REPLY', reply);
  if (stored.outcome !== 'applied') return result('error', `the delegation could not be stored: ${stored.reason}`);
  const request = delegatedRequest(object, targets, user, delegateProp, floatingZone(input));
  // A re-delegation: whoever the user delegated to before gives the seat back (RFC 5546 section 4.2.5).
  const earlier = [...new Set(targets.flatMap((t) => delegationList(findAttendee(t.component, user)!.prop, 'delegated-to')))].filter((a) => a !== to);
  const effects: Effect[] = [
    ...stored.effects,
    replySend(object, organizer, reply),
    { type: 'send', method: 'REQUEST', uid: object.uid, to: [to], ics: request },
    ...earlier.map((address): Effect => ({ type: 'send', method: 'CANCEL', uid: object.uid, to: [address], ics: withdrawnDelegation(object, targets, address, input.now, floatingZone(input)) })),
  ];
  const cancels = earlier.length ? `; a CANCEL to ${earlier.join(', ')}, delegated to before,` : '';
  return result('applied', `delegated ${where} to ${to}; a REPLY to ${organizer} and a REQUEST to ${to}${cancels} are queued${notesOf(stored)}`, effects);
}

// Mail the user sent as ORGANIZER (the outgoing rule, src/itip/outgoing/outgoing-rule.ts):
// REQUEST, PUBLISH and ADD (RFC 5546 sections 3.2.1, 3.2.2, 3.2.4) store the
// event as sent; CANCEL (3.2.5) removes attendees, instances or the event;
// DECLINECOUNTER (3.2.8) settles an attendee's proposal.

import ICAL from 'ical.js';
import { attendeesOf, cloneComponent, timeProperty } from '../../ical/calendar.js';
import { tzidOf } from '../../ical/times.js';
import type { CalendarObject } from '../calendar-object.js';
import { type Context, objectEffects, organizerOfObject, singleInstance, workingCopy } from '../context.js';
import { type Effect, type ItipResult, result } from '../effects.js';
import { describeStale, orderInstance, overridesReplacedBy } from '../rules/ordering.js';
import { addInstances } from '../attendee/add.js';
import { cutSeries } from '../attendee/cancel.js';
import { isFutureRange } from '../../ical/future-range.js';
import { clearRequests, notOrganizer } from './outgoing-rule.js';

/** REQUEST, PUBLISH, ADD sent by the organizer: store the event as sent, per RECURRENCE-ID. */
export function recordSentRequest(context: Context): ItipResult {
  const { input, incoming, stored } = context;
  const organizer = organizerOfObject(incoming) ?? organizerOfObject(stored) ?? (input.method === 'PUBLISH' ? input.user : undefined);
  if (organizer !== input.user) return notOrganizer(context, organizer);
  const object = workingCopy(context);
  if (input.method === 'ADD') {
    const added = addInstances(context, object);
    if (added.length === 0) return result('duplicate', 'every added instance is already stored', [clearRequests(context)]);
    return result('applied', `added instances ${added.join(', ')}`, [...objectEffects(context, object), clearRequests(context)]);
  }
  const changed: string[] = [];
  const stale: string[] = [];
  for (const key of incoming.keys()) {
    const ordered = orderInstance(incoming, key, stored);
    if (ordered.order < 0) {
      stale.push(describeStale(key, ordered));
      continue;
    }
    object.set(key, cloneComponent(incoming.get(key)!));
    changed.push(key || 'master');
  }
  const master = incoming.master;
  if (stored && master && changed.includes('master')) {
    for (const key of overridesReplacedBy(master, incoming, stored)) object.delete(key);
  }
  if (changed.length === 0) {
    return result('stale', `older than what is stored: ${stale.join(', ')} (RFC 5546 section 2.1.5)`, [clearRequests(context)]);
  }
  return result('applied', `stored the event as sent (${changed.join(', ')})`, [...objectEffects(context, object), clearRequests(context)]);
}

/** The attendees a CANCEL removes, when it lists some but not all of the stored ones. */
function removedAttendees(component: ICAL.Component, object: CalendarObject): string[] | undefined {
  const listed = attendeesOf(component).map((a) => a.address);
  const stored = new Set(object.list().flatMap((c) => attendeesOf(c).map((a) => a.address)));
  if (listed.length === 0 || listed.length >= stored.size) return undefined;
  return listed.every((a) => stored.has(a)) ? listed : undefined;
}

/**
 * CANCEL sent by the organizer: removes attendees (a CANCEL to some of them),
 * instances (an EXDATE on the master), or the whole event and its periods.
 */
export function recordSentCancel(context: Context): ItipResult {
  const { input, incoming, stored } = context;
  const organizer = organizerOfObject(incoming) ?? organizerOfObject(stored);
  if (organizer !== input.user) return notOrganizer(context, organizer);
  if (!stored) return result('ignored', 'no event with this UID is stored', [clearRequests(context)]);
  const object = workingCopy(context);
  const master = incoming.master;
  if (master) {
    const removed = removedAttendees(master, object);
    if (!removed) {
      return result('applied', 'removed the cancelled event', [
        { type: 'delete-object', uid: input.uid },
        { type: 'own-periods', uid: input.uid, periods: [] },
        { type: 'remove-others-periods', uid: input.uid },
        { type: 'remove-counters', uid: input.uid },
        clearRequests(context),
      ]);
    }
    for (const target of object.list()) {
      for (const attendee of attendeesOf(target)) if (removed.includes(attendee.address)) target.removeProperty(attendee.prop);
    }
    // Their periods go with them: the event no longer implies them (src/itip/freebusy/periods.ts).
    return result('applied', `removed ${removed.join(', ')} from the event`, [...objectEffects(context, object), clearRequests(context)]);
  }
  const done: string[] = [];
  for (const key of incoming.keys()) {
    const ridProp = incoming.get(key)!.getFirstProperty('recurrence-id')!;
    // RANGE=THISANDFUTURE ends the series before this instance (RFC 5545 section 3.2.13), as an attendee's copy does.
    if (isFutureRange(incoming.get(key)!) && cutSeries(object, ridProp, key)) {
      done.push(`${key} and all later instances`);
      continue;
    }
    object.delete(key);
    object.master?.addProperty(timeProperty('exdate', ridProp.getFirstValue() as ICAL.Time, tzidOf(ridProp)));
    done.push(key);
  }
  return result('applied', `removed instance${done.length > 1 ? 's' : ''} ${done.join(', ')}`, [
    ...objectEffects(context, object),
    clearRequests(context),
  ]);
}

/** DECLINECOUNTER sent by the organizer: the attendee's proposal is settled. */
export function recordSentDeclineCounter(context: Context): ItipResult {
  const { input, incoming } = context;
  const attendees = incoming.list().flatMap(attendeesOf).map((a) => a.address);
  const recurrenceId = singleInstance(incoming);
  const effects: Effect[] = attendees.map((attendee) => ({ type: 'remove-counters', uid: input.uid, recurrenceId, attendee }));
  return result('applied', `declined the counter-proposal of ${attendees.join(', ') || 'nobody'}`, [...effects, clearRequests(context)]);
}

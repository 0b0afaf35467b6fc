// An attendee receives CANCEL from the organizer (RFC 5546 section 3.2.5): the
// whole event, some instances, or (when the CANCEL lists only other attendees)
// those attendees' part. Cancelled events and instances are kept with
// STATUS:CANCELLED, as a CalDAV server keeps them, so that a late, older
// REQUEST cannot bring them back.

import ICAL from 'ical.js';
import { attendeesOf, findAttendee } from '../../ical/calendar.js';
import { expandObject } from '../../ical/expand.js';
import { instantOf, tzidOf, utcTime } from '../../ical/times.js';
import type { CalendarObject } from '../calendar-object.js';
import { type Context, inboxEffect, objectEffects, setProperty, takeVersion, workingCopy } from '../context.js';
import { type Effect, type ItipResult, result } from '../effects.js';
import { describeStale, orderInstance } from '../rules/ordering.js';
import { checkOrganizer } from './check-organizer.js';

function cancelComponent(target: ICAL.Component, message: ICAL.Component): void {
  setProperty(target, 'status', 'CANCELLED');
  takeVersion(target, message);
}

/**
 * The CANCEL removes only other attendees when it lists attendees, none of them
 * is this user, and the user is an attendee of the stored event.
 */
function removesOthersOnly(context: Context, component: ICAL.Component, object: CalendarObject): string[] | undefined {
  const listed = attendeesOf(component).map((a) => a.address);
  if (listed.length === 0 || listed.includes(context.input.user)) return undefined;
  const stored = object.list();
  if (!stored.some((c) => findAttendee(c, context.input.user))) return undefined;
  const storedAttendees = new Set(stored.flatMap((c) => attendeesOf(c).map((a) => a.address)));
  return listed.every((a) => storedAttendees.has(a)) ? listed : undefined;
}

/** RANGE=THISANDFUTURE (RFC 5545 section 3.2.13): end the series before this instance. */
export function cutSeries(object: CalendarObject, ridProp: ICAL.Property, key: string): boolean {
  const master = object.master;
  if (!master?.hasProperty('rrule')) return false;
  const rid = ridProp.getFirstValue() as ICAL.Time;
  const at = instantOf(rid, tzidOf(ridProp), object.zones);
  // Only when the series reaches that instance: then UNTIL just before it is the cut.
  const probe = expandObject([master], object.zones, { from: at - 1, to: at + 1 });
  if (!probe.instances.some((i) => i.key === key)) return false;
  for (const prop of master.getAllProperties('rrule')) {
    const recur = (prop.getFirstValue() as ICAL.Recur).clone();
    recur.count = null;
    if (rid.isDate) {
      const until = rid.clone();
      until.adjust(-1, 0, 0, 0);
      recur.until = until;
    } else {
      recur.until = utcTime(at - 1000);
    }
    prop.setValue(recur);
  }
  for (const other of object.keys()) if (other !== '' && other >= key) object.delete(other);
  return true;
}

export function receiveCancel(context: Context): ItipResult {
  const { input, incoming, stored } = context;
  if (!stored) return result('ignored', 'no event with this UID is stored, so there is nothing to cancel');
  const checked = checkOrganizer(context);
  if ('outcome' in checked) return checked;
  const object = workingCopy(context);
  const done: string[] = [];
  const stale: string[] = [];
  let same = 0;
  let wholeEvent = false;
  let othersOnly = false;

  for (const key of incoming.keys()) {
    const component = incoming.get(key)!;
    const ordered = orderInstance(incoming, key, stored);
    if (ordered.order < 0) {
      stale.push(describeStale(key, ordered));
      continue;
    }
    const alreadyCancelled = String(stored.get(key)?.getFirstPropertyValue('status') ?? '').toUpperCase() === 'CANCELLED';
    if (ordered.order === 0 && alreadyCancelled) {
      same++;
      continue;
    }
    if (key === '') {
      const others = removesOthersOnly(context, component, object);
      if (others) {
        for (const target of object.list()) {
          for (const attendee of attendeesOf(target)) {
            if (others.includes(attendee.address)) target.removeProperty(attendee.prop);
          }
        }
        done.push(`removed ${others.join(', ')} from the event`);
        othersOnly = true;
        continue;
      }
      for (const target of object.list()) cancelComponent(target, component);
      wholeEvent = true;
      done.push('cancelled the event');
      continue;
    }
    const ridProp = component.getFirstProperty('recurrence-id')!;
    if (String(ridProp.getParameter('range') ?? '').toUpperCase() === 'THISANDFUTURE' && cutSeries(object, ridProp, key)) {
      done.push(`cancelled ${key} and all later instances`);
      continue;
    }
    const target = object.get(key) ?? object.instanceOf(ridProp);
    if (!target) {
      stale.push(`${key} (no such instance stored)`);
      continue;
    }
    cancelComponent(target, component);
    object.set(key, target);
    done.push(`cancelled instance ${key}`);
  }

  if (done.length === 0) {
    if (same > 0) return result('duplicate', 'already cancelled with this SEQUENCE and DTSTAMP');
    return result('stale', `older than what is stored: ${stale.join(', ')} (RFC 5546 section 2.1.5)`);
  }
  const instanceKeys = incoming.keys().filter((k) => k !== '');
  // The user's own request entries go with what was cancelled for them; a CANCEL
  // aimed at other attendees leaves the user's invitation pending.
  let removals: Effect[] = instanceKeys.map((recurrenceId) => ({ type: 'remove-requests' as const, uid: input.uid, recurrenceId }));
  if (wholeEvent) removals = [{ type: 'remove-requests', uid: input.uid }];
  else if (othersOnly && instanceKeys.length === 0) removals = [];
  const effects = [...objectEffects(context, object), ...removals, inboxEffect(context, checked.organizer)];
  const skipped = stale.length ? `; skipped ${stale.join(', ')}` : '';
  return result('applied', done.join('; ') + skipped, effects);
}

// Mail the user sent as ATTENDEE (the outgoing rule, src/itip/outgoing/outgoing-rule.ts):
// REPLY (RFC 5546 section 3.2.3) stores the user's own PARTSTAT, COUNTER
// (3.2.7) remembers the proposal, REFRESH (3.2.6) only clears the request entry.

import ICAL from 'ical.js';
import { normalizeAddress } from '../../ical/address.js';
import { attendeesOf, cloneComponent, findAttendee } from '../../ical/calendar.js';
import { type Context, objectEffects, singleInstance, workingCopy } from '../context.js';
import { type ItipResult, result } from '../effects.js';
import { speakingAttendee } from '../rules/sender.js';
import { clearRequests } from './outgoing-rule.js';
import { takeTaskProgress } from '../task/progress.js';

/** The addresses of a DELEGATED-TO or DELEGATED-FROM parameter (one value or several). */
function addressList(value: unknown): string[] {
  return (Array.isArray(value) ? value : value ? [value] : [])
    .map((v) => normalizeAddress(String(v)))
    .filter((v): v is string => v !== undefined);
}

/**
 * REPLY sent by an attendee: store the user's own PARTSTAT per instance, so that
 * free/busy follows (ACCEPTED: BUSY, TENTATIVE: BUSY-TENTATIVE, DECLINED: none).
 * Without a stored event, the reply itself is the best record of it.
 */
export function recordSentReply(context: Context): ItipResult {
  const { input, incoming } = context;
  const attendee = speakingAttendee(input, incoming.list().flatMap(attendeesOf));
  if (!attendee || attendee.address !== input.user) {
    return result('ignored', `the REPLY does not speak for ${input.user}`, [clearRequests(context)]);
  }
  const object = workingCopy(context);
  const done: string[] = [];
  for (const key of incoming.keys()) {
    const component = incoming.get(key)!;
    const mine = findAttendee(component, input.user);
    if (!mine) continue;
    const ridProp = component.getFirstProperty('recurrence-id');
    let target = object.get(key) ?? (ridProp ? object.instanceOf(ridProp) : undefined);
    if (!target) {
      if (!component.hasProperty('dtstart')) continue;
      target = cloneComponent(component);
    }
    const existing = findAttendee(target, input.user);
    if (existing) {
      existing.prop.setParameter('partstat', mine.partstat);
      existing.prop.removeParameter('rsvp');
      const delegatedTo = mine.prop.getParameter('delegated-to');
      if (delegatedTo) existing.prop.setParameter('delegated-to', delegatedTo as string);
    } else {
      target.addProperty(ICAL.Property.fromString(mine.prop.toICALString()));
    }
    // A delegation's REPLY names the delegates too (RFC 5546 section 3.2.2.3):
    // the user's copy lists them, as the organizer's will.
    const delegates = addressList(mine.prop.getParameter('delegated-to'));
    for (const other of attendeesOf(component)) {
      if (delegates.includes(other.address) && !findAttendee(target, other.address)) {
        target.addProperty(ICAL.Property.fromString(other.prop.toICALString()));
      }
    }
    // The progress the user reported on a task is the user's own copy's too (RFC 5546 section 3.4.3).
    takeTaskProgress(target, component);
    object.set(key, target);
    done.push(`${key || 'master'}: ${mine.partstat}`);
  }
  if (done.length === 0) return result('ignored', 'the REPLY names no instance that could be stored', [clearRequests(context)]);
  return result('applied', `stored the reply ${done.join(', ')}`, [...objectEffects(context, object), clearRequests(context)]);
}

/** COUNTER sent by an attendee: remember the proposal until the organizer answers. */
export function recordSentCounter(context: Context): ItipResult {
  const { input, incoming } = context;
  const entry = { uid: input.uid, recurrenceId: singleInstance(incoming), attendee: input.user, received: context.received, ics: incoming.toMessage('COUNTER') };
  return result('applied', 'stored the counter-proposal as sent', [{ type: 'put-counter', entry }, clearRequests(context)]);
}

/** REFRESH sent by an attendee: nothing to store beyond clearing the request. */
export function recordSentRefresh(context: Context): ItipResult {
  return result('applied', 'asked the organizer for the current event', [clearRequests(context)]);
}

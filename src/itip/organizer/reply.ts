// The organizer receives what attendees send: REPLY (RFC 5546 section 3.2.3),
// REFRESH (3.2.6) and COUNTER (3.2.7).

import ICAL from 'ical.js';
import { attendeesOf, findAttendee, type Participant } from '../../ical/calendar.js';
import { formatUtc } from '../../ical/times.js';
import { normalizeAddress } from '../../ical/address.js';
import type { CalendarObject } from '../calendar-object.js';
import {
  type Context,
  inboxEffect,
  objectEffects,
  organizerOfObject,
  singleInstance,
  workingCopy,
} from '../context.js';
import { type Effect, type ItipResult, result } from '../effects.js';
import { currentRequest } from '../messages.js';
import { compareVersions, describeVersion, versionOf } from '../rules/ordering.js';
import { attendeeSpeaker, senderProblem, speakingAttendee } from '../rules/sender.js';

type Checked = { attendee: Participant } | ItipResult;

/**
 * Checks shared by the attendee-sent methods: the event is stored, this user
 * organizes it, and the mail comes from the one attendee it speaks for.
 * Outlook leaves ORGANIZER out of replies: the stored organizer counts then.
 */
function checkAttendee(context: Context): Checked {
  const { input, incoming, stored } = context;
  if (!stored) return result('ignored', `no event with this UID is stored, so the ${input.method} has nothing to apply to`);
  const organizer = organizerOfObject(stored);
  if (organizer !== input.user) {
    return result('ignored', `${input.user} is not the organizer of this event (the organizer is ${organizer ?? 'unknown'})`);
  }
  const messageOrganizer = organizerOfObject(incoming);
  if (messageOrganizer && messageOrganizer !== organizer) {
    return result('refused', `the ORGANIZER ${messageOrganizer} differs from the stored organizer ${organizer}`);
  }
  const attendees = incoming.list().flatMap(attendeesOf);
  const attendee = speakingAttendee(input, attendees);
  if (input.method === 'REPLY') {
    const malformed = replyShapeProblem(incoming, attendee?.address);
    if (malformed) return result('refused', malformed);
  }
  if (!attendee) {
    const names = [...new Set(attendees.map((a) => a.address))];
    return result(
      'refused',
      names.length === 0
        ? `the ${input.method} carries no ATTENDEE`
        : `the ${input.method} carries ${names.join(', ')}, none of whom sent it (${input.sender.addresses.join(', ') || 'no sender'})`,
    );
  }
  // A SENT-BY counts when the organizer's own copy already names it for this attendee (src/itip/rules/sender.ts).
  const problem = senderProblem(input, attendeeSpeaker(attendee.address, incoming.list(), stored.list()));
  if (problem) return result('refused', problem);
  return { attendee };
}

/**
 * A REPLY carries exactly one ATTENDEE, the replying one (RFC 5546 section
 * 3.2.3), in each of its components (one per instance answered). The one
 * exception is a delegation (section 3.2.2.3): the delegator's REPLY also
 * carries the delegates its DELEGATED-TO names. Anything more would have the
 * organizer's copy take answers from someone who did not send them.
 */
function replyShapeProblem(incoming: CalendarObject, replier: string | undefined): string | undefined {
  for (const key of incoming.keys()) {
    const attendees = attendeesOf(incoming.get(key)!);
    if (attendees.length <= 1) continue;
    const delegator = attendees.find((candidate) => delegatesAllOthers(candidate, attendees));
    if (delegator && (replier === undefined || delegator.address === replier)) continue;
    const where = key ? ` for instance ${key}` : '';
    const names = attendees.map((a) => a.address).join(', ');
    return `the REPLY carries ${attendees.length} attendees${where} (${names}) where RFC 5546 section 3.2.3 allows one, the replying one; nothing is merged`;
  }
  return undefined;
}

/** Every other ATTENDEE of the component is a delegate that `delegator` names in DELEGATED-TO. */
function delegatesAllOthers(delegator: Participant, attendees: Participant[]): boolean {
  const to = delegator.prop.getParameter('delegated-to');
  const delegates = (Array.isArray(to) ? to : to ? [to] : []).map((d) => normalizeAddress(String(d)));
  return attendees.every((a) => a === delegator || (a.address !== delegator.address && delegates.includes(a.address)));
}

/** Is the address invited (or a delegate of someone invited, RFC 5545 section 3.2.4)? */
function isInvited(object: CalendarObject, attendee: Participant): boolean {
  const all = object.list().flatMap(attendeesOf);
  if (all.some((a) => a.address === attendee.address)) return true;
  const from = attendee.prop.getParameter('delegated-from');
  const delegators = (Array.isArray(from) ? from : from ? [from] : []).map((d) => String(d).toLowerCase());
  return all.some((a) => delegators.includes(a.address));
}

/** A party crasher's message is not merged; the organizer decides (DESIGN: sender binding). */
function queueForOrganizer(context: Context, attendee: string): ItipResult {
  const { input, incoming } = context;
  return result(
    'refused',
    `${attendee} is not an attendee of this event; the ${input.method} is queued for the organizer to decide`,
    [
      {
        type: 'put-request',
        entry: { uid: input.uid, recurrenceId: singleInstance(incoming), method: input.method, from: attendee, received: context.received },
      },
      inboxEffect(context, attendee),
    ],
  );
}

function copyParticipation(target: ICAL.Component, reply: Participant): void {
  const existing = findAttendee(target, reply.address);
  const prop = existing?.prop ?? ICAL.Property.fromString(reply.prop.toICALString());
  if (!existing) target.addProperty(prop);
  prop.setParameter('partstat', reply.partstat);
  prop.removeParameter('rsvp');
  for (const name of ['delegated-to', 'delegated-from']) {
    const value = reply.prop.getParameter(name);
    if (value) prop.setParameter(name, value as string);
  }
}

/**
 * REPLY: take the attendee's PARTSTAT per instance. Replies are ordered per
 * attendee and instance (RFC 5546 section 2.1.5); a reply to an older SEQUENCE
 * than the stored event's changes nothing. A reply for an instance without an
 * override creates one from the master (as CalDAV servers do).
 */
export function receiveReply(context: Context): ItipResult {
  const checked = checkAttendee(context);
  if ('outcome' in checked) return checked;
  const { incoming, stored } = context;
  const replier = checked.attendee.address;
  if (!isInvited(stored!, checked.attendee)) return queueForOrganizer(context, replier);

  const object = workingCopy(context);
  const done: string[] = [];
  const stale: string[] = [];
  let same = 0;
  for (const key of incoming.keys()) {
    const component = incoming.get(key)!;
    const reply = findAttendee(component, replier);
    if (!reply) continue;
    const ridProp = component.getFirstProperty('recurrence-id');
    const target = object.get(key) ?? (ridProp ? object.instanceOf(ridProp) : undefined);
    if (!target) {
      stale.push(`${key || 'master'} (no such instance stored)`);
      continue;
    }
    const version = versionOf(component, incoming.zones);
    const eventVersion = versionOf(target, object.zones);
    if (version.sequence < eventVersion.sequence) {
      stale.push(`${key || 'master'} (reply to SEQUENCE ${version.sequence}, the event is at ${eventVersion.sequence})`);
      continue;
    }
    const mark = object.replyMarks[key]?.[replier];
    if (mark) {
      const order = compareVersions(version, { sequence: mark.sequence, dtstamp: Date.parse(mark.dtstamp) || 0 });
      if (order < 0) {
        stale.push(`${key || 'master'} (a later reply from ${replier} is stored: ${describeVersion({ sequence: mark.sequence, dtstamp: Date.parse(mark.dtstamp) || 0 })})`);
        continue;
      }
      if (order === 0) {
        same++;
        continue;
      }
    }
    copyParticipation(target, reply);
    // A delegation adds the delegate the reply names (RFC 5546 section 3.2.2.3).
    for (const other of attendeesOf(component)) {
      if (other.address !== replier && !findAttendee(target, other.address)) copyParticipation(target, other);
    }
    object.set(key, target);
    object.replyMarks[key] = { ...object.replyMarks[key], [replier]: { sequence: version.sequence, dtstamp: formatUtc(version.dtstamp) } };
    done.push(`${key || 'master'}: ${reply.partstat}`);
  }
  if (done.length === 0) {
    if (same > 0) return result('duplicate', `this reply from ${replier} is already applied`);
    return result('stale', `not applied: ${stale.join(', ')} (RFC 5546 section 2.1.5)`);
  }
  const effects = [...objectEffects(context, object), inboxEffect(context, replier)];
  const skipped = stale.length ? `; skipped ${stale.join(', ')}` : '';
  return result('applied', `${replier} replied ${done.join(', ')}${skipped}`, effects);
}

/**
 * REFRESH: the attendee asks for the current event. The `event_refreshing`
 * preference decides: `always` answers at once with the stored event as a
 * REQUEST; otherwise (default `never`) the request waits for the organizer.
 */
export function receiveRefresh(context: Context): ItipResult {
  const checked = checkAttendee(context);
  if ('outcome' in checked) return checked;
  const { input, stored } = context;
  const attendee = checked.attendee.address;
  if (!isInvited(stored!, checked.attendee)) return queueForOrganizer(context, attendee);
  if ((input.prefs.event_refreshing ?? 'never').toLowerCase() === 'always') {
    return result('applied', `sent the current event to ${attendee}`, [currentRequest(context, stored!, attendee)]);
  }
  const entry = { uid: input.uid, recurrenceId: singleInstance(context.incoming), method: input.method, from: attendee, received: context.received };
  return result('applied', `queued the refresh request of ${attendee}`, [{ type: 'put-request', entry }, inboxEffect(context, attendee)]);
}

/** COUNTER: keep the proposal per attendee and instance for the organizer to decide. */
export function receiveCounter(context: Context): ItipResult {
  const checked = checkAttendee(context);
  if ('outcome' in checked) return checked;
  const { input, incoming, stored } = context;
  const attendee = checked.attendee.address;
  if (!isInvited(stored!, checked.attendee)) return queueForOrganizer(context, attendee);
  const key = incoming.keys()[0] ?? '';
  const reference = stored!.get(key) ?? stored!.master;
  const version = versionOf(incoming.get(key)!, incoming.zones);
  if (reference && version.sequence < versionOf(reference, stored!.zones).sequence) {
    return result('stale', `a counter-proposal to SEQUENCE ${version.sequence}, the event is at ${versionOf(reference, stored!.zones).sequence}`);
  }
  const recurrenceId = singleInstance(incoming);
  const effects: Effect[] = [
    {
      type: 'put-counter',
      entry: { uid: input.uid, recurrenceId, attendee, received: context.received, ics: incoming.toMessage('COUNTER') },
    },
    { type: 'put-request', entry: { uid: input.uid, recurrenceId, method: 'COUNTER', from: attendee, received: context.received } },
    inboxEffect(context, attendee),
  ];
  return result('applied', `stored the counter-proposal of ${attendee}`, effects);
}

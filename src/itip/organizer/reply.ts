// The organizer receives REPLY (RFC 5546 section 3.2.3): the attendee's
// PARTSTAT is merged per instance, replies ordered per attendee (section 2.1.5).

import ICAL from 'ical.js';
import { attendeesOf, findAttendee, type Participant } from '../../ical/calendar.js';
import { type Context, inboxEffect, objectEffects, workingCopy } from '../context.js';
import { type ItipResult, result } from '../effects.js';
import { describeVersion, orderInstance, orderReply, replyMark } from '../rules/ordering.js';
import { checkAttendee } from './check-attendee.js';
import { delegatesOf, dropWithdrawnDelegates } from '../rules/delegation.js';
import { invitationProblem, queueForOrganizer } from './party-crasher.js';
import { takeTaskProgress } from '../task/progress.js';

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
  const uninvited = invitationProblem(stored!, checked.attendee);
  if (uninvited) return queueForOrganizer(context, replier, uninvited);

  const object = workingCopy(context);
  const done: string[] = [];
  const stale: string[] = [];
  let same = 0;
  const dropped: string[] = [];
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
    const ordered = orderInstance(incoming, key, stored, 'sequence');
    const { version } = ordered;
    if (ordered.order < 0) {
      stale.push(`${key || 'master'} (reply to SEQUENCE ${version.sequence}, the event is at ${ordered.stored!.sequence})`);
      continue;
    }
    const previous = orderReply(version, object.replyMarks, key, replier);
    if (previous.order < 0) {
      stale.push(`${key || 'master'} (a later reply from ${replier} is stored: ${describeVersion(previous.stored!)})`);
      continue;
    }
    if (previous.order === 0) {
      same++;
      continue;
    }
    const delegatedBefore = delegatesOf(target, replier);
    copyParticipation(target, reply);
    // A delegation moved to someone else: the delegate named before is no longer invited.
    const withdrawn = dropWithdrawnDelegates(target, replier, delegatedBefore);
    if (withdrawn.length) dropped.push(...withdrawn.filter((w) => !dropped.includes(w)));
    // A task's assignee reports PERCENT-COMPLETE and COMPLETED too (RFC 5546 section 3.4.3).
    const progress = takeTaskProgress(target, component);
    // A delegation adds the delegate the reply names (RFC 5546 section 3.2.2.3).
    for (const other of attendeesOf(component)) {
      if (other.address !== replier && !findAttendee(target, other.address)) copyParticipation(target, other);
    }
    object.set(key, target);
    object.replyMarks[key] = { ...object.replyMarks[key], [replier]: replyMark(version) };
    done.push(`${key || 'master'}: ${[reply.partstat, ...progress].join(', ')}`);
  }
  if (done.length === 0) {
    if (same > 0) return result('duplicate', `this reply from ${replier} is already applied`);
    return result('stale', `not applied: ${stale.join(', ')} (RFC 5546 section 2.1.5)`);
  }
  const effects = [...objectEffects(context, object), inboxEffect(context, replier)];
  const skipped = stale.length ? `; skipped ${stale.join(', ')}` : '';
  const redelegated = dropped.length ? `; ${dropped.join(', ')}, delegated to before, no longer attends` : '';
  return result('applied', `${replier} replied ${done.join(', ')}${redelegated}${skipped}`, effects);
}

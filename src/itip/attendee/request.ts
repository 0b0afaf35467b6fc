// A person receives REQUEST, PUBLISH or ADD from an organizer (RFC 5546
// sections 3.2.1, 3.2.2, 3.2.4), or DECLINECOUNTER (section 3.2.8).

import ICAL from 'ical.js';
import { cloneComponent, findAttendee, organizerOf, sequenceOf, timeKey, timeProperty } from '../../ical/calendar.js';
import { tzidOf } from '../../ical/times.js';
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
import { compareVersions, describeVersion, versionOf } from '../rules/ordering.js';
import { refreshMessage } from '../messages.js';
import { organizerSpeaker, senderProblem } from '../rules/sender.js';

/** Checks shared by every organizer-sent method; returns a refusal or the organizer. */
export function checkOrganizer(context: Context): ItipResult | { organizer: string } {
  const { input, incoming, stored } = context;
  const storedOrganizer = organizerOfObject(stored);
  const messageOrganizer = organizerOfObject(incoming);
  const organizer = messageOrganizer ?? storedOrganizer;
  if (!organizer) return result('refused', `the ${input.method} has no ORGANIZER, so its sender cannot be checked`);
  // One UID is one event with one organizer (RFC 5546 section 2.1.1): components
  // that disagree are either broken or a try to slip a second organizer past
  // the check on the first one.
  const named = new Set(incoming.list().map((c) => organizerOf(c)).filter((o): o is string => !!o));
  if (named.size > 1) {
    return result('refused', `the ${input.method} names several organizers for one UID: ${[...named].sort().join(', ')}`);
  }
  if (storedOrganizer && messageOrganizer && storedOrganizer !== messageOrganizer) {
    return result('refused', `the ORGANIZER ${messageOrganizer} differs from the stored organizer ${storedOrganizer}`);
  }
  if (organizer === input.user && input.direction === 'incoming') {
    return result('ignored', `${input.user} is the organizer of this event; a ${input.method} to the organizer changes nothing`);
  }
  // A SENT-BY counts when the invitation stored earlier already names it (src/itip/rules/sender.ts).
  const problem = senderProblem(input, organizerSpeaker(organizer, incoming.list(), stored?.list()));
  if (problem && !forwardedByDelegator(context)) return result('refused', problem);
  return { organizer };
}

/**
 * A REQUEST forwarded by the attendee who delegated to this user (RFC 5546
 * section 3.2.2.3: the delegator forwards the organizer's REQUEST to the
 * delegate). Both sides must say so: this user's ATTENDEE names the delegator
 * in DELEGATED-FROM, the delegator's names this user in DELEGATED-TO, and the
 * mail comes from the delegator.
 */
function forwardedByDelegator(context: Context): boolean {
  const { input, incoming } = context;
  if (input.method !== 'REQUEST') return false;
  const listOf = (value: unknown): string[] =>
    (Array.isArray(value) ? value : value ? [value] : []).map((v) => normalizeAddress(String(v))).filter((v): v is string => !!v);
  return incoming.list().every((component) => {
    const mine = findAttendee(component, input.user);
    if (!mine) return false;
    return listOf(mine.prop.getParameter('delegated-from')).some((delegator) => {
      const theirs = findAttendee(component, delegator);
      return !!theirs && listOf(theirs.prop.getParameter('delegated-to')).includes(input.user) && !senderProblem(input, delegator);
    });
  });
}

/**
 * The organizer's new version of a component, keeping what belongs to the
 * recipient (RFC 5546 section 2.1.5 leaves local data to the recipient):
 * alarms, transparency, and the recipient's PARTSTAT unless the organizer asks
 * again (a higher SEQUENCE with PARTSTAT=NEEDS-ACTION).
 */
function keepRecipientData(next: ICAL.Component, previous: ICAL.Component | undefined, user: string): ICAL.Component {
  const merged = cloneComponent(next);
  if (!previous) return merged;
  const alarms = previous.getAllSubcomponents('valarm');
  if (alarms.length > 0) {
    merged.removeAllSubcomponents('valarm');
    for (const alarm of alarms) merged.addSubcomponent(cloneComponent(alarm));
  }
  const transp = previous.getFirstProperty('transp');
  if (transp) {
    merged.removeAllProperties('transp');
    merged.addProperty(ICAL.Property.fromString(transp.toICALString()));
  }
  const mine = findAttendee(previous, user);
  const theirs = findAttendee(merged, user);
  if (mine && theirs) {
    const askedAgain = sequenceOf(next) > sequenceOf(previous) && theirs.partstat === 'NEEDS-ACTION';
    if (!askedAgain && mine.partstat !== theirs.partstat) {
      theirs.prop.setParameter('partstat', mine.partstat);
      const rsvp = mine.prop.getParameter('rsvp');
      if (rsvp) theirs.prop.setParameter('rsvp', rsvp);
      else theirs.prop.removeParameter('rsvp');
    }
  }
  return merged;
}

export interface MergeReport {
  changed: string[];
  stale: string[];
  same: string[];
}

/** Merges the message's components into the working copy per RECURRENCE-ID. */
export function mergeRequest(context: Context, target: CalendarObject): MergeReport {
  const { incoming, stored, input } = context;
  const report: MergeReport = { changed: [], stale: [], same: [] };
  for (const key of incoming.keys()) {
    const component = incoming.get(key)!;
    const exact = stored?.get(key);
    const reference = exact ?? (key !== '' ? stored?.master : undefined);
    if (reference) {
      const order = compareVersions(versionOf(component, incoming.zones), versionOf(reference, stored!.zones));
      if (order < 0) {
        report.stale.push(`${key || 'master'} (${describeVersion(versionOf(reference, stored!.zones))} stored)`);
        continue;
      }
      if (order === 0 && exact) {
        report.same.push(key || 'master');
        continue;
      }
    }
    target.set(key, keepRecipientData(component, reference, input.user));
    report.changed.push(key);
  }
  // A new master replaces the overrides it no longer carries, unless one of
  // them is newer than it (an instance update that came after).
  const master = incoming.master;
  if (stored && master && report.changed.includes('')) {
    for (const key of stored.keys()) {
      if (key === '' || incoming.has(key)) continue;
      if (sequenceOf(stored.get(key)!) <= sequenceOf(master)) target.delete(key);
    }
  }
  return report;
}

export function unchangedOutcome(report: MergeReport): ItipResult {
  if (report.same.length > 0) {
    return result('duplicate', `this version is already stored (${report.same.join(', ')})`);
  }
  return result('stale', `older than what is stored: ${report.stale.join(', ')} (RFC 5546 section 2.1.5)`);
}

/** REQUEST and PUBLISH: add or update the event, merged per RECURRENCE-ID. */
export function receiveRequest(context: Context): ItipResult {
  const checked = checkOrganizer(context);
  if ('outcome' in checked) return checked;
  const { input } = context;
  const object = workingCopy(context);
  const report = mergeRequest(context, object);
  if (report.changed.length === 0) return unchangedOutcome(report);
  const effects: Effect[] = objectEffects(context, object);
  if (input.method === 'REQUEST') {
    effects.push({
      type: 'put-request',
      entry: {
        uid: input.uid,
        recurrenceId: singleInstance(context.incoming),
        method: input.method,
        from: checked.organizer,
        received: context.received,
      },
    });
  }
  effects.push(inboxEffect(context, checked.organizer));
  const skipped = report.stale.length ? `; skipped older ${report.stale.join(', ')}` : '';
  const what = context.stored ? 'updated' : 'added';
  // Mail to a list, or a forwarded invitation, reaches people the organizer did
  // not name: the event is kept for them to decide, and the journal says why.
  const invited = input.method !== 'REQUEST' || object.list().some((c) => findAttendee(c, input.user));
  const uninvited = invited ? '' : `; ${input.user} is not among its attendees (a list or a forward)`;
  return result('applied', `${what} ${describeKeys(report.changed)}${skipped}${uninvited}`, effects);
}

function describeKeys(keys: string[]): string {
  const master = keys.includes('');
  const instances = keys.filter((k) => k !== '');
  const parts = [];
  if (master) parts.push('the event');
  if (instances.length) parts.push(`instance${instances.length > 1 ? 's' : ''} ${instances.join(', ')}`);
  return parts.join(' and ');
}

/**
 * ADD (RFC 5546 section 3.2.4): new instances of a recurring event, as RDATEs with
 * overrides. The `add_method_response` preference says what to do: `add`
 * (default), `ignore`, or `refresh` (ask the organizer for the whole event).
 * Without the event stored, the only sensible answer is a REFRESH.
 */
export function receiveAdd(context: Context): ItipResult {
  const checked = checkOrganizer(context);
  if ('outcome' in checked) return checked;
  const { input, stored } = context;
  const response = (input.prefs.add_method_response ?? 'add').toLowerCase();
  if (response === 'ignore') return result('ignored', 'add_method_response is "ignore"');
  const askForEvent = (why: string): ItipResult =>
    result('applied', why, [
      refreshMessage(context, checked.organizer),
      { type: 'put-request', entry: requestEntry(context, checked.organizer) },
    ]);
  if (!stored?.master) return askForEvent('the event is not stored: asked the organizer for it with a REFRESH');
  if (response === 'refresh') return askForEvent('add_method_response is "refresh": asked the organizer with a REFRESH');

  const object = workingCopy(context);
  const added = addInstances(context, object);
  if (added.length === 0) return result('duplicate', 'every added instance is already stored');
  const effects = objectEffects(context, object);
  effects.push({ type: 'put-request', entry: requestEntry(context, checked.organizer) });
  effects.push(inboxEffect(context, checked.organizer));
  return result('applied', `added instance${added.length > 1 ? 's' : ''} ${added.join(', ')}`, effects);
}

/** Adds the message's components as new instances: an RDATE on the master plus an override. */
export function addInstances(context: Context, object: CalendarObject): string[] {
  const { incoming } = context;
  const master = object.master;
  const added: string[] = [];
  if (!master) return added;
  for (const component of incoming.list()) {
    const dtstart = component.getFirstProperty('dtstart');
    const start = dtstart?.getFirstValue();
    if (!(start instanceof ICAL.Time)) continue;
    const key = timeKey(start, tzidOf(dtstart), incoming.zones);
    if (object.has(key)) continue;
    const tzid = tzidOf(dtstart);
    master.addProperty(timeProperty('rdate', start, tzid));
    const override = cloneComponent(component);
    override.removeAllProperties('recurrence-id');
    override.addProperty(timeProperty('recurrence-id', start, tzid));
    object.set(key, override);
    added.push(key);
  }
  return added;
}

function requestEntry(context: Context, from: string) {
  const { input } = context;
  return { uid: input.uid, recurrenceId: null, method: input.method, from, received: context.received };
}

/**
 * DECLINECOUNTER (RFC 5546 section 3.2.8): the organizer turned down this user's
 * counter-proposal; forget the proposal and the request entry.
 */
export function receiveDeclineCounter(context: Context): ItipResult {
  const checked = checkOrganizer(context);
  if ('outcome' in checked) return checked;
  const { input, incoming } = context;
  const recurrenceId = singleInstance(incoming);
  const known = input.counters.some((c) => c.attendee === input.user && c.recurrenceId === recurrenceId);
  const effects: Effect[] = [
    { type: 'remove-counters', uid: input.uid, recurrenceId, attendee: input.user },
    { type: 'remove-requests', uid: input.uid, recurrenceId },
    inboxEffect(context, checked.organizer),
  ];
  return result('applied', known ? 'the counter-proposal was declined' : 'declined a counter-proposal not on record', effects);
}

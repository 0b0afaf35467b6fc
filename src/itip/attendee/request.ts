// An attendee receives REQUEST (RFC 5546 section 3.2.2) or PUBLISH (section
// 3.2.1) from the organizer: the event is added or updated, merged per
// RECURRENCE-ID, keeping what belongs to the recipient.

import ICAL from 'ical.js';
import { cloneComponent, findAttendee, sequenceOf } from '../../ical/calendar.js';
import type { CalendarObject } from '../calendar-object.js';
import { type Context, inboxEffect, objectEffects, queueRequest, workingCopy } from '../context.js';
import { type Effect, type ItipResult, result } from '../effects.js';
import { describeStale, orderInstance, overridesReplacedBy, storedInstance } from '../rules/ordering.js';
import { checkOrganizer } from './check-organizer.js';
import { keepOwnDelegation } from '../rules/delegation.js';

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
    if (!askedAgain) keepOwnDelegation(mine, theirs);
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
    const ordered = orderInstance(incoming, key, stored);
    if (ordered.order < 0) {
      report.stale.push(describeStale(key, ordered));
      continue;
    }
    // The same version again; a new override with the master's version is new all the same.
    if (ordered.order === 0 && ordered.exact) {
      report.same.push(key || 'master');
      continue;
    }
    target.set(key, keepRecipientData(incoming.get(key)!, storedInstance(stored, key), input.user));
    report.changed.push(key);
  }
  const master = incoming.master;
  if (stored && master && report.changed.includes('')) {
    for (const key of overridesReplacedBy(master, incoming, stored)) target.delete(key);
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
    effects.push(queueRequest(context, checked.organizer));
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

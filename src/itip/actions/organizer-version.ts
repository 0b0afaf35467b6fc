// The organizer's new version of an event (RFC 6638 section 3.2.1, implicit
// scheduling; RFC 5546 sections 2.1.4, 3.2.2, 3.2.5), compared with the stored
// one instance by instance (by RECURRENCE-ID): what is significant raises
// SEQUENCE and asks the attendees anew; each attendee gets a REQUEST when what
// they see of the event changed, a CANCEL when they were removed or an
// instance of theirs was; the version is stored as prepared. A PUT, the
// deletion of an instance and a taken counter-proposal all come through here.

import type ICAL from 'ical.js';
import { attendeesOf, findAttendee, sequenceOf, textOf } from '../../ical/calendar.js';
import { utcTime } from '../../ical/times.js';
import type { CalendarObject } from '../calendar-object.js';
import { type Context, objectEffects, organizerOfObject } from '../context.js';
import type { Effect } from '../effects.js';
import { compareText } from '../../ical/text-order.js';
import { changedProperties, significantChanges, SIGNIFICANT_PROPERTIES, timeValues, type Side } from '../rules/significant-change.js';
import {
  attendeeView,
  describeSends,
  dropForceSend,
  forcedRequests,
  listed,
  scheduleAgentFor,
  sendEffects,
  stamped,
  viewsDiffer,
} from './organizer-messages.js';
import { cancelMessages, removedInstances, baselineOf, writerFor, type Removal } from './organizer-removals.js';

/**
 * What happened to one component of the new version, against the stored
 * instance it replaces (the stored override, or the master's instance):
 * - new: nothing stored to compare with; SEQUENCE as given;
 * - significant: a property of SIGNIFICANT_PROPERTIES changed;
 * - removal: only instances were removed from the series (EXDATE gained
 *   dates): the removed instances get a CANCEL, the rest stays as it was;
 * - cancelled: the component became STATUS:CANCELLED;
 * - plain: anything else (or nothing).
 */
export type ChangeKind = 'new' | 'significant' | 'removal' | 'cancelled' | 'plain';

export interface ComponentChange {
  kind: ChangeKind;
  before?: ICAL.Component;
  significant: string[];
  changed: string[];
  /** Attendees the stored instance had and this version has not. */
  uninvited: string[];
}

export interface VersionOptions {
  /**
   * The attendee whose proposal was taken (RFC 5546 section 3.2.7), and the
   * answer their COUNTER gave for the new time, kept while everyone else is
   * asked anew.
   */
  proposer?: { address: string; key: string; partstat?: string };
}

export interface VersionResult {
  outcome: 'applied' | 'duplicate' | 'refused';
  reason: string;
  /** Storing the version: put-object, own and others' periods. */
  store: Effect[];
  sends: Effect[];
}

const CANCELLED = 'CANCELLED';

function statusOf(component: ICAL.Component | undefined): string {
  return (component ? textOf(component, 'status') ?? '' : '').trim().toUpperCase();
}

/** The stored instance a new component replaces: its own override, or the master's instance. */
export function storedInstance(old: CalendarObject | undefined, key: string, ridSource: ICAL.Component | undefined): ICAL.Component | undefined {
  if (!old) return undefined;
  const own = old.get(key);
  if (own || key === '') return own;
  const rid = ridSource?.getFirstProperty('recurrence-id');
  return rid ? old.instanceOf(rid) : undefined;
}

function addressesOf(component: ICAL.Component | undefined): string[] {
  return component ? attendeesOf(component).map((a) => a.address) : [];
}

/** Compares each component of the new version with the stored instance it replaces. */
function compare(old: CalendarObject | undefined, next: CalendarObject, organizer: string | undefined): Map<string, ComponentChange> {
  const changes = new Map<string, ComponentChange>();
  for (const key of next.keys()) {
    const after = next.get(key)!;
    const before = storedInstance(old, key, after);
    if (!before) {
      changes.set(key, { kind: 'new', significant: [], changed: [], uninvited: [] });
      continue;
    }
    const sides: [Side, Side] = [
      { component: before, zones: old!.zones },
      { component: after, zones: next.zones },
    ];
    const significant = significantChanges(...sides);
    const changed = changedProperties(...sides);
    const kept = new Set(addressesOf(after));
    const uninvited = addressesOf(before).filter((a) => !kept.has(a) && a !== organizer);
    let kind: ChangeKind = significant.length > 0 ? 'significant' : 'plain';
    if (statusOf(after) === CANCELLED && statusOf(before) !== CANCELLED) kind = 'cancelled';
    else if (key === '' && significant.length === 1 && significant[0] === 'EXDATE' && onlyAddsExdates(sides)) kind = 'removal';
    changes.set(key, { kind, before, significant, changed, uninvited });
  }
  return changes;
}

/** The new version's EXDATEs hold every stored one: instances were removed, none restored. */
function onlyAddsExdates([before, after]: [Side, Side]): boolean {
  const now = timeValues(after, 'exdate');
  return [...timeValues(before, 'exdate')].every((value) => now.has(value));
}

/**
 * Asks an attendee anew after a significant change: PARTSTAT=NEEDS-ACTION,
 * RSVP=TRUE. Not the organizer's own line, not a delegator (PARTSTAT=DELEGATED:
 * its delegate is the one asked, RFC 5546 section 3.2.2.3), not an attendee
 * another agent schedules (SCHEDULE-AGENT=CLIENT or NONE, RFC 6638 section 7.1).
 */
function askAnew(component: ICAL.Component, organizer: string | undefined): void {
  for (const attendee of attendeesOf(component)) {
    if (attendee.address === organizer || attendee.partstat === 'DELEGATED') continue;
    const agent = String(attendee.prop.getParameter('schedule-agent') ?? 'SERVER').toUpperCase();
    if (agent !== 'SERVER') continue;
    attendee.prop.setParameter('partstat', 'NEEDS-ACTION');
    attendee.prop.setParameter('rsvp', 'TRUE');
  }
}

/**
 * The SEQUENCE a component is stored and sent with. A significant change, a
 * cancellation or an uninvited attendee raises it above the stored one
 * (unless the new version already has a higher one): the attendees' copies and
 * the CANCEL must be newer than what they hold (RFC 5546 section 2.1.5).
 * Otherwise it never goes below the stored one, so that what is sent is not
 * older than what the attendees have.
 */
function sequenceFor(change: ComponentChange, given: number): number {
  const stored = change.before ? sequenceOf(change.before) : undefined;
  if (stored === undefined) return given;
  const raise = change.kind === 'significant' || change.kind === 'cancelled' || change.uninvited.length > 0;
  if (raise) return given > stored ? given : stored + 1;
  return Math.max(given, stored);
}

/** SCHEDULE-STATUS stays in the organizer's copy (RFC 6638 section 7.3): a client that leaves it out does not clear it. */
function keepScheduleStatus(old: CalendarObject | undefined, next: CalendarObject): void {
  if (!old) return;
  for (const key of next.keys()) {
    const before = old.get(key) ?? old.master;
    if (!before) continue;
    for (const attendee of attendeesOf(next.get(key)!)) {
      const status = findAttendee(before, attendee.address)?.prop.getParameter('schedule-status');
      if (status && !attendee.prop.getParameter('schedule-status')) attendee.prop.setParameter('schedule-status', status as string);
    }
  }
}

function storeChanged(old: CalendarObject | undefined, next: CalendarObject): boolean {
  if (!old) return true;
  const keys = next.keys();
  if (keys.join('\n') !== old.keys().join('\n')) return true;
  return keys.some(
    (key) => changedProperties({ component: old.get(key)!, zones: old.zones }, { component: next.get(key)!, zones: next.zones }, true).length > 0,
  );
}

/**
 * Schedules the organizer's new version `next` of the stored object
 * (context.stored, none for a new event). `next` is prepared in place: SEQUENCE,
 * PARTSTATs, DTSTAMP, SCHEDULE-FORCE-SEND dropped, SCHEDULE-STATUS kept.
 */
export function scheduleVersion(context: Context, next: CalendarObject, options: VersionOptions = {}): VersionResult {
  const old = context.stored;
  const { now, uid } = context.input;
  const storedOrganizer = organizerOfObject(old);
  const newOrganizer = organizerOfObject(next);
  if (storedOrganizer && newOrganizer && storedOrganizer !== newOrganizer) {
    return refusal(`the event is organized by ${storedOrganizer}; a new version cannot hand it to ${newOrganizer} (RFC 5546 section 2.1.1)`);
  }
  const organizer = newOrganizer ?? storedOrganizer;

  const forced = forcedRequests(next);
  for (const component of next.list()) dropForceSend(component);
  keepScheduleStatus(old, next);

  const changes = compare(old, next, organizer);
  const removals = removedInstances(old, next);
  const raised: number[] = [];
  for (const [key, change] of changes) {
    const component = next.get(key)!;
    const given = sequenceOf(component);
    let sequence = sequenceFor(change, given);
    // A stored override this version drops falls back to the master: the master must not be older than it was.
    if (key === '' && old) {
      for (const dropped of old.keys()) {
        if (dropped !== '' && !next.has(dropped) && !removals.has(dropped)) sequence = Math.max(sequence, sequenceOf(old.get(dropped)!));
      }
    }
    if (change.kind === 'significant') askAnew(component, organizer);
    if (options.proposer && options.proposer.key === key) answerFor(component, options.proposer.address, options.proposer.partstat);
    if (sequence !== given || component.hasProperty('sequence')) component.updatePropertyWithValue('sequence', sequence);
    if (change.before && sequence > sequenceOf(change.before)) raised.push(sequence);
    if (!component.hasProperty('dtstamp')) component.updatePropertyWithValue('dtstamp', utcTime(now));
  }

  if (!storeChanged(old, next) && forced.size === 0) {
    return { outcome: 'duplicate', reason: 'nothing changed: this version is already stored', store: [], sends: [] };
  }

  const store = objectEffects(context, next);
  const notes: string[] = [];
  const sends = organizer ? messagesFor(context, next, changes, removals, forced, organizer, !!newOrganizer, notes) : [];
  const summary = describeChange(old, next, changes, removals, raised, organizer);
  const sent = sends.length > 0 ? describeSends(sends) : nothingSent(old, next, organizer);
  return { outcome: 'applied', reason: [summary, sent, ...notes].filter(Boolean).join('; '), store, sends };
}

function refusal(reason: string): VersionResult {
  return { outcome: 'refused', reason, store: [], sends: [] };
}

/** The proposer keeps the answer their COUNTER gave for the time now taken; without one they are asked as everyone is. */
function answerFor(component: ICAL.Component, address: string, partstat: string | undefined): void {
  const line = findAttendee(component, address);
  if (!line || (partstat !== 'ACCEPTED' && partstat !== 'TENTATIVE')) return;
  line.prop.setParameter('partstat', partstat);
  line.prop.removeParameter('rsvp');
}

/**
 * The messages of a new version. A cancelled event: one CANCEL to everyone.
 * Otherwise: CANCELs to those removed and for removed instances (first, so
 * that an attendee's copy has the cancellation before the update that no
 * longer carries the instance), then a REQUEST to each attendee whose view of
 * the event changed, or who asked for one (SCHEDULE-FORCE-SEND).
 */
function messagesFor(
  context: Context,
  next: CalendarObject,
  changes: Map<string, ComponentChange>,
  removals: Map<string, Removal>,
  forced: Set<string>,
  organizer: string,
  scheduling: boolean,
  notes: string[],
): Effect[] {
  const old = context.stored;
  const { now, uid } = context.input;
  const everyone = [...new Set([...(old?.list() ?? []), ...next.list()].flatMap(addressesOf))].filter((a) => a !== organizer).sort(compareText);
  const scheduled: string[] = [];
  const byClient = new Map<string, string[]>();
  for (const address of everyone) {
    const agent = scheduleAgentFor(address, next, old);
    if (agent === 'SERVER') scheduled.push(address);
    else byClient.set(agent, [...(byClient.get(agent) ?? []), address]);
  }
  for (const [agent, addresses] of byClient) {
    const who = agent === 'CLIENT' ? "the organizer's calendar client schedules them" : 'nobody schedules them';
    notes.push(`nothing sent to ${listed(addresses)}: SCHEDULE-AGENT=${agent}, ${who} (RFC 6638 section 7.1)`);
  }
  const writer = writerFor(context, next);
  const viewOf = (object: CalendarObject | undefined, address: string) => (object && (object !== next || scheduling) ? attendeeView(object, address) : []);

  // STATUS:CANCELLED on the master cancels the whole event for everyone (RFC 5546 section 3.2.5).
  if (statusOf(next.master) === CANCELLED) {
    if (!old || statusOf(old.master) === CANCELLED) return [];
    return sendEffects(uid, cancelMessages(writer, { kind: 'event', next, old, recipients: scheduled, now, organizer }));
  }
  const gone = scheduled.filter((a) => viewOf(next, a).length === 0 && viewOf(old, a).length > 0);
  const messages = cancelMessages(writer, { kind: 'parts', next, old, recipients: scheduled, gone, removals, changes, now, organizer });
  const baseline = old ? baselineOf(context, old, next, changes, removals) : undefined;
  for (const address of scheduled) {
    if (gone.includes(address)) continue;
    const view = viewOf(next, address);
    if (view.length === 0) continue;
    const before = baseline ? attendeeView(baseline, address) : [];
    if (!forced.has(address) && !viewsDiffer(before, baseline?.zones ?? next.zones, view, next.zones)) continue;
    messages.push({ method: 'REQUEST', to: [address], ics: writer.toMessage('REQUEST', stamped(view, now)) });
  }
  return sendEffects(uid, messages);
}

/** The change in words: "new event", "significant change: DTSTART, LOCATION; sequence 2", ... */
function describeChange(
  old: CalendarObject | undefined,
  next: CalendarObject,
  changes: Map<string, ComponentChange>,
  removals: Map<string, Removal>,
  raised: number[],
  organizer: string | undefined,
): string {
  if (!old) return 'new event';
  const all = [...changes.values()];
  const sequence = raised.length > 0 ? `; sequence ${Math.max(...raised)}` : '';
  if (statusOf(next.master) === CANCELLED && statusOf(old.master) !== CANCELLED) return `cancelled the event (STATUS:CANCELLED)${sequence}`;
  const parts: string[] = [];
  const significant = SIGNIFICANT_PROPERTIES.filter((name) => all.some((c) => (c.kind === 'significant' || c.kind === 'cancelled') && c.significant.includes(name)));
  if (significant.length > 0) parts.push(`significant change: ${significant.join(', ')}${sequence}`);
  if (removals.size > 0) parts.push(`cancelled instance${removals.size > 1 ? 's' : ''} ${[...removals.keys()].join(', ')}`);
  const listedNames = new Set<string>([...SIGNIFICANT_PROPERTIES, 'ATTENDEE']);
  const others = [...new Set(all.flatMap((c) => c.changed.filter((name) => !listedNames.has(name))))];
  if (others.length > 0) parts.push(`changed ${others.join(', ')} (not significant${significant.length === 0 ? ', sequence kept' : ''})`);
  const before = new Set(old.list().flatMap(addressesOf));
  const after = new Set(next.list().flatMap(addressesOf));
  const added = [...after].filter((a) => !before.has(a) && a !== organizer);
  const removed = [...before].filter((a) => !after.has(a) && a !== organizer);
  if (added.length > 0) parts.push(`added ${listed(added)}`);
  if (removed.length > 0) parts.push(`removed ${listed(removed)}${significant.length === 0 ? sequence : ''}`);
  for (const [key, change] of changes) {
    const fromInstance = change.uninvited.filter((a) => after.has(a));
    if (key !== '' && fromInstance.length > 0 && !removals.has(key)) parts.push(`removed ${listed(fromInstance)} from instance ${key}`);
  }
  return parts.join('; ') || 'updated';
}

function nothingSent(old: CalendarObject | undefined, next: CalendarObject, organizer: string | undefined): string {
  if (!organizer) return 'nothing to send: the event has no ORGANIZER, so nobody is scheduled';
  const attendees = [...(old?.list() ?? []), ...next.list()].flatMap(addressesOf).filter((a) => a !== organizer);
  if (attendees.length === 0) return 'nothing to send: the event has no attendees';
  return 'nothing to send: nothing the attendees see changed';
}


// What a new version of the organizer's event takes away, and the CANCELs
// that say so (RFC 5546 section 3.2.5): the whole event (STATUS:CANCELLED on
// the master), attendees removed from it, instances removed from the series
// (a new EXDATE, an override turned STATUS:CANCELLED), and attendees removed
// from one instance.

import ICAL from 'ical.js';
import { cloneComponent, findAttendee, parseCalendar, sequenceOf, textOf, timeKey, timeProperty } from '../../ical/calendar.js';
import { expandObject } from '../../ical/expand.js';
import { instantOf, tzidOf } from '../../ical/times.js';
import { CalendarObject } from '../calendar-object.js';
import type { Context } from '../context.js';
import { cancelComponent, type Outgoing } from './organizer-messages.js';
import type { ComponentChange } from './organizer-version.js';

/** An instance the new version removes, as it was stored. */
export interface Removal {
  /** The stored instance: its override, or the master's instance of it. */
  before: ICAL.Component;
  recurrenceId: ICAL.Property;
}

function cancelled(component: ICAL.Component | undefined): boolean {
  return (component ? textOf(component, 'status') ?? '' : '').trim().toUpperCase() === 'CANCELLED';
}

/** The recurrence keys a master's EXDATEs name. */
function exdateKeys(master: ICAL.Component | undefined, object: CalendarObject): Map<string, ICAL.Property> {
  const keys = new Map<string, ICAL.Property>();
  for (const prop of master?.getAllProperties('exdate') ?? []) {
    for (const value of prop.getValues()) {
      if (value instanceof ICAL.Time) keys.set(timeKey(value, tzidOf(prop), object.zones), timeProperty('recurrence-id', value, tzidOf(prop)));
    }
  }
  return keys;
}

/** Whether the stored series has an instance at that key (an EXDATE may name a date it never had). */
export function seriesHas(old: CalendarObject, key: string, rid: ICAL.Property): boolean {
  const master = old.master;
  if (!master) return false;
  const time = rid.getFirstValue() as ICAL.Time;
  const at = instantOf(time, tzidOf(rid), old.zones);
  const day = 86_400_000;
  const probe = expandObject([master], old.zones, { from: at - day, to: at + day });
  return probe.instances.some((instance) => instance.key === key);
}

/** The instances the new version removes, by recurrence key. */
export function removedInstances(old: CalendarObject | undefined, next: CalendarObject): Map<string, Removal> {
  const removals = new Map<string, Removal>();
  if (!old) return removals;
  const excluded = exdateKeys(next.master, next);
  const before = exdateKeys(old.master, old);
  // A stored override the new version leaves out, and excludes from the series.
  for (const key of old.keys()) {
    if (key === '' || next.has(key) || (next.master && !excluded.has(key))) continue;
    const component = old.get(key)!;
    if (!cancelled(component)) removals.set(key, { before: component, recurrenceId: component.getFirstProperty('recurrence-id')! });
  }
  // A new EXDATE of an instance the series had.
  for (const [key, rid] of excluded) {
    if (before.has(key) || removals.has(key) || old.has(key) || !seriesHas(old, key, rid)) continue;
    const instance = old.instanceOf(rid);
    if (instance && !cancelled(instance)) removals.set(key, { before: instance, recurrenceId: rid });
  }
  // An override turned STATUS:CANCELLED.
  for (const key of next.keys()) {
    if (key === '' || !cancelled(next.get(key))) continue;
    const rid = next.get(key)!.getFirstProperty('recurrence-id')!;
    const stored = old.get(key) ?? (seriesHas(old, key, rid) ? old.instanceOf(rid) : undefined);
    if (stored && !cancelled(stored)) removals.set(key, { before: stored, recurrenceId: rid });
  }
  return removals;
}

/**
 * The stored object as the attendees will have it once the CANCELs of removed
 * instances are in: what a REQUEST must still tell them is what differs from
 * this. A series that only lost instances needs no REQUEST on top.
 */
export function baselineOf(context: Context, old: CalendarObject, next: CalendarObject, changes: Map<string, ComponentChange>, removals: Map<string, Removal>): CalendarObject {
  const base = CalendarObject.fromStored(old.toStored(), context.floating);
  if (changes.get('')?.kind === 'removal' && base.master && next.master) {
    base.master.removeAllProperties('exdate');
    for (const prop of next.master.getAllProperties('exdate')) base.master.addProperty(ICAL.Property.fromString(prop.toICALString()));
  }
  for (const key of removals.keys()) {
    const now = next.get(key);
    if (now) base.set(key, cloneComponent(now));
    else base.delete(key);
  }
  return base;
}

/** An object that writes messages with the VTIMEZONEs of both versions. */
export function writerFor(context: Context, next: CalendarObject): CalendarObject {
  const writer = new CalendarObject(context.input.uid, context.floating);
  if (context.stored) writer.addTimezones(parseCalendar(context.stored.toStored().ics));
  writer.addTimezones(parseCalendar(next.toStored().ics));
  return writer;
}

function lineOf(address: string, ...components: Array<ICAL.Component | undefined>): ICAL.Property | undefined {
  for (const component of components) {
    const line = component ? findAttendee(component, address) : undefined;
    if (line) return line.prop;
  }
  return undefined;
}

function linesOf(addresses: string[], components: Array<ICAL.Component | undefined>): ICAL.Property[] {
  return addresses.map((address) => lineOf(address, ...components)).filter((line): line is ICAL.Property => !!line);
}

export type CancelPlan =
  | { kind: 'event'; old?: CalendarObject; next: CalendarObject; recipients: string[]; now: number; organizer: string }
  | {
      kind: 'parts';
      old?: CalendarObject;
      next: CalendarObject;
      recipients: string[];
      /** Attendees the new version no longer has at all. */
      gone: string[];
      removals: Map<string, Removal>;
      changes: Map<string, ComponentChange>;
      now: number;
      organizer: string;
    };

function organizerLine(...objects: Array<CalendarObject | undefined>): ICAL.Property | undefined {
  for (const object of objects) {
    for (const component of object?.list() ?? []) {
      const line = component.getFirstProperty('organizer');
      if (line) return line;
    }
  }
  return undefined;
}

/** The CANCELs of a plan, each to the attendees it names. */
export function cancelMessages(writer: CalendarObject, plan: CancelPlan): Outgoing[] {
  const { old, next, now } = plan;
  const organizer = organizerLine(next, old);
  const everywhere = [...next.list(), ...(old?.list() ?? [])];
  const message = (to: string[], components: ICAL.Component[]): Outgoing => ({ method: 'CANCEL', to, ics: writer.toMessage('CANCEL', components) });
  if (plan.kind === 'event') {
    if (plan.recipients.length === 0) return [];
    const source = next.master ?? old!.master!;
    const sequence = Math.max(sequenceOf(source), old?.master ? sequenceOf(old.master) + 1 : 0);
    const attendees = linesOf(plan.recipients, everywhere);
    return [message(plan.recipients, [cancelComponent({ source, organizer, sequence, attendees, cancelled: true, now })])];
  }
  const messages: Outgoing[] = [];
  const { gone, removals, changes } = plan;
  // Attendees removed from the event: the whole event for those in the master, else their instances.
  const groups = new Map<string, string[]>();
  for (const address of gone) {
    const keys = old!.keys().filter((key) => findAttendee(old!.get(key)!, address));
    const whole = keys.includes('') ? [''] : keys;
    const group = JSON.stringify(whole);
    groups.set(group, [...(groups.get(group) ?? []), address]);
  }
  for (const [group, addresses] of groups) {
    const keys = JSON.parse(group) as string[];
    const components = keys.map((key) => {
      const stored = old!.get(key)!;
      const source = next.get(key) ?? stored;
      const sequence = Math.max(sequenceOf(source), sequenceOf(stored) + 1);
      const recurrenceId = key === '' ? undefined : stored.getFirstProperty('recurrence-id')!;
      return cancelComponent({ source, organizer, recurrenceId, sequence, attendees: linesOf(addresses, [stored]), cancelled: false, now });
    });
    messages.push(message(addresses, components));
  }
  // Instances removed from the series: each to the attendees it had.
  for (const [key, removal] of removals) {
    const to = plan.recipients.filter((a) => !gone.includes(a) && findAttendee(removal.before, a));
    if (to.length === 0) continue;
    const current = next.get(key) ?? next.master;
    const sequence = Math.max(sequenceOf(removal.before) + 1, current ? sequenceOf(current) : 0);
    const component = cancelComponent({ source: removal.before, organizer, recurrenceId: removal.recurrenceId, sequence, attendees: linesOf(to, [removal.before]), cancelled: true, now });
    messages.push(message(to, [component]));
  }
  // Attendees removed from one instance that they are no longer invited to.
  for (const [key, change] of changes) {
    if (key === '' || removals.has(key) || change.uninvited.length === 0) continue;
    const to = change.uninvited.filter((a) => plan.recipients.includes(a) && !gone.includes(a));
    if (to.length === 0) continue;
    const source = next.get(key)!;
    const component = cancelComponent({
      source,
      organizer,
      recurrenceId: source.getFirstProperty('recurrence-id')!,
      sequence: sequenceOf(source),
      attendees: linesOf(to, [change.before]),
      cancelled: false,
      now,
    });
    messages.push(message(to, [component]));
  }
  return messages;
}


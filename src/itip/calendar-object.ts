// One calendar object resource being worked on: the components of one UID keyed
// by recurrence ('' for the master), with the VTIMEZONEs they need. The core
// builds a new one from the stored object and the message, then serialises it.

import ICAL from 'ical.js';
import { cloneComponent, scheduledComponentsOf, newCalendar, organizerOf, parseCalendar, recurrenceKey, timeProperty, uidOf } from '../ical/calendar.js';
import { instantOf, tzidOf, wallMs } from '../ical/times.js';
import { isFutureRange } from '../ical/future-range.js';
import { vtimezoneText } from '../ical/vtimezone.js';
import { VTIMEZONE_LIMITS } from '../ical/defined-zone.js';
import { olsonZoneFor, readDefinedZones, ZoneResolver, type Zone } from '../ical/zones.js';
import type { ReplyMarks, StoredObject } from './model.js';
import { compareText } from '../ical/text-order.js';

/**
 * A VTIMEZONE an object keeps: the component (read, never changed, so copies
 * of the object share it), the zone it defines (none for one without parts),
 * and its text once written. Each message and stored copy is read into an
 * object and written out more than once; reading and writing the same
 * VTIMEZONE again each time was most of what a VTIMEZONE cost.
 */
interface KeptZone {
  readonly component: ICAL.Component;
  readonly zone: Zone | undefined;
  text?: string;
}

/**
 * The kept VTIMEZONE of each zone read from a definition. zones.ts gives the
 * same Zone for the same definition (the whole VTIMEZONE, not its TZID) and a
 * new one for any other, so every object that takes that definition, from any
 * message, can share one copy of the component and its text, written once.
 */
const keptByZone = new WeakMap<Zone, KeptZone>();

function keptZone(vtimezone: ICAL.Component, zone: Zone): KeptZone {
  let kept = keptByZone.get(zone);
  if (!kept) {
    kept = { component: cloneComponent(vtimezone), zone };
    keptByZone.set(zone, kept);
  }
  return kept;
}

export class CalendarObject {
  private readonly components = new Map<string, ICAL.Component>();
  private readonly timezones = new Map<string, KeptZone>();
  private resolver: ZoneResolver | undefined;
  /** TZIDs whose VTIMEZONE was left out as unusable, with why. */
  readonly refusedZones = new Map<string, string>();
  replyMarks: ReplyMarks;

  constructor(
    readonly uid: string,
    private readonly floating: Zone | null,
    replyMarks: ReplyMarks = {},
  ) {
    // Most objects have no marks: structuredClone of nothing still cost a visible share of a mail.
    this.replyMarks = Object.keys(replyMarks).length > 0 ? structuredClone(replyMarks) : {};
  }

  static fromStored(stored: StoredObject, floating: Zone | null): CalendarObject {
    const vcalendar = parseCalendar(stored.ics);
    const object = new CalendarObject(stored.uid, floating, stored.replyMarks);
    object.addTimezones(vcalendar);
    for (const event of scheduledComponentsOf(vcalendar)) {
      if (uidOf(event) === stored.uid) object.set(recurrenceKey(event, object.zones), cloneComponent(event));
    }
    return object;
  }

  /** A deep copy to change: the components and VTIMEZONEs copied, the reply marks too. */
  copy(): CalendarObject {
    const copy = new CalendarObject(this.uid, this.floating, this.replyMarks);
    for (const [key, component] of this.components) copy.components.set(key, cloneComponent(component));
    for (const [tzid, kept] of this.timezones) copy.timezones.set(tzid, kept);
    for (const [tzid, why] of this.refusedZones) copy.refusedZones.set(tzid, why);
    return copy;
  }

  /** Resolves TZIDs of this object's components (its VTIMEZONEs, then Olson). */
  get zones(): ZoneResolver {
    if (!this.resolver) {
      const zones = new Map<string, Zone>();
      for (const [tzid, kept] of this.timezones) if (kept.zone) zones.set(tzid, kept.zone);
      // The zones as addTimezones read them, unless more than one calendar may
      // hold (stored copy and message together) could be more than the bound
      // on VTIMEZONEs with other rules: then read them again as one calendar.
      if (zones.size <= VTIMEZONE_LIMITS.maxWithOtherRules) this.resolver = ZoneResolver.withZones(zones, this.floating);
      else {
        const holder = new ICAL.Component('vcalendar');
        for (const kept of this.timezones.values()) holder.addSubcomponent(cloneComponent(kept.component));
        this.resolver = new ZoneResolver(holder, this.floating);
      }
    }
    return this.resolver;
  }

  /**
   * Takes the VTIMEZONEs of a calendar; a newer definition replaces one of the
   * same TZID. One that cannot be read within bounds is left out, so that its
   * TZID resolves as if it had come without one, and is remembered in
   * `refusedZones` for the journal.
   */
  addTimezones(vcalendar: ICAL.Component): void {
    const { zones, refused } = readDefinedZones(vcalendar);
    /** TZIDs whose defining VTIMEZONE (the first with parts, the one read) was taken. */
    const defined = new Set<string>();
    for (const vtimezone of vcalendar.getAllSubcomponents('vtimezone')) {
      const tzid = vtimezone.getFirstPropertyValue('tzid');
      if (typeof tzid !== 'string') continue;
      const why = refused.get(tzid);
      const hasParts = vtimezone.getAllSubcomponents().length > 0;
      if (why !== undefined) this.refusedZones.set(tzid, why);
      // A VTIMEZONE with no parts is kept as it came: it defines nothing either way.
      else if (zones.has(tzid) || !hasParts) {
        const zone = zones.get(tzid);
        // Only the VTIMEZONE that defined the zone shares its kept copy; a
        // later one of the same TZID is kept as its own copy, as before.
        const defines = zone !== undefined && hasParts && !defined.has(tzid);
        if (defines) defined.add(tzid);
        this.timezones.set(tzid, defines ? keptZone(vtimezone, zone) : { component: cloneComponent(vtimezone), zone });
      }
    }
    this.resolver = undefined;
  }

  get master(): ICAL.Component | undefined {
    return this.components.get('');
  }

  get(key: string): ICAL.Component | undefined {
    return this.components.get(key);
  }

  has(key: string): boolean {
    return this.components.has(key);
  }

  set(key: string, component: ICAL.Component): void {
    this.components.set(key, component);
  }

  delete(key: string): void {
    this.components.delete(key);
  }

  keys(): string[] {
    return [...this.components.keys()].sort();
  }

  /** Master first, then overrides by recurrence key. */
  list(): ICAL.Component[] {
    return this.keys().map((key) => this.components.get(key)!);
  }

  get isEmpty(): boolean {
    return this.components.size === 0;
  }

  isRecurring(): boolean {
    const master = this.master;
    return !!master && (master.hasProperty('rrule') || master.hasProperty('rdate'));
  }

  /**
   * A new override for one instance of the master: the master's properties with
   * the instance's RECURRENCE-ID and times (as Cyrus and sabre/vobject do when a
   * reply or cancel names an instance that has no override yet).
   */
  instanceOf(ridProp: ICAL.Property): ICAL.Component | undefined {
    const master = this.master;
    if (!master) return undefined;
    const ranged = this.rangedInstanceOf(ridProp);
    if (ranged) return ranged;
    const instance = cloneComponent(master);
    for (const name of ['rrule', 'rdate', 'exdate', 'recurrence-id', 'dtstart', 'dtend', 'duration', 'due']) {
      instance.removeAllProperties(name);
    }
    const rid = ridProp.getFirstValue() as ICAL.Time;
    const tzid = tzidOf(ridProp);
    instance.addProperty(timeProperty('recurrence-id', rid, tzid));
    const masterDue = master.getFirstPropertyValue('due');
    if (!master.hasProperty('dtstart')) {
      // A task recurring from its DUE alone: the instance is due at its RECURRENCE-ID.
      if (masterDue instanceof ICAL.Time) instance.addProperty(timeProperty('due', rid, tzid));
      return instance;
    }
    instance.addProperty(timeProperty('dtstart', rid, tzid));
    const masterStart = master.getFirstPropertyValue('dtstart');
    if (masterStart instanceof ICAL.Time && masterDue instanceof ICAL.Time) {
      // A task's DUE keeps its distance from DTSTART (RFC 5545 section 3.6.2).
      const due = rid.clone();
      due.addDuration(ICAL.Duration.fromSeconds((wallMs(masterDue) - wallMs(masterStart)) / 1000));
      instance.addProperty(timeProperty('due', due, tzid));
    }
    const masterEnd = master.getFirstPropertyValue('dtend');
    const duration = master.getFirstProperty('duration');
    if (duration) instance.addProperty(ICAL.Property.fromString(duration.toICALString()));
    else if (masterStart instanceof ICAL.Time && masterEnd instanceof ICAL.Time) {
      const end = rid.clone();
      end.addDuration(ICAL.Duration.fromSeconds((wallMs(masterEnd) - wallMs(masterStart)) / 1000));
      instance.addProperty(timeProperty('dtend', end, tzid));
    }
    return instance;
  }

  /**
   * An instance that a RANGE=THISANDFUTURE override covers (src/ical/future-range.ts):
   * a copy of that override, moved as far as this instance lies after it, so
   * that it starts where the range put it (RFC 5545 section 3.8.4.4).
   */
  private rangedInstanceOf(ridProp: ICAL.Property): ICAL.Component | undefined {
    const rid = ridProp.getFirstValue() as ICAL.Time;
    const at = instantOf(rid, tzidOf(ridProp), this.zones);
    let best: { component: ICAL.Component; from: number; prop: ICAL.Property } | undefined;
    for (const [key, component] of this.components) {
      if (key === '' || !isFutureRange(component)) continue;
      const prop = component.getFirstProperty('recurrence-id')!;
      const from = instantOf(prop.getFirstValue() as ICAL.Time, tzidOf(prop), this.zones);
      if (from < at && (!best || from > best.from)) best = { component, from, prop };
    }
    if (!best) return undefined;
    const from = best.prop.getFirstValue() as ICAL.Time;
    const sameZone = tzidOf(best.prop) === tzidOf(ridProp) && from.isDate === rid.isDate;
    const seconds = (sameZone ? wallMs(rid) - wallMs(from) : at - best.from) / 1000;
    const instance = cloneComponent(best.component);
    instance.removeAllProperties('recurrence-id');
    instance.addProperty(timeProperty('recurrence-id', rid, tzidOf(ridProp)));
    for (const name of ['dtstart', 'dtend', 'due']) {
      const prop = instance.getFirstProperty(name);
      const value = prop?.getFirstValue();
      if (!prop || !(value instanceof ICAL.Time)) continue;
      const moved = value.clone();
      moved.addDuration(ICAL.Duration.fromSeconds(seconds));
      prop.setValue(moved);
    }
    return instance;
  }

  /** The stored form: a VCALENDAR without METHOD, with the VTIMEZONEs in use. */
  toStored(): StoredObject {
    const stored: StoredObject = { uid: this.uid, ics: this.serialise(undefined, this.list()) };
    if (Object.keys(this.replyMarks).length > 0) stored.replyMarks = structuredClone(this.replyMarks);
    return stored;
  }

  /** An iTIP message with this object's components (or some of them). */
  toMessage(method: string, components: ICAL.Component[] = this.list()): string {
    return this.serialise(method, components);
  }

  /**
   * The text of a VCALENDAR holding `components` and the VTIMEZONEs they use.
   * Each child is written from its jCal as it stands (read, never changed):
   * adding the components themselves to a new VCALENDAR would move them out
   * of this object, and copying them first was a large part of handling a
   * mail. A VTIMEZONE made from the Olson database comes as text, made once.
   */
  private serialise(method: string | undefined, components: ICAL.Component[]): string {
    const used = new Set<string>();
    const years: number[] = [];
    let recurs = false;
    for (const component of components) {
      if (component.hasProperty('rrule') || component.hasProperty('rdate')) recurs = true;
      for (const prop of component.getAllProperties()) {
        const tzid = tzidOf(prop);
        if (!tzid) continue;
        used.add(tzid);
        // Only a message gets VTIMEZONEs made for its years. The year is read
        // from the jCal text: making an ICAL.Time of every value to learn it
        // was a visible part of writing each object.
        if (method !== undefined) {
          const year = yearOfJcalValue(prop.jCal[3]);
          if (year !== undefined) years.push(year);
        }
      }
    }
    const children: string[] = [];
    for (const [tzid, kept] of [...this.timezones.entries()].sort(([a], [b]) => compareText(a, b))) {
      if (used.has(tzid)) children.push((kept.text ??= kept.component.toString()));
    }
    // A message must carry a VTIMEZONE for every TZID (RFC 5545 section 3.2.19);
    // for one that came without, it is made from the Olson database, for the
    // years of the event (and five more for a series).
    if (method !== undefined && years.length > 0) {
      const fromYear = Math.min(...years);
      const toYear = Math.min(Math.max(...years) + (recurs ? 5 : 0), fromYear + 30);
      for (const tzid of [...used].sort()) {
        if (this.timezones.has(tzid)) continue;
        const zone = olsonZoneFor(tzid);
        if (zone && zone.olsonName !== 'UTC') children.push(vtimezoneText(tzid, zone, fromYear, toYear));
      }
    }
    for (const component of components) children.push(component.toString());
    // The VCALENDAR's own lines, then each child as ical.js would write it inside.
    const shell = calendarShell(method);
    const end = 'END:VCALENDAR';
    return `${shell.slice(0, -end.length)}${children.map((child) => `${child}\r\n`).join('')}${end}\r\n`;
  }
}

/** The ORGANIZER of an object: the master's, or the first component's that has one. */
export function organizerOfObject(object: CalendarObject | undefined): string | undefined {
  if (!object) return undefined;
  for (const component of object.list()) {
    const organizer = organizerOf(component);
    if (organizer) return organizer;
  }
  return undefined;
}

/** The year of a DATE or DATE-TIME value as jCal holds it ('2026-12-01', '2026-12-01T09:00:00'). */
function yearOfJcalValue(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const match = /^(\d{4})-\d{2}-\d{2}/.exec(value);
  return match ? Number(match[1]) : undefined;
}

/** The text of an empty VCALENDAR with our PRODID and the method, made once per method. */
const shells = new Map<string | undefined, string>();
function calendarShell(method: string | undefined): string {
  let shell = shells.get(method);
  if (shell === undefined) {
    shell = newCalendar(method).toString();
    // Methods come from messages: a bounded few are kept.
    if (shells.size < 16) shells.set(method, shell);
  }
  return shell;
}

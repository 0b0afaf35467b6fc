// What every method handler of the core needs: the message and the stored object
// as CalendarObjects, the user's zone and window, and the common effects.

import ICAL from 'ical.js';
import { cloneComponent, recurrenceKey } from '../ical/calendar.js';
import { formatUtc } from '../ical/times.js';
import { userZone, type Zone } from '../ical/zones.js';
import type { Window } from '../ical/expand.js';
import { CalendarObject, organizerOfObject } from './calendar-object.js';
import type { Effect, ItipInput } from './effects.js';
import type { StoredObject } from './model.js';
import { zoneOf } from './preferences.js';
import { freeBusyWindow, objectPeriods } from './freebusy/periods.js';

export interface Context {
  input: ItipInput;
  floating: Zone | null;
  window: Window;
  /** The message's components of this UID, keyed by recurrence. */
  incoming: CalendarObject;
  /** What is stored, if anything (never modified: merge into a copy). */
  stored?: CalendarObject;
  received: string;
  /** Things the journal reason should mention, such as an expansion cut short. */
  notes: string[];
}

export function makeContext(input: ItipInput): Context {
  const floating = userZone(zoneOf(input.prefs));
  const incoming = new CalendarObject(input.uid, floating);
  incoming.addTimezones(input.message);
  for (const component of input.components) {
    incoming.set(recurrenceKey(component, incoming.zones), cloneComponent(component));
  }
  const stored = input.stored ? readStored(input.stored, floating) : undefined;
  // RFC 5545 section 3.6.5 lets an observance recur at any frequency; one that
  // cannot be followed within bounds is not used, and the journal says so.
  const notes = [...incoming.refusedZones].map(
    ([tzid, why]) => `the VTIMEZONE "${tzid}" was not used because ${why}; its times are read as for a TZID without VTIMEZONE`,
  );
  return {
    input,
    floating,
    window: freeBusyWindow(input.prefs, input.now),
    incoming,
    stored,
    received: formatUtc(input.now),
    notes,
  };
}

/**
 * The stored object, parsed. It was valid when stored, so a failure here is
 * ours (a damaged store), not the sender's: a plain Error, which the core
 * reports as outcome `error` rather than `refused`.
 */
function readStored(stored: StoredObject, floating: Zone | null): CalendarObject {
  try {
    return CalendarObject.fromStored(stored, floating);
  } catch (error) {
    throw new Error(`the stored object of ${stored.uid} cannot be read: ${(error as Error).message}`);
  }
}

/** A copy of the stored object (or a new one) that takes the message's VTIMEZONEs. */
export function workingCopy(context: Context): CalendarObject {
  const { input, stored, floating } = context;
  // A deep copy of the parsed components, not a write and a read of the text:
  // that round trip was a quarter of handling a REPLY.
  const copy = stored ? stored.copy() : new CalendarObject(input.uid, floating);
  copy.addTimezones(input.message);
  return copy;
}

// The handlers take it from here with the rest of the context.
export { organizerOfObject };

/**
 * Store the object and everything derived from it: the user's own periods and
 * every other participant's that it implies (src/itip/freebusy/periods.ts), replacing
 * all others' periods of the UID, as the free/busy upkeep computes them.
 */
export function objectEffects(context: Context, object: CalendarObject): Effect[] {
  const { input, window } = context;
  const periods = objectPeriods(object, input.user, window, input.expansionLimits);
  const effects: Effect[] = [
    { type: 'put-object', object: object.toStored() },
    { type: 'own-periods', uid: input.uid, periods: periods.own },
    { type: 'others-periods', uid: input.uid, periods: periods.others },
  ];
  if (periods.truncated) {
    const note = `the recurrence was expanded only up to a limit, so free/busy holds part of it (${periods.cut ?? 'a limit'})`;
    if (!context.notes.includes(note)) context.notes.push(note);
  }
  return effects;
}

/**
 * The request queue's entry for this message (DESIGN.md, requests): it waits
 * for the user's decision, one entry per UID and instance, from `from`. The
 * instance is the one the message names alone, else the whole event (null).
 */
export function queueRequest(context: Context, from: string, recurrenceId: string | null = singleInstance(context.incoming)): Effect {
  const { input } = context;
  return { type: 'put-request', entry: { uid: input.uid, recurrenceId, method: input.method, from, received: context.received } };
}

export function inboxEffect(context: Context, from: string): Effect {
  const { input, incoming } = context;
  return { type: 'inbox', method: input.method, uid: input.uid, from, ics: incoming.toMessage(input.method) };
}

/** The recurrence id a message is about when it names exactly one instance, else null. */
export function singleInstance(object: CalendarObject): string | null {
  const keys = object.keys();
  return keys.length === 1 && keys[0] !== '' ? keys[0] : null;
}

/** Sets a property to one value, replacing what was there. */
export function setProperty(component: ICAL.Component, name: string, value: string | number | ICAL.Time): void {
  component.updatePropertyWithValue(name, value);
}

/** Copies SEQUENCE and DTSTAMP of the message component onto a stored one. */
export function takeVersion(target: ICAL.Component, from: ICAL.Component): void {
  for (const name of ['sequence', 'dtstamp']) {
    const prop = from.getFirstProperty(name);
    target.removeAllProperties(name);
    if (prop) target.addProperty(ICAL.Property.fromString(prop.toICALString()));
  }
}

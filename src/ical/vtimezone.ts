// VTIMEZONE components made from the Olson database, for messages we send
// about events whose TZID came without one (an Olson name, or Outlook's
// Windows name). RFC 5545 section 3.2.19 wants a VTIMEZONE for every TZID a
// calendar uses; converting the times to UTC instead would change what a
// recurring series means across a daylight-saving change.
//
// Each offset change in the years asked for becomes one STANDARD or DAYLIGHT
// observance with a single onset (section 3.6.5 allows observances without a
// rule), so the component says exactly what the Olson database says.

import ICAL from 'ical.js';
import { wallTimeAt } from './expand.js';
import type { OlsonZone } from './zones.js';

function utcOffset(ms: number): ICAL.UtcOffset {
  const sign = ms < 0 ? -1 : 1;
  const minutes = Math.round(Math.abs(ms) / 60_000);
  return new ICAL.UtcOffset({ hours: Math.floor(minutes / 60), minutes: minutes % 60, factor: sign });
}

/** A short name for the offset (CET, EST, GMT+5:30), as the Olson database knows it, else the offset itself. */
function shortName(zone: OlsonZone, at: number): string {
  return zone.shortNameAt(at) || utcOffset(zone.offsetAtInstant(at)).toString();
}

function observance(zone: OlsonZone, onset: number, fromOffset: number, toOffset: number, daylight: boolean): ICAL.Component {
  const part = new ICAL.Component(daylight ? 'daylight' : 'standard');
  // DTSTART is the onset in the local time before it (section 3.6.5).
  part.addPropertyWithValue('dtstart', wallTimeAt(onset + fromOffset));
  part.addPropertyWithValue('tzoffsetfrom', utcOffset(fromOffset));
  part.addPropertyWithValue('tzoffsetto', utcOffset(toOffset));
  part.addPropertyWithValue('tzname', shortName(zone, onset));
  return part;
}

/**
 * A VTIMEZONE named `tzid` for the zone, covering the years [fromYear, toYear]:
 * the offset in force at their start, then each change. The component is
 * shared by every caller that asks for the same zone and years: read it,
 * never change it (clone it to make a changed one).
 */
export function vtimezoneFor(tzid: string, zone: OlsonZone, fromYear: number, toYear: number): ICAL.Component {
  return madeFor(tzid, zone, fromYear, toYear).component;
}

/** The same VTIMEZONE as text, made once: a series' component has dozens of lines. */
export function vtimezoneText(tzid: string, zone: OlsonZone, fromYear: number, toYear: number): string {
  const made = madeFor(tzid, zone, fromYear, toYear);
  made.text ??= made.component.toString();
  return made.text;
}

function madeFor(tzid: string, zone: OlsonZone, fromYear: number, toYear: number): Made {
  const cacheKey = `${tzid}\u0000${zone.olsonName}\u0000${fromYear}\u0000${toYear}`;
  const cached = made.get(cacheKey);
  if (cached) return cached;
  const fresh: Made = { component: makeVtimezone(tzid, zone, fromYear, toYear) };
  if (made.size >= 256) made.delete(made.keys().next().value!);
  made.set(cacheKey, fresh);
  return fresh;
}

interface Made {
  component: ICAL.Component;
  text?: string;
}

/** Components made so far (a server sends many messages about few zones), oldest first. */
const made = new Map<string, Made>();

function makeVtimezone(tzid: string, zone: OlsonZone, fromYear: number, toYear: number): ICAL.Component {
  const from = Date.UTC(fromYear, 0, 1);
  const to = Date.UTC(toYear + 1, 0, 1);
  const vtimezone = new ICAL.Component('vtimezone');
  vtimezone.addPropertyWithValue('tzid', tzid);
  const changes = zone.changesBetween(from, to);
  // Offsets above the lowest of the period are daylight saving time.
  const offsets = [zone.offsetAtInstant(from), ...changes.map((t) => zone.offsetAtInstant(t))];
  const standard = Math.min(...offsets);
  const first = offsets[0]!;
  vtimezone.addSubcomponent(observance(zone, from, first, first, first > standard));
  let previous = first;
  for (const change of changes) {
    const next = zone.offsetAtInstant(change);
    vtimezone.addSubcomponent(observance(zone, change, previous, next, next > standard));
    previous = next;
  }
  return vtimezone;
}

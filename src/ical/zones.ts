// Time zones for iCalendar times.
//
// RFC 5545 section 3.2.19 says every TZID must come with its VTIMEZONE, but real
// clients break that: Outlook writes Windows names ("W. Europe Standard Time"),
// others write Olson names alone. ical.js makes such times floating, which would
// shift meetings by hours. We resolve a TZID in this order:
//   1. the VTIMEZONE inside the same VCALENDAR (the sender's own definition);
//   2. the Olson database that ships with Node (Intl), for Olson names and for
//      Windows names mapped to Olson through the CLDR table (windows-iana);
//   3. otherwise the time is floating and read in the user's own zone.

import ICAL from 'ical.js';
import { createRequire } from 'node:module';

/** What ical.js needs from a zone: `utcOffset(time)` in seconds for a wall-clock time. */
export interface Zone {
  tzid: string;
  utcOffset(time: ICAL.Time): number;
}

/** A zone computed from the Olson database through Intl. */
export class OlsonZone implements Zone {
  private readonly format: Intl.DateTimeFormat;
  private readonly offsetCache = new Map<number, number>();

  constructor(
    readonly tzid: string,
    readonly olsonName: string,
  ) {
    this.format = new Intl.DateTimeFormat('en-US', {
      timeZone: olsonName,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
  }

  /** UTC offset in milliseconds at an instant. */
  offsetAtInstant(epochMs: number): number {
    // Offsets change at most on whole minutes; cache per minute.
    const minute = Math.floor(epochMs / 60_000);
    const cached = this.offsetCache.get(minute);
    if (cached !== undefined) return cached;
    const parts = this.format.formatToParts(new Date(minute * 60_000));
    const field = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
    const wall = Date.UTC(field('year'), field('month') - 1, field('day'), field('hour'), field('minute'), field('second'));
    const offset = wall - minute * 60_000;
    if (this.offsetCache.size > 10_000) this.offsetCache.clear();
    this.offsetCache.set(minute, offset);
    return offset;
  }

  /**
   * The instant of a wall-clock time. RFC 5545 section 3.3.5: a time in the gap of a
   * forward shift is read with the offset from before the gap; a time that occurs
   * twice (backward shift) is its first occurrence.
   */
  wallToInstant(wallMs: number): number {
    const day = 86_400_000;
    const before = this.offsetAtInstant(wallMs - day);
    const after = this.offsetAtInstant(wallMs + day);
    // No shift nearby: the one candidate is the answer whether or not it checks
    // out (see below), so the check, a third offset lookup, is skipped. Series
    // expansion asks this for every instance.
    if (before === after) return wallMs - before;
    const candidates = [before, after];
    const valid = candidates.filter((offset) => this.offsetAtInstant(wallMs - offset) === offset);
    if (valid.length === 0) return wallMs - before;
    return wallMs - Math.max(...valid);
  }

  utcOffset(time: ICAL.Time): number {
    const wall = Date.UTC(time.year, time.month - 1, time.day, time.hour, time.minute, time.second);
    return (wall - this.wallToInstant(wall)) / 1000;
  }
}

const olsonZones = new Map<string, OlsonZone | null>();

function isOlsonName(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

/**
 * Finds the Olson zone for a TZID that has no VTIMEZONE: an Olson name, a Windows
 * name, or an Olson name behind a vendor prefix such as "/mozilla.org/20050126_1/".
 * Returns null if the name means nothing we know.
 */
export function olsonZoneFor(tzid: string): OlsonZone | null {
  const known = olsonZones.get(tzid);
  if (known !== undefined) return known;
  const zone = lookUpOlson(tzid);
  olsonZones.set(tzid, zone);
  return zone;
}

/**
 * Windows zone names through CLDR's table (windows-iana), loaded on first use:
 * most mail never needs it, and `process` runs once per mail, so its start-up
 * time counts.
 */
let findIana: ((name: string) => string[] | undefined) | undefined;
function windowsToOlson(name: string): string[] | undefined {
  findIana ??= (createRequire(import.meta.url)('windows-iana') as { findIana: (name: string) => string[] | undefined }).findIana;
  return findIana(name);
}

function lookUpOlson(tzid: string): OlsonZone | null {
  const name = tzid.trim().replace(/^"|"$/g, '');
  if (/^(utc|gmt|z)$/i.test(name)) return new OlsonZone(tzid, 'UTC');
  if (name.includes('/') && isOlsonName(name)) return new OlsonZone(tzid, name);
  const windows = windowsToOlson(name);
  if (windows && windows.length > 0 && isOlsonName(windows[0])) return new OlsonZone(tzid, windows[0]);
  // Vendor prefixes: keep the trailing Area/Location that the Olson database knows.
  const match = name.match(/([A-Za-z_]+\/[A-Za-z_+\-0-9]+(?:\/[A-Za-z_+\-0-9]+)?)$/);
  if (match && isOlsonName(match[1])) return new OlsonZone(tzid, match[1]);
  return null;
}

/** The zone a user reads floating times and all-day dates in (their TZID preference). */
export function userZone(tzid: string | undefined): Zone | null {
  return tzid ? olsonZoneFor(tzid) : null;
}

/**
 * Resolves TZIDs for one VCALENDAR: its own VTIMEZONEs first, then Olson.
 * Unknown TZIDs are remembered so that the caller can report them.
 */
export class ZoneResolver {
  private readonly own = new Map<string, Zone>();
  readonly unknown = new Set<string>();

  constructor(vcalendar: ICAL.Component | null, readonly floating: Zone | null = null) {
    if (!vcalendar) return;
    for (const vtimezone of vcalendar.getAllSubcomponents('vtimezone')) {
      const tzid = vtimezone.getFirstPropertyValue('tzid');
      if (typeof tzid !== 'string' || this.own.has(tzid)) continue;
      // A VTIMEZONE without any STANDARD or DAYLIGHT rule defines nothing;
      // fall back to Olson for it rather than to a zero offset.
      if (vtimezone.getAllSubcomponents().length === 0) continue;
      try {
        this.own.set(tzid, new ICAL.Timezone({ component: vtimezone, tzid }) as unknown as Zone);
      } catch {
        // A broken definition: fall back to Olson for this name.
      }
    }
  }

  /** The zone for a TZID, or null when the time must be read as floating. */
  zone(tzid: string | null | undefined): Zone | null {
    if (!tzid) return this.floating;
    const own = this.own.get(tzid);
    if (own) return own;
    const olson = olsonZoneFor(tzid);
    if (olson) return olson;
    this.unknown.add(tzid);
    return this.floating;
  }
}

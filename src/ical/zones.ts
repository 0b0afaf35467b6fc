// Time zones for iCalendar times.
//
// RFC 5545 section 3.2.19 says every TZID must come with its VTIMEZONE, but real
// clients break that: Outlook writes Windows names ("W. Europe Standard Time"),
// others write Olson names alone. ical.js makes such times floating, which would
// shift meetings by hours. We resolve a TZID in this order:
//   1. the VTIMEZONE inside the same VCALENDAR (the sender's own definition);
//   2. the Olson database that ships with Node, for Olson names and for Windows
//      names mapped to Olson through the CLDR table (windows-iana): read from
//      the tables the build made of it (zone-tables.ts), or through Intl;
//   3. otherwise the time is floating and read in the user's own zone.

import ICAL from 'ical.js';
import { createRequire } from 'node:module';
import { tableEntryAt, zoneTable, type ZoneTable } from './zone-tables.js';
import { hasOtherRules, readVtimezone, VTIMEZONE_LIMITS, ZoneRefused } from './defined-zone.js';
import { wallToInstantBy } from './wall-clock.js';
import { BoundedCache } from './bounded-cache.js';
import { zoneBlockText } from './calendar.js';

/** A zone: an Olson zone, or one a VTIMEZONE defines (defined-zone.ts). */
export interface Zone {
  tzid: string;
  /** UTC offset in milliseconds at an instant. */
  offsetAtInstant(instant: number): number;
  /** The instant of a wall-clock reading (its fields as if UTC, in ms); RFC 5545 section 3.3.5. */
  wallToInstant(wall: number): number;
  /** UTC offset in seconds of a wall-clock time. */
  utcOffset(time: ICAL.Time): number;
}

const MINUTE = 60_000;
const WEEK = 7 * 86_400_000;
/**
 * Offsets are looked up per span of 52 weeks. The search step is a week:
 * offset changes of one zone lie weeks apart (the shortest in use, Ramadan
 * suspensions of daylight time, last about a month).
 */
const SPAN = 52 * WEEK;
/** Lookups in one span, one Intl call each, before the span's changes are worked out once. */
const TABLE_AFTER = 16;

/** The offsets of one span: the offset at its start, then each change (first minute of the new offset). */
interface SpanOffsets {
  first: number;
  changes: number[];
  offsets: number[];
}

/**
 * A zone of the Olson database: from the table the build made of it
 * (zone-tables.ts) for the years it covers, and through Intl otherwise.
 */
export class OlsonZone implements Zone {
  private formatter?: Intl.DateTimeFormat;
  private nameFormatter?: Intl.DateTimeFormat;
  private readonly minuteCache = new Map<number, number>();
  private readonly spans = new Map<number, SpanOffsets>();
  private readonly lookupsBySpan = new Map<number, number>();

  constructor(
    readonly tzid: string,
    readonly olsonName: string,
    private readonly table?: ZoneTable,
  ) {}

  /** Whether the table answers for this whole minute range. */
  private inTable(from: number, to = from + 1): boolean {
    return this.table !== undefined && from >= this.table.from && to <= this.table.to;
  }

  /**
   * UTC offset in milliseconds at an instant (offsets change on whole minutes).
   * A few lookups ask Intl for each minute; once a span has seen more, its
   * changes are found once (a week's step and bisection) and every later
   * lookup in it is a comparison or two. A series asks for each instance.
   */
  offsetAtInstant(epochMs: number): number {
    const minute = Math.floor(epochMs / MINUTE) * MINUTE;
    if (this.inTable(minute)) return tableEntryAt(this.table!, minute)[0];
    const index = Math.floor(minute / SPAN);
    const span = this.spans.get(index);
    if (span) return offsetInSpan(span, minute);
    const cached = this.minuteCache.get(minute);
    if (cached !== undefined) return cached;
    const lookups = (this.lookupsBySpan.get(index) ?? 0) + 1;
    if (lookups >= TABLE_AFTER) return offsetInSpan(this.span(index), minute);
    if (this.lookupsBySpan.size > 1_000) this.lookupsBySpan.clear();
    this.lookupsBySpan.set(index, lookups);
    const offset = this.intlOffset(minute);
    if (this.minuteCache.size > 10_000) this.minuteCache.clear();
    this.minuteCache.set(minute, offset);
    return offset;
  }

  /** The instants in [from, to) at which the offset changes, in order. */
  changesBetween(from: number, to: number): number[] {
    if (this.inTable(from, to)) {
      return this.table!.changes.filter(([at]) => at >= from && at < to).map(([at]) => at);
    }
    const found: number[] = [];
    for (let index = Math.floor(from / SPAN); index * SPAN < to; index++) {
      for (const change of this.span(index).changes) if (change >= from && change < to) found.push(change);
    }
    return found;
  }

  /** The short name of the offset at an instant (CET, GMT+5:30), for TZNAME; '' when none is known. */
  shortNameAt(epochMs: number): string {
    const minute = Math.floor(epochMs / MINUTE) * MINUTE;
    if (this.inTable(minute)) return tableEntryAt(this.table!, minute)[1];
    this.nameFormatter ??= new Intl.DateTimeFormat('en-US', { timeZone: this.olsonName, timeZoneName: 'short' });
    return this.nameFormatter.formatToParts(new Date(epochMs)).find((p) => p.type === 'timeZoneName')?.value ?? '';
  }

  private span(index: number): SpanOffsets {
    let span = this.spans.get(index);
    if (span) return span;
    const start = index * SPAN;
    span = { first: this.intlOffset(start), changes: [], offsets: [] };
    let before = span.first;
    for (let week = start; week < start + SPAN; week += WEEK) {
      const after = this.intlOffset(week + WEEK);
      if (after === before) continue;
      // The change lies in (week, week + WEEK]: bisect down to the minute.
      let low = week;
      let high = week + WEEK;
      while (high - low > MINUTE) {
        const middle = low + Math.floor((high - low) / (2 * MINUTE)) * MINUTE;
        if (this.intlOffset(middle) === before) low = middle;
        else high = middle;
      }
      span.changes.push(high);
      span.offsets.push(after);
      before = after;
    }
    if (this.spans.size >= 200) this.spans.clear();
    this.spans.set(index, span);
    this.lookupsBySpan.delete(index);
    return span;
  }

  /** The offset at a whole minute, as Intl reads the Olson database. */
  private intlOffset(minute: number): number {
    this.formatter ??= new Intl.DateTimeFormat('en-US', {
      timeZone: this.olsonName,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    const parts = this.formatter.formatToParts(new Date(minute));
    const field = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
    const wall = Date.UTC(field('year'), field('month') - 1, field('day'), field('hour'), field('minute'), field('second'));
    return wall - minute;
  }

  wallToInstant(wall: number): number {
    return wallToInstantBy((instant) => this.offsetAtInstant(instant), wall);
  }

  utcOffset(time: ICAL.Time): number {
    const wall = Date.UTC(time.year, time.month - 1, time.day, time.hour, time.minute, time.second);
    return (wall - this.wallToInstant(wall)) / 1000;
  }
}

function offsetInSpan(span: SpanOffsets, minute: number): number {
  let offset = span.first;
  for (let i = 0; i < span.changes.length && minute >= span.changes[i]!; i++) offset = span.offsets[i]!;
  return offset;
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

/** The zone of an Olson name: from its table when the build made one, else if Intl knows the name. */
function olsonZone(tzid: string, name: string): OlsonZone | null {
  const table = zoneTable(name);
  if (table) return new OlsonZone(tzid, name, table);
  return isOlsonName(name) ? new OlsonZone(tzid, name) : null;
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
  if (/^(utc|gmt|z)$/i.test(name)) return olsonZone(tzid, 'UTC');
  if (name.includes('/')) {
    const zone = olsonZone(tzid, name);
    if (zone) return zone;
  }
  const windows = windowsToOlson(name);
  if (windows && windows.length > 0) {
    const zone = olsonZone(tzid, windows[0]!);
    if (zone) return zone;
  }
  // Vendor prefixes: keep the trailing Area/Location that the Olson database knows.
  const match = name.match(/([A-Za-z_]+\/[A-Za-z_+\-0-9]+(?:\/[A-Za-z_+\-0-9]+)?)$/);
  return match ? olsonZone(tzid, match[1]!) : null;
}

/** The zone a user reads floating times and all-day dates in (their TZID preference). */
export function userZone(tzid: string | undefined): Zone | null {
  return tzid ? olsonZoneFor(tzid) : null;
}

/**
 * Resolves TZIDs for one VCALENDAR: its own VTIMEZONEs first, then Olson.
 * Unknown TZIDs, and VTIMEZONEs refused as unreadable within bounds, are
 * remembered so that the caller can report them.
 */
export class ZoneResolver {
  private readonly own: Map<string, Zone> = new Map();
  readonly unknown = new Set<string>();
  /** TZIDs whose VTIMEZONE was refused, with why; they resolve as if it had not come. */
  readonly refused: Map<string, string> = new Map();

  constructor(vcalendar: ICAL.Component | null, readonly floating: Zone | null = null) {
    if (!vcalendar) return;
    const read = readDefinedZones(vcalendar);
    this.own = read.zones;
    this.refused = read.refused;
  }

  /** A resolver for zones already read from VTIMEZONEs (readDefinedZones), by TZID. */
  static withZones(zones: ReadonlyMap<string, Zone>, floating: Zone | null): ZoneResolver {
    const resolver = new ZoneResolver(null, floating);
    for (const [tzid, zone] of zones) resolver.own.set(tzid, zone);
    return resolver;
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

/**
 * The zones a calendar's VTIMEZONEs define, by TZID (the first definition of
 * a TZID counts), and those refused, with why. A VTIMEZONE without any
 * STANDARD or DAYLIGHT part defines nothing and is passed over in silence, so
 * that its TZID falls back to Olson rather than to a zero offset.
 */
export function readDefinedZones(vcalendar: ICAL.Component): { zones: Map<string, Zone>; refused: Map<string, string> } {
  const zones = new Map<string, Zone>();
  const refused = new Map<string, string>();
  let withOtherRules = 0;
  for (const vtimezone of vcalendar.getAllSubcomponents('vtimezone')) {
    const tzid = vtimezone.getFirstPropertyValue('tzid');
    if (typeof tzid !== 'string' || zones.has(tzid) || refused.has(tzid)) continue;
    if (vtimezone.getAllSubcomponents().length === 0) continue;
    const key = definitionKey(vtimezone);
    const known = definedZones.get(key);
    const otherRules = known ? known.otherRules : hasOtherRules(vtimezone);
    // Rules of other than the yearly shape cost candidates to follow: a few per calendar.
    if (otherRules && ++withOtherRules > VTIMEZONE_LIMITS.maxWithOtherRules) {
      refused.set(tzid, `the calendar has more than ${VTIMEZONE_LIMITS.maxWithOtherRules} VTIMEZONEs with rules of other than the yearly shape`);
      continue;
    }
    const read = known?.read ?? readDefinedZone(key, tzid, vtimezone, otherRules);
    if (typeof read === 'string') refused.set(tzid, read);
    else zones.set(tzid, read);
  }
  return { zones, refused };
}

/**
 * What identifies a definition: the whole VTIMEZONE, never its TZID alone (two
 * senders may define one TZID differently, and each message keeps its own
 * times). The text it came as when parseCalendar read it from its block, which
 * costs nothing more; otherwise (a copy, a text parsed whole) its jCal as
 * JSON. The two never meet: a block begins with "BEGIN", JSON with "[".
 */
function definitionKey(vtimezone: ICAL.Component): string {
  return zoneBlockText(vtimezone) ?? JSON.stringify(vtimezone.jCal);
}

/**
 * Zones read from VTIMEZONE definitions (definitionKey), or why one was
 * refused, and whether it has rules of other than the yearly shape. Clients
 * send the same few definitions in every message (and the stored copy repeats
 * them), so each is read once per process; the answer depends on the
 * definition alone. Anyone can send new definitions: the most recently used
 * few hundred are kept, within a megabyte of keys.
 */
const definedZones = new BoundedCache<string, { read: Zone | string; otherRules: boolean }>(256, 1_000_000);

/** The cache of read definitions, for tests of its bounds. */
export const definedZoneCache: { readonly size: number; readonly totalWeight: number } = definedZones;

function readDefinedZone(key: string, tzid: string, vtimezone: ICAL.Component, otherRules: boolean): Zone | string {
  let read: Zone | string;
  try {
    read = readVtimezone(tzid, vtimezone);
  } catch (error) {
    // ZoneRefused says which bound; anything else is a definition that cannot be read.
    read = error instanceof ZoneRefused ? error.message : `it cannot be read: ${(error as Error).message}`;
  }
  definedZones.set(key, { read, otherRules });
  return read;
}

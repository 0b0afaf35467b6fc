// Turning iCalendar DATE and DATE-TIME values into instants (UTC), and back into
// the stable text forms of the command line: `2026-12-01T09:00:00Z` and `2026-12-01`.

import ICAL from 'ical.js';
import type { ZoneResolver } from './zones.js';

/** The wall-clock reading of a time as if it were UTC, in epoch milliseconds. */
export function wallMs(time: ICAL.Time): number {
  return Date.UTC(time.year, time.month - 1, time.day, time.hour, time.minute, time.second);
}

function isUtc(time: ICAL.Time): boolean {
  return time.zone?.tzid === 'UTC' || time.zone === ICAL.Timezone.utcTimezone;
}

/**
 * The instant of a time. `tzid` is the TZID parameter of the property it came from
 * (recurrence iterators drop it, so the caller passes it along).
 * All-day dates and floating times are read in the resolver's floating zone
 * (the user's zone), or as UTC when the user has none.
 */
export function instantOf(time: ICAL.Time, tzid: string | null | undefined, zones: ZoneResolver): number {
  const wall = wallMs(time);
  if (!time.isDate && isUtc(time)) return wall;
  const zone = time.isDate ? zones.floating : zones.zone(tzid);
  if (!zone) return wall;
  return wall - zone.utcOffset(time) * 1000;
}

/** The TZID parameter of a property, if any. */
export function tzidOf(prop: ICAL.Property | null): string | undefined {
  const tzid = prop?.getParameter('tzid');
  return typeof tzid === 'string' ? tzid : undefined;
}

/** The instant of a DATE or DATE-TIME property, or undefined if it is missing or broken. */
export function propertyInstant(prop: ICAL.Property | null, zones: ZoneResolver): number | undefined {
  if (!prop) return undefined;
  const value = prop.getFirstValue();
  if (!(value instanceof ICAL.Time)) return undefined;
  const ms = instantOf(value, tzidOf(prop), zones);
  return Number.isFinite(ms) ? ms : undefined;
}

const TWO_DIGITS = Array.from({ length: 100 }, (_, n) => String(n).padStart(2, '0'));
const DAY_MS = 86_400_000;
/** Texts made so far, by instant: series instances and free/busy periods format the same instants again and again. */
const utcTexts = new Map<number, string>();
/** The same, the other way: the store reads back the texts the core just made. */
const utcInstants = new Map<string, number>();
const UTC_TEXTS_MAX = 50_000;

/**
 * An instant as text: ISO 8601 UTC, whole seconds without a fraction
 * (`2026-12-01T09:00:00Z`, as Date#toISOString writes it less ".000"), and
 * with the fraction when there is one. Expanding a series and reading a year
 * of free/busy format tens of thousands of instants, mostly the same few
 * thousand: each text is made once and shared.
 */
export function formatUtc(epochMs: number): string {
  const known = utcTexts.get(epochMs);
  if (known !== undefined) return known;
  const days = Math.floor(epochMs / DAY_MS);
  const second = (epochMs - days * DAY_MS) / 1000;
  let text: string;
  if (!Number.isInteger(second) || days < -719_162 || days > 2_932_896) {
    // A fraction of a second, or a year outside 0000-9999 (or not a time at all: toISOString throws).
    text = new Date(epochMs).toISOString();
    if (text.endsWith('.000Z')) text = `${text.slice(0, -5)}Z`;
  } else {
    const date = new Date(days * DAY_MS).toISOString().slice(0, 11);
    text = `${date}${TWO_DIGITS[Math.floor(second / 3600)]}:${TWO_DIGITS[Math.floor((second % 3600) / 60)]}:${TWO_DIGITS[second % 60]}Z`;
  }
  if (utcTexts.size >= UTC_TEXTS_MAX) {
    utcTexts.clear();
    utcInstants.clear();
  }
  utcTexts.set(epochMs, text);
  utcInstants.set(text, epochMs);
  return text;
}

/**
 * An instant as text in whole seconds, a fraction dropped (`2026-12-01T09:00:00Z`
 * for 09:00:00.999): the form of times in reasons, headers and command output,
 * which speak in seconds as iCalendar does (RFC 5545 section 3.3.5).
 */
export function formatUtcSeconds(epochMs: number): string {
  return formatUtc(epochMs - (((epochMs % 1000) + 1000) % 1000));
}

export function formatDate(time: ICAL.Time): string {
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  return `${pad(time.year, 4)}-${pad(time.month)}-${pad(time.day)}`;
}

/** Parses `2026-12-01T09:00:00Z` (or any ISO 8601 instant) to epoch ms; NaN if it does not parse. */
export function parseInstant(text: string): number {
  return utcInstants.get(text) ?? Date.parse(text);
}

/** An ICAL.Time in UTC for an instant, for DTSTAMP and similar properties. */
export function utcTime(epochMs: number): ICAL.Time {
  return ICAL.Time.fromJSDate(new Date(Math.floor(epochMs / 1000) * 1000), true);
}

// Parsing iCalendar text (RFC 5545) with ical.js, and the small accessors the
// scheduling core needs on VEVENT components.

import ICAL from 'ical.js';
import './fast-fold.js';
import { normalizeAddress } from './address.js';
import { formatDate, formatUtc, instantOf, propertyInstant, tzidOf } from './times.js';
import { BoundedCache } from './bounded-cache.js';
import type { ZoneResolver } from './zones.js';

/** The text was not iCalendar; the message says where. */
export class CalendarError extends Error {
  override name = 'CalendarError';
}

/** Parses one VCALENDAR. Several VCALENDARs in one text are merged into the first. */
export function parseCalendar(text: string): ICAL.Component {
  let data: unknown;
  const source = text.replace(/^\uFEFF/, '');
  try {
    data = parseWithKnownZones(source) ?? ICAL.parse(source);
  } catch (error) {
    throw new CalendarError(`not valid iCalendar: ${(error as Error).message}`);
  }
  const roots = (Array.isArray(data) && typeof data[0] === 'string' ? [data] : (data as unknown[])) as unknown[];
  const calendars = roots.map((root) => withoutZoneHydration(new ICAL.Component(root as never))).filter((c) => c.name === 'vcalendar');
  if (calendars.length === 0) throw new CalendarError('no VCALENDAR component in the calendar part');
  const [first, ...rest] = calendars;
  for (const other of rest) for (const sub of other.getAllSubcomponents()) first.addSubcomponent(sub);
  return first;
}

/** The METHOD property, upper-cased (RFC 5546 section 1.4). */
export function calendarMethod(vcalendar: ICAL.Component): string | undefined {
  const method = vcalendar.getFirstPropertyValue('method');
  return typeof method === 'string' && method.trim() ? method.trim().toUpperCase() : undefined;
}

export function eventsOf(vcalendar: ICAL.Component): ICAL.Component[] {
  return vcalendar.getAllSubcomponents('vevent');
}

/** The component kinds iTIP schedules as calendar objects: events (RFC 5546 section 3.2) and to-dos (section 3.4). */
const SCHEDULED = new Set(['vevent', 'vtodo']);

/**
 * The VEVENTs and VTODOs of a calendar, in order. A calendar object resource
 * holds one kind per UID (RFC 4791 section 4.1); the core keeps them side by
 * side, one object per UID, whatever its kind.
 */
export function scheduledComponentsOf(vcalendar: ICAL.Component): ICAL.Component[] {
  return vcalendar.getAllSubcomponents().filter((component) => SCHEDULED.has(component.name));
}

/** True for a VTODO (RFC 5545 section 3.6.2). */
export function isTask(component: ICAL.Component): boolean {
  return component.name === 'vtodo';
}

export function uidOf(component: ICAL.Component): string | undefined {
  const uid = component.getFirstPropertyValue('uid');
  return typeof uid === 'string' && uid.trim() ? uid.trim() : undefined;
}

/** SEQUENCE, 0 when absent (RFC 5545 section 3.8.7.4). */
export function sequenceOf(component: ICAL.Component): number {
  const value = Number(component.getFirstPropertyValue('sequence'));
  return Number.isFinite(value) && value >= 0 ? Math.floor(value) : 0;
}

/** DTSTAMP as epoch ms, 0 when absent or broken. DTSTAMP is always UTC (section 3.8.7.2). */
export function dtstampOf(component: ICAL.Component, zones: ZoneResolver): number {
  return propertyInstant(component.getFirstProperty('dtstamp'), zones) ?? 0;
}

/**
 * The key of an instance: its original start as ISO 8601 UTC, or a date for all-day
 * series; '' for a master component. RECURRENCE-IDs written in any zone (UTC by
 * Google, a TZID by Outlook) give the same key for the same instant.
 */
export function recurrenceKey(component: ICAL.Component, zones: ZoneResolver): string {
  const prop = component.getFirstProperty('recurrence-id');
  if (!prop) return '';
  return timeKey(prop.getFirstValue() as ICAL.Time, tzidOf(prop), zones);
}

export function timeKey(time: ICAL.Time, tzid: string | undefined, zones: ZoneResolver): string {
  if (time.isDate) return formatDate(time);
  return formatUtc(instantOf(time, tzid, zones));
}

/** A stored recurrence key for JSON output: null for the master. */
export function keyToRecurrenceId(key: string): string | null {
  return key === '' ? null : key;
}

export interface Participant {
  prop: ICAL.Property;
  address: string;
  partstat: string;
}

function participant(prop: ICAL.Property): Participant | undefined {
  const address = normalizeAddress(String(prop.getFirstValue() ?? ''));
  if (!address) return undefined;
  const partstat = String(prop.getParameter('partstat') ?? 'NEEDS-ACTION').toUpperCase();
  return { prop, address, partstat };
}

export function attendeesOf(component: ICAL.Component): Participant[] {
  return component
    .getAllProperties('attendee')
    .map(participant)
    .filter((p): p is Participant => p !== undefined);
}

export function findAttendee(component: ICAL.Component, address: string): Participant | undefined {
  return attendeesOf(component).find((a) => a.address === address);
}

export function organizerOf(component: ICAL.Component): string | undefined {
  const prop = component.getFirstProperty('organizer');
  return prop ? normalizeAddress(String(prop.getFirstValue() ?? '')) : undefined;
}

export function textOf(component: ICAL.Component, name: string): string | undefined {
  const value = component.getFirstPropertyValue(name);
  return value == null ? undefined : String(value);
}

/** A fresh VCALENDAR with our PRODID, for stored objects and generated messages. */
export function newCalendar(method?: string): ICAL.Component {
  const vcalendar = withoutZoneHydration(new ICAL.Component('vcalendar'));
  vcalendar.addPropertyWithValue('prodid', '-//itip-agent//EN');
  vcalendar.addPropertyWithValue('version', '2.0');
  if (method) vcalendar.addPropertyWithValue('method', method);
  return vcalendar;
}

/** A deep copy of a component, detached from its parent. */
export function cloneComponent(component: ICAL.Component): ICAL.Component {
  return withoutZoneHydration(new ICAL.Component(copyJcal(component.toJSON()) as unknown[]));
}

/**
 * ical.js gives each VCALENDAR root a cache through which the times of its
 * events take an ICAL.Timezone built from the VTIMEZONE of the same TZID. Such
 * a zone follows its rules from DTSTART with no bound the first time a time is
 * compared or converted, and a rule may be FREQ=SECONDLY. All zone work here
 * goes through ZoneResolver, which reads VTIMEZONEs within bounds
 * (defined-zone.ts), so roots are cut off from that cache: a time with a TZID
 * stays a plain wall-clock reading, and the TZID parameter says its zone.
 */
export function withoutZoneHydration(component: ICAL.Component): ICAL.Component {
  const root = component as unknown as { _timezoneCache: Map<string, unknown> | null };
  if (root._timezoneCache) root._timezoneCache = null;
  return component;
}

/**
 * A deep copy of jCal data (RFC 7265): arrays, plain objects (parameters,
 * RECUR values) and scalars. Copying by hand is several times faster than a
 * JSON round trip, and a message copies its components more than once. An
 * object without a prototype (ical.js's parser makes RECUR values so) is
 * copied as one, so that a copy of parsed jCal is what parsing the text again
 * would give.
 */
export function copyJcal(value: unknown): unknown {
  if (Array.isArray(value)) {
    const copy = new Array<unknown>(value.length);
    for (let i = 0; i < value.length; i++) copy[i] = copyJcal(value[i]);
    return copy;
  }
  if (value !== null && typeof value === 'object') {
    const copy = (Object.getPrototypeOf(value) === null ? Object.create(null) : {}) as Record<string, unknown>;
    for (const key of Object.keys(value)) {
      const item = copyJcal((value as Record<string, unknown>)[key]);
      // An own "__proto__" (a parameter of that name in hostile input) must
      // stay a property; assigning it would replace the prototype instead.
      if (key === '__proto__') Object.defineProperty(copy, key, { value: item, enumerable: true, writable: true, configurable: true });
      else copy[key] = item;
    }
    return copy;
  }
  return value;
}

/** A DATE or DATE-TIME property with the given value and TZID. */
export function timeProperty(name: string, time: ICAL.Time, tzid?: string): ICAL.Property {
  const prop = new ICAL.Property(name);
  if (time.isDate) prop.resetType('date');
  if (tzid && !time.isDate) prop.setParameter('tzid', tzid);
  prop.setValue(time.clone());
  return prop;
}

// Reading VTIMEZONEs once. Every message from a client carries the same few
// VTIMEZONEs, and so does every stored copy: parsing their lines again was
// most of what a VTIMEZONE added to handling an invitation. A VTIMEZONE block
// is taken out of the text, parsed alone once, and its jCal copied in where it
// stood. That gives the same jCal as parsing the whole text only when the
// block parses alone exactly as it does in place, which these checks make sure
// of; otherwise the text is parsed whole, as it came.

/** A VTIMEZONE block's text, kept apart from the message it came in, and its jCal. */
interface ZoneBlock {
  text: string;
  jcal: unknown[];
}

/**
 * VTIMEZONE blocks parsed so far, by blockFingerprint: the most recently used
 * few hundred, a megabyte of text at most (a real client's VTIMEZONE is one or
 * two kilobytes; a stream of new ones only replaces them). A block is taken
 * from here only when its text is the same, character for character; two
 * blocks with one fingerprint take turns in its place.
 */
const zoneBlocks = new BoundedCache<number, ZoneBlock>(256, 1_000_000);

/** The cache of parsed blocks, for tests of its bounds. */
export const zoneBlockCache: { readonly size: number; readonly totalWeight: number } = zoneBlocks;

/**
 * The block text each placed VTIMEZONE's jCal was parsed from. Weak: an entry
 * lives as long as its calendar. A parsed VTIMEZONE is read, never changed (no
 * code changes one), so its jCal stays what the text says.
 */
const blockTexts = new WeakMap<object, string>();

/**
 * The exact text (BEGIN:VTIMEZONE to END:VTIMEZONE and its line end) that a
 * VTIMEZONE of a calendar parseCalendar returned was read from; undefined for
 * one parsed with the whole text, and for copies. Two VTIMEZONEs with the same
 * text define the same zone, whatever message carried them.
 */
export function zoneBlockText(vtimezone: ICAL.Component): string | undefined {
  return blockTexts.get(vtimezone.jCal);
}
/** The property that stands in for a block: an X- name that no client writes. */
const STAND_IN = 'x-itip-agent-zone-block';

/** Component lines a VTIMEZONE may hold inside (RFC 5545 section 3.6.5). */
const OBSERVANCE_LINES = new Set(['BEGIN:STANDARD', 'END:STANDARD', 'BEGIN:DAYLIGHT', 'END:DAYLIGHT']);

/**
 * Whether ical.js reads this block (from BEGIN:VTIMEZONE to END:VTIMEZONE) as
 * one VTIMEZONE with STANDARD and DAYLIGHT parts, properly nested: no other
 * line (in any case, unfolded) that begins or ends a component.
 */
function isPlainZoneBlock(block: string): boolean {
  const lines = block.replace(/\r?\n[ \t]/g, '').replace(/\r?\n$/, '').split(/\r?\n/);
  let open: string | undefined;
  for (let i = 1; i < lines.length - 1; i++) {
    const line = lines[i]!;
    if (!/^(begin|end)[:;]/i.test(line)) continue;
    if (!OBSERVANCE_LINES.has(line)) return false;
    const [verb, name] = line.split(':');
    if (verb === 'BEGIN' ? open !== undefined : open !== name) return false;
    open = verb === 'BEGIN' ? name : undefined;
  }
  return open === undefined && lines[0] === 'BEGIN:VTIMEZONE' && /^END:VTIMEZONE$/.test(lines[lines.length - 1]!);
}

/**
 * A number that tells most blocks apart, read from part of text[start, end):
 * its length, its first 128 characters (where the TZID stands) and every 7th
 * character after them. Hashing the whole block, as a Map does with a text
 * key, was a visible share of parsing a message; a hit is compared in full.
 */
function blockFingerprint(text: string, start: number, end: number): number {
  let hash = 0x811c9dc5 ^ (end - start);
  const head = Math.min(end, start + 128);
  for (let i = start; i < head; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  for (let i = head; i < end; i += 7) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return hash >>> 0;
}

/**
 * A copy of a slice that does not hold on to the text it was sliced from (V8
 * keeps a slice as a view of the whole message): joining it to a character
 * makes V8 write the characters out, and the copy views only those.
 */
function detached(slice: string): string {
  return ` ${slice}`.slice(1);
}

function parsedZoneBlock(text: string, start: number, end: number): ZoneBlock | undefined {
  const fingerprint = blockFingerprint(text, start, end);
  const block = text.slice(start, end);
  const known = zoneBlocks.get(fingerprint);
  if (known !== undefined && known.text === block) return known;
  if (!isPlainZoneBlock(block)) return undefined;
  let data: unknown;
  try {
    data = ICAL.parse(block);
  } catch {
    return undefined;
  }
  if (!Array.isArray(data) || data[0] !== 'vtimezone') return undefined;
  const parsed: ZoneBlock = { text: detached(block), jcal: data };
  zoneBlocks.set(fingerprint, parsed, block.length);
  return parsed;
}

/**
 * The jCal of `text` with its VTIMEZONE blocks read from the cache; undefined
 * when the text has none, or when any check fails (the caller parses it whole).
 */
function parseWithKnownZones(text: string): unknown | undefined {
  // A text that begins with its VCALENDAR: ical.js then reads every component with iCalendar's rules.
  if (!/^BEGIN:VCALENDAR\r?\n/.test(text) || !text.includes('\nBEGIN:VTIMEZONE')) return undefined;
  const blocks: ZoneBlock[] = [];
  let rest = '';
  let from = 0;
  for (;;) {
    const start = text.indexOf('\nBEGIN:VTIMEZONE', from);
    if (start < 0) break;
    const endLine = text.indexOf('\nEND:VTIMEZONE', start);
    if (endLine < 0) return undefined;
    let end = endLine + '\nEND:VTIMEZONE'.length;
    if (text[end] === '\r') end++;
    if (text[end] !== '\n') return undefined;
    end++;
    // A continuation of the END line would change it in place.
    if (text[end] === ' ' || text[end] === '\t') return undefined;
    const parsed = parsedZoneBlock(text, start + 1, end);
    if (!parsed) return undefined;
    rest += `${text.slice(from, start + 1)}BEGIN:VTIMEZONE\r\n${STAND_IN}:${blocks.length}\r\nEND:VTIMEZONE\r\n`;
    blocks.push(parsed);
    from = end;
  }
  let data: unknown;
  try {
    data = ICAL.parse(rest + text.slice(from));
  } catch {
    return undefined;
  }
  const placed = new Set<number>();
  const place = (component: unknown[]): boolean => {
    const children = component[2] as unknown[][];
    for (let i = 0; i < children.length; i++) {
      const child = children[i]!;
      const props = child[1] as unknown[][];
      if (child[0] === 'vtimezone' && props.length === 1 && props[0]![0] === STAND_IN) {
        const index = Number(props[0]![3]);
        if ((child[2] as unknown[]).length > 0 || !blocks[index] || placed.has(index)) return false;
        placed.add(index);
        // The kept text (its hash already made by the zone cache's key), not a new slice.
        const copy = copyJcal(blocks[index]!.jcal) as unknown[];
        blockTexts.set(copy, blocks[index]!.text);
        children[i] = copy;
      } else if (!place(child)) return false;
    }
    return true;
  };
  const roots = (Array.isArray(data) && typeof data[0] === 'string' ? [data] : data) as unknown[][];
  if (!roots.every(place) || placed.size !== blocks.length) return undefined;
  return data;
}

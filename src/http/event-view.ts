// A stored calendar object as the pages show it: its components read once,
// the people in it with their answers and delivery status, and its instances
// within a window. Everything here is text for the page to escape; nothing is
// markup.

import type ICAL from 'ical.js';
import { scheduledComponentsOf, organizerOf, parseCalendar, recurrenceKey, textOf, uidOf } from '../ical/calendar.js';
import { expandObject, type ExpansionLimits, type Instance, type Window } from '../ical/expand.js';
import { normalizeAddress } from '../ical/address.js';
import { ZoneResolver, type Zone } from '../ical/zones.js';
import { etagOf } from '../itip/actions/action.js';
import type { StoredObject } from '../itip/model.js';

/**
 * Bounds on expanding a series for a page: far below the agent's (expand.ts),
 * because a page expands every event of a week or month on each view, and a
 * hostile series must not make a page slow for its owner.
 */
export const PAGE_EXPANSION_LIMITS: ExpansionLimits = { maxInstances: 1_000, maxSteps: 20_000, maxCandidates: 50_000 };

export interface Person {
  address: string;
  /** The CN parameter, if any. */
  name?: string;
}

export interface AttendeeRow extends Person {
  partstat: string;
  role?: string;
  /** SCHEDULE-STATUS codes (RFC 6638 section 3.2.9): how the organizer's last message to them fared. */
  scheduleStatus: string[];
  delegatedTo?: string;
  delegatedFrom?: string;
}

/** Which side of the event a user is on. */
export type UserSide = 'organizer' | 'attendee' | 'other';

/**
 * RFC 6638 section 3.2.9 (the codes of RFC 5546 section 3.6): what each
 * delivery status means, in a few words.
 */
const STATUS_MEANING: Record<string, string> = {
  '1.0': 'pending: still being sent',
  '1.1': 'sent; delivery not known yet',
  '1.2': 'delivered',
  '2.0': 'delivered and processed',
  '3.7': 'invalid calendar user: there is no such mailbox',
  '3.8': 'no scheduling privileges for this user',
  '5.1': 'could not be delivered',
  '5.2': 'invalid delivery method',
  '5.3': 'this user cannot receive scheduling messages',
};

/** What a SCHEDULE-STATUS code means, by the code or else its class. */
export function statusMeaning(code: string): string {
  const known = STATUS_MEANING[code];
  if (known) return known;
  switch (code.split('.')[0]) {
    case '1':
      return 'pending';
    case '2':
      return 'delivered';
    case '3':
      return 'refused by the recipient\'s system';
    case '5':
      return 'failed';
    default:
      return 'unknown status';
  }
}

/** What a PARTSTAT means for the person (RFC 5545 section 3.2.12). */
export function partstatText(partstat: string): string {
  switch (partstat) {
    case 'ACCEPTED':
      return 'accepted';
    case 'DECLINED':
      return 'declined';
    case 'TENTATIVE':
      return 'tentative';
    case 'DELEGATED':
      return 'delegated';
    case 'NEEDS-ACTION':
      return 'has not answered';
    default:
      return partstat.toLowerCase();
  }
}

/** Line breaks kept, everything else that prints nothing or reorders text (C0, C1, bidi controls) removed. */
export function multiLine(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    .replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, '')
    .trim();
}

/** One line: line breaks become spaces, controls go. */
export function singleLine(text: string | undefined): string {
  return multiLine(text ?? '').replace(/\s+/g, ' ');
}

function person(prop: ICAL.Property | null): Person | undefined {
  if (!prop) return undefined;
  const address = normalizeAddress(String(prop.getFirstValue() ?? ''));
  if (!address) return undefined;
  const cn = prop.getParameter('cn');
  const name = typeof cn === 'string' ? singleLine(cn) : undefined;
  return name ? { address, name } : { address };
}

function parameterText(prop: ICAL.Property, name: string): string | undefined {
  const value = prop.getParameter(name);
  if (value === undefined || value === null) return undefined;
  return singleLine(Array.isArray(value) ? value.join(', ') : String(value));
}

export class EventView {
  readonly uid: string;
  readonly etag: string;
  readonly zones: ZoneResolver;
  /** Master first, then overrides by recurrence key. */
  readonly components: Array<{ key: string; component: ICAL.Component }>;
  private readonly attendeeRows = new WeakMap<ICAL.Component, AttendeeRow[]>();

  /** Reads a stored object; `floating` is the user's zone (floating times and dates). Throws if the text is no calendar. */
  constructor(stored: StoredObject, floating: Zone | null) {
    this.uid = stored.uid;
    this.etag = etagOf(stored);
    const vcalendar = parseCalendar(stored.ics);
    this.zones = new ZoneResolver(vcalendar, floating);
    this.components = scheduledComponentsOf(vcalendar)
      .filter((event) => uidOf(event) === stored.uid)
      .map((component) => ({ key: recurrenceKey(component, this.zones), component }))
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  get master(): ICAL.Component | undefined {
    return this.components[0]?.key === '' ? this.components[0].component : undefined;
  }

  /** The master, else the first override: what stands for the event as a whole. */
  get reference(): ICAL.Component | undefined {
    return this.components[0]?.component;
  }

  component(key: string): ICAL.Component | undefined {
    return this.components.find((c) => c.key === key)?.component;
  }

  get isRecurring(): boolean {
    const master = this.master;
    return !!master && (master.hasProperty('rrule') || master.hasProperty('rdate'));
  }

  summary(component = this.reference): string {
    return (component && singleLine(textOf(component, 'summary'))) || '(no title)';
  }

  location(component = this.reference): string {
    return component ? singleLine(textOf(component, 'location')) : '';
  }

  description(component = this.reference): string {
    return component ? multiLine(textOf(component, 'description') ?? '') : '';
  }

  organizer(component = this.reference): Person | undefined {
    if (!component) return undefined;
    return person(component.getFirstProperty('organizer')) ?? (this.master && component !== this.master ? person(this.master.getFirstProperty('organizer')) : undefined);
  }

  attendees(component = this.reference): AttendeeRow[] {
    if (!component) return [];
    const known = this.attendeeRows.get(component);
    if (known) return known;
    const rows: AttendeeRow[] = [];
    for (const prop of component.getAllProperties('attendee')) {
      const who = person(prop);
      if (!who) continue;
      const status = parameterText(prop, 'schedule-status');
      const role = parameterText(prop, 'role');
      const delegatedTo = parameterText(prop, 'delegated-to');
      const delegatedFrom = parameterText(prop, 'delegated-from');
      rows.push({
        ...who,
        partstat: (parameterText(prop, 'partstat') ?? 'NEEDS-ACTION').toUpperCase(),
        scheduleStatus: status ? status.split(/\s*,\s*/).filter((code) => /^\d+(\.\d+)*$/.test(code)) : [],
        ...(role ? { role: role.toUpperCase() } : {}),
        ...(delegatedTo ? { delegatedTo } : {}),
        ...(delegatedFrom ? { delegatedFrom } : {}),
      });
    }
    this.attendeeRows.set(component, rows);
    return rows;
  }

  /** The user's side: the organizer (or any user of an event that names none), an attendee, or neither. */
  sideOf(user: string): UserSide {
    const organizer = this.components.map((c) => organizerOf(c.component)).find((o) => o !== undefined);
    if (!organizer || organizer === user) return 'organizer';
    return this.components.some((c) => this.attendees(c.component).some((a) => a.address === user)) ? 'attendee' : 'other';
  }

  /** The user's PARTSTAT in a component (the master or the reference when not given). */
  partstatOf(user: string, component = this.reference): string | undefined {
    return component ? this.attendees(component).find((a) => a.address === user)?.partstat : undefined;
  }

  /** Instances overlapping the window (a single event whatever the window), with a flag when a bound cut the series short. */
  instances(window: Window): { instances: Instance[]; truncated: boolean } {
    const list = this.components.map((c) => c.component);
    if (list.length === 0) return { instances: [], truncated: false };
    return expandObject(list, this.zones, window, PAGE_EXPANSION_LIMITS);
  }
}

export function isCancelled(component: ICAL.Component): boolean {
  return (textOf(component, 'status') ?? '').toUpperCase() === 'CANCELLED';
}

/**
 * Events read lately, by zone, UID and text: a page shows the same events
 * again and again (the requests page of someone with hundreds of pending
 * invitations reads all of them on every view), and reading a calendar text
 * is most of a page's cost. A view is never changed once made, and a changed
 * event has another text, so an entry never goes stale; the oldest go first
 * when the texts kept pass a bound.
 */
const readLately = new Map<string, EventView | null>();
const READ_LATELY_CHARS = 4_000_000;
let readLatelyChars = 0;

/** Forgets the events read lately (the benchmark measures pages that read every event anew). */
export function forgetReadEvents(): void {
  readLately.clear();
  readLatelyChars = 0;
}

/** Reads a stored object, or undefined (and the caller says it cannot be shown) when it is no calendar. */
export function readEvent(stored: StoredObject, floating: Zone | null): EventView | undefined {
  const key = `${floating?.tzid ?? ''}\u0000${stored.uid}\u0000${stored.ics}`;
  const known = readLately.get(key);
  if (known !== undefined) {
    // Used again: to the young end.
    readLately.delete(key);
    readLately.set(key, known);
    return known ?? undefined;
  }
  let view: EventView | null;
  try {
    view = new EventView(stored, floating);
  } catch {
    view = null;
  }
  if (key.length <= READ_LATELY_CHARS / 4) {
    readLately.set(key, view);
    readLatelyChars += key.length;
    for (const old of readLately.keys()) {
      if (readLatelyChars <= READ_LATELY_CHARS) break;
      readLately.delete(old);
      readLatelyChars -= old.length;
    }
  }
  return view ?? undefined;
}

/** `Name (address)` or the bare address. */
export function personText(who: Person | undefined): string {
  if (!who) return 'nobody named';
  const address = who.address.replace(/^mailto:/i, '');
  return who.name && who.name !== address ? `${who.name} (${address})` : address;
}

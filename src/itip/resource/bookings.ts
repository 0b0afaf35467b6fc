// What a resource decision reads besides the message: the resource's other
// bookings (its own free/busy) and, for a group, its members' free/busy. Both
// come as plain data the agent reads before it calls the core (the span of
// the bookings is the core's to name: bookingSpan below, through
// src/itip/snapshot.ts); the core never reaches the store.

import type { Window } from '../../ical/expand.js';
import type { Period, Preferences } from '../model.js';
import { chainOf } from './registry.js';
import type { QuotaPeriod, ResourceSettings } from './settings.js';

/** A resource's own bookings over a span, as the store held them when the message came. */
export interface ResourceBookings {
  /** The span read, epoch ms [from, to): every period overlapping it is in `periods`. */
  from: number;
  to: number;
  periods: Period[];
  /** The ORGANIZER of each booking's UID (a mailto: URI, null for none), where quotas need it. */
  organizers?: Record<string, string | null>;
}

/** A member of a resource group, read before the group's transaction. */
export interface GroupMember {
  address: string;
  role?: string;
  prefs: Preferences;
  /** The member's own busy periods in the free/busy window around now. */
  busy: Period[];
}

export interface Booking {
  start: number;
  end: number;
  uid: string;
}

/**
 * The bookings of others than the event being decided: the event's own old
 * slot is no clash for its reschedule (RFC 5546 section 2.1.5 updates replace).
 * A read outside the span the bookings were read for would take unknown time
 * for free: it is a fault of ours (the span rule below), and throws.
 */
export class BookingIndex {
  private readonly bookings: Booking[];

  constructor(
    private readonly source: ResourceBookings | undefined,
    exclude: string,
  ) {
    this.bookings = (source?.periods ?? [])
      .filter((p) => p.uid !== exclude)
      .map((p) => ({ start: Date.parse(p.start), end: Date.parse(p.end), uid: p.uid }));
  }

  /** Bookings overlapping [fromMs, toMs). */
  overlapping(fromMs: number, toMs: number): Booking[] {
    const source = this.source;
    if (!source) return [];
    if (fromMs < source.from || toMs > source.to) {
      throw new Error(`the resource's bookings were read for ${source.from} to ${source.to}, not for ${fromMs} to ${toMs}`);
    }
    return this.bookings.filter((b) => b.start < toMs && b.end > fromMs);
  }

  organizer(uid: string): string | undefined {
    const organizers = this.source?.organizers;
    if (this.source && !organizers) throw new Error('the organizers of the resource\'s bookings were not read');
    return organizers?.[uid] ?? undefined;
  }
}

/** A fixed list of periods (a group member's, read beforehand) as bookings; beyond them, the member is free. */
export function staticBookings(periods: Period[]): ResourceBookings {
  return { from: -Infinity, to: Infinity, periods, organizers: {} };
}

const DAY = 86_400_000;

/** The longest a quota period lasts (a local day, week, month or year), with a day for zone offsets. */
const QUOTA_REACH: Record<QuotaPeriod, number> = { day: 2 * DAY, week: 8 * DAY, month: 32 * DAY, year: 367 * DAY };

/**
 * The span of bookings a decision about instances in [judged.from, judged.to)
 * reads (src/itip/resource/handler.ts): the instances themselves; for quotas,
 * the whole period around each start (src/itip/resource/policy-quota.ts); for
 * a counter-proposal, the days searched after the requested time and the
 * quota periods of each slot tried (src/itip/resource/counter-slot.ts).
 * Whether the organizers of those bookings are needed too: for quotas only.
 */
export function bookingSpan(judged: Window, prefs: Preferences, settings: ResourceSettings): { span: Window; organizers: boolean } {
  const quotas = chainOf(prefs, ['freebusy']).chain.includes('quota') && settings.quotas.length > 0;
  const quotaReach = quotas ? Math.max(...settings.quotas.map((q) => QUOTA_REACH[q.period])) : 0;
  const search = settings.counterOffers ? settings.counterSearchDays * DAY : 0;
  return { span: { from: judged.from - quotaReach, to: judged.to + search + quotaReach }, organizers: quotas };
}

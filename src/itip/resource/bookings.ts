// What a resource decision reads besides the message: the resource's other
// bookings (its own free/busy) and, for a group, its members' free/busy. The
// handler in src/agent gives read-only views; the core never reaches the store.

import type { Period, Preferences } from '../model.js';

/** A read-only view of a resource's own bookings, as the store holds them. */
export interface ResourceBookings {
  /** Own busy periods overlapping [fromMs, toMs). */
  busy(fromMs: number, toMs: number): Period[];
  /** The ORGANIZER of a stored booking (for quotas), as a mailto: URI. */
  organizer(uid: string): string | undefined;
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
 * Reads are cached over a growing range, so a slot search does not ask the
 * store once per candidate.
 */
export class BookingIndex {
  private from = 0;
  private to = 0;
  private loaded: Booking[] = [];

  constructor(
    private readonly source: ResourceBookings | undefined,
    private readonly exclude: string,
  ) {}

  /** Bookings overlapping [fromMs, toMs). */
  overlapping(fromMs: number, toMs: number): Booking[] {
    if (!this.source) return [];
    if (fromMs < this.from || toMs > this.to || this.from === this.to) {
      const margin = 7 * 86_400_000;
      const from = this.from === this.to ? fromMs - margin : Math.min(this.from, fromMs - margin);
      const to = this.from === this.to ? toMs + margin : Math.max(this.to, toMs + margin);
      this.loaded = this.source
        .busy(from, to)
        .filter((p) => p.uid !== this.exclude)
        .map((p) => ({ start: Date.parse(p.start), end: Date.parse(p.end), uid: p.uid }));
      [this.from, this.to] = [from, to];
    }
    return this.loaded.filter((b) => b.start < toMs && b.end > fromMs);
  }

  organizer(uid: string): string | undefined {
    return this.source?.organizer(uid);
  }
}

/** A fixed list of periods (a group member's, read beforehand) as bookings. */
export function staticBookings(periods: Period[]): ResourceBookings {
  return {
    busy: (fromMs, toMs) => periods.filter((p) => Date.parse(p.start) < toMs && Date.parse(p.end) > fromMs),
    organizer: () => undefined,
  };
}

// Wall-clock readings of instants in a resource's zone (its TZID preference, or
// UTC): permitted times and quota periods are about local days and hours.

import { olsonZoneFor, type OlsonZone } from '../../ical/zones.js';

const DAY = 86_400_000;

export class LocalClock {
  private readonly zone: OlsonZone | null;

  constructor(tzid: string | undefined) {
    this.zone = tzid ? olsonZoneFor(tzid) : null;
  }

  /** The wall-clock reading of an instant, as epoch ms of the same fields in UTC. */
  wall(instant: number): number {
    return this.zone ? instant + this.zone.offsetAtInstant(instant) : instant;
  }

  /** The instant of a wall-clock reading (RFC 5545 section 3.3.5 rules for gaps and folds). */
  instant(wall: number): number {
    return this.zone ? this.zone.wallToInstant(wall) : wall;
  }

  /** Local midnight (as a wall reading) of the day an instant falls on. */
  dayOf(instant: number): number {
    const wall = this.wall(instant);
    return wall - (((wall % DAY) + DAY) % DAY);
  }

  /** The calendar period [start, end) around an instant, as instants. */
  periodAround(instant: number, period: 'day' | 'week' | 'month' | 'year'): [number, number] {
    const day = this.dayOf(instant);
    const date = new Date(day);
    let from: number;
    let to: number;
    switch (period) {
      case 'day':
        [from, to] = [day, day + DAY];
        break;
      case 'week': {
        // ISO 8601 weeks start on Monday.
        const monday = day - ((date.getUTCDay() + 6) % 7) * DAY;
        [from, to] = [monday, monday + 7 * DAY];
        break;
      }
      case 'month':
        from = Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1);
        to = Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1);
        break;
      case 'year':
        from = Date.UTC(date.getUTCFullYear(), 0, 1);
        to = Date.UTC(date.getUTCFullYear() + 1, 0, 1);
        break;
    }
    return [this.instant(from), this.instant(to)];
  }
}

export { DAY };

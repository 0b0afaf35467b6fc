// Times on the web pages, in the user's own zone (the TZID preference; UTC
// when there is none or it names no zone we know): days, weeks and months of
// the calendar, the text of a time or a span, and the fields of the "propose
// a new time" form. Calendar days are counted as day numbers (days since
// 1970-01-01 of the wall clock), so that a day is a day whatever its length
// in the zone (23 or 25 hours at a change of daylight time).

import { userZone, type Zone } from '../ical/zones.js';

export const DAY = 86_400_000;
const WEEKDAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
export const MONTH_NAMES = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** The years the pages move through: enough for any calendar, and no arithmetic at the ends of Date. */
const FIRST_YEAR = 1900;
const LAST_YEAR = 2200;

/** Day number of a date of the proleptic Gregorian calendar. */
export function dayNumber(year: number, month: number, day: number): number {
  return Date.UTC(year, month - 1, day) / DAY;
}

export function dateOf(day: number): { year: number; month: number; day: number } {
  const date = new Date(day * DAY);
  return { year: date.getUTCFullYear(), month: date.getUTCMonth() + 1, day: date.getUTCDate() };
}

/** 0 for Monday ... 6 for Sunday (ISO 8601). */
export function weekdayOf(day: number): number {
  return (new Date(day * DAY).getUTCDay() + 6) % 7;
}

/** `2026-12-01` */
export function dayKey(day: number): string {
  const d = dateOf(day);
  return `${pad(d.year, 4)}-${pad(d.month)}-${pad(d.day)}`;
}

/** The ISO 8601 week of a day: the week belongs to the year of its Thursday. */
export function isoWeekOf(day: number): { year: number; week: number } {
  const thursday = day - weekdayOf(day) + 3;
  const year = dateOf(thursday).year;
  return { year, week: Math.floor((thursday - dayNumber(year, 1, 1)) / 7) + 1 };
}

/** `2026-W49` */
export function weekKey(day: number): string {
  const { year, week } = isoWeekOf(day);
  return `${pad(year, 4)}-W${pad(week)}`;
}

/** The Monday of a week written `2026-W49`, or undefined if there is no such week. */
export function parseWeek(text: string): number | undefined {
  const match = /^(\d{4})-W(\d{2})$/.exec(text);
  if (!match) return undefined;
  const year = Number(match[1]);
  const week = Number(match[2]);
  if (year < FIRST_YEAR || year > LAST_YEAR || week < 1 || week > 53) return undefined;
  // 4 January is always in week 1 (ISO 8601).
  const jan4 = dayNumber(year, 1, 4);
  const monday = jan4 - weekdayOf(jan4) + 7 * (week - 1);
  const check = isoWeekOf(monday);
  return check.year === year && check.week === week ? monday : undefined;
}

/** A month written `2026-12`, or undefined. */
export function parseMonth(text: string): { year: number; month: number } | undefined {
  const match = /^(\d{4})-(\d{2})$/.exec(text);
  if (!match) return undefined;
  const year = Number(match[1]);
  const month = Number(match[2]);
  if (year < FIRST_YEAR || year > LAST_YEAR || month < 1 || month > 12) return undefined;
  return { year, month };
}

export function monthKey(year: number, month: number): string {
  return `${pad(year, 4)}-${pad(month)}`;
}

/** A day written `2026-12-01`, or undefined. */
export function parseDay(text: string): number | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!match) return undefined;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (year < FIRST_YEAR || year > LAST_YEAR) return undefined;
  const number = dayNumber(year, month, day);
  return dayKey(number) === text ? number : undefined;
}

/** Times of one user's pages, read and written in their zone. */
export class TimeText {
  private readonly zone: Zone | null;
  /** The zone's name as the user wrote it, or UTC. */
  readonly label: string;

  constructor(tzid: string | undefined) {
    this.zone = userZone(tzid);
    this.label = this.zone ? tzid! : 'UTC';
  }

  /** The wall-clock reading of an instant, in ms as if UTC. */
  wall(instant: number): number {
    return this.zone ? instant + this.zone.offsetAtInstant(instant) : instant;
  }

  /** The instant of a wall-clock reading (ms as if UTC). */
  instant(wall: number): number {
    return this.zone ? this.zone.wallToInstant(wall) : wall;
  }

  /** The day (day number) an instant falls on. */
  day(instant: number): number {
    return Math.floor(this.wall(instant) / DAY);
  }

  /** The instant the day begins. */
  dayStart(day: number): number {
    return this.instant(day * DAY);
  }

  /** `09:05` */
  time(instant: number): string {
    const wall = this.wall(instant);
    const minutes = Math.floor((((wall % DAY) + DAY) % DAY) / 60_000);
    return `${pad(Math.floor(minutes / 60))}:${pad(minutes % 60)}`;
  }

  /** `Tue 1 Dec 2026` */
  date(day: number, withYear = true): string {
    const d = dateOf(day);
    return `${WEEKDAYS[weekdayOf(day)]} ${d.day} ${MONTHS[d.month - 1]}${withYear ? ` ${d.year}` : ''}`;
  }

  /** `Tue 1 Dec 2026, 09:00` */
  at(instant: number): string {
    return `${this.date(this.day(instant))}, ${this.time(instant)}`;
  }

  /**
   * A span as people read it: `Tue 1 Dec 2026, 09:00-10:00`, across days with
   * both dates, all-day events by their dates (the end day is exclusive).
   */
  span(start: number, end: number, allDay: boolean): string {
    if (allDay) {
      const first = this.day(start);
      const last = Math.max(first, this.day(end - 1));
      return first === last ? `${this.date(first)} (all day)` : `${this.date(first)} - ${this.date(last)} (all day)`;
    }
    const first = this.day(start);
    const last = this.day(end);
    if (end <= start) return this.at(start);
    if (first === last) return `${this.date(first)}, ${this.time(start)}-${this.time(end)}`;
    return `${this.at(start)} - ${this.at(end)}`;
  }

  /** The value of an `<input type="datetime-local">`: `2026-12-01T09:00`. */
  inputValue(instant: number): string {
    const wall = this.wall(instant);
    const day = Math.floor(wall / DAY);
    return `${dayKey(day)}T${this.time(instant)}`;
  }

  /** The instant of a datetime-local value (`2026-12-01T09:00`, seconds allowed), or undefined. */
  parseInput(text: string): number | undefined {
    const match = /^(\d{4}-\d{2}-\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(text.trim());
    if (!match) return undefined;
    const day = parseDay(match[1]!);
    const [hour, minute, second] = [Number(match[2]), Number(match[3]), Number(match[4] ?? 0)];
    if (day === undefined || hour > 23 || minute > 59 || second > 59) return undefined;
    return this.instant(day * DAY + ((hour * 60 + minute) * 60 + second) * 1000);
  }
}

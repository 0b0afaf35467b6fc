// A resource's preferences, read into typed settings. The same parsers serve the
// core (which reads stored values) and `itip-agent prefs` (which refuses a bad
// value with the parser's message), so what is accepted is what is understood.
//
// Every parser throws a SettingError whose message says what was expected.

import { addressDomain } from '../../ical/address.js';
import type { Preferences } from '../model.js';
import { schedulingFunctions } from '../preferences.js';

export class SettingError extends Error {
  override name = 'SettingError';
}

const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;

export type RecurrencePolicy = 'all-or-nothing' | 'per-instance';

export interface PermittedTimes {
  /** Allowed weekdays, 0 = Sunday (Date.getUTCDay numbering); undefined: every day. */
  days?: Set<number>;
  /** Allowed local time-of-day ranges in minutes [from, to); undefined: all day. */
  hours?: Array<[number, number]>;
  /** Start and end must fall on multiples of this many minutes after local midnight. */
  stepMinutes?: number;
  /** Longest booking, in ms. */
  maxMs?: number;
  /** Shortest booking, in ms. */
  minMs?: number;
}

export type QuotaScope = 'organizer' | 'domain' | 'group';
export type QuotaPeriod = 'day' | 'week' | 'month' | 'year';

export interface Quota {
  /** Most booked time per scope and period, in ms. */
  amountMs: number;
  period: QuotaPeriod;
  scope: QuotaScope;
  /** The text it was read from, for reasons. */
  text: string;
}

/** An address (`alice@example.com`) or a domain (`example.com`, `@example.com`; `*.example.com` takes subdomains). */
export interface AccessEntry {
  address?: string;
  domain?: string;
  subdomains?: boolean;
}

export interface ResourceSettings {
  chain: string[];
  capacity: number;
  recurrencePolicy: RecurrencePolicy;
  permitted?: PermittedTimes;
  allowedDomains: string[];
  allow: AccessEntry[];
  deny: AccessEntry[];
  quotas: Quota[];
  /** Group name -> members (addresses and domains), for quotas "per group". */
  quotaGroups: Array<{ name: string; members: AccessEntry[] }>;
  counterOffers: boolean;
  counterSearchDays: number;
  groupMembers: string[];
}

// --- durations (RFC 5545 section 3.3.6) ---

const DURATION = /^P(?:(\d+)W|(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?)$/;

/** An RFC 5545 duration such as PT90M, PT1H30M, P1D or P1W, in ms. */
export function parseDuration(text: string, what: string): number {
  const upper = text.trim().toUpperCase();
  const match = DURATION.exec(upper);
  if (!match || !/\d/.test(upper) || upper.endsWith('T')) {
    throw new SettingError(`${what} must be a duration such as PT30M, PT4H or P1D; got ${JSON.stringify(text)}`);
  }
  const [, w, d, h, m, s] = match.map((v) => Number(v ?? 0));
  const ms = ((((w * 7 + d) * 24 + h) * 60 + m) * 60 + s) * 1000;
  if (ms <= 0) throw new SettingError(`${what} must be longer than zero; got ${JSON.stringify(text)}`);
  return ms;
}

// --- scheduling_function ---

/** The chain as names, split at commas, whitespace or new lines (imip-agent writes one per line). */
export function splitChain(text: string): string[] {
  return text.split(/[\s,]+/).map((name) => name.trim().toLowerCase()).filter(Boolean);
}

// --- permitted_times ---

function minutesOf(text: string, what: string): number {
  const match = /^(\d{1,2}):(\d{2})$/.exec(text.trim());
  const hours = Number(match?.[1]);
  const minutes = Number(match?.[2]);
  if (!match || minutes > 59 || hours > 24 || (hours === 24 && minutes > 0)) {
    throw new SettingError(`${what}: ${JSON.stringify(text)} is not a time of day such as 08:00 or 17:30`);
  }
  return hours * 60 + minutes;
}

function parseDays(text: string): Set<number> {
  const days = new Set<number>();
  for (const part of text.split(',').map((p) => p.trim().toLowerCase()).filter(Boolean)) {
    const [from, to, extra] = part.split('-');
    const a = WEEKDAYS.indexOf(from as (typeof WEEKDAYS)[number]);
    const b = to === undefined ? a : WEEKDAYS.indexOf(to as (typeof WEEKDAYS)[number]);
    if (a < 0 || b < 0 || extra !== undefined) {
      throw new SettingError(`permitted_times days: ${JSON.stringify(part)} is not a weekday or range such as mon-fri or sat,sun`);
    }
    // A range may wrap over the weekend (fri-mon).
    for (let day = a; ; day = (day + 1) % 7) {
      days.add(day);
      if (day === b) break;
    }
  }
  if (days.size === 0) throw new SettingError('permitted_times days: name at least one weekday, e.g. days=mon-fri');
  return days;
}

function parseHours(text: string): Array<[number, number]> {
  const ranges: Array<[number, number]> = [];
  for (const part of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    const [from, to, extra] = part.split('-');
    if (to === undefined || extra !== undefined) {
      throw new SettingError(`permitted_times hours: ${JSON.stringify(part)} is not a range such as 08:00-18:00`);
    }
    const range: [number, number] = [minutesOf(from, 'permitted_times hours'), minutesOf(to, 'permitted_times hours')];
    if (range[0] >= range[1]) throw new SettingError(`permitted_times hours: ${JSON.stringify(part)} ends before it starts`);
    ranges.push(range);
  }
  if (ranges.length === 0) throw new SettingError('permitted_times hours: give at least one range such as 08:00-18:00');
  return ranges;
}

/**
 * `days=mon-fri; hours=08:00-12:00,13:00-18:00; step=PT15M; max=PT4H; min=PT30M`:
 * clauses separated by semicolons or new lines, each optional, read in the
 * resource's TZID (UTC without one). An instance must start on an allowed day,
 * lie within one allowed range of that day, start and end on the step, and last
 * no longer than max (nor shorter than min).
 */
export function parsePermittedTimes(text: string): PermittedTimes {
  const permitted: PermittedTimes = {};
  const clauses = text.split(/[;\n]+/).map((c) => c.trim()).filter(Boolean);
  if (clauses.length === 0) throw new SettingError('permitted_times must not be empty; e.g. days=mon-fri; hours=08:00-18:00; step=PT15M; max=PT4H');
  for (const clause of clauses) {
    const eq = clause.indexOf('=');
    const key = eq < 0 ? '' : clause.slice(0, eq).trim().toLowerCase();
    const value = eq < 0 ? '' : clause.slice(eq + 1).trim();
    switch (key) {
      case 'days':
        permitted.days = parseDays(value);
        break;
      case 'hours':
        permitted.hours = parseHours(value);
        break;
      case 'step': {
        const ms = parseDuration(value, 'permitted_times step');
        if (ms % 60_000 !== 0 || ms > 86_400_000 || 1440 % (ms / 60_000) !== 0) {
          throw new SettingError(`permitted_times step must divide a day into whole minutes (PT5M, PT15M, PT30M, PT1H); got ${JSON.stringify(value)}`);
        }
        permitted.stepMinutes = ms / 60_000;
        break;
      }
      case 'max':
        permitted.maxMs = parseDuration(value, 'permitted_times max');
        break;
      case 'min':
        permitted.minMs = parseDuration(value, 'permitted_times min');
        break;
      default:
        throw new SettingError(
          `permitted_times: cannot read ${JSON.stringify(clause)}; use clauses days=mon-fri, hours=08:00-18:00, step=PT15M, max=PT4H, min=PT30M separated by ";"`,
        );
    }
  }
  if (permitted.minMs !== undefined && permitted.maxMs !== undefined && permitted.minMs > permitted.maxMs) {
    throw new SettingError('permitted_times: min is longer than max');
  }
  return permitted;
}

// --- access lists ---

const DOMAIN = /^(?:\*\.)?[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*$/;
const ADDRESS = /^[^\s@<>(),;:"]+@[a-z0-9.-]+$/;

export function parseAccessEntry(text: string, what: string): AccessEntry {
  const entry = text.trim().toLowerCase().replace(/^mailto:/, '');
  if (ADDRESS.test(entry) && !entry.startsWith('@')) return { address: `mailto:${entry}` };
  const domain = entry.replace(/^@/, '');
  if (DOMAIN.test(domain)) {
    return domain.startsWith('*.') ? { domain: domain.slice(2), subdomains: true } : { domain };
  }
  throw new SettingError(`${what}: ${JSON.stringify(text.trim())} is neither a mail address nor a domain (alice@example.com, example.com, *.example.com)`);
}

export function parseAccessList(text: string, what: string): AccessEntry[] {
  const parts = text.split(/[\s,;]+/).filter(Boolean);
  if (parts.length === 0) throw new SettingError(`${what} must name at least one address or domain`);
  return parts.map((part) => parseAccessEntry(part, what));
}

export function matchesAccess(address: string, entries: AccessEntry[]): boolean {
  const domain = addressDomain(address);
  return entries.some((entry) => {
    if (entry.address) return entry.address === address;
    if (!entry.domain) return false;
    return domain === entry.domain || (!!entry.subdomains && domain.endsWith(`.${entry.domain}`));
  });
}

// --- quotas ---

const PERIODS: Record<string, QuotaPeriod> = { P1D: 'day', P1W: 'week', P7D: 'week', P1M: 'month', P1Y: 'year' };

/**
 * `PT10H/P1W per organizer; PT40H/P1M per domain`: at most this much booked time
 * per calendar day (P1D), week (P1W, Monday to Sunday), month (P1M) or year (P1Y)
 * in the resource's zone, counted per organizer, per organizer domain, or per
 * group of `quota_groups`. Several quotas separated by semicolons all apply.
 */
export function parseQuotas(text: string): Quota[] {
  const quotas: Quota[] = [];
  for (const clause of text.split(/[;\n]+/).map((c) => c.trim()).filter(Boolean)) {
    const match = /^(\S+)\s*\/\s*(\S+)(?:\s+per\s+(\S+))?$/i.exec(clause);
    if (!match) {
      throw new SettingError(`quota: cannot read ${JSON.stringify(clause)}; write it like "PT10H/P1W per organizer" (per organizer, domain or group)`);
    }
    const amountMs = parseDuration(match[1], 'quota amount');
    const period = PERIODS[match[2].toUpperCase()];
    if (!period) throw new SettingError(`quota period must be P1D, P1W, P1M or P1Y; got ${JSON.stringify(match[2])}`);
    const scope = (match[3] ?? 'organizer').toLowerCase();
    if (scope !== 'organizer' && scope !== 'domain' && scope !== 'group') {
      throw new SettingError(`quota: "per ${match[3]}" is not known; use per organizer, per domain or per group`);
    }
    quotas.push({ amountMs, period, scope, text: `${match[1].toUpperCase()}/${match[2].toUpperCase()} per ${scope}` });
  }
  if (quotas.length === 0) throw new SettingError('quota must not be empty; e.g. PT10H/P1W per organizer');
  return quotas;
}

/** `sales=alice@example.com,bob@example.com; staff=example.org`. */
export function parseQuotaGroups(text: string): Array<{ name: string; members: AccessEntry[] }> {
  const groups: Array<{ name: string; members: AccessEntry[] }> = [];
  for (const clause of text.split(/[;\n]+/).map((c) => c.trim()).filter(Boolean)) {
    const eq = clause.indexOf('=');
    const name = eq < 0 ? '' : clause.slice(0, eq).trim();
    if (!name || /\s/.test(name)) {
      throw new SettingError(`quota_groups: cannot read ${JSON.stringify(clause)}; write it like sales=alice@example.com,bob@example.com; staff=example.org`);
    }
    groups.push({ name, members: parseAccessList(clause.slice(eq + 1), `quota_groups ${name}`) });
  }
  if (groups.length === 0) throw new SettingError('quota_groups must name at least one group');
  return groups;
}

// --- group members ---

export function parseMembers(text: string): string[] {
  const members = text.split(/[\s,;]+/).filter(Boolean).map((part) => {
    const entry = parseAccessEntry(part, 'group_members');
    if (!entry.address) throw new SettingError(`group_members: ${JSON.stringify(part)} is not a mail address`);
    return entry.address;
  });
  if (members.length === 0) throw new SettingError('group_members must name at least one resource address');
  return [...new Set(members)];
}

// --- the whole set ---

function number(text: string | undefined, fallback: number, min: number, max: number): number {
  const value = Number(text);
  return Number.isInteger(value) && value >= min && value <= max ? value : fallback;
}

/** Reads a resource's settings; a stored value that no longer parses is reported, not guessed. */
export function readSettings(prefs: Preferences): { settings: ResourceSettings; problems: string[] } {
  const problems: string[] = [];
  const attempt = <T>(text: string | undefined, parse: (t: string) => T, fallback: T): T => {
    if (text === undefined) return fallback;
    try {
      return parse(text);
    } catch (error) {
      problems.push((error as Error).message);
      return fallback;
    }
  };
  const policy = (prefs.recurrence_policy ?? 'all-or-nothing').toLowerCase();
  const settings: ResourceSettings = {
    chain: splitChain(schedulingFunctions(prefs)),
    capacity: number(prefs.capacity, 1, 1, 10_000),
    recurrencePolicy: policy === 'per-instance' ? 'per-instance' : 'all-or-nothing',
    permitted: attempt(prefs.permitted_times, parsePermittedTimes, undefined),
    allowedDomains: attempt(prefs.allowed_domains, (t) => parseAccessList(t, 'allowed_domains').map((e) => e.domain ?? addressDomain(e.address ?? '')), []),
    allow: attempt(prefs.access_allow, (t) => parseAccessList(t, 'access_allow'), []),
    deny: attempt(prefs.access_deny, (t) => parseAccessList(t, 'access_deny'), []),
    quotas: attempt(prefs.quota, parseQuotas, []),
    quotaGroups: attempt(prefs.quota_groups, parseQuotaGroups, []),
    counterOffers: (prefs.counter_offers ?? 'off').toLowerCase() === 'on',
    counterSearchDays: number(prefs.counter_search_days, 14, 1, 366),
    groupMembers: attempt(prefs.group_members, parseMembers, []),
  };
  return { settings, problems };
}

// The preferences a calendar user can set (`itip-agent prefs`), after imip-agent's
// set (docs/preferences.txt there) plus our own. Policy is data: one table of
// known keys, each with a validator and a one-line description for `--help`.
// The core reads these values (TZID, add_method_response, event_refreshing,
// freebusy_window_days, sender_aliases, ...); a typo here would silently change
// nothing, so unknown keys and bad values are refused when they are set.

import { normalizeAddress } from '../ical/address.js';
import { olsonZoneFor } from '../ical/zones.js';
import { knownFunctions, parseChain } from '../itip/resource/registry.js';
import { SUPPORTED_LANGUAGES, languageOf } from '../mail/language.js';
import {
  type AccessEntry,
  SettingError,
  parseAccessList,
  parseMembers,
  parsePermittedTimes,
  parseQuotaGroups,
  parseQuotas,
} from '../itip/resource/settings.js';

export interface PreferenceSpec {
  key: string;
  /** One line for `prefs --help`: what the key does and which values it takes. */
  description: string;
  /** What applies while the key is not set, as a value of the key; absent: nothing (the key is off). */
  default?: string;
  /** The key means something for resources only (rooms, equipment). */
  forResources?: boolean;
  /** The value to store, or throws a PreferenceError saying what is wrong. */
  validate(value: string): string;
}

export class PreferenceError extends Error {
  override name = 'PreferenceError';
}

function choice(key: string, values: string[]): (value: string) => string {
  return (value) => {
    const lower = value.trim().toLowerCase();
    if (values.includes(lower)) return lower;
    throw new PreferenceError(`${key} must be one of ${values.join(', ')}; got ${JSON.stringify(value)}`);
  };
}

function text(key: string): (value: string) => string {
  return (value) => {
    const trimmed = value.trim();
    if (!trimmed) throw new PreferenceError(`${key} must not be empty; to remove it use --unset`);
    if (/[\r\n]/.test(trimmed)) throw new PreferenceError(`${key} must be a single line`);
    return trimmed;
  };
}

/** RFC 5545 section 3.3.6 durations (P1D, PT10M, P1W), also "PT1D" as imip-agent users write it. */
const DURATION = /^P(?:\d+W|(?:\d+D)?(?:T(?:\d+D)?(?:\d+H)?(?:\d+M)?(?:\d+S)?)?)$/;

function duration(key: string): (value: string) => string {
  return (value) => {
    const upper = value.trim().toUpperCase();
    if (DURATION.test(upper) && /\d/.test(upper) && !upper.endsWith('T')) return upper;
    throw new PreferenceError(`${key} must be an ISO 8601 duration such as PT1D, P2D or PT10M; got ${JSON.stringify(value)}`);
  };
}

function integer(key: string, min: number, max: number): (value: string) => string {
  return (value) => {
    const trimmed = value.trim();
    const number = Number(trimmed);
    if (/^\d+$/.test(trimmed) && number >= min && number <= max) return String(number);
    throw new PreferenceError(`${key} must be a whole number from ${min} to ${max}; got ${JSON.stringify(value)}`);
  };
}

/** A validator from a settings parser (src/itip/resource/settings.ts): its message becomes the error. */
function setting(parse: (value: string) => string): (value: string) => string {
  return (value) => {
    if (!value.trim()) throw new PreferenceError('the value must not be empty; to remove it use --unset');
    try {
      return parse(value);
    } catch (error) {
      if (error instanceof SettingError) throw new PreferenceError(error.message);
      throw error;
    }
  };
}

/** A list as stored: lower case, comma-separated. */
function listText(value: string): string {
  return value.split(/[\s,;]+/).filter(Boolean).map((part) => part.toLowerCase()).join(',');
}

function domainOnly(entry: AccessEntry): void {
  if (!entry.domain) throw new SettingError(`allowed_domains: ${JSON.stringify(entry.address)} is an address; name domains such as example.com`);
}

function timeZone(value: string): string {
  const trimmed = value.trim();
  if (trimmed && olsonZoneFor(trimmed)) return trimmed;
  throw new PreferenceError(
    `TZID ${JSON.stringify(value)} is not a time zone we know; use an Olson name such as Europe/Berlin or a Windows name such as "W. Europe Standard Time"`,
  );
}

function language(value: string): string {
  const trimmed = value.trim();
  // BCP 47 tags (en, de-CH) and POSIX locales (nb_NO, en_GB.UTF-8) are both in use.
  if (!/^[A-Za-z]{2,8}(?:[-_][A-Za-z0-9]{1,8})*(?:\.[A-Za-z0-9-]+)?$/.test(trimmed)) {
    throw new PreferenceError(`LANG must be a language tag such as en, de-CH or fr_FR; got ${JSON.stringify(value)}`);
  }
  // A language without texts would be accepted and then ignored: refused instead.
  if (!languageOf(trimmed)) {
    throw new PreferenceError(`LANG ${JSON.stringify(trimmed)}: the agent's mail is written in ${SUPPORTED_LANGUAGES.join(', ')} only; choose one of them`);
  }
  return trimmed;
}

/** `owner=alias1,alias2;owner2=alias3`, as the core's sender binding reads it. */
function senderAliases(value: string): string {
  const entries = value.split(';').map((e) => e.trim()).filter(Boolean);
  if (entries.length === 0) throw new PreferenceError('sender_aliases must not be empty; to remove it use --unset');
  const out: string[] = [];
  for (const entry of entries) {
    const [owner, aliases, extra] = entry.split('=');
    const aliasList = (aliases ?? '').split(',').map((a) => a.trim()).filter(Boolean);
    if (extra !== undefined || !owner?.trim() || aliasList.length === 0) {
      throw new PreferenceError(`sender_aliases must look like owner=alias1,alias2;owner2=alias3; cannot read ${JSON.stringify(entry)}`);
    }
    for (const address of [owner, ...aliasList]) {
      if (!address.includes('@')) throw new PreferenceError(`sender_aliases: ${JSON.stringify(address.trim())} is not a mail address`);
    }
    const bare = (a: string) => normalizeAddress(a)!.slice('mailto:'.length);
    out.push(`${bare(owner)}=${aliasList.map(bare).join(',')}`);
  }
  return out.join(';');
}

/** A bare mail address: one @, nothing a display name or a list brings. */
const BARE_ADDRESS = /^[^\s<>()[\],;:"\\@]+@[^\s<>()[\],;:"\\@]+$/;

/** `owners`: mail addresses, stored lower case and comma-separated. */
function ownerList(value: string): string {
  const parts = value.split(/[\s,;]+/).filter(Boolean);
  if (parts.length === 0) throw new PreferenceError('owners must name at least one mail address; to remove it use --unset');
  const owners: string[] = [];
  for (const part of parts) {
    const address = normalizeAddress(part)!.slice('mailto:'.length);
    if (!BARE_ADDRESS.test(address)) throw new PreferenceError(`owners: ${JSON.stringify(part)} is not a mail address; write it like alice@example.com`);
    if (!owners.includes(address)) owners.push(address);
  }
  return owners.join(',');
}

export const PREFERENCES: PreferenceSpec[] = [
  { key: 'CN', description: 'common name of the user, used in calendar objects (text)', validate: text('CN') },
  {
    key: 'LANG',
    default: 'en',
    description: `language of the mail the agent writes (notices, the text of REPLY, COUNTER and other mail): ${SUPPORTED_LANGUAGES.join(', ')}, also as de-CH or fr_FR`,
    validate: language,
  },
  {
    key: 'TZID',
    default: 'UTC',
    description: 'time zone for floating times and all-day events (Olson or Windows name, e.g. Europe/Berlin)',
    validate: timeZone,
  },
  {
    key: 'add_method_response',
    default: 'add',
    description: 'what to do with ADD messages: add (default), ignore, or refresh (answer with REFRESH)',
    validate: choice('add_method_response', ['add', 'ignore', 'refresh']),
  },
  {
    key: 'event_refreshing',
    default: 'never',
    description: 'answer REFRESH requests automatically: never (default, queue them) or always',
    validate: choice('event_refreshing', ['never', 'always']),
  },
  {
    key: 'freebusy_sharing',
    default: 'no',
    description: 'answer free/busy requests (VFREEBUSY REQUEST) with the own busy time: no (default) or share',
    validate: choice('freebusy_sharing', ['no', 'share']),
  },
  {
    key: 'freebusy_offers',
    description:
      'how long the slot a counter-proposal offers is held as tentatively busy, e.g. PT1D (ISO 8601 duration); not set: offers hold nothing',
    validate: duration('freebusy_offers'),
  },
  {
    key: 'freebusy_publishing',
    default: 'no',
    description: 'publish the own busy time on the web at /freebusy/ADDRESS.ifb: no (default) or publish (needs freebusy_sharing=share)',
    validate: choice('freebusy_publishing', ['no', 'publish']),
  },
  {
    key: 'notify_requests',
    description: 'mail the user a short notice with answer links when an invitation waits for an answer: no (default) or yes',
    validate: choice('notify_requests', ['no', 'yes']),
  },
  {
    key: 'participating',
    default: 'participate',
    description: 'take part in scheduling: participate (default) or no-participation (no message changes the calendar; mail is still delivered)',
    validate: choice('participating', ['participate', 'no-participation']),
  },
  {
    key: 'incoming',
    default: 'everyone',
    description:
      'whose invitations enter the calendar: everyone (default), known (local users, people you wrote to, incoming_allow) or none; others are delivered but change nothing and get no answer',
    validate: choice('incoming', ['everyone', 'known', 'none']),
  },
  {
    key: 'incoming_queue',
    default: 'no',
    description: 'let invitations kept out by incoming wait in the request queue: no (default) or yes',
    validate: choice('incoming_queue', ['no', 'yes']),
  },
  {
    key: 'incoming_allow',
    description: 'organizers (addresses, domains, *.domains) whose invitations incoming=known lets in besides local users and correspondents',
    validate: setting((value) => (parseAccessList(value, 'incoming_allow'), listText(value))),
  },
  {
    key: 'scheduling_function',
    default: 'freebusy',
    forResources: true,
    description: `for resources: the functions that decide on requests, in order, e.g. freebusy,permitted_times,quota (${knownFunctions().join(', ')})`,
    validate: setting((value) => parseChain(value).join(',')),
  },
  {
    key: 'permitted_times',
    forResources: true,
    description: 'for resources: when bookings may be, e.g. "days=mon-fri; hours=08:00-18:00; step=PT15M; max=PT4H; min=PT30M"',
    validate: setting((value) => (parsePermittedTimes(value), value.trim().replace(/\s*\n\s*/g, '; '))),
  },
  {
    key: 'capacity',
    default: '1',
    forResources: true,
    description: 'for resources: how many bookings may overlap (1..10000, default 1), checked by freebusy',
    validate: integer('capacity', 1, 10_000),
  },
  {
    key: 'recurrence_policy',
    default: 'all-or-nothing',
    forResources: true,
    description: 'for resources: all-or-nothing (default, decline a series if any instance clashes) or per-instance',
    validate: choice('recurrence_policy', ['all-or-nothing', 'per-instance']),
  },
  {
    key: 'allowed_domains',
    forResources: true,
    description: 'for resources: organizer domains same_domain accepts besides the resource\'s own (comma-separated)',
    validate: setting((value) => (parseAccessList(value, 'allowed_domains').forEach(domainOnly), listText(value))),
  },
  {
    key: 'access_allow',
    forResources: true,
    description: 'for resources: organizers (addresses, domains, *.domains) the access function lets book; others may not',
    validate: setting((value) => (parseAccessList(value, 'access_allow'), listText(value))),
  },
  {
    key: 'access_deny',
    forResources: true,
    description: 'for resources: organizers (addresses, domains, *.domains) the access function refuses',
    validate: setting((value) => (parseAccessList(value, 'access_deny'), listText(value))),
  },
  {
    key: 'quota',
    forResources: true,
    description: 'for resources: booked time per period, e.g. "PT10H/P1W per organizer" (per organizer, domain or group; P1D, P1W, P1M, P1Y)',
    validate: setting((value) => parseQuotas(value).map((q) => q.text).join('; ')),
  },
  {
    key: 'quota_groups',
    forResources: true,
    description: 'for resources: groups for quotas "per group", e.g. "sales=alice@example.com,bob@example.com; staff=example.org"',
    validate: setting((value) => (parseQuotaGroups(value), value.trim().replace(/\s*\n\s*/g, '; '))),
  },
  {
    key: 'counter_offers',
    default: 'off',
    forResources: true,
    description: 'for resources: answer a clash with a COUNTER offering the next free slot: off (default) or on',
    validate: choice('counter_offers', ['off', 'on']),
  },
  {
    key: 'counter_search_days',
    default: '14',
    forResources: true,
    description: 'for resources: how many days after the requested time a counter-proposal looks (1..366, default 14)',
    validate: integer('counter_search_days', 1, 366),
  },
  {
    key: 'group_members',
    forResources: true,
    description: 'for resource groups: member resources, in order of preference, for the delegate function (comma-separated)',
    validate: setting((value) => parseMembers(value).map((m) => m.slice('mailto:'.length)).join(',')),
  },
  {
    key: 'owners',
    forResources: true,
    description: 'for resources: people who may see and manage the resource in the web pages (comma-separated addresses)',
    validate: ownerList,
  },
  {
    key: 'freebusy_window_days',
    default: '365',
    description: 'days before and after now in which recurring events give free/busy (1..3660, default 365)',
    validate: integer('freebusy_window_days', 1, 3660),
  },
  {
    key: 'sender_aliases',
    description: 'addresses that may send for another: owner=alias1,alias2;owner2=alias3',
    validate: senderAliases,
  },
];

/**
 * Keys of imip-agent's set that this agent does not implement, with why: set,
 * they would be accepted and do nothing, so they are refused with these words.
 */
const NOT_IMPLEMENTED: Record<string, string> = {
  freebusy_bundling:
    'freebusy_bundling is not supported: the agent does not add free/busy to the mail it sends. To share busy time, set freebusy_sharing=share (answers free/busy requests) and freebusy_publishing=publish (a web address)',
  freebusy_messages:
    'freebusy_messages is not supported: the agent sends no notice of received free/busy; the free/busy mail itself reaches the mailbox, and `itip-agent freebusy --others` shows what it told',
};

/** Why a key of imip-agent's set is refused here, or undefined for any other key. */
export function refusedPreference(key: string): string | undefined {
  return NOT_IMPLEMENTED[key.trim().toLowerCase()];
}

const byLowerKey = new Map(PREFERENCES.map((spec) => [spec.key.toLowerCase(), spec]));

/** The spec of a key, matched without regard to case (TZID, tzid); undefined if unknown. */
export function findPreference(key: string): PreferenceSpec | undefined {
  return byLowerKey.get(key.trim().toLowerCase());
}

export function knownPreferenceKeys(): string[] {
  return PREFERENCES.map((spec) => spec.key);
}

/** The canonical key and value to store; throws PreferenceError for an unknown key or bad value. */
export function validatePreference(key: string, value: string): { key: string; value: string } {
  const spec = findPreference(key);
  const refused = refusedPreference(key);
  if (refused) throw new PreferenceError(refused);
  if (!spec) {
    throw new PreferenceError(`unknown preference ${JSON.stringify(key)}; known keys: ${knownPreferenceKeys().join(', ')}`);
  }
  return { key: spec.key, value: spec.validate(value) };
}

// The settings of the agent, in one place, with where each came from.
//
// Sources, strongest first: command-line flags, ITIP_AGENT_* environment
// variables, the configuration file (JSON; --config FILE, ITIP_AGENT_CONFIG,
// default /etc/itip-agent/config.json), built-in defaults. JSON because Node
// reads it without another dependency and every configuration tool writes it.
//
// The default file may be missing (the agent then runs on flags, environment
// and defaults, as before the file existed); a file named by --config or
// ITIP_AGENT_CONFIG must exist. A file that exists but cannot be used is an
// error (exit 78): running with half a configuration would do the wrong thing.

import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import type { PolicySettings } from '../agent/policy.js';
import { DEFAULT_LOGIN_LIMITS, LINK_SECRET_FILE_NAME, PASSWORD_FILE_NAME, type HttpSettings } from '../http/settings.js';
import { DEFAULT_EXPANSION_LIMITS } from '../ical/expand.js';

export const DEFAULT_CONFIG_FILE = '/etc/itip-agent/config.json';
export const DEFAULT_MAX_MESSAGE_BYTES = 50 * 1024 * 1024;

export type Source = 'flag' | 'env' | 'file' | 'default';
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface Relay {
  host: string;
  port: number;
  secure: boolean;
  user?: string;
  passwordFile?: string;
}

export interface Settings {
  store: string;
  localDomains: string[];
  relay?: Relay;
  deliver: string;
  sendmail: string;
  lmtp?: string;
  smtp?: string;
  /** serve: the web listener, HOST:PORT or /path/socket. */
  http?: string;
  socketMode: number;
  tlsKey?: string;
  tlsCert?: string;
  maxMessageBytes: number;
  shutdownSeconds: number;
  logLevel: LogLevel;
  /** A recipient without a store: `create` one (a person), or `refuse` the mail for it. */
  unknownUsers: 'create' | 'refuse';
  /** Sender authentication (see SECURITY.md). */
  auth: PolicySettings['auth'];
  /** Bounds on one message's calendar data. */
  calendarLimits: PolicySettings['calendarLimits'];
  /** The web listener's sign-in and sessions. */
  web: HttpSettings;
  /** The From of the agent's notices to its users (notify.from); default: the user's own address. */
  noticeFrom?: string;
}

/** The config file problem: exit 78 (EX_CONFIG); an MTA defers the mail rather than bouncing it. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Parse = (text: unknown, where: string) => unknown;

interface Key {
  /** Dotted name, as shown by `config show` and written in the file. */
  name: string;
  env: string;
  parse: Parse;
  default?: unknown;
  /** The field of Settings (or of the relay) it fills. */
  help: string;
}

const str: Parse = (value, where) => {
  if (typeof value !== 'string') throw new ConfigError(`${where} must be a string`);
  return value;
};
const int = (min: number, max: number): Parse => (value, where) => {
  const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isInteger(number) || number < min || number > max) {
    throw new ConfigError(`${where} must be a whole number from ${min} to ${max}`);
  }
  return number;
};
const bool: Parse = (value, where) => {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string' && /^(1|true|yes|on)$/i.test(value.trim())) return true;
  if (typeof value === 'string' && /^(0|false|no|off)$/i.test(value.trim())) return false;
  throw new ConfigError(`${where} must be true or false`);
};
/**
 * A list, from a JSON array or a comma-separated environment value: lower
 * case, no blanks or repeats, sorted. `what` names the items in the error,
 * `tidy` cleans each one.
 */
const listOf =
  (what: string, tidy: (item: string) => string = (item) => item): Parse =>
  (value, where) => {
    const items = typeof value === 'string' ? value.split(/[,\s]+/) : value;
    if (!Array.isArray(items) || items.some((item) => typeof item !== 'string')) {
      throw new ConfigError(`${where} must be a list${what} (in the environment: comma-separated)`);
    }
    return [...new Set((items as string[]).map((d) => tidy(d.trim().toLowerCase())).filter(Boolean))].sort();
  };
/** Domains, also written with a leading @. */
const list = listOf(' of domains', (domain) => domain.replace(/^@/, ''));
/** Names compared without case (authserv-ids) or network ranges. */
const names = listOf('');
const networks: Parse = (value, where) => {
  const list = names(value, where) as string[];
  for (const range of list) {
    const [address, bits, extra] = range.split('/');
    const family = isIP(address ?? '');
    const max = family === 6 ? 128 : 32;
    const prefix = bits === undefined ? max : Number(bits);
    if (!family || extra !== undefined || !Number.isInteger(prefix) || prefix < 0 || prefix > max) {
      throw new ConfigError(`${where}: ${JSON.stringify(range)} is not an address or a range such as 192.0.2.0/24 or ::1/128`);
    }
  }
  return list;
};
/** Trusted proxies: networks as above, and `unix` for a peer on the web listener's unix socket. */
const proxies: Parse = (value, where) => {
  const list = names(value, where) as string[];
  return [...networks(list.filter((item) => item !== 'unix'), where) as string[], ...list.filter((item) => item === 'unix')];
};
/** A header name (RFC 9110 section 5.1: a token). */
const headerName: Parse = (value, where) => {
  const text = str(value, where) as string;
  if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(text.trim())) throw new ConfigError(`${where} must be a header name such as X-Remote-User`);
  return text.trim();
};
/** Where people reach the web pages: an http(s) URL without query or fragment, kept without a trailing slash. */
const publicUrl: Parse = (value, where) => {
  const text = (str(value, where) as string).trim();
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    url = undefined;
  }
  if (!url || !/^https?:$/.test(url.protocol) || url.search || url.hash || url.username || url.password || /[\s<>"]/.test(text)) {
    throw new ConfigError(`${where} must be the web address people open the pages at, such as https://calendar.example.com (http or https, no ?query or #fragment)`);
  }
  return `${url.origin}${url.pathname}`.replace(/\/+$/, '');
};
/** One mail address, written bare (name@domain). */
const mailbox: Parse = (value, where) => {
  const text = (str(value, where) as string).trim().replace(/^mailto:/i, '');
  if (!/^[^\s@<>()[\],;:"\\]+@[^\s@<>()[\],;:"\\]+$/.test(text)) throw new ConfigError(`${where} must be a mail address such as calendar@example.com`);
  return text.toLowerCase();
};
const unknownUsers: Parse = (value, where) => {
  if (typeof value === 'string' && ['create', 'refuse'].includes(value.trim().toLowerCase())) return value.trim().toLowerCase();
  throw new ConfigError(`${where} must be create or refuse`);
};
const mode: Parse = (value, where) => {
  const number = typeof value === 'string' && /^0?[0-7]{3}$/.test(value.trim()) ? parseInt(value, 8) : value;
  if (typeof number !== 'number' || !Number.isInteger(number) || number < 0 || number > 0o777) {
    throw new ConfigError(`${where} must be a file mode such as "0660"`);
  }
  return number;
};
const level: Parse = (value, where) => {
  if (typeof value === 'string' && ['debug', 'info', 'warn', 'error'].includes(value.trim().toLowerCase())) return value.trim().toLowerCase();
  throw new ConfigError(`${where} must be one of debug, info, warn, error`);
};

export const KEYS: Key[] = [
  { name: 'store', env: 'ITIP_AGENT_STORE', parse: str, default: './var/itip-agent', help: 'the store directory (--store)' },
  { name: 'localDomains', env: 'ITIP_AGENT_LOCAL_DOMAINS', parse: list, default: [], help: 'domains of the calendar users; empty: every envelope recipient is one' },
  { name: 'deliver', env: 'ITIP_AGENT_DELIVER', parse: str, default: 'none', help: 'onward delivery target (--deliver)' },
  { name: 'sendmail', env: 'ITIP_AGENT_SENDMAIL', parse: str, default: '/usr/sbin/sendmail', help: 'the sendmail program for --deliver sendmail' },
  { name: 'relay.host', env: 'ITIP_AGENT_RELAY_HOST', parse: str, help: 'the SMTP relay for the outbox (no relay: nothing is sent)' },
  { name: 'relay.port', env: 'ITIP_AGENT_RELAY_PORT', parse: int(1, 65535), default: 25, help: 'relay port' },
  { name: 'relay.secure', env: 'ITIP_AGENT_RELAY_SECURE', parse: bool, default: false, help: 'TLS from the start (port 465); otherwise STARTTLS when offered' },
  { name: 'relay.user', env: 'ITIP_AGENT_RELAY_USER', parse: str, help: 'relay login' },
  { name: 'relay.passwordFile', env: 'ITIP_AGENT_RELAY_PASSWORD_FILE', parse: str, help: 'file holding the relay password (never the password itself)' },
  { name: 'listen.lmtp', env: 'ITIP_AGENT_LMTP', parse: str, help: 'serve: LMTP listener, HOST:PORT or /path/socket (--lmtp)' },
  { name: 'listen.smtp', env: 'ITIP_AGENT_SMTP', parse: str, help: 'serve: SMTP listener, HOST:PORT or /path/socket (--smtp)' },
  { name: 'listen.http', env: 'ITIP_AGENT_HTTP', parse: str, help: 'serve: web listener (sign-in, web pages), HOST:PORT or /path/socket (--http)' },
  { name: 'listen.socketMode', env: 'ITIP_AGENT_SOCKET_MODE', parse: mode, default: 0o660, help: 'file mode of listener unix sockets' },
  { name: 'listen.tlsKey', env: 'ITIP_AGENT_TLS_KEY', parse: str, help: 'PEM key file: offers STARTTLS on the listeners (with tlsCert)' },
  { name: 'listen.tlsCert', env: 'ITIP_AGENT_TLS_CERT', parse: str, help: 'PEM certificate file for STARTTLS' },
  { name: 'limits.maxMessageBytes', env: 'ITIP_AGENT_MAX_MESSAGE_BYTES', parse: int(1024, 2 ** 31 - 1), default: DEFAULT_MAX_MESSAGE_BYTES, help: 'largest mail read: the listeners announce it as SIZE and refuse more (552); process hands a larger mail on unread' },
  { name: 'limits.shutdownSeconds', env: 'ITIP_AGENT_SHUTDOWN_SECONDS', parse: int(0, 3600), default: 20, help: 'serve: how long a stop waits for mail in flight' },
  { name: 'unknownUsers', env: 'ITIP_AGENT_UNKNOWN_USERS', parse: unknownUsers, default: 'create', help: 'a recipient without a store: create one (a person), or refuse it (exit 67, LMTP 550)' },
  { name: 'logLevel', env: 'ITIP_AGENT_LOG_LEVEL', parse: level, default: 'info', help: 'debug, info, warn or error' },
  { name: 'auth.trustedAuthservIds', env: 'ITIP_AGENT_TRUSTED_AUTHSERV_IDS', parse: names, default: [], help: 'authserv-ids whose Authentication-Results are believed (your MTA\'s; see SECURITY.md)' },
  { name: 'auth.forgedHeadersRemoved', env: 'ITIP_AGENT_FORGED_HEADERS_REMOVED', parse: bool, default: false, help: 'says that the MTA removes Authentication-Results fields of the trusted authserv-ids from incoming mail (mta-configs/*/README.md); config check warns until it is set' },
  { name: 'auth.trustedNetworks', env: 'ITIP_AGENT_TRUSTED_NETWORKS', parse: networks, default: ['127.0.0.0/8', '::1/128'], help: 'client addresses whose mail counts as submitted from inside' },
  { name: 'auth.refuseDmarcFail', env: 'ITIP_AGENT_REFUSE_DMARC_FAIL', parse: bool, default: true, help: 'refuse calendar changes from mail whose trusted DMARC check failed' },
  { name: 'auth.verifyDkim', env: 'ITIP_AGENT_VERIFY_DKIM', parse: bool, default: false, help: 'verify DKIM signatures here (DNS lookups), besides reading the MTA\'s verdicts' },
  { name: 'auth.markRefused', env: 'ITIP_AGENT_MARK_REFUSED', parse: bool, default: false, help: 'add an X-Itip-Agent-Refused header to the delivered copy of a mail whose change was refused' },
  { name: 'auth.requirePassExternal', env: 'ITIP_AGENT_REQUIRE_PASS_EXTERNAL', parse: bool, default: false, help: 'refuse calendar changes from outside senders no trusted check vouches for' },
  { name: 'limits.maxCalendarBytes', env: 'ITIP_AGENT_MAX_CALENDAR_BYTES', parse: int(1024, 2 ** 31 - 1), default: 10 * 1024 * 1024, help: 'largest calendar part read; a larger one is refused' },
  { name: 'limits.maxComponents', env: 'ITIP_AGENT_MAX_COMPONENTS', parse: int(1, 1_000_000), default: 2000, help: 'most components in one calendar' },
  { name: 'limits.maxAttendees', env: 'ITIP_AGENT_MAX_ATTENDEES', parse: int(1, 1_000_000), default: 2000, help: 'most attendees of one event' },
  { name: 'limits.maxInstances', env: 'ITIP_AGENT_MAX_INSTANCES', parse: int(1, 10_000_000), default: 20_000, help: 'most instances one recurring event is expanded to' },
  { name: 'limits.expansionCandidates', env: 'ITIP_AGENT_EXPANSION_CANDIDATES', parse: int(1_000, 100_000_000), default: DEFAULT_EXPANSION_LIMITS.maxCandidates, help: 'most candidate times one recurrence expansion may try (a count, so the result never depends on load)' },
  { name: 'http.passwordLogins', env: 'ITIP_AGENT_HTTP_PASSWORD_LOGINS', parse: bool, default: true, help: 'web sign-in with the passwords of the password file (itip-agent user passwd)' },
  { name: 'http.passwordFile', env: 'ITIP_AGENT_HTTP_PASSWORD_FILE', parse: str, help: `the password file; default: ${PASSWORD_FILE_NAME} in the store directory` },
  { name: 'http.dovecotAuth', env: 'ITIP_AGENT_HTTP_DOVECOT_AUTH', parse: str, help: 'Dovecot\'s auth client socket (e.g. /run/dovecot/auth-client): web sign-in with mail passwords' },
  { name: 'http.proxyUserHeader', env: 'ITIP_AGENT_HTTP_PROXY_USER_HEADER', parse: headerName, help: 'header in which a trusted reverse proxy names the signed-in user (e.g. X-Remote-User)' },
  { name: 'http.trustedProxies', env: 'ITIP_AGENT_HTTP_TRUSTED_PROXIES', parse: proxies, default: [], help: 'peers whose proxy headers are believed: addresses, ranges, and unix for the unix socket' },
  { name: 'http.tls', env: 'ITIP_AGENT_HTTP_TLS', parse: bool, default: false, help: 'serve HTTPS on the web listener with listen.tlsKey and listen.tlsCert' },
  { name: 'http.sessionIdleMinutes', env: 'ITIP_AGENT_HTTP_SESSION_IDLE_MINUTES', parse: int(1, 24 * 60), default: 30, help: 'a web session ends after this many minutes unused' },
  { name: 'http.sessionMaxHours', env: 'ITIP_AGENT_HTTP_SESSION_MAX_HOURS', parse: int(1, 24 * 30), default: 12, help: 'a web session ends this many hours after sign-in' },
  { name: 'http.maxFailuresPerAddress', env: 'ITIP_AGENT_HTTP_MAX_FAILURES_PER_ADDRESS', parse: int(1, 100_000), default: DEFAULT_LOGIN_LIMITS.perAddress, help: 'failed sign-ins from one client address (IPv6: its /64) within the window before it must wait' },
  { name: 'http.maxFailuresPerAccount', env: 'ITIP_AGENT_HTTP_MAX_FAILURES_PER_ACCOUNT', parse: int(1, 100_000), default: DEFAULT_LOGIN_LIMITS.perAccount, help: 'failed sign-ins for one account within the window before it must wait' },
  { name: 'http.linkSecretFile', env: 'ITIP_AGENT_HTTP_LINK_SECRET_FILE', parse: str, help: `the secret of signed answer links, made on first use (mode 0600); default: ${LINK_SECRET_FILE_NAME} in the store directory; removing it invalidates every link` },
  { name: 'http.publicUrl', env: 'ITIP_AGENT_HTTP_PUBLIC_URL', parse: publicUrl, help: 'where people reach the web pages (e.g. https://calendar.example.com): links in notices start with it; unset, notices carry no links' },
  { name: 'notify.from', env: 'ITIP_AGENT_NOTIFY_FROM', parse: mailbox, help: 'the From of the agent\'s notices to its users (notify_requests); default: the user\'s own address' },
  { name: 'http.failureWindowMinutes', env: 'ITIP_AGENT_HTTP_FAILURE_WINDOW_MINUTES', parse: int(1, 24 * 60), default: DEFAULT_LOGIN_LIMITS.windowMinutes, help: 'the window in which failed sign-ins are counted' },
];

export interface ResolveInput {
  /** Values given as command-line flags, by dotted name; undefined or '' means not given. */
  flags?: Record<string, string | undefined>;
  env?: NodeJS.ProcessEnv;
  /** --config FILE; undefined: ITIP_AGENT_CONFIG, then the default file. */
  configFile?: string;
}

export interface Resolved {
  settings: Settings;
  /** Every key with its value and source; keys without a value have value undefined. */
  entries: Array<{ name: string; value: unknown; source: Source }>;
  /** The file that was read, or why none was. */
  file: { path: string; read: boolean; source: Source };
}

function fileValue(json: Record<string, unknown>, name: string): unknown {
  let value: unknown = json;
  for (const part of name.split('.')) {
    if (!value || typeof value !== 'object' || Array.isArray(value)) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

/** Settings that were removed, with what to write instead. */
const REPLACED: Record<string, string> = {
  'limits.expansionMilliseconds':
    'recurrence expansion is bounded by a count, not a time, so that its result never depends on the machine\'s load; remove it (or set "limits.expansionCandidates")',
};

function checkUnknownKeys(json: Record<string, unknown>, path: string): void {
  const known = new Set(KEYS.map((k) => k.name));
  const groups = new Set(KEYS.filter((k) => k.name.includes('.')).map((k) => k.name.split('.')[0]));
  for (const [key, value] of Object.entries(json)) {
    if (groups.has(key)) {
      if (!value || typeof value !== 'object' || Array.isArray(value)) throw new ConfigError(`${path}: "${key}" must be an object`);
      for (const sub of Object.keys(value)) {
        const replacement = REPLACED[`${key}.${sub}`];
        if (replacement) throw new ConfigError(`${path}: "${key}.${sub}" is no longer a setting: ${replacement}`);
        if (!known.has(`${key}.${sub}`)) throw new ConfigError(`${path}: unknown setting "${key}.${sub}"; known: ${[...known].join(', ')}`);
      }
    } else if (!known.has(key) && !key.startsWith('//') && key !== '$comment') {
      throw new ConfigError(`${path}: unknown setting "${key}"; known: ${[...known].join(', ')}`);
    }
  }
}

function readConfigFile(path: string, required: boolean): Record<string, unknown> | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && !required) return undefined;
    throw new ConfigError(`the configuration file ${path} cannot be read: ${(error as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`the configuration file ${path} is not JSON: ${(error as Error).message}`);
  }
  if (!json || typeof json !== 'object' || Array.isArray(json)) throw new ConfigError(`the configuration file ${path} must hold one JSON object`);
  checkUnknownKeys(json as Record<string, unknown>, path);
  return json as Record<string, unknown>;
}

const given = (value: string | undefined): value is string => value !== undefined && value.trim() !== '';

export function resolveConfig(input: ResolveInput = {}): Resolved {
  const env = input.env ?? process.env;
  const flags = input.flags ?? {};
  let file: Resolved['file'];
  if (given(input.configFile)) file = { path: input.configFile, read: false, source: 'flag' };
  else if (given(env.ITIP_AGENT_CONFIG)) file = { path: env.ITIP_AGENT_CONFIG, read: false, source: 'env' };
  else file = { path: DEFAULT_CONFIG_FILE, read: false, source: 'default' };
  const json = readConfigFile(file.path, file.source !== 'default');
  file.read = !!json;

  const values = new Map<string, unknown>();
  const entries: Resolved['entries'] = [];
  for (const key of KEYS) {
    let value: unknown;
    let source: Source = 'default';
    const flag = flags[key.name];
    const fromFile = json ? fileValue(json, key.name) : undefined;
    if (given(flag)) {
      value = key.parse(flag, `--${key.name.split('.').pop()}`);
      source = 'flag';
    } else if (given(env[key.env])) {
      value = key.parse(env[key.env], key.env);
      source = 'env';
    } else if (fromFile !== undefined && fromFile !== null && fromFile !== '') {
      value = key.parse(fromFile, `${file.path}: "${key.name}"`);
      source = 'file';
    } else {
      value = key.default;
    }
    values.set(key.name, value);
    entries.push({ name: key.name, value, source });
  }

  const get = <T>(name: string) => values.get(name) as T;
  const settings: Settings = {
    store: get<string>('store'),
    localDomains: get<string[]>('localDomains'),
    deliver: get<string>('deliver'),
    sendmail: get<string>('sendmail'),
    socketMode: get<number>('listen.socketMode'),
    maxMessageBytes: get<number>('limits.maxMessageBytes'),
    shutdownSeconds: get<number>('limits.shutdownSeconds'),
    logLevel: get<LogLevel>('logLevel'),
    unknownUsers: get<'create' | 'refuse'>('unknownUsers'),
    auth: {
      trustedAuthservIds: get<string[]>('auth.trustedAuthservIds'),
      trustedNetworks: get<string[]>('auth.trustedNetworks'),
      refuseDmarcFail: get<boolean>('auth.refuseDmarcFail'),
      requirePassExternal: get<boolean>('auth.requirePassExternal'),
      verifyDkim: get<boolean>('auth.verifyDkim'),
      markRefused: get<boolean>('auth.markRefused'),
    },
    calendarLimits: {
      maxCalendarBytes: get<number>('limits.maxCalendarBytes'),
      maxComponents: get<number>('limits.maxComponents'),
      maxAttendees: get<number>('limits.maxAttendees'),
      maxInstances: get<number>('limits.maxInstances'),
      expansionCandidates: get<number>('limits.expansionCandidates'),
    },
    web: {
      passwordLogins: get<boolean>('http.passwordLogins'),
      passwordFile: get<string | undefined>('http.passwordFile') ?? join(get<string>('store'), PASSWORD_FILE_NAME),
      trustedProxies: get<string[]>('http.trustedProxies'),
      tls: get<boolean>('http.tls'),
      sessionIdleMinutes: get<number>('http.sessionIdleMinutes'),
      sessionMaxHours: get<number>('http.sessionMaxHours'),
      loginLimits: {
        perAddress: get<number>('http.maxFailuresPerAddress'),
        perAccount: get<number>('http.maxFailuresPerAccount'),
        windowMinutes: get<number>('http.failureWindowMinutes'),
      },
      linkSecretFile: get<string | undefined>('http.linkSecretFile') ?? join(get<string>('store'), LINK_SECRET_FILE_NAME),
    },
  };
  const linkSecretFile = entries.find((entry) => entry.name === 'http.linkSecretFile');
  if (linkSecretFile && linkSecretFile.value === undefined) linkSecretFile.value = settings.web.linkSecretFile;
  const publicUrlValue = get<string | undefined>('http.publicUrl');
  if (publicUrlValue !== undefined) settings.web.publicUrl = publicUrlValue;
  const noticeFrom = get<string | undefined>('notify.from');
  if (noticeFrom !== undefined) settings.noticeFrom = noticeFrom;
  const passwordFile = entries.find((entry) => entry.name === 'http.passwordFile');
  // config show says where the file is, not just that no one chose one.
  if (passwordFile && passwordFile.value === undefined) passwordFile.value = settings.web.passwordFile;
  for (const [field, name] of [['dovecotAuth', 'http.dovecotAuth'], ['proxyUserHeader', 'http.proxyUserHeader']] as const) {
    const value = get<string | undefined>(name);
    if (value !== undefined) settings.web[field] = value;
  }
  const optional = { lmtp: 'listen.lmtp', smtp: 'listen.smtp', http: 'listen.http', tlsKey: 'listen.tlsKey', tlsCert: 'listen.tlsCert' } as const;
  for (const [field, name] of Object.entries(optional)) {
    const value = get<string | undefined>(name);
    if (value !== undefined) settings[field as keyof typeof optional] = value;
  }
  const relayHost = get<string | undefined>('relay.host');
  if (relayHost) {
    settings.relay = { host: relayHost, port: get<number>('relay.port'), secure: get<boolean>('relay.secure') };
    const user = get<string | undefined>('relay.user');
    const passwordFile = get<string | undefined>('relay.passwordFile');
    if (user) settings.relay.user = user;
    if (passwordFile) settings.relay.passwordFile = passwordFile;
  }
  if (!!settings.tlsKey !== !!settings.tlsCert) throw new ConfigError('listen.tlsKey and listen.tlsCert go together: give both, or neither');
  if (settings.web.tls && !settings.tlsKey) throw new ConfigError('http.tls needs listen.tlsKey and listen.tlsCert (the key and certificate the web listener serves)');
  return { settings, entries, file };
}

/** The relay password from its file (first line), for the outbox sender. */
export function readRelayPassword(relay: Relay): string | undefined {
  if (!relay.passwordFile) return undefined;
  try {
    return readFileSync(relay.passwordFile, 'utf8').split(/\r?\n/)[0];
  } catch (error) {
    throw new ConfigError(`relay.passwordFile ${relay.passwordFile} cannot be read: ${(error as Error).message}`);
  }
}

export interface ConfigWarning {
  /** The setting the warning is about. */
  setting: string;
  message: string;
}

/**
 * What is allowed but probably wrong in a configuration that resolved. An
 * Authentication-Results field is believed for its authserv-id alone, and a
 * sender can write one with any id (RFC 8601 section 7.1); only the MTA's
 * removal of such fields from incoming mail (RFC 8601 section 5) makes a
 * trusted id the MTA's word. The agent cannot see whether the MTA does that,
 * so the administrator says so with auth.forgedHeadersRemoved.
 */
export function configWarnings(resolved: Resolved): ConfigWarning[] {
  const value = (name: string) => resolved.entries.find((entry) => entry.name === name)?.value;
  const warnings: ConfigWarning[] = [];
  const trusted = (value('auth.trustedAuthservIds') as string[] | undefined) ?? [];
  if (trusted.length > 0 && value('auth.forgedHeadersRemoved') !== true) {
    warnings.push({
      setting: 'auth.forgedHeadersRemoved',
      message:
        `auth.trustedAuthservIds trusts ${trusted.join(', ')}, but auth.forgedHeadersRemoved is not set: unless the MTA removes ` +
        'Authentication-Results fields that carry these ids from incoming mail (RFC 8601 section 5), any sender can write a verdict ' +
        'the agent believes. Set up the removal (mta-configs/postfix/README.md or mta-configs/exim/README.md, "Forged ' +
        'Authentication-Results"), then set auth.forgedHeadersRemoved to true',
    });
  }
  return warnings;
}

/** Values as `config show` prints them: modes in octal, lists joined. */
export function showValue(name: string, value: unknown): string {
  if (value === undefined) return '-';
  if (name === 'listen.socketMode' && typeof value === 'number') return `0${value.toString(8)}`;
  if (Array.isArray(value)) return value.length ? value.join(',') : '-';
  return String(value);
}

export const SETTINGS_HELP =
  '\nSettings come from, strongest first: command-line flags, ITIP_AGENT_* environment variables,\n' +
  `the configuration file (JSON; --config FILE or ITIP_AGENT_CONFIG, default ${DEFAULT_CONFIG_FILE},\n` +
  'which may be missing), and built-in defaults. `itip-agent config show` prints them with their source;\n' +
  '`itip-agent config check` checks them.\n';

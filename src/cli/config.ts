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
import { join } from 'node:path';
import type { PolicySettings } from '../agent/policy.js';
import { DEFAULT_LOGIN_LIMITS, LINK_SECRET_FILE_NAME, PASSWORD_FILE_NAME, type HttpSettings } from '../http/settings.js';
import { DEFAULT_EXPANSION_LIMITS } from '../ical/expand.js';
import { isPgUrl, maskStoreLocation } from '../store/store-url.js';
import { JsonSyntaxError, parseJsonWithLines } from './config-file.js';
import {
  ConfigError,
  bool,
  deliverTarget,
  headerName,
  int,
  level,
  list,
  listenAddress,
  mailbox,
  mode,
  names,
  networks,
  proxies,
  publicUrl,
  relayHost,
  storeLocation,
  str,
  unknownUsers,
  type ConfigProblem,
  type Parse,
  type Source,
} from './config-values.js';

export { ConfigError, type ConfigProblem, type Source };

export const DEFAULT_CONFIG_FILE = '/etc/itip-agent/config.json';
export const DEFAULT_MAX_MESSAGE_BYTES = 50 * 1024 * 1024;

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
  /** serve: a listener for /metrics alone, when there is no web listener. */
  metrics?: string;
  /** The file holding the bearer token that opens /metrics to other hosts. */
  metricsTokenFile?: string;
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


interface Key {
  /** Dotted name, as shown by `config show` and written in the file. */
  name: string;
  env: string;
  parse: Parse;
  default?: unknown;
  /** The field of Settings (or of the relay) it fills. */
  help: string;
}


/** The store when none is named, and where the web's files go when the store is a database. */
const DEFAULT_STORE_DIR = './var/itip-agent';

export const KEYS: Key[] = [
  { name: 'store', env: 'ITIP_AGENT_STORE', parse: storeLocation, default: DEFAULT_STORE_DIR, help: 'the store (--store): a directory (the embedded LMDB store), or a PostgreSQL URL postgres://USER@HOST:PORT/DB' },
  { name: 'localDomains', env: 'ITIP_AGENT_LOCAL_DOMAINS', parse: list, default: [], help: 'domains of the calendar users; empty: every envelope recipient is one' },
  { name: 'deliver', env: 'ITIP_AGENT_DELIVER', parse: deliverTarget, default: 'none', help: 'onward delivery target (--deliver)' },
  { name: 'sendmail', env: 'ITIP_AGENT_SENDMAIL', parse: str, default: '/usr/sbin/sendmail', help: 'the sendmail program for --deliver sendmail' },
  { name: 'relay.host', env: 'ITIP_AGENT_RELAY_HOST', parse: relayHost, help: 'the SMTP relay for the outbox (no relay: nothing is sent)' },
  { name: 'relay.port', env: 'ITIP_AGENT_RELAY_PORT', parse: int(1, 65535), default: 25, help: 'relay port' },
  { name: 'relay.secure', env: 'ITIP_AGENT_RELAY_SECURE', parse: bool, default: false, help: 'TLS from the start (port 465); otherwise STARTTLS when offered' },
  { name: 'relay.user', env: 'ITIP_AGENT_RELAY_USER', parse: str, help: 'relay login' },
  { name: 'relay.passwordFile', env: 'ITIP_AGENT_RELAY_PASSWORD_FILE', parse: str, help: 'file holding the relay password (never the password itself)' },
  { name: 'listen.lmtp', env: 'ITIP_AGENT_LMTP', parse: listenAddress('127.0.0.1:10024'), help: 'serve: LMTP listener, HOST:PORT or /path/socket (--lmtp)' },
  { name: 'listen.smtp', env: 'ITIP_AGENT_SMTP', parse: listenAddress('127.0.0.1:10025'), help: 'serve: SMTP listener, HOST:PORT or /path/socket (--smtp)' },
  { name: 'listen.http', env: 'ITIP_AGENT_HTTP', parse: listenAddress('127.0.0.1:8080'), help: 'serve: web listener (sign-in, web pages), HOST:PORT or /path/socket (--http)' },
  { name: 'listen.metrics', env: 'ITIP_AGENT_METRICS', parse: listenAddress('127.0.0.1:9187'), help: 'serve: a listener for the Prometheus /metrics alone, HOST:PORT or /path/socket (--metrics); with listen.http, /metrics is served there' },
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
  { name: 'metrics.tokenFile', env: 'ITIP_AGENT_METRICS_TOKEN_FILE', parse: str, help: 'file holding a bearer token that opens /metrics to other hosts; without it, /metrics answers peers on this host only' },
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
  /** The line of each key written in the file (dotted names). */
  lines: Map<string, number>;
  /**
   * Everything wrong, in the order found: empty from resolveConfig, which
   * throws instead. A key whose value is wrong keeps its default here.
   */
  problems: ConfigProblem[];
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

/** Where a key of the file is, as compilers write it: FILE:LINE (FILE alone when the line is not known). */
function located(path: string, lines: Map<string, number>, key: string): { where: string; line?: number } {
  const line = lines.get(key);
  return line === undefined ? { where: path } : { where: `${path}:${line}`, line };
}

function unknownKeyProblems(json: Record<string, unknown>, path: string, lines: Map<string, number>): ConfigProblem[] {
  const known = new Set(KEYS.map((k) => k.name));
  const groups = new Set(KEYS.filter((k) => k.name.includes('.')).map((k) => k.name.split('.')[0]));
  const problems: ConfigProblem[] = [];
  const problem = (key: string, text: string) => {
    const { where, line } = located(path, lines, key);
    problems.push({ setting: key, source: 'file', file: path, ...(line !== undefined ? { line } : {}), message: `${where}: ${text}` });
  };
  const closest = (key: string) => {
    const near = [...known].filter((name) => name.toLowerCase() === key.toLowerCase() || name.split('.').pop()!.toLowerCase() === key.split('.').pop()!.toLowerCase());
    return near.length ? `; did you mean ${near.map((n) => `"${n}"`).join(' or ')}?` : `; known: ${[...known].join(', ')}`;
  };
  for (const [key, value] of Object.entries(json)) {
    if (groups.has(key)) {
      if (!value || typeof value !== 'object' || Array.isArray(value)) {
        problem(key, `"${key}" must be an object, e.g. "${key}": { ... }`);
        continue;
      }
      for (const sub of Object.keys(value)) {
        const name = `${key}.${sub}`;
        const replacement = REPLACED[name];
        if (replacement) problem(name, `"${name}" is no longer a setting: ${replacement}`);
        else if (!known.has(name) && !sub.startsWith('//') && sub !== '$comment') problem(name, `unknown setting "${name}"${closest(name)}`);
      }
    } else if (!known.has(key) && !key.startsWith('//') && key !== '$comment') {
      problem(key, `unknown setting "${key}"${closest(key)}`);
    }
  }
  return problems;
}

interface FileContent {
  json?: Record<string, unknown>;
  lines: Map<string, number>;
  problems: ConfigProblem[];
}

function readConfigFile(path: string, required: boolean): FileContent {
  const lines = new Map<string, number>();
  const fail = (message: string, line?: number): FileContent => ({
    lines,
    problems: [{ source: 'file', file: path, ...(line !== undefined ? { line } : {}), message }],
  });
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && !required) return { lines, problems: [] };
    return fail(`the configuration file ${path} cannot be read: ${(error as Error).message}`);
  }
  let parsed;
  try {
    parsed = parseJsonWithLines(text);
  } catch (error) {
    if (error instanceof JsonSyntaxError) return fail(`${path}:${error.line}:${error.column}: the configuration file is not JSON: ${error.message}`, error.line);
    return fail(`the configuration file ${path} is not JSON: ${(error as Error).message}`);
  }
  const json = parsed.value;
  if (!json || typeof json !== 'object' || Array.isArray(json)) return fail(`the configuration file ${path} must hold one JSON object, {"setting": value, ...}`, 1);
  const problems = unknownKeyProblems(json as Record<string, unknown>, path, parsed.lines);
  for (const { path: key, lines: where } of parsed.repeated) {
    if (key.includes('.') && !KEYS.some((k) => k.name === key)) continue;
    problems.push({
      setting: key,
      source: 'file',
      file: path,
      line: where[0],
      message: `${path}:${where[0]}: "${key}" is written ${where.length} times (lines ${where.join(', ')}); keep one`,
    });
  }
  return { json: json as Record<string, unknown>, lines: parsed.lines, problems };
}

const given = (value: string | undefined): value is string => value !== undefined && value.trim() !== '';

/**
 * A problem of one setting, placed where its value was written: FILE:LINE for
 * the file, the variable's name for the environment.
 */
export function problemAt(resolved: Pick<Resolved, 'file' | 'lines' | 'entries'>, name: string, message: string): ConfigProblem {
  const source = resolved.entries.find((entry) => entry.name === name)?.source ?? 'default';
  if (source === 'file') {
    const at = located(resolved.file.path, resolved.lines, name);
    return { setting: name, source, file: resolved.file.path, ...(at.line !== undefined ? { line: at.line } : {}), message: `${at.where}: ${message}` };
  }
  const env = KEYS.find((key) => key.name === name)?.env;
  return { setting: name, source, message: source === 'env' && env ? `${env}: ${message}` : message };
}

/** The settings, or a ConfigError that lists every problem found. */
export function resolveConfig(input: ResolveInput = {}): Resolved {
  const resolved = inspectConfig(input);
  const { problems } = resolved;
  if (problems.length === 1) throw new ConfigError(problems[0]!.message, problems);
  if (problems.length > 1) throw new ConfigError(`${problems.length} problems in the settings: ${problems.map((p) => p.message).join('; ')}`, problems);
  return resolved;
}

/**
 * Reads every source and checks every value as the commands use them, and
 * gathers all problems instead of stopping at the first: `config check` shows
 * them at once, and the commands refuse to run with any (resolveConfig), so
 * that a check that passes means the commands will take the settings.
 */
export function inspectConfig(input: ResolveInput = {}): Resolved {
  const env = input.env ?? process.env;
  const flags = input.flags ?? {};
  let file: Resolved['file'];
  if (given(input.configFile)) file = { path: input.configFile, read: false, source: 'flag' };
  else if (given(env.ITIP_AGENT_CONFIG)) file = { path: env.ITIP_AGENT_CONFIG, read: false, source: 'env' };
  else file = { path: DEFAULT_CONFIG_FILE, read: false, source: 'default' };
  const content = readConfigFile(file.path, file.source !== 'default');
  const { json, lines } = content;
  const problems: ConfigProblem[] = [...content.problems];
  file.read = !!json;

  const values = new Map<string, unknown>();
  const entries: Resolved['entries'] = [];
  for (const key of KEYS) {
    let value: unknown;
    let source: Source = 'default';
    const flag = flags[key.name];
    const fromFile = json ? fileValue(json, key.name) : undefined;
    let where = '';
    let line: number | undefined;
    try {
      if (given(flag)) {
        source = 'flag';
        where = `--${key.name.split('.').pop()}`;
        value = key.parse(flag, where);
      } else if (given(env[key.env])) {
        source = 'env';
        where = key.env;
        value = key.parse(env[key.env], where);
      } else if (fromFile !== undefined && fromFile !== null && fromFile !== '') {
        source = 'file';
        ({ line } = located(file.path, lines, key.name));
        where = `${located(file.path, lines, key.name).where}: "${key.name}"`;
        value = key.parse(fromFile, where);
      } else {
        value = key.default;
      }
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      problems.push({ setting: key.name, source, ...(source === 'file' ? { file: file.path, ...(line !== undefined ? { line } : {}) } : {}), message: error.message });
      value = key.default;
      source = 'default';
    }
    values.set(key.name, value);
    entries.push({ name: key.name, value, source });
  }

  const get = <T>(name: string) => values.get(name) as T;
  // The web's files lie in the store directory; a database has none, so they default to the default store directory's.
  const filesDir = isPgUrl(get<string>('store')) ? DEFAULT_STORE_DIR : get<string>('store');
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
      passwordFile: get<string | undefined>('http.passwordFile') ?? join(filesDir, PASSWORD_FILE_NAME),
      trustedProxies: get<string[]>('http.trustedProxies'),
      tls: get<boolean>('http.tls'),
      sessionIdleMinutes: get<number>('http.sessionIdleMinutes'),
      sessionMaxHours: get<number>('http.sessionMaxHours'),
      loginLimits: {
        perAddress: get<number>('http.maxFailuresPerAddress'),
        perAccount: get<number>('http.maxFailuresPerAccount'),
        windowMinutes: get<number>('http.failureWindowMinutes'),
      },
      linkSecretFile: get<string | undefined>('http.linkSecretFile') ?? join(filesDir, LINK_SECRET_FILE_NAME),
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
  const optional = {
    lmtp: 'listen.lmtp',
    smtp: 'listen.smtp',
    http: 'listen.http',
    metrics: 'listen.metrics',
    metricsTokenFile: 'metrics.tokenFile',
    tlsKey: 'listen.tlsKey',
    tlsCert: 'listen.tlsCert',
  } as const;
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
  // Settings that only work together: the problem is placed at the one that was written.
  const together = (name: string, message: string) => problems.push(problemAt({ file, lines, entries }, name, message));
  if (!!settings.tlsKey !== !!settings.tlsCert) {
    together(settings.tlsKey ? 'listen.tlsKey' : 'listen.tlsCert', 'listen.tlsKey and listen.tlsCert go together: give both, or neither');
  }
  if (settings.web.tls && !settings.tlsKey) {
    together('http.tls', 'http.tls needs listen.tlsKey and listen.tlsCert (the key and certificate the web listener serves)');
  }
  return { settings, entries, file, lines, problems };
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

/** Values as `config show` prints them: modes in octal, lists joined. */
export function showValue(name: string, value: unknown): string {
  if (value === undefined) return '-';
  if (name === 'store' && typeof value === 'string') return maskStoreLocation(value);
  if (name === 'listen.socketMode' && typeof value === 'number') return `0${value.toString(8)}`;
  if (Array.isArray(value)) return value.length ? value.join(',') : '-';
  return String(value);
}

export const SETTINGS_HELP =
  '\nSettings come from, strongest first: command-line flags, ITIP_AGENT_* environment variables,\n' +
  `the configuration file (JSON; --config FILE or ITIP_AGENT_CONFIG, default ${DEFAULT_CONFIG_FILE},\n` +
  'which may be missing), and built-in defaults. `itip-agent config show` prints them with their source;\n' +
  '`itip-agent config check` checks them.\n';

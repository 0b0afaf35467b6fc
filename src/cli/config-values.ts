// The values of the settings: how each kind is read and checked (from a
// flag, an ITIP_AGENT_* variable or the configuration file), and the error
// that says which setting is wrong and where it was written. The table of
// settings that uses them is in config.ts.

import { isIP } from 'node:net';
import { TargetError, parseTarget } from '../transport/deliver.js';
import { parseListenAddress } from '../transport/listen-address.js';
import { isPgUrl, maskStoreLocation } from '../store/store-url.js';

/** Where a value came from, strongest first. */
export type Source = 'flag' | 'env' | 'file' | 'default';

/** One thing wrong with the settings, with where it was written. */
export interface ConfigProblem {
  /** The setting it is about, when it is one setting's. */
  setting?: string;
  /** Where the wrong value came from. */
  source: Source;
  /** The configuration file and the line of the key, for a problem in the file. */
  file?: string;
  line?: number;
  /** The whole text, starting with where: `FILE:LINE: "key" ...`, `ITIP_AGENT_X ...` or `--flag ...`. */
  message: string;
}

/**
 * The settings cannot be used: exit 78 (EX_CONFIG); an MTA defers the mail
 * rather than bouncing it. `problems` lists every problem found, not only the
 * first, so that one run of `config check` shows all there is to fix.
 */
export class ConfigError extends Error {
  override name = 'ConfigError';
  readonly problems: ConfigProblem[];
  constructor(message: string, problems?: ConfigProblem[]) {
    super(message);
    this.problems = problems ?? [{ source: 'file', message }];
  }
}

export type Parse = (text: unknown, where: string) => unknown;

export const str: Parse = (value, where) => {
  if (typeof value !== 'string') throw new ConfigError(`${where} must be a string`);
  return value;
};
export const int = (min: number, max: number): Parse => (value, where) => {
  const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isInteger(number) || number < min || number > max) {
    throw new ConfigError(`${where} must be a whole number from ${min} to ${max}`);
  }
  return number;
};
export const bool: Parse = (value, where) => {
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
export const listOf =
  (what: string, tidy: (item: string) => string = (item) => item): Parse =>
  (value, where) => {
    const items = typeof value === 'string' ? value.split(/[,\s]+/) : value;
    if (!Array.isArray(items) || items.some((item) => typeof item !== 'string')) {
      throw new ConfigError(`${where} must be a list${what} (in the environment: comma-separated)`);
    }
    return [...new Set((items as string[]).map((d) => tidy(d.trim().toLowerCase())).filter(Boolean))].sort();
  };
/** Domains, also written with a leading @. */
export const list = listOf(' of domains', (domain) => domain.replace(/^@/, ''));
/** Names compared without case (authserv-ids) or network ranges. */
export const names = listOf('');
export const networks: Parse = (value, where) => {
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
export const proxies: Parse = (value, where) => {
  const list = names(value, where) as string[];
  return [...networks(list.filter((item) => item !== 'unix'), where) as string[], ...list.filter((item) => item === 'unix')];
};
/** A header name (RFC 9110 section 5.1: a token). */
export const headerName: Parse = (value, where) => {
  const text = str(value, where) as string;
  if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(text.trim())) throw new ConfigError(`${where} must be a header name such as X-Remote-User`);
  return text.trim();
};
/** Where people reach the web pages: an http(s) URL without query or fragment, kept without a trailing slash. */
export const publicUrl: Parse = (value, where) => {
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
export const mailbox: Parse = (value, where) => {
  const text = (str(value, where) as string).trim().replace(/^mailto:/i, '');
  if (!/^[^\s@<>()[\],;:"\\]+@[^\s@<>()[\],;:"\\]+$/.test(text)) throw new ConfigError(`${where} must be a mail address such as calendar@example.com`);
  return text.toLowerCase();
};
export const unknownUsers: Parse = (value, where) => {
  if (typeof value === 'string' && ['create', 'refuse'].includes(value.trim().toLowerCase())) return value.trim().toLowerCase();
  throw new ConfigError(`${where} must be create or refuse`);
};
export const mode: Parse = (value, where) => {
  const number = typeof value === 'string' && /^0?[0-7]{3}$/.test(value.trim()) ? parseInt(value, 8) : value;
  if (typeof number !== 'number' || !Number.isInteger(number) || number < 0 || number > 0o777) {
    throw new ConfigError(`${where} must be a file mode such as "0660"`);
  }
  return number;
};
export const level: Parse = (value, where) => {
  if (typeof value === 'string' && ['debug', 'info', 'warn', 'error'].includes(value.trim().toLowerCase())) return value.trim().toLowerCase();
  throw new ConfigError(`${where} must be one of debug, info, warn, error`);
};

/**
 * An onward delivery target, checked as the commands check it, so that a value
 * `process` or `serve` would refuse is an error of the configuration (the MTA
 * defers) rather than a usage error (Postfix bounces on 64). stdout is for a
 * person trying `process --deliver stdout` by hand: written in the settings it
 * would put every mail into the MTA's pipe output, and serve cannot use it.
 */
export const deliverTarget: Parse = (value, where) => {
  const text = (str(value, where) as string).trim();
  try {
    parseTarget(text, where);
  } catch (error) {
    if (error instanceof TargetError) throw new ConfigError(error.message);
    throw error;
  }
  if (text === 'stdout' || text === '-') {
    throw new ConfigError(`${where}: stdout is only for trying a mail by hand (process --deliver stdout); write none, maildir:DIR, lmtp:HOST:PORT, lmtp:/socket or sendmail`);
  }
  return text;
};
/**
 * The store: a PostgreSQL URL (postgres://USER@HOST:PORT/DB, or postgresql://)
 * or a directory. Another URL names a kind of store this build does not have.
 * Errors show the URL with its password masked.
 */
export const storeLocation: Parse = (value, where) => {
  const text = (str(value, where) as string).trim();
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(text);
  if (scheme && isPgUrl(text)) {
    const shown = JSON.stringify(maskStoreLocation(text));
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      throw new ConfigError(`${where}: ${shown} is no valid URL; write postgres://USER@HOST:PORT/DB (a password, if any, after USER: and percent-encoded)`);
    }
    if (!url.hostname && !url.searchParams.get('host')) throw new ConfigError(`${where}: ${shown} names no server; write postgres://USER@HOST:PORT/DB`);
    if (url.pathname.replace(/^\//, '') === '') throw new ConfigError(`${where}: ${shown} names no database; write postgres://USER@HOST:PORT/DB`);
    return text;
  }
  if (scheme) {
    throw new ConfigError(
      `${where}: ${JSON.stringify(text)} is a ${scheme[1]} URL, and this build stores in a directory (the embedded LMDB store) or in PostgreSQL (postgres://USER@HOST:PORT/DB); give one of those`,
    );
  }
  if (text.includes('\0')) throw new ConfigError(`${where} must be a directory path`);
  return text;
};
/** A listener address, as serve's listeners parse it. */
export const listenAddress =
  (example: string): Parse =>
  (value, where) => {
    const text = (str(value, where) as string).trim();
    if (!parseListenAddress(text)) throw new ConfigError(`${where}: ${JSON.stringify(text)} is no listener address; write HOST:PORT (e.g. ${example}) or /path/socket`);
    return text;
  };
/** The relay's host name or address; its port has a setting of its own. */
export const relayHost: Parse = (value, where) => {
  const text = (str(value, where) as string).trim();
  if (text !== '' && !isIP(text.replace(/^\[(.*)\]$/, '$1')) && !/^[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?(\.[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?)*\.?$/.test(text)) {
    const port = /^(.*):(\d+)$/.exec(text);
    throw new ConfigError(
      port ? `${where}: ${JSON.stringify(text)} holds a port; write the host alone (${JSON.stringify(port[1])}) and the port in relay.port (${port[2]})` : `${where}: ${JSON.stringify(text)} is no host name or IP address`,
    );
  }
  return text;
};

// Logs are JSON lines on stderr: {level, msg, ...fields, at}. stdout stays free
// for `--json` output and for mail delivered to stdout, and an MTA that keeps a
// pipe transport's stderr gets one parseable record per line.

import { inspect } from 'node:util';
import { formatUtcSeconds } from '../ical/times.js';
import { now } from './clock.js';

export type Level = 'debug' | 'info' | 'warn' | 'error';

export type Fields = Record<string, unknown>;

function errorFields(value: unknown): unknown {
  if (value instanceof Error) return { name: value.name, message: value.message, ...(value.stack ? { stack: value.stack } : {}) };
  return value;
}

export function log(level: Level, msg: string, fields: Fields = {}): void {
  const record: Record<string, unknown> = { level, msg };
  for (const [key, value] of Object.entries(fields)) {
    if (key === 'level' || key === 'msg' || key === 'at' || value === undefined) continue;
    record[key] = errorFields(value);
  }
  record.at = formatUtcSeconds(now());
  process.stderr.write(`${JSON.stringify(record)}\n`);
}

const RANK: Record<Level, number> = { debug: 0, info: 1, warn: 2, error: 3 };
/** The least level written; set from the logLevel setting. Errors are always written. */
let minimum: Level = 'info';

export function setLogLevel(level: Level): void {
  minimum = level;
}

function enabled(level: Level): boolean {
  // ITIP_AGENT_DEBUG keeps working as before the logLevel setting existed.
  if (level === 'debug' && process.env.ITIP_AGENT_DEBUG) return true;
  return RANK[level] >= RANK[minimum] || level === 'error';
}

export const logger = {
  debug: (msg: string, fields?: Fields) => {
    if (enabled('debug')) log('debug', msg, fields);
  },
  info: (msg: string, fields?: Fields) => {
    if (enabled('info')) log('info', msg, fields);
  },
  warn: (msg: string, fields?: Fields) => {
    if (enabled('warn')) log('warn', msg, fields);
  },
  error: (msg: string, fields?: Fields) => log('error', msg, fields),
};

let capturing = false;

/**
 * Turns what libraries print with console.* into log records: stderr stays
 * JSON lines, and stdout stays free for --json output and delivered mail.
 * (lmdb-js, for one, prints every failed commit with console.error.)
 */
export function captureConsole(): void {
  if (capturing) return;
  capturing = true;
  const to = (level: Level) => (...args: unknown[]) => {
    const error = args.find((arg): arg is Error => arg instanceof Error);
    const text = args.map((arg) => (arg instanceof Error ? arg.message : typeof arg === 'string' ? arg : inspect(arg, { breakLength: Infinity }))).join(' ');
    // LMDB's C code reports a failed page write (disk full) with fprintf on
    // stderr and no line end, just before lmdb-js prints the error: start a
    // new line so that this record stays a line of its own.
    if (text.includes('Attempting to write page')) process.stderr.write('\n');
    logger[level](`a library reported: ${text}`, error ? { error } : undefined);
  };
  console.error = to('error');
  console.warn = to('warn');
  console.info = to('info');
  console.log = to('info');
  console.debug = to('debug');
}

// Assertions shared by the command-line tests. Every run goes through `cli`,
// which also checks the log contract (stderr is JSON lines, each with level,
// msg and at) on every single invocation, whatever the command.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { ROOT, runCli, runCliAsync, type CliOptions, type CliResult } from './run-cli.js';

export const MAIL_FIXTURES = join(ROOT, 'test/fixtures/mail');
export const SCENARIOS = join(ROOT, 'test/fixtures/scenarios');

/** ISO 8601 UTC with whole seconds, as every JSON time is written. */
export const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
/** A lower-case mailto: URI, as every JSON calendar user address is written. */
export const MAILTO = /^mailto:[^A-Z\s<>]+@[^A-Z\s<>]+$/;

/** Checks the log contract: whatever the program wrote on stderr is JSON lines with level, msg and at. */
function checkLogs(args: string[], result: CliResult): CliResult {
  expect(result.badLogLines, `non-JSON stderr from itip-agent ${args.join(' ')}`).toEqual([]);
  for (const record of result.logs) {
    expect(typeof record.level, JSON.stringify(record)).toBe('string');
    expect(typeof record.msg, JSON.stringify(record)).toBe('string');
    expect(typeof record.at, JSON.stringify(record)).toBe('string');
  }
  return result;
}

function checkOk(args: string[], result: CliResult): CliResult {
  expect(result.code, `itip-agent ${args.join(' ')}: ${result.stderr}`).toBe(0);
  return result;
}

function parseJson<T>(result: CliResult): T {
  expect(result.stdout.endsWith('\n')).toBe(true);
  return JSON.parse(result.stdout) as T;
}

/** Runs the built program and checks its stderr. */
export function cli(args: string[], options: CliOptions = {}): CliResult {
  return checkLogs(args, runCli(args, options));
}

/** Runs a command that must succeed; fails with its stderr otherwise. */
export function ok(args: string[], options: CliOptions = {}): CliResult {
  return checkOk(args, cli(args, options));
}

/** Runs a command with --json that must succeed; stdout must be one JSON value and nothing else. */
export function json<T = unknown>(args: string[], options: CliOptions = {}): T {
  return parseJson<T>(ok([...args, '--json'], options));
}

/** cli, ok and json without blocking, for read-only commands run side by side. */
export async function cliAsync(args: string[], options: CliOptions = {}): Promise<CliResult> {
  return checkLogs(args, await runCliAsync(args, options));
}

export async function okAsync(args: string[], options: CliOptions = {}): Promise<CliResult> {
  return checkOk(args, await cliAsync(args, options));
}

export async function jsonAsync<T = unknown>(args: string[], options: CliOptions = {}): Promise<T> {
  return parseJson<T>(await okAsync([...args, '--json'], options));
}

/** The error lines of a run, for checking what a person is told. */
export function errors(result: CliResult): Array<Record<string, unknown>> {
  return result.logs.filter((record) => record.level === 'error');
}

export function mailFixture(name: string): Buffer {
  return readFileSync(join(MAIL_FIXTURES, name));
}

export function scenarioFile(path: string): string {
  return readFileSync(join(SCENARIOS, path), 'utf8');
}

export function sortedKeys(value: object): string[] {
  return Object.keys(value).sort();
}

export interface MailParts {
  from: string;
  to: string[];
  subject: string;
  messageId: string;
  date?: string;
  /** Extra header lines, e.g. ['X-Original-To: alice@example.com']. */
  headers?: string[];
  /** The iCalendar body; its METHOD is also put on the Content-Type. */
  ics: string;
}

/** The header lines every test mail has, up to its Content-Type. */
function commonHeaders(parts: Omit<MailParts, 'ics'>): string[] {
  return [
    ...(parts.headers ?? []),
    `From: ${parts.from}`,
    `To: ${parts.to.join(', ')}`,
    `Subject: ${parts.subject}`,
    `Message-ID: <${parts.messageId}>`,
    `Date: ${parts.date ?? 'Sun, 01 Nov 2026 08:00:00 +0000'}`,
    'MIME-Version: 1.0',
  ];
}

/** An iMIP mail (RFC 6047) with one text/calendar body, CRLF line ends, as a client sends it. */
export function imipMail(parts: MailParts): Buffer {
  const method = /^METHOD:(\S+)/m.exec(parts.ics)?.[1] ?? 'REQUEST';
  const body = parts.ics.replace(/\r?\n/g, '\r\n');
  const lines = [
    ...commonHeaders(parts),
    `Content-Type: text/calendar; charset=utf-8; method=${method}`,
    'Content-Transfer-Encoding: 8bit',
    '',
    '',
  ];
  return Buffer.from(lines.join('\r\n') + body, 'utf8');
}

/** A plain text mail without any calendar part. */
export function plainMail(parts: Omit<MailParts, 'ics'> & { text: string }): Buffer {
  const lines = [
    ...commonHeaders(parts),
    'Content-Type: text/plain; charset=utf-8',
    '',
    parts.text,
    '',
  ];
  return Buffer.from(lines.join('\r\n'), 'utf8');
}

// Runs the real, built command line (node bin/itip-agent) as a child process,
// the way an MTA or a script does, with a throwaway store and a fixed clock.

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const BIN = join(ROOT, 'bin/itip-agent');
export const FIXTURES = join(ROOT, 'test/fixtures/cli');
export const NOW = '2026-11-15T12:00:00Z';

if (!existsSync(join(ROOT, 'dist/cli/main.js'))) {
  throw new Error('the CLI tests run the built program: run npm run build first (npm test does)');
}

export interface CliResult {
  code: number | null;
  stdout: string;
  /** stdout exactly as written, for byte-for-byte comparisons (mail delivered to stdout). */
  stdoutBytes: Buffer;
  stderr: string;
  /** stderr as parsed JSON log lines. */
  logs: Array<Record<string, unknown>>;
  /** Non-empty stderr lines that are not JSON objects: the log contract says there are none. */
  badLogLines: string[];
}

export interface CliOptions {
  input?: string | Buffer;
  env?: Record<string, string | undefined>;
  store?: string;
  /** Working directory of the child; the repository root unless given. */
  cwd?: string;
}

export function fixture(name: string): Buffer {
  return readFileSync(join(FIXTURES, name));
}

export function tempDir(prefix = 'itip-agent-cli-'): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

function parseLogLine(line: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(line);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function spawnArgs(args: string[], options: CliOptions) {
  const storeArgs = options.store ? ['--store', options.store] : [];
  return {
    argv: [BIN, ...storeArgs, ...args],
    cwd: options.cwd ?? ROOT,
    env: { ...process.env, ITIP_AGENT_NOW: NOW, ITIP_AGENT_STORE: undefined, ...options.env },
  };
}

function cliResult(code: number | null, stdoutBytes: Buffer, stderrBytes: Buffer): CliResult {
  const stderr = stderrBytes.toString('utf8');
  const logs: Array<Record<string, unknown>> = [];
  const badLogLines: string[] = [];
  for (const line of stderr.split('\n')) {
    if (line.trim() === '') continue;
    const record = parseLogLine(line);
    if (record) logs.push(record);
    else badLogLines.push(line);
  }
  return { code, stdout: stdoutBytes.toString('utf8'), stdoutBytes, stderr, logs, badLogLines };
}

export function runCli(args: string[], options: CliOptions = {}): CliResult {
  const { argv, cwd, env } = spawnArgs(args, options);
  const result = spawnSync(process.execPath, argv, {
    cwd,
    input: options.input ?? '',
    env,
    maxBuffer: 64 * 1024 * 1024,
    timeout: 60_000,
  });
  if (result.error) throw result.error;
  return cliResult(result.status, result.stdout ?? Buffer.alloc(0), result.stderr ?? Buffer.alloc(0));
}

/**
 * The same as runCli, without blocking: independent read-only commands can run
 * side by side, which keeps the suite fast (each run starts a Node process).
 */
export function runCliAsync(args: string[], options: CliOptions = {}): Promise<CliResult> {
  const { argv, cwd, env } = spawnArgs(args, options);
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, argv, { cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise(cliResult(code, Buffer.concat(stdout), Buffer.concat(stderr)));
    });
    // A command that exits before reading its input closes the pipe: that is no test failure.
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
  });
}

/** Runs a command with --json and parses stdout; fails loudly with stderr when it did not work. */
export function runJson(args: string[], options: CliOptions = {}): unknown {
  const result = runCli([...args, '--json'], options);
  if (result.code !== 0) throw new Error(`itip-agent ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
  return JSON.parse(result.stdout);
}

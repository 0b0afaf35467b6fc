// Runs the real, built command line (node bin/itip-agent) as a child process,
// the way an MTA or a script does, with a throwaway store and a fixed clock.

import { spawnSync } from 'node:child_process';
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
  stderr: string;
  /** stderr as parsed JSON log lines. */
  logs: Array<Record<string, unknown>>;
}

export interface CliOptions {
  input?: string | Buffer;
  env?: Record<string, string | undefined>;
  store?: string;
}

export function fixture(name: string): Buffer {
  return readFileSync(join(FIXTURES, name));
}

export function tempDir(prefix = 'itip-agent-cli-'): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

export function runCli(args: string[], options: CliOptions = {}): CliResult {
  const storeArgs = options.store ? ['--store', options.store] : [];
  const result = spawnSync(process.execPath, [BIN, ...storeArgs, ...args], {
    cwd: ROOT,
    input: options.input ?? '',
    env: { ...process.env, ITIP_AGENT_NOW: NOW, ITIP_AGENT_STORE: undefined, ...options.env },
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    timeout: 60_000,
  });
  const stderr = result.stderr ?? '';
  const logs = stderr
    .split('\n')
    .filter((line) => line.trim().startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  return { code: result.status, stdout: result.stdout ?? '', stderr, logs };
}

/** Runs a command with --json and parses stdout; fails loudly with stderr when it did not work. */
export function runJson(args: string[], options: CliOptions = {}): unknown {
  const result = runCli([...args, '--json'], options);
  if (result.code !== 0) throw new Error(`itip-agent ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
  return JSON.parse(result.stdout);
}

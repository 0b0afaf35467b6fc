// Small tools the integration tests share: running a command, waiting for a
// condition, reading the end of a log, and a lock between test runs. Nothing
// here changes the host's packages or configuration.

import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

export interface RunOptions {
  input?: string | Buffer;
  env?: NodeJS.ProcessEnv;
  allowFail?: boolean;
  timeoutMs?: number;
  cwd?: string;
  /**
   * The command starts a daemon: its output goes to this file, not to pipes,
   * because a daemon that keeps an inherited pipe open would keep spawnSync
   * waiting for ever.
   */
  daemonLog?: string;
}

export function run(command: string, args: string[], options: RunOptions = {}): SpawnSyncReturns<string> {
  const fd = options.daemonLog ? openSync(options.daemonLog, 'a') : undefined;
  let result: SpawnSyncReturns<string>;
  try {
    result = spawnSync(command, args, {
      input: options.input,
      encoding: 'utf8',
      env: options.env ?? process.env,
      cwd: options.cwd,
      timeout: options.timeoutMs ?? (options.daemonLog ? 60_000 : 300_000),
      maxBuffer: 64 * 1024 * 1024,
      stdio: fd === undefined ? 'pipe' : ['ignore', fd, fd],
    });
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  if (fd !== undefined) result = { ...result, stdout: readFileSync(options.daemonLog!, 'utf8'), stderr: '' };
  if (result.error) throw new Error(`${command} ${args.join(' ')}: ${result.error.message}`);
  if (result.status !== 0 && !options.allowFail) {
    throw new Error(`${command} ${args.join(' ')} exited ${result.status}:\n${(result.stdout ?? '').slice(-3000)}\n${(result.stderr ?? '').slice(-3000)}`);
  }
  return result;
}

export function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** A free TCP port on the host's loopback (the OS picks it; it is closed again at once). */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() => (address && typeof address === 'object' ? resolvePort(address.port) : reject(new Error('no port'))));
    });
  });
}

/** Polls until `check` returns a value (not undefined/false); on timeout the error tells what was awaited and shows `context()`. */
export async function waitFor<T>(what: string, check: () => T | undefined | false | Promise<T | undefined | false>, context: () => string, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}\n${context()}`);
    await sleep(100);
  }
}

export function tail(file: string, lines = 40): string {
  if (!existsSync(file)) return `(${file} does not exist)`;
  return `--- ${file} (last ${lines} lines)\n` + readFileSync(file, 'utf8').split('\n').slice(-lines - 1).join('\n');
}

/**
 * Holds a lock (a directory: mkdir is atomic, with the owner's pid inside)
 * until the returned function is called. A lock whose owner is gone is taken
 * over, so a run that crashed does not block the next one.
 */
export async function holdLock(dir: string, what: string, timeoutMs: number): Promise<() => void> {
  const pidFile = join(dir, 'pid');
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      mkdirSync(dir);
      writeFileSync(pidFile, String(process.pid));
      return () => {
        if (existsSync(pidFile) && readFileSync(pidFile, 'utf8') === String(process.pid)) rmSync(dir, { recursive: true, force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const owner = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8')) : NaN;
    // No pid yet: the owner is between mkdir and writing it; a pid that is gone: a crashed run.
    if (Number.isInteger(owner) && owner > 0 && !alive(owner)) {
      rmSync(dir, { recursive: true, force: true });
      continue;
    }
    if (Date.now() > end) {
      throw new Error(`another test run (pid ${owner}) has held the lock for ${what} (${dir}) for ${timeoutMs / 1000}s; wait for it, or remove the folder if that run is gone`);
    }
    await sleep(500);
  }
}

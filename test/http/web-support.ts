// The web listener in the test process, on loopback (or a unix socket), with a
// throwaway password file, a clock the test moves, and its log kept.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hashPassword, updatePasswordFile } from '../../src/http/password-file.js';
import type { ActionRunner } from '../../src/http/action-port.js';
import { startHttpListener, type HttpListener } from '../../src/http/server.js';
import type { Store } from '../../src/store/store.js';
import { DEFAULT_LOGIN_LIMITS, type HttpSettings } from '../../src/http/settings.js';
import { Browser } from './web-client.js';

export interface LogRecord {
  level: string;
  msg: string;
  fields?: Record<string, unknown>;
}

export interface Web {
  listener: HttpListener;
  settings: HttpSettings;
  dir: string;
  logs: LogRecord[];
  /** The real clock of sessions and limits, as the test sets it. */
  clock: { now: number };
  browser(headers?: Record<string, string>): Browser;
  stop(): Promise<void>;
}

export function tempDir(prefix = 'itip-agent-web-'): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** Users with web passwords in every test web: alice's is "wonderland", bob's "builder". */
export const PASSWORDS = { 'alice@example.com': 'wonderland', 'bob@example.com': 'builder' } as const;

export async function writePasswords(file: string): Promise<void> {
  for (const [address, password] of Object.entries(PASSWORDS)) await updatePasswordFile(file, `mailto:${address}`, await hashPassword(password));
}

export async function startWeb(
  options: {
    settings?: Partial<HttpSettings>;
    listen?: string;
    tls?: { key: Buffer; cert: Buffer };
    localDomains?: string[];
    socketMode?: number;
    /** The calendar store the pages show, the calendar clock and the action runner. */
    store?: Store;
    now?: () => number;
    runAction?: ActionRunner;
  } = {},
): Promise<Web> {
  const dir = tempDir();
  const passwordFile = join(dir.path, 'passwords');
  await writePasswords(passwordFile);
  const settings: HttpSettings = {
    passwordLogins: true,
    passwordFile,
    trustedProxies: [],
    tls: !!options.tls,
    sessionIdleMinutes: 30,
    sessionMaxHours: 12,
    loginLimits: { ...DEFAULT_LOGIN_LIMITS },
    ...options.settings,
  };
  const logs: LogRecord[] = [];
  const clock = { now: Date.parse('2026-11-15T12:00:00Z') };
  const listen = options.listen ?? '127.0.0.1:0';
  const listener = await startHttpListener({
    listen,
    socketMode: options.socketMode ?? 0o660,
    settings,
    localDomains: options.localDomains ?? [],
    log: (level, msg, fields) => logs.push({ level, msg, ...(fields ? { fields } : {}) }),
    clock: () => clock.now,
    ...(options.tls ? { tls: options.tls } : {}),
    ...(options.store ? { store: options.store } : {}),
    ...(options.now ? { now: options.now } : {}),
    ...(options.runAction ? { runAction: options.runAction } : {}),
  });
  const target = listener.path ? { socketPath: listener.path } : { port: listener.port!, ...(options.tls ? { tls: true } : {}) };
  return {
    listener,
    settings,
    dir: dir.path,
    logs,
    clock,
    browser: (headers) => new Browser(target, headers),
    async stop() {
      await listener.stop(5_000);
      dir.remove();
    },
  };
}

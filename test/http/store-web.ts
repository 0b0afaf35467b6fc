// A web listener over a real LMDB store in the test process, for the public
// routes that read calendars (published free/busy, signed answer links): the
// store, the calendar clock and the action runner are the test's.

import { join } from 'node:path';
import { act } from '../../src/itip/actions/act.js';
import type { UserAction } from '../../src/itip/actions/action.js';
import { applyEffects } from '../../src/agent/apply-effects.js';
import { startHttpListener, type HttpListener } from '../../src/http/server.js';
import { DEFAULT_LOGIN_LIMITS, type HttpSettings, type LoginLimits } from '../../src/http/settings.js';
import type { ActionRunner } from '../../src/http/action-port.js';
import { formatUtc } from '../../src/ical/times.js';
import type { Store } from '../../src/store/store.js';
import { Browser } from './web-client.js';
import { tempDir, writePasswords, type LogRecord } from './web-support.js';

export interface StoreWeb {
  listener: HttpListener;
  logs: LogRecord[];
  /** The real clock (sign-in and link failure limits). */
  clock: { now: number };
  linkSecretFile: string;
  browser(headers?: Record<string, string>): Browser;
  stop(): Promise<void>;
}

export async function startStoreWeb(options: {
  store: Store;
  now: number;
  runAction?: ActionRunner;
  /** Where the link secret is; default: a fresh file. */
  linkSecretFile?: string;
  localDomains?: string[];
  loginLimits?: Partial<LoginLimits>;
  trustedProxies?: string[];
}): Promise<StoreWeb> {
  const dir = tempDir();
  const passwordFile = join(dir.path, 'passwords');
  await writePasswords(passwordFile);
  const linkSecretFile = options.linkSecretFile ?? join(dir.path, 'link-secret');
  const settings: HttpSettings = {
    passwordLogins: true,
    passwordFile,
    trustedProxies: options.trustedProxies ?? [],
    tls: false,
    sessionIdleMinutes: 30,
    sessionMaxHours: 12,
    loginLimits: { ...DEFAULT_LOGIN_LIMITS, ...options.loginLimits },
    linkSecretFile,
  };
  const logs: LogRecord[] = [];
  const clock = { now: options.now };
  const listener = await startHttpListener({
    listen: '127.0.0.1:0',
    socketMode: 0o660,
    settings,
    localDomains: options.localDomains ?? [],
    log: (level, msg, fields) => logs.push({ level, msg, ...(fields ? { fields } : {}) }),
    clock: () => clock.now,
    store: options.store,
    now: () => options.now,
    ...(options.runAction ? { runAction: options.runAction } : {}),
  });
  return {
    listener,
    logs,
    clock,
    linkSecretFile,
    browser: (headers) => new Browser({ port: listener.port! }, headers),
    async stop() {
      await listener.stop(5_000);
      dir.remove();
    },
  };
}

export interface RunnerCall {
  user: string;
  action: UserAction;
  ifMatch?: string;
  result: Awaited<ReturnType<ActionRunner>>;
}

/**
 * The action runner as WEB.md describes it, from the real core: act() in the
 * user's store transaction, its effects applied by apply-effects.ts. Every
 * call is recorded with what it returned.
 */
export function coreRunner(store: Store, now: number, calls: RunnerCall[]): ActionRunner {
  return async (user, action, ifMatch) => {
    const uid = 'uid' in action ? action.uid : undefined;
    const requests = uid === undefined ? [] : (await store.listRequests(user)).filter((r) => r.uid === uid);
    const result = await store.transact(user, (tx) => {
      const stored = uid === undefined ? undefined : tx.getObject(uid);
      const outcome = act({
        action,
        user,
        role: tx.getRole() ?? 'person',
        prefs: tx.getPrefs(),
        ...(stored ? { stored } : {}),
        ...(ifMatch !== undefined ? { ifMatch } : {}),
        counters: uid === undefined ? [] : tx.listCounters(uid),
        requests,
        now,
      });
      const at = formatUtc(now);
      if (outcome.outcome === 'applied') applyEffects(tx, outcome.effects, { messageId: `action-${at}`, messageKey: `action:${at}:${calls.length}`, received: at }, { next: 0 });
      const queued = outcome.effects.flatMap((effect, index) => (effect.type === 'send' ? [{ id: String(index), method: effect.method, to: effect.to }] : []));
      return { outcome: outcome.outcome, reason: outcome.reason, queued: outcome.outcome === 'applied' ? queued : [] };
    });
    calls.push({ user, action, ...(ifMatch !== undefined ? { ifMatch } : {}), result });
    return result;
  };
}

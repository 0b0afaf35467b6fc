// The action runner of the web tests, made of the real core: the user's
// stored copy read in a store transaction, act() (src/itip/actions/act.ts)
// asked, its effects applied with apply-effects.ts, as the agent's runner
// does. It keeps every call and what it answered, so that a test can check
// that a form reached the runner with the right action and that the page
// shows the answer.

import { applyEffects } from '../../src/agent/apply-effects.js';
import type { ActionReport, ActionRunner } from '../../src/http/action-port.js';
import { formatUtc } from '../../src/ical/times.js';
import { act } from '../../src/itip/actions/act.js';
import type { UserAction } from '../../src/itip/actions/action.js';
import type { Store } from '../../src/store/store.js';

export interface RunnerCall {
  user: string;
  action: UserAction;
  ifMatch: string | undefined;
  report: ActionReport;
}

export function coreRunner(store: Store, now: () => number): { run: ActionRunner; calls: RunnerCall[] } {
  const calls: RunnerCall[] = [];
  let count = 0;
  const run: ActionRunner = async (user, action, ifMatch) => {
    const at = formatUtc(now());
    const n = ++count;
    const report = await store.transact(user, (tx): ActionReport => {
      const uid = action.kind === 'put' ? undefined : action.uid;
      const result = act({
        action,
        user,
        role: tx.getRole() ?? 'person',
        prefs: tx.getPrefs(),
        ...(uid && tx.getObject(uid) ? { stored: tx.getObject(uid)! } : {}),
        ...(ifMatch !== undefined ? { ifMatch } : {}),
        counters: uid ? tx.listCounters(uid) : [],
        requests: [],
        now: now(),
      });
      if (result.outcome === 'error') return { outcome: result.outcome, reason: result.reason, queued: [] };
      applyEffects(tx, result.effects, { messageId: `<web-action-${n}@test>`, messageKey: `web-action-${n}`, received: at }, { next: 0 });
      const queued = result.effects.flatMap((effect) => (effect.type === 'send' ? [{ id: `web-action-${n}`, method: effect.method, to: effect.to }] : []));
      return { outcome: result.outcome, reason: result.reason, queued };
    });
    calls.push({ user, action, ifMatch, report });
    return report;
  };
  return { run, calls };
}

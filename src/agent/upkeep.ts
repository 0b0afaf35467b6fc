// Moves every user's free/busy window forward (src/itip/upkeep.ts): `serve`
// runs it at start and once a day; each user's update is one transaction.

import { refreshPeriods, movesWithWindow } from '../itip/upkeep.js';
import type { Store } from '../store/store.js';
import type { AgentPolicy } from './policy.js';

export interface UpkeepSummary {
  users: number;
  /** Recurring objects whose periods were computed again. */
  objects: number;
  /** Objects that could not be read (left as they were, logged by the caller). */
  failed: Array<{ user: string; uid: string; error: string }>;
}

export async function refreshFreeBusy(store: Store, now: number, policy?: AgentPolicy): Promise<UpkeepSummary> {
  const summary: UpkeepSummary = { users: 0, objects: 0, failed: [] };
  for (const user of store.listUsers()) {
    const uids = store.listObjects(user).filter(movesWithWindow).map((o) => o.uid);
    if (uids.length === 0) continue;
    // Whose periods are kept per UID: those are the ones to move.
    const participants = new Map<string, Set<string>>();
    for (const period of store.freeBusy(user, { others: true })) {
      const participant = (period as { participant?: string }).participant;
      if (!participant) continue;
      const set = participants.get(period.uid) ?? new Set<string>();
      set.add(participant);
      participants.set(period.uid, set);
    }
    summary.users++;
    await store.transact(user, (tx) => {
      const prefs = tx.getPrefs();
      for (const uid of uids) {
        // Read again inside the transaction: a mail may have changed it meanwhile.
        const stored = tx.getObject(uid);
        if (!stored) continue;
        let refreshed;
        try {
          refreshed = refreshPeriods(stored, user, [...(participants.get(uid) ?? [])], prefs, now, policy?.expansionLimits);
        } catch (error) {
          summary.failed.push({ user, uid, error: (error as Error).message });
          continue;
        }
        if (!refreshed) continue;
        tx.setOwnPeriods(uid, refreshed.own);
        for (const [participant, periods] of refreshed.others) tx.setOthersPeriods(uid, participant, periods);
        summary.objects++;
      }
    });
  }
  return summary;
}

// Moves every user's free/busy window forward (src/itip/freebusy/upkeep.ts): `serve`
// runs it at start and once a day; each user's update is one transaction.
// Own and others' periods of each recurring object are computed as a message
// about it computes them, and replace what the store holds for its UID.

import { refreshPeriods, movesWithWindow } from '../itip/freebusy/upkeep.js';
import { withHeldOffers } from '../itip/resource/offers.js';
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
    summary.users++;
    await store.transact(user, (tx) => {
      const prefs = tx.getPrefs();
      for (const uid of uids) {
        // Read again inside the transaction: a mail may have changed it meanwhile.
        const stored = tx.getObject(uid);
        if (!stored) continue;
        let refreshed;
        try {
          refreshed = refreshPeriods(stored, user, prefs, now, policy?.expansionLimits);
        } catch (error) {
          summary.failed.push({ user, uid, error: (error as Error).message });
          continue;
        }
        if (!refreshed) continue;
        // A resource's offers still held (freebusy_offers) stay held.
        tx.setOwnPeriods(uid, withHeldOffers(refreshed.own, tx.listCounters(uid), user, prefs, now));
        tx.replaceOthersPeriods(uid, refreshed.others);
        summary.objects++;
      }
    });
  }
  return summary;
}

// Moves every user's free/busy window forward (src/itip/freebusy/upkeep.ts): `serve`
// runs it at start and once a day; each user's update is one transaction.
// Own and others' periods of each recurring object are computed as a message
// about it computes them, and replace what the store holds for its UID.

import { refreshPeriods, movesWithWindow } from '../itip/freebusy/upkeep.js';
import { withHeldOffers } from '../itip/resource/offers.js';
import type { OthersPeriod, Period } from '../itip/model.js';
import type { Store } from '../store/store.js';
import type { AgentPolicy } from './policy.js';

export interface UpkeepSummary {
  /** Users looked at: every user of the store. */
  users: number;
  /** Users with at least one recurring object, whose periods were computed again. */
  usersWithSeries: number;
  /** Recurring objects whose periods were computed again. */
  objects: number;
  /** Of those, objects whose periods (own or others') came out different. */
  objectsChanged: number;
  /** Periods (own and others') that were not stored before, and stored ones that are gone. */
  periodsAdded: number;
  periodsRemoved: number;
  /** Objects that could not be read (left as they were, logged by the caller). */
  failed: Array<{ user: string; uid: string; error: string }>;
}

/** The periods grouped by their UID, so that each object's are found without a pass over all. */
function byUid<T extends Period | OthersPeriod>(periods: T[]): Map<string, T[]> {
  const grouped = new Map<string, T[]>();
  for (const period of periods) {
    const list = grouped.get(period.uid);
    if (list) list.push(period);
    else grouped.set(period.uid, [period]);
  }
  return grouped;
}

function periodKey(period: Period | OthersPeriod): string {
  return [period.uid, period.recurrenceId ?? '', period.start, period.end, period.fbtype, 'participant' in period ? period.participant : ''].join('\u0000');
}

/** How many periods `after` has that `before` has not, and the other way round. */
function difference(before: Array<Period | OthersPeriod>, after: Array<Period | OthersPeriod>): { added: number; removed: number } {
  const old = new Set(before.map(periodKey));
  const now = new Set(after.map(periodKey));
  return { added: [...now].filter((key) => !old.has(key)).length, removed: [...old].filter((key) => !now.has(key)).length };
}

export async function refreshFreeBusy(store: Store, now: number, policy?: AgentPolicy): Promise<UpkeepSummary> {
  const summary: UpkeepSummary = { users: 0, usersWithSeries: 0, objects: 0, objectsChanged: 0, periodsAdded: 0, periodsRemoved: 0, failed: [] };
  for (const user of await store.listUsers()) {
    summary.users++;
    const uids = (await store.listObjects(user)).filter(movesWithWindow).map((o) => o.uid);
    if (uids.length === 0) continue;
    summary.usersWithSeries++;
    // Others' periods are read before the transaction (only to count what changed);
    // own periods are read inside it, with its writes.
    const othersBefore = byUid((await store.freeBusy(user, { others: true })) as OthersPeriod[]);
    // The callback may run more than once (Store.transact): it counts into a
    // tally of its own run, added to the summary once it has committed.
    const tally = await store.transact(user, (tx) => {
      const counted = { objects: 0, objectsChanged: 0, periodsAdded: 0, periodsRemoved: 0, failed: [] as UpkeepSummary['failed'] };
      const prefs = tx.getPrefs();
      const ownBefore = byUid(tx.freeBusy());
      for (const uid of uids) {
        // Read again inside the transaction: a mail may have changed it meanwhile.
        const stored = tx.getObject(uid);
        if (!stored) continue;
        let refreshed;
        try {
          refreshed = refreshPeriods(stored, user, prefs, now, policy?.expansionLimits);
        } catch (error) {
          counted.failed.push({ user, uid, error: (error as Error).message });
          continue;
        }
        if (!refreshed) continue;
        // A resource's offers still held (freebusy_offers) stay held.
        const ownNow = withHeldOffers(refreshed.own, tx.listCounters(uid), user, prefs, now);
        const own = difference(ownBefore.get(uid) ?? [], ownNow);
        const others = difference(othersBefore.get(uid) ?? [], refreshed.others);
        tx.setOwnPeriods(uid, ownNow);
        tx.replaceOthersPeriods(uid, refreshed.others);
        counted.objects++;
        const added = own.added + others.added;
        const removed = own.removed + others.removed;
        if (added + removed > 0) counted.objectsChanged++;
        counted.periodsAdded += added;
        counted.periodsRemoved += removed;
      }
      return counted;
    });
    summary.objects += tally.objects;
    summary.objectsChanged += tally.objectsChanged;
    summary.periodsAdded += tally.periodsAdded;
    summary.periodsRemoved += tally.periodsRemoved;
    summary.failed.push(...tally.failed);
  }
  return summary;
}

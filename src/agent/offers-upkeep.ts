// Ends the holds of resource offers whose `freebusy_offers` time is up
// (src/itip/resource/offers.ts): the offer is withdrawn (its counter entry
// goes, so a REFRESH no longer repeats it) and the resource's own periods of
// the event are computed again without the hold. `serve` runs it at start and
// every minute; each user's release is one transaction.

import { userZone } from '../ical/zones.js';
import { CalendarObject } from '../itip/calendar-object.js';
import { freeBusyWindow, objectPeriods } from '../itip/freebusy/periods.js';
import { zoneOf } from '../itip/preferences.js';
import { offerExpired, withHeldOffers } from '../itip/resource/offers.js';
import type { Store } from '../store/store.js';
import type { AgentPolicy } from './policy.js';

export interface ReleasedOffer {
  user: string;
  uid: string;
  recurrenceId: string | null;
}

export async function releaseExpiredOffers(store: Store, now: number, policy?: AgentPolicy): Promise<ReleasedOffer[]> {
  const released: ReleasedOffer[] = [];
  for (const user of await store.listUsers()) {
    const prefs = await store.getPrefs(user);
    if (!prefs.freebusy_offers) continue;
    const due = (await store.listCounters(user)).filter((entry) => offerExpired(entry, user, prefs, now));
    if (due.length === 0) continue;
    // The callback may run more than once (Store.transact): it collects what
    // it released in a list of its own run and returns it.
    const releasedHere = await store.transact(user, (tx) => {
      const releasedNow: ReleasedOffer[] = [];
      const current = tx.getPrefs();
      for (const uid of new Set(due.map((entry) => entry.uid))) {
        // Read again inside the transaction: a message may have answered the offer meanwhile.
        const expired = tx.listCounters(uid).filter((entry) => offerExpired(entry, user, current, now));
        if (expired.length === 0) continue;
        for (const entry of expired) {
          tx.removeCounters(uid, entry.recurrenceId, user);
          releasedNow.push({ user, uid, recurrenceId: entry.recurrenceId });
        }
        const stored = tx.getObject(uid);
        const own = stored
          ? objectPeriods(CalendarObject.fromStored(stored, userZone(zoneOf(current))), user, freeBusyWindow(current, now), policy?.expansionLimits).own
          : [];
        tx.setOwnPeriods(uid, withHeldOffers(own, tx.listCounters(uid), user, current, now));
      }
      return releasedNow;
    });
    released.push(...releasedHere);
  }
  return released;
}

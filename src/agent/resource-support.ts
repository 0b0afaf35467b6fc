// What a resource's decision reads besides the message (src/itip/resource/):
// its own other bookings, read through the transaction it is decided in, and
// for a resource group its members' free/busy, read before the group's
// transaction (each user has a transaction of its own).

import { eventsOf, organizerOf, parseCalendar } from '../ical/calendar.js';
import { formatUtc } from '../ical/times.js';
import type { Period } from '../itip/model.js';
import { freeBusyWindow } from '../itip/freebusy/periods.js';
import type { GroupMember, ResourceBookings } from '../itip/resource/bookings.js';
import { parseMembers } from '../itip/resource/settings.js';
import type { Store, UserTx } from '../store/store.js';

/** The resource's own bookings, through its transaction (so earlier writes of this mail count). */
export function resourceBookings(tx: UserTx): ResourceBookings {
  const organizers = new Map<string, string | undefined>();
  return {
    busy: (fromMs, toMs) => tx.freeBusy({ from: formatUtc(fromMs), to: formatUtc(toMs) }),
    organizer(uid) {
      if (!organizers.has(uid)) {
        let organizer: string | undefined;
        const stored = tx.getObject(uid);
        try {
          if (stored) organizer = eventsOf(parseCalendar(stored.ics)).map(organizerOf).find((o) => o);
        } catch {
          // A stored object that no longer parses counts for nobody's quota.
        }
        organizers.set(uid, organizer);
      }
      return organizers.get(uid);
    },
  };
}

/**
 * The members of a resource group (its `group_members` preference) that the
 * store knows, each with its preferences and its free/busy in the group's
 * window around now; undefined when the user is no group.
 */
export function readGroupMembers(store: Store, user: string, now: number): GroupMember[] | undefined {
  if (store.getRole(user) !== 'resource') return undefined;
  const prefs = store.getPrefs(user);
  if (!prefs.group_members) return undefined;
  let addresses: string[];
  try {
    addresses = parseMembers(prefs.group_members);
  } catch {
    return [];
  }
  const window = freeBusyWindow(prefs, now);
  const range = { from: formatUtc(window.from), to: formatUtc(window.to) };
  return addresses
    .filter((address) => address !== user && store.getRole(address) !== undefined)
    .map((address) => ({
      address,
      role: store.getRole(address),
      prefs: store.getPrefs(address),
      busy: store.freeBusy(address, range) as Period[],
    }));
}

// What a resource group's decision reads of its members (src/itip/resource/):
// their free/busy, read from their stores as plain data (each user has a
// transaction of its own). The resource's own bookings come with the rest of
// what the core reads, in read-snapshot.ts.

import { formatUtc } from '../ical/times.js';
import type { Period } from '../itip/model.js';
import { freeBusyWindow } from '../itip/freebusy/periods.js';
import type { GroupMember } from '../itip/resource/bookings.js';
import { parseMembers } from '../itip/resource/settings.js';
import type { Store } from '../store/store.js';

/**
 * The members of a resource group (its `group_members` preference) that the
 * store knows, each with its preferences and its free/busy in the group's
 * window around now; undefined when the user is no group.
 */
export async function readGroupMembers(store: Store, user: string, now: number): Promise<GroupMember[] | undefined> {
  if ((await store.getRole(user)) !== 'resource') return undefined;
  const prefs = await store.getPrefs(user);
  if (!prefs.group_members) return undefined;
  let addresses: string[];
  try {
    addresses = parseMembers(prefs.group_members);
  } catch {
    return [];
  }
  const window = freeBusyWindow(prefs, now);
  const range = { from: formatUtc(window.from), to: formatUtc(window.to) };
  const members: GroupMember[] = [];
  for (const address of addresses) {
    if (address === user) continue;
    const role = await store.getRole(address);
    if (role === undefined) continue;
    members.push({ address, role, prefs: await store.getPrefs(address), busy: (await store.freeBusy(address, range)) as Period[] });
  }
  return members;
}

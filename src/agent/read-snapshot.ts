// Reads what the core will read besides the message (src/itip/snapshot.ts
// names it) from the user's read view, as plain data, just before the core
// runs: the core never reaches into the store itself. The view's version
// check at commit (Store.commitIf) covers these reads as well.

import { scheduledComponentsOf, organizerOf, parseCalendar } from '../ical/calendar.js';
import { formatUtc } from '../ical/times.js';
import type { FreeBusyInput, ItipInput } from '../itip/effects.js';
import type { Period } from '../itip/model.js';
import type { ResourceBookings } from '../itip/resource/bookings.js';
import { snapshotNeeds } from '../itip/snapshot.js';
import type { UserView } from '../store/store.js';
import { correspondentsAmong } from './correspondents.js';

/** The counters and, for a resource, the bookings one UID's VEVENTs need. */
export async function eventSnapshot(
  tx: UserView,
  input: Omit<ItipInput, 'counters' | 'bookings'>,
): Promise<Pick<ItipInput, 'counters' | 'bookings' | 'correspondents'>> {
  const needs = snapshotNeeds(input);
  const counters = needs.counters ? await tx.listCounters(input.uid) : [];
  const correspondents = await correspondentsAmong(tx, needs.correspondents);
  if (input.role !== 'resource') return { counters, correspondents };
  // A resource always gets its bookings, over an empty span where it judges
  // nothing: a read the span does not cover then fails loudly, not as free time.
  const span = needs.ownBusy ?? { from: 0, to: 0 };
  const periods = await ownBusy(tx, span);
  const bookings: ResourceBookings = { ...span, periods };
  if (needs.organizers) bookings.organizers = await organizersOf(tx, periods);
  return { counters, bookings, correspondents };
}

/** The user's busy time a VFREEBUSY needs (a REQUEST's answered range). */
export async function freeBusySnapshot(tx: UserView, input: Omit<FreeBusyInput, 'busy'>): Promise<Pick<FreeBusyInput, 'busy' | 'correspondents'>> {
  const needs = snapshotNeeds(input);
  const correspondents = await correspondentsAmong(tx, needs.correspondents);
  const span = needs.ownBusy;
  if (!span || !(span.from < span.to)) return { busy: [], correspondents };
  // The answer gives busy time, not events (RFC 5546 section 3.3.3): the
  // store's joined busy time costs a read per day, where a year of periods
  // costs one per period. Joined again by the core, it gives the same answer.
  const busy = await tx.busyTime({ from: formatUtc(span.from), to: formatUtc(span.to) });
  return { busy: busy.map((b) => ({ ...b, uid: '', recurrenceId: null })), correspondents };
}

async function ownBusy(tx: UserView, span: { from: number; to: number }): Promise<Period[]> {
  return span.from < span.to ? tx.freeBusy({ from: formatUtc(span.from), to: formatUtc(span.to) }) : [];
}

/** The ORGANIZER of each booking's UID, as a mailto: URI; null when it has none. */
async function organizersOf(tx: UserView, periods: Period[]): Promise<Record<string, string | null>> {
  const organizers: Record<string, string | null> = {};
  for (const uid of new Set(periods.map((p) => p.uid))) {
    let organizer: string | undefined;
    const stored = await tx.getObject(uid);
    try {
      if (stored) organizer = scheduledComponentsOf(parseCalendar(stored.ics)).map(organizerOf).find((o) => o);
    } catch {
      // A stored object that no longer parses counts for nobody's quota.
    }
    organizers[uid] = organizer ?? null;
  }
  return organizers;
}

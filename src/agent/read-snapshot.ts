// Reads what the core will read besides the message (src/itip/snapshot.ts
// names it) from the user's transaction, as plain data, just before the core
// runs: earlier writes of the same mail count, and the core never reaches
// into the transaction itself.

import { scheduledComponentsOf, organizerOf, parseCalendar } from '../ical/calendar.js';
import { formatUtc } from '../ical/times.js';
import type { FreeBusyInput, ItipInput } from '../itip/effects.js';
import type { Period } from '../itip/model.js';
import type { ResourceBookings } from '../itip/resource/bookings.js';
import { snapshotNeeds } from '../itip/snapshot.js';
import type { UserTx } from '../store/store.js';
import { correspondentsAmong } from './correspondents.js';

/** The counters and, for a resource, the bookings one UID's VEVENTs need. */
export function eventSnapshot(
  tx: UserTx,
  input: Omit<ItipInput, 'counters' | 'bookings'>,
): Pick<ItipInput, 'counters' | 'bookings' | 'correspondents'> {
  const needs = snapshotNeeds(input);
  const counters = needs.counters ? tx.listCounters(input.uid) : [];
  const correspondents = correspondentsAmong(tx, needs.correspondents);
  if (input.role !== 'resource') return { counters, correspondents };
  // A resource always gets its bookings, over an empty span where it judges
  // nothing: a read the span does not cover then fails loudly, not as free time.
  const span = needs.ownBusy ?? { from: 0, to: 0 };
  const periods = ownBusy(tx, span);
  const bookings: ResourceBookings = { ...span, periods };
  if (needs.organizers) bookings.organizers = organizersOf(tx, periods);
  return { counters, bookings, correspondents };
}

/** The user's busy time a VFREEBUSY needs (a REQUEST's answered range). */
export function freeBusySnapshot(tx: UserTx, input: Omit<FreeBusyInput, 'busy'>): Pick<FreeBusyInput, 'busy' | 'correspondents'> {
  const needs = snapshotNeeds(input);
  const span = needs.ownBusy;
  return { busy: span ? ownBusy(tx, span) : [], correspondents: correspondentsAmong(tx, needs.correspondents) };
}

function ownBusy(tx: UserTx, span: { from: number; to: number }): Period[] {
  return span.from < span.to ? tx.freeBusy({ from: formatUtc(span.from), to: formatUtc(span.to) }) : [];
}

/** The ORGANIZER of each booking's UID, as a mailto: URI; null when it has none. */
function organizersOf(tx: UserTx, periods: Period[]): Record<string, string | null> {
  const organizers: Record<string, string | null> = {};
  for (const uid of new Set(periods.map((p) => p.uid))) {
    let organizer: string | undefined;
    const stored = tx.getObject(uid);
    try {
      if (stored) organizer = scheduledComponentsOf(parseCalendar(stored.ics)).map(organizerOf).find((o) => o);
    } catch {
      // A stored object that no longer parses counts for nobody's quota.
    }
    organizers[uid] = organizer ?? null;
  }
  return organizers;
}

// What the core reads besides the message and the stored object, named by the
// core before it runs: the caller reads exactly this from its store as plain
// data and hands it over in the input of schedule(). So the core is a function
// of plain data (DESIGN.md, layer 2): the same input gives the same output,
// whatever the store does meanwhile, and nothing in it reaches back into a
// transaction.
//
// - counters: the UID's counter-proposals, for DECLINECOUNTER (RFC 5546
//   section 3.2.8) and a resource's REFRESH (its open offer, section 3.2.6);
// - ownBusy: the user's own busy periods over a span: a resource's bookings
//   around the instances it judges (src/itip/resource/bookings.ts), or the
//   range a free/busy REQUEST is answered for (section 3.3.2);
// - organizers: the ORGANIZER of each booking in ownBusy, for quotas.
// A resource group's members are read by the caller for every resource.

import type { Window } from '../ical/expand.js';
import { makeContext } from './context.js';
import type { FreeBusyInput, ItipInput, ScheduleInput } from './effects.js';
import { tierLookups } from './rules/withheld.js';
import { freeBusyReadRange } from './freebusy/vfreebusy.js';
import { bookingsToRead } from './resource/handler.js';

export interface SnapshotNeeds {
  counters: boolean;
  /** Epoch ms [from, to): every own period overlapping it. */
  ownBusy?: Window;
  organizers: boolean;
  /** Addresses whose correspondence with the user the incoming tier asks about (src/itip/rules/withheld.ts). */
  correspondents: string[];
}

/** An input before its snapshot is read. */
export type UnreadInput = Omit<ItipInput, 'counters' | 'bookings'> | Omit<FreeBusyInput, 'busy'>;

/** Pure: what schedule() will read of this input's snapshot. Never throws. */
export function snapshotNeeds(input: UnreadInput): SnapshotNeeds {
  if (input.direction !== 'incoming') return { counters: false, organizers: false, correspondents: [] };
  const none: SnapshotNeeds = { counters: false, organizers: false, correspondents: tierLookups({ ...input, counters: [] } as ScheduleInput) };
  if (input.kind === 'VFREEBUSY') {
    return input.method === 'REQUEST' ? { ...none, ownBusy: freeBusyReadRange(input.component, input.prefs, input.now) } : none;
  }
  const counters = input.method === 'DECLINECOUNTER' || (input.method === 'REFRESH' && input.role === 'resource');
  if (input.role !== 'resource' || (input.method !== 'REQUEST' && input.method !== 'ADD')) return { ...none, counters };
  try {
    const { span, organizers } = bookingsToRead(makeContext({ ...input, counters: [] }));
    return { ...none, counters, ownBusy: span, organizers };
  } catch {
    // A message (or stored object) the core cannot use is refused, or an
    // error, in schedule() as well, before any booking is read.
    return { ...none, counters };
  }
}

// A scheduling function (imip-agent's term): one small policy that looks at one
// instance of a request and says yes, or no and why. A resource's
// `scheduling_function` preference chains them; every one must say yes.
//
// To add one: write a module exporting a Policy, and list it in registry.ts.

import type { BookingIndex } from './bookings.js';
import type { LocalClock } from './local-time.js';
import type { ResourceSettings } from './settings.js';

/** One instance to decide on, in UTC epoch ms. */
export interface Candidate {
  /** Recurrence key ('' for a single event). */
  key: string;
  start: number;
  end: number;
}

export interface Judgement {
  user: string;
  uid: string;
  organizer: string;
  settings: ResourceSettings;
  clock: LocalClock;
  bookings: BookingIndex;
  /** Instances of this same request accepted so far (they count like bookings). */
  accepted: Candidate[];
}

export interface Refusal {
  /** One line for the journal and the reply. */
  reason: string;
  /** RFC 5546 section 3.6 REQUEST-STATUS code and its description. */
  status: string;
  statusText: string;
  /** Another time of the same length could satisfy this policy (a counter-proposal may help). */
  retimable: boolean;
}

export interface Policy {
  name: string;
  /** undefined: this instance is fine. */
  check(judgement: Judgement, candidate: Candidate): Refusal | undefined;
}

export const BUSY_STATUS = { status: '4.0', statusText: 'Event conflict. Date-time is busy.' } as const;
export const NO_AUTHORITY = { status: '3.8', statusText: 'No authority' } as const;

/** Durations in reasons: 1h30m, 45m, 10h. */
export function hoursText(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return h && m ? `${h}h${m}m` : h ? `${h}h` : `${m}m`;
}

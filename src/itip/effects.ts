// The input and output of the scheduling core. The core reads a parsed iTIP
// message and what is stored, and answers with effects: data that the handler
// applies in one store transaction. No I/O and no clock here.

import type ICAL from 'ical.js';
import type { ExpansionLimits } from '../ical/expand.js';
import type {
  CounterEntry,
  Method,
  OthersPeriod,
  Outcome,
  Period,
  Preferences,
  RequestEntry,
  Role,
  StoredObject,
} from './model.js';
import type { GroupMember, ResourceBookings } from './resource/bookings.js';

/** Who sent the mail, as far as the mail says (addresses normalised). */
export interface SenderFacts {
  /** Every address the mail claims to come from: envelope sender, From, Sender. */
  addresses: string[];
  /** What the MTA vouches for; absent when the administrator configured no checks. */
  trust?: SenderTrust;
}

/** Facts about a mail's origin that the MTA (not the mail) established. */
export interface SenderTrust {
  /** Sender domains (lower case) that a trusted check (DMARC, DKIM, SPF pass) vouches for. */
  verifiedDomains: string[];
  /**
   * Where the mail entered the mail system, as far as the MTA told: `internal`
   * (an authenticated submission, a trusted network), `external`, or `unknown`
   * (no client facts and no trusted Authentication-Results).
   */
  origin: 'internal' | 'external' | 'unknown';
  /** Why a trusted check rules the mail out (a DMARC fail), if one does. */
  failure?: string;
  /** Domains of this installation's users: a mail that claims one must be internal or verified. */
  localDomains: string[];
  /** Senders outside localDomains need a verified domain too. */
  requirePassExternal: boolean;
}

export type Direction = 'incoming' | 'outgoing';

/** What every input of the core has: the message, whose it is, and the facts around it. */
interface InputBase {
  method: Method;
  uid: string;
  /** The message's VCALENDAR (for its VTIMEZONEs). */
  message: ICAL.Component;
  user: string;
  role: Role;
  prefs: Preferences;
  sender: SenderFacts;
  direction: Direction;
  /** Now, epoch ms, given by the caller (ITIP_AGENT_NOW in tests). */
  now: number;
  /** Bounds on recurrence expansion; the defaults of src/ical/expand.ts when absent. */
  expansionLimits?: ExpansionLimits;
  /**
   * Of the addresses snapshotNeeds names in `correspondents`, those the user
   * has written iTIP mail to (the `incoming=known` tier); absent: none.
   */
  correspondents?: string[];
}

/**
 * One UID's worth of VEVENTs of an iTIP message, for one calendar user, with
 * a snapshot of what the rules read besides: plain data the caller reads
 * before calling the core, as snapshotNeeds (src/itip/snapshot.ts) says.
 */
export interface ItipInput extends InputBase {
  kind?: 'VEVENT';
  /** The VEVENTs of this UID in the message. */
  components: ICAL.Component[];
  stored?: StoredObject;
  /** The UID's counter-proposals, where snapshotNeeds asks for them; else empty. */
  counters: CounterEntry[];
  /** For a resource: its own bookings over the span snapshotNeeds names (src/itip/resource/bookings.ts). */
  bookings?: ResourceBookings;
  /** For a resource group: its members' free/busy, read before its transaction. */
  members?: GroupMember[];
}

/** One VFREEBUSY of a message (RFC 5546 section 3.3), for one calendar user. */
export interface FreeBusyInput extends InputBase {
  kind: 'VFREEBUSY';
  component: ICAL.Component;
  /** The user's own busy periods overlapping the range snapshotNeeds names (a free/busy REQUEST's); else empty. */
  busy: Period[];
}

/** Everything the core's one entry point, schedule(), takes. */
export type ScheduleInput = ItipInput | FreeBusyInput;

export type Effect =
  | { type: 'put-object'; object: StoredObject }
  | { type: 'delete-object'; uid: string }
  | { type: 'own-periods'; uid: string; periods: Period[] }
  /**
   * Others' periods of the UID. With a participant, that one's replace theirs
   * (a free/busy REPLY or PUBLISH); without, these are all of the UID's, each
   * under its own participant, and everyone else's go (what a calendar object
   * implies: othersOf in src/itip/freebusy/periods.ts).
   */
  | { type: 'others-periods'; uid: string; participant?: string; periods: OthersPeriod[] }
  | { type: 'remove-others-periods'; uid: string; participant?: string }
  | { type: 'put-request'; entry: RequestEntry }
  | { type: 'remove-requests'; uid: string; recurrenceId?: string | null }
  | { type: 'put-counter'; entry: CounterEntry }
  | { type: 'remove-counters'; uid: string; recurrenceId?: string | null; attendee?: string }
  /** Keep the message in the scheduling inbox (RFC 6638 section 4). */
  | { type: 'inbox'; method: Method; uid: string; from: string; ics: string }
  /**
   * Queue a generated message in the outbox. `handoff`: the recipient is a
   * calendar user of this store (a resource group's member); the handler hands
   * the message over directly as well.
   */
  | { type: 'send'; method: Method; uid: string; to: string[]; ics: string; handoff?: boolean };

export interface ItipResult {
  outcome: Outcome;
  reason: string;
  effects: Effect[];
}

export function result(outcome: Outcome, reason: string, effects: Effect[] = []): ItipResult {
  return { outcome, reason, effects };
}

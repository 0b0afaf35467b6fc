// The user's own scheduling actions (RFC 6638 section 3.2, implicit
// scheduling; the roles of RFC 5546): what a person decides through the web
// manager, the command line or a CalDAV client, as plain data. The core turns
// an action and the user's stored copy into effects, the same kind the
// receiving side makes: store this object, these periods, queue this message.
// Nothing here reads a store or a clock.

import { createHash } from 'node:crypto';
import type { ExpansionLimits } from '../../ical/expand.js';
import type { TaskOnlyAnswer } from '../task/progress.js';
import type { CounterEntry, Preferences, RequestEntry, Role, StoredObject } from '../model.js';

/** The answers an attendee gives (RFC 5545 section 3.2.12, for VEVENT). */
export type Answer = 'ACCEPTED' | 'TENTATIVE' | 'DECLINED';

export type UserAction =
  /**
   * Attendee: answer the whole series, or one instance, with an optional COMMENT (RFC 5546 section 3.2.3).
   * An assignee of a task may also answer IN-PROCESS or COMPLETED, with PERCENT-COMPLETE (section 3.4.3).
   */
  | { kind: 'respond'; uid: string; recurrenceId?: string; partstat: Answer | TaskOnlyAnswer; comment?: string; percentComplete?: number }
  /** Attendee: hand the invitation to someone else (RFC 5546 section 4.2.5). */
  | { kind: 'delegate'; uid: string; recurrenceId?: string; to: string }
  /** Attendee: propose another time (COUNTER, RFC 5546 section 3.2.7); times in ISO 8601 UTC. */
  | { kind: 'propose'; uid: string; recurrenceId?: string; start: string; end: string; comment?: string }
  /** Attendee: ask the organizer for the current version (REFRESH, RFC 5546 section 3.2.6). */
  | { kind: 'ask-refresh'; uid: string; recurrenceId?: string }
  /** Organizer: take an attendee's proposal (an updated REQUEST to everyone, RFC 5546 section 3.2.7). */
  | { kind: 'counter-accept'; uid: string; attendee: string; recurrenceId?: string }
  /** Organizer: turn an attendee's proposal down (DECLINECOUNTER, RFC 5546 section 3.2.8). */
  | { kind: 'counter-decline'; uid: string; attendee: string; recurrenceId?: string; comment?: string }
  /** Organizer: answer a REFRESH that waits in the request queue with the current REQUEST. */
  | { kind: 'refresh-answer'; uid: string; attendee: string }
  /** The user's new version of a calendar object (a CalDAV PUT): stored, and scheduled by role. */
  | { kind: 'put'; ics: string }
  /**
   * The user removes an event or one instance (organizer: CANCEL; attendee: a DECLINED REPLY,
   * unless noReply: a CalDAV client's Schedule-Reply: F, RFC 6638 section 8.1).
   */
  | { kind: 'delete'; uid: string; recurrenceId?: string; noReply?: boolean };

export type ActionKind = UserAction['kind'];

/** Everything an action needs, read by the agent in the user's store transaction. */
export interface ActionInput {
  action: UserAction;
  /** The acting calendar user, a lower-case mailto: URI. */
  user: string;
  role: Role;
  prefs: Preferences;
  /** The user's stored copy of the action's UID, if any. */
  stored?: StoredObject;
  /**
   * The version the user saw (etagOf of the stored copy when they looked). When
   * given and the stored copy is another one now, the action is refused as
   * `stale`: the event changed since they looked, nothing is applied.
   */
  ifMatch?: string;
  /** Counter-proposals kept for the UID. */
  counters: CounterEntry[];
  /** Request-queue entries for the UID. */
  requests: RequestEntry[];
  /** Now, epoch ms (DTSTAMP of the messages made). */
  now: number;
  expansionLimits?: ExpansionLimits;
}

/**
 * The entity tag of a stored copy: changes whenever its text does (RFC 7232
 * section 2.3, as CalDAV uses it). A strong tag, quoted as HTTP writes it.
 */
export function etagOf(stored: StoredObject): string {
  return `"${createHash('sha256').update(stored.ics).digest('base64url').slice(0, 22)}"`;
}

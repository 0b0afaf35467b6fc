// The vocabulary shared by the scheduling core, the store and the handlers.
// Plain data only: everything here can be serialised as JSON and kept in the store.

/** iTIP methods for VEVENT (RFC 5546 section 1.4). */
export const METHODS = [
  'PUBLISH',
  'REQUEST',
  'REPLY',
  'ADD',
  'CANCEL',
  'REFRESH',
  'COUNTER',
  'DECLINECOUNTER',
] as const;
export type Method = (typeof METHODS)[number];

export function isMethod(value: string | undefined | null): value is Method {
  return value != null && (METHODS as readonly string[]).includes(value);
}

/**
 * What happened to one message for one recipient (and UID):
 * - applied: the calendar (or what is kept of it) changed, or an answer was queued;
 * - queued: nothing changed yet; the message waits in the request queue for
 *   the user's decision (a COUNTER, a REFRESH the user answers, a party crasher's REPLY);
 * - stale, duplicate: older than, or the same as, what is stored (RFC 5546 section 2.1.5);
 * - refused: not allowed to change the calendar (sender binding, a broken calendar);
 * - ignored: not for this user or this role; error: our fault, not the sender's.
 */
export const OUTCOMES = ['applied', 'queued', 'stale', 'duplicate', 'refused', 'ignored', 'error'] as const;
export type Outcome = (typeof OUTCOMES)[number];

export type Role = 'person' | 'resource';

/** RFC 5545 section 3.2.9. FREE periods are never stored. */
export type FbType = 'BUSY' | 'BUSY-TENTATIVE' | 'BUSY-UNAVAILABLE';

/**
 * A busy period in UTC. `recurrenceId` is the instance's original start
 * (ISO 8601 UTC, or a date for all-day series), null for a non-recurring event.
 */
export interface Period {
  start: string;
  end: string;
  fbtype: FbType;
  uid: string;
  recurrenceId: string | null;
}

/** A period of someone else (organizer or attendee), learned from a message. */
export interface OthersPeriod extends Period {
  participant: string;
}

/**
 * Organizer-side memory of the last REPLY seen per attendee and instance,
 * so that replies are ordered per attendee (RFC 5546 section 2.1.5).
 * Key: recurrence key ('' for the master), then attendee address.
 */
export type ReplyMarks = Record<string, Record<string, { sequence: number; dtstamp: string }>>;

/** One calendar object resource: master plus overrides of one UID, as one VCALENDAR. */
export interface StoredObject {
  uid: string;
  ics: string;
  replyMarks?: ReplyMarks;
}

/** A message waiting for the user's decision. */
export interface RequestEntry {
  uid: string;
  recurrenceId: string | null;
  method: Method;
  from: string;
  received: string;
}

/** A counter-proposal (RFC 5546 section 3.2.7) kept per UID, instance and attendee. */
export interface CounterEntry {
  uid: string;
  recurrenceId: string | null;
  attendee: string;
  received: string;
  ics: string;
}

/** A received scheduling message, as an RFC 6638 scheduling inbox resource. */
export interface InboxItem {
  id: string;
  method: Method;
  uid: string;
  from: string;
  received: string;
  messageId: string;
  ics: string;
}

export type OutboxState = 'unprocessed' | 'processed' | 'failed';

/** A message the agent generated, waiting for (or done with) sending. */
export interface OutboxItem {
  id: string;
  user: string;
  method: Method;
  uid: string;
  from: string;
  to: string[];
  state: OutboxState;
  attempts: number;
  created: string;
  ics: string;
  /** Per recipient: RFC 5546 REQUEST-STATUS code such as "1.1" or "5.1". */
  status?: Record<string, string>;
  nextAttempt?: string;
  lastError?: string;
  /**
   * A notice from the agent to its own user (notify_requests), not an iTIP
   * message: plain text mail, `ics` empty, `method` that of the message it
   * tells of. Sent as it is; no SCHEDULE-STATUS is kept for it.
   */
  notice?: { subject: string; text: string };
}

export interface JournalEntry {
  messageId: string;
  recipient: string;
  method: string;
  uid: string;
  outcome: Outcome;
  reason: string;
  at: string;
}

export type Preferences = Record<string, string>;

/**
 * An iTIP message that left for a user through the outgoing rule (mail the
 * user's own client sent), kept by its Message-ID so that a bounce (an RFC
 * 3464 delivery status notification) that returns it can be matched to the
 * event and the attendees it was sent to. The agent's own outbox items need
 * no such record: their Message-ID names the item.
 */
export interface SentMessage {
  /** Message-ID without angle brackets. */
  messageId: string;
  /** What the mail carried: per UID, its method and the instances ('' for the master). */
  units: Array<{ method: Method; uid: string; instances: string[] }>;
  /** The envelope recipients, lower-case mailto: URIs. */
  to: string[];
  sent: string;
}

// What the agent needs to know about one mail, independent of how it arrived.

import type { DeliveryReport } from './read-dsn.js';

/** One calendar body found in the mail, decoded to text. */
export interface CalendarPart {
  /** The iCalendar text, transfer-decoded and converted from its charset. */
  text: string;
  /** The `method` parameter of the part's Content-Type, upper-cased, if any. */
  methodParam?: string;
  /** The part's media type, lower-case: text/calendar, application/ics, ... */
  contentType: string;
  filename?: string;
}

export interface MailFacts {
  /** Message-ID without angle brackets; `sha256:<digest>` when the mail has none. */
  messageId: string;
  /** SHA-256 (hex) of the raw message bytes. */
  digest: string;
  /** Header addresses as lower-case `mailto:` URIs. */
  from?: string;
  sender?: string;
  replyTo?: string;
  to: string[];
  cc: string[];
  subject?: string;
  /** Date header as ISO 8601 UTC, if it parses. */
  date?: string;
  /** Raw values of every Authentication-Results header, top first. */
  authenticationResults: string[];
}

export interface ParsedMail {
  facts: MailFacts;
  /** Calendar parts in document order; identical copies appear once. */
  calendars: CalendarPart[];
  /** Things a person may want to know (a part that could not be decoded, ...). */
  warnings: string[];
  /** Calendar parts left unread because a limit forbids reading them, each with why. */
  skipped: string[];
  /** The delivery status notification (RFC 3464) this mail is, if it is one. */
  report?: DeliveryReport;
}

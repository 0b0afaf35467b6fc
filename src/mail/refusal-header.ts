// An optional mark on the delivered copy of a mail whose calendar change was
// refused, so that the user's mail client (or a Sieve rule) can say why the
// invitation did not reach the calendar. Off by default: without it the
// mailbox gets the original bytes exactly.

import { oneLine } from '../ical/display-text.js';

export const REFUSAL_HEADER = 'X-Itip-Agent-Refused';

export interface Refusal {
  recipient: string;
  method: string;
  uid: string;
  reason: string;
}

/**
 * One header line: printable ASCII only, at most ~900 bytes (RFC 5322 section
 * 2.1.1 allows 998). The UID and the reason carry calendar text: it is made
 * one line first, as everywhere calendar text goes into mail (src/ical/display-text.ts).
 */
function headerLine(refusal: Refusal): string {
  const clean = (text: string) => oneLine(text).replace(/[^\x20-\x7e]+/g, ' ').replace(/\s+/g, ' ').trim();
  const what = [refusal.method, refusal.uid].filter(Boolean).map(clean).join(' ');
  const text = `${clean(refusal.recipient)}; ${what || 'calendar'}; ${clean(refusal.reason)}`;
  return `${REFUSAL_HEADER}: ${text.length > 880 ? `${text.slice(0, 877)}...` : text}\r\n`;
}

/** The mail with one header line per refusal in front; the mail itself when there are none. */
export function withRefusalHeaders(raw: Buffer, refusals: readonly Refusal[]): Buffer {
  if (refusals.length === 0) return raw;
  // A mail written with bare LF gets LF header lines, so that its header stays one style.
  const newline = raw.indexOf('\r\n') === -1 && raw.indexOf('\n') !== -1 ? '\n' : '\r\n';
  const lines = refusals.map((r) => headerLine(r).replace(/\r\n$/, newline)).join('');
  return Buffer.concat([Buffer.from(lines, 'latin1'), raw]);
}

// Reading a mail once, as every door hands it over: its calendar parts within
// the policy's limits, and the arrival facts completed by the agent's own
// checks (DKIM) when the mail carries calendar data to judge.

import type { ArrivalFacts } from '../mail/authentication.js';
import type { ParsedMail } from '../mail/mail-facts.js';
import { readMail } from '../mail/read-mail.js';
import { DEFAULT_AGENT_POLICY, establishArrival, type AgentPolicy } from './policy.js';

export interface IncomingMail {
  mail: ParsedMail;
  arrival: ArrivalFacts;
}

export async function readIncoming(
  raw: Buffer,
  arrival: ArrivalFacts = {},
  policy: AgentPolicy = DEFAULT_AGENT_POLICY,
  now: number = Date.now(),
): Promise<IncomingMail> {
  if (raw.length > policy.maxMessageBytes) {
    // Too big to read (an MTA in pipe mode may pass anything): only its header
    // is read, for the journal; the mail itself still goes on untouched.
    const mail = await readMail(headerOf(raw), { maxCalendarBytes: 0 });
    mail.calendars = [];
    mail.skipped = [`the mail has ${raw.length} bytes, over the limit of ${policy.maxMessageBytes}; its calendar parts were not read`];
    return { mail, arrival };
  }
  const mail = await readMail(raw, { maxCalendarBytes: policy.maxCalendarBytes });
  // The DKIM check costs DNS lookups: only for a mail whose calendar data it may decide on.
  if (mail.calendars.length === 0) return { mail, arrival };
  return { mail, arrival: await establishArrival(raw, arrival, policy, now) };
}

/** The header section of a mail, up to and with the empty line that ends it (RFC 5322 section 2.1). */
function headerOf(raw: Buffer): Buffer {
  const crlf = raw.indexOf('\r\n\r\n');
  const lf = raw.indexOf('\n\n');
  const end = crlf >= 0 && (lf < 0 || crlf < lf) ? crlf + 4 : lf >= 0 ? lf + 2 : Math.min(raw.length, 64 * 1024);
  return raw.subarray(0, Math.min(end, 1024 * 1024));
}

// Building the agent's own notices to its users (notify_requests,
// src/agent/request-notice.ts): one plain-text part, no calendar data, so
// that no mail program takes the notice for a second invitation. Marked
// Auto-Submitted: auto-generated (RFC 3834 section 5) so that vacation
// responders do not answer it. The same item gives the same bytes on every
// attempt, as for iMIP mail (compose-imip.ts).

import { createHash } from 'node:crypto';
import MailComposer from 'nodemailer/lib/mail-composer/index.js';
import { mailAddress, normalizeAddress } from '../ical/address.js';
import { oneLine } from '../ical/display-text.js';

export interface NoticeInput {
  /** The sender: a mailto: URI or a bare address. */
  from: string;
  fromName?: string;
  to: string[];
  subject: string;
  text: string;
  messageId: string;
  date: Date;
}

export interface NoticeMail {
  raw: Buffer;
  messageId: string;
  envelope: { from: string; to: string[] };
}

export async function composeNotice(input: NoticeInput): Promise<NoticeMail> {
  const from = normalizeAddress(input.from);
  if (!from) throw new Error('the notice has no sender address');
  const to = [...new Set(input.to.map((a) => normalizeAddress(a)).filter((a): a is string => !!a))].map(mailAddress);
  if (to.length === 0) throw new Error('the notice has no recipient');
  const bareFrom = mailAddress(from);
  const name = oneLine(input.fromName);
  // The subject carries an event's SUMMARY: one line, whatever the sender wrote.
  const subject = oneLine(input.subject);
  const options: ConstructorParameters<typeof MailComposer>[0] & { baseBoundary?: string } = {
    from: name ? { name, address: bareFrom } : bareFrom,
    to,
    subject,
    date: input.date,
    messageId: `<${input.messageId}>`,
    text: input.text,
    headers: { 'Auto-Submitted': 'auto-generated' },
    baseBoundary: createHash('sha256').update(`${input.messageId}\u0000${subject}\u0000${input.text}`).digest('hex').slice(0, 24),
  };
  const raw = await new MailComposer(options).compile().build();
  return { raw, messageId: input.messageId, envelope: { from: bareFrom, to } };
}

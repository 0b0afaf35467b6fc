// The iMIP mail (RFC 6047) of one outbox item, as the outbox sender sends it
// and as a local recipient of a user's action gets it processed directly: one
// composition for both, so that the two copies are the same message.

import type { OutboxItem } from '../itip/model.js';
import { composeImip } from './compose-imip.js';
import { composeNotice } from './compose-notice.js';

/** The Message-ID of an item: the same on every attempt, so a resent copy is recognised. */
export function outboxMessageId(item: OutboxItem): string {
  const at = item.from.lastIndexOf('@');
  const domain = at >= 0 ? item.from.slice(at + 1) : 'localhost';
  return `itip-${item.id.replace(/[^A-Za-z0-9._-]/g, '')}@${domain}`;
}

export interface OutboxMailOptions {
  /** The sender's display name (the CN preference); default: the CN the calendar gives the sender. */
  fromName?: string;
  /** The sender's LANG preference: the language of the mail's own text (src/mail/language.ts). */
  lang?: string;
  /** The Date when the item's creation time cannot be read. */
  fallbackDate: Date;
}

/** Builds the mail of an item; throws ImipError when the item cannot be sent as iMIP. */
export function composeOutboxItem(item: OutboxItem, options: OutboxMailOptions): Promise<{ raw: Buffer }> {
  const created = Date.parse(item.created);
  if (item.notice) {
    // The agent's notice to its own user (notify_requests): plain text, no calendar.
    return composeNotice({
      from: item.from,
      fromName: 'Calendar agent',
      to: item.to,
      subject: item.notice.subject,
      text: item.notice.text,
      messageId: outboxMessageId(item),
      date: Number.isNaN(created) ? options.fallbackDate : new Date(created),
    });
  }
  return composeImip({
    from: item.from,
    fromName: options.fromName,
    to: item.to,
    ics: item.ics,
    messageId: outboxMessageId(item),
    // The creation time, not the attempt's: every attempt sends the same bytes.
    date: Number.isNaN(created) ? options.fallbackDate : new Date(created),
    // The agent wrote it, not a person: auto-responders must not answer (RFC 3834).
    autoSubmitted: 'auto-generated',
    lang: options.lang,
  });
}

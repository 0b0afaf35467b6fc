// From calendar parts of a mail to iTIP messages: parsed once per mail and shared
// by every recipient. What is taken, and why a part is not, is the core's rule
// (src/itip/rules/message-acceptance.ts); here the parts of one mail are sorted
// into messages and unusable parts.

import { acceptCalendar, DEFAULT_MESSAGE_LIMITS, type AcceptedCalendar, type MessageLimits, type Unusable } from '../itip/rules/message-acceptance.js';
import type { CalendarPart } from '../mail/mail-facts.js';

export interface CalendarMessages {
  messages: AcceptedCalendar[];
  unusable: Unusable[];
}

export function readCalendarMessages(parts: CalendarPart[], limits: MessageLimits = DEFAULT_MESSAGE_LIMITS): CalendarMessages {
  const messages: AcceptedCalendar[] = [];
  const unusable: Unusable[] = [];
  for (const part of parts) {
    const read = acceptCalendar(part.text, part.methodParam, limits);
    if ('outcome' in read) unusable.push(read);
    else messages.push(read);
  }
  return { messages, unusable };
}

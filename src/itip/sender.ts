// Sender binding (RFC 5546 section 6.1.1, RFC 6047 section 3): a message may only
// change a calendar if it comes from the calendar user entitled to send it.
// REQUEST, ADD, CANCEL, PUBLISH and DECLINECOUNTER come from the ORGANIZER (or
// whoever it names in SENT-BY); REPLY, REFRESH and COUNTER from the one ATTENDEE
// they carry (or its SENT-BY). Aliases an administrator configured count too.

import type ICAL from 'ical.js';
import type { Participant } from '../ical/calendar.js';
import { normalizeAddress } from '../ical/address.js';
import type { ItipInput } from './effects.js';

/** Addresses that may speak for `address`: itself, SENT-BY, configured aliases. */
function entitled(address: string, sentBy: string | undefined, input: ItipInput): Set<string> {
  const names = new Set([address]);
  if (sentBy) names.add(sentBy);
  // `sender_aliases`: "owner=alias1,alias2;owner2=alias3" in the recipient's preferences.
  for (const entry of (input.prefs.sender_aliases ?? '').split(';')) {
    const [owner, aliases] = entry.split('=');
    if (normalizeAddress(owner) !== address || !aliases) continue;
    for (const alias of aliases.split(',')) {
      const normal = normalizeAddress(alias);
      if (normal) names.add(normal);
    }
  }
  return names;
}

/**
 * Why the mail may not speak for `address`, or undefined if it may.
 * Mail a user sends (outgoing) is bound by the MTA already.
 */
export function senderProblem(input: ItipInput, address: string, sentBy?: string): string | undefined {
  if (input.direction === 'outgoing') return undefined;
  const claimed = input.sender.addresses;
  if (claimed.length === 0) return `the mail names no sender, so it cannot be shown to come from ${address}`;
  const allowed = entitled(address, sentBy, input);
  if (claimed.some((sender) => allowed.has(sender))) return undefined;
  return `sent by ${claimed.join(', ')}, but only ${[...allowed].join(' or ')} may send a ${input.method} for this event`;
}

export function organizerSentByOf(component: ICAL.Component): string | undefined {
  const sentBy = component.getFirstProperty('organizer')?.getParameter('sent-by');
  return typeof sentBy === 'string' ? normalizeAddress(sentBy) : undefined;
}

export function attendeeSentBy(attendee: Participant): string | undefined {
  const sentBy = attendee.prop.getParameter('sent-by');
  return typeof sentBy === 'string' ? normalizeAddress(sentBy) : undefined;
}

/**
 * The attendee a REPLY, REFRESH or COUNTER speaks for: the one whose address (or
 * SENT-BY) the mail comes from, else the only one it carries.
 */
export function speakingAttendee(input: ItipInput, attendees: Participant[]): Participant | undefined {
  const claimed = new Set(input.sender.addresses);
  const bySender = attendees.find((a) => claimed.has(a.address) || claimed.has(attendeeSentBy(a) ?? ''));
  if (bySender) return bySender;
  if (input.direction === 'outgoing') return attendees.find((a) => a.address === input.user) ?? attendees[0];
  return attendees.length === 1 ? attendees[0] : undefined;
}

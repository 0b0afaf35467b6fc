// Sender binding (RFC 5546 section 6.1.1, RFC 6047 section 3): a message may only
// change a calendar if it comes from the calendar user entitled to send it.
// REQUEST, ADD, CANCEL, PUBLISH and DECLINECOUNTER come from the ORGANIZER (or
// whoever it names in SENT-BY); REPLY, REFRESH and COUNTER from the one ATTENDEE
// they carry (or its SENT-BY). Aliases an administrator configured count too.

import type ICAL from 'ical.js';
import type { Participant } from '../ical/calendar.js';
import { addressDomain, normalizeAddress } from '../ical/address.js';
import type { ItipInput } from './effects.js';

/** What sender binding reads of a message: any iTIP input, an event's or a VFREEBUSY's. */
type SenderContext = Pick<ItipInput, 'method' | 'sender' | 'prefs' | 'direction'>;

/** Addresses that may speak for `address`: itself, SENT-BY, configured aliases. */
function entitled(address: string, sentBy: string | undefined, input: SenderContext): Set<string> {
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
export function senderProblem(input: SenderContext, address: string, sentBy?: string): string | undefined {
  if (input.direction === 'outgoing') return undefined;
  const claimed = input.sender.addresses;
  if (claimed.length === 0) return `the mail names no sender, so it cannot be shown to come from ${address}`;
  const allowed = entitled(address, sentBy, input);
  const matching = claimed.filter((sender) => allowed.has(sender));
  if (matching.length === 0) {
    return `sent by ${claimed.join(', ')}, but only ${[...allowed].join(' or ')} may send a ${input.method} for this event`;
  }
  return trustProblem(input, matching);
}

/**
 * Mail a user sent changes that user's calendar without further checks (the
 * outgoing rule): the MTA saw the user submit it. That holds only for mail
 * that entered through submission; one that came in from outside with a local
 * user's address as its sender is someone else speaking for that user.
 */
export function outgoingProblem(input: ItipInput): string | undefined {
  if (input.direction !== 'outgoing' || input.sender.trust?.origin !== 'external') return undefined;
  return `the mail claims to be sent by ${input.user} but came in from outside, not through submission; the sender's calendar is not changed`;
}

/**
 * The addresses in a mail are the sender's word; where the administrator set
 * up checks, the MTA's word decides (RFC 6047 section 3 leaves the binding of
 * a message to its sender to the transport's security). A trusted DMARC fail
 * refuses the mail; a sender in a local domain must have come through an
 * authenticated or trusted route, or be vouched for by DMARC/DKIM/SPF, since
 * nobody outside may speak for a local organizer; with `requirePassExternal`,
 * outside senders need a passing check too.
 */
function trustProblem(input: SenderContext, matching: string[]): string | undefined {
  const trust = input.sender.trust;
  if (!trust) return undefined;
  if (trust.failure) return `${trust.failure}; a ${input.method} that fails authentication changes nothing`;
  if (trust.origin === 'internal') return undefined;
  const verified = new Set(trust.verifiedDomains);
  const local = new Set(trust.localDomains);
  if (matching.some((address) => verified.has(addressDomain(address)))) return undefined;
  const localSender = matching.find((address) => local.has(addressDomain(address)));
  // Without facts about where the mail came from, the address binding above is
  // all there is; the local-sender rule needs to know the mail came from outside.
  if (localSender && trust.origin === 'external') {
    return `the mail claims to come from the local address ${localSender} but arrived from outside without authentication`;
  }
  if (trust.requirePassExternal) {
    return `no trusted check (DMARC, DKIM or SPF) vouches for ${matching.join(', ')}, and external senders must pass one`;
  }
  return undefined;
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

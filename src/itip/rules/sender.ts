// Sender binding (RFC 5546 section 6.1.1, RFC 6047 section 3): a message may only
// change a calendar if it comes from the calendar user entitled to send it.
// REQUEST, ADD, CANCEL, PUBLISH and DECLINECOUNTER come from the ORGANIZER;
// REPLY, REFRESH and COUNTER from the one ATTENDEE they carry. Aliases an
// administrator configured count too.
//
// SENT-BY (RFC 5545 section 3.2.18) is the message's own word about who may
// speak for that calendar user, so it cannot widen the binding by itself: a
// stranger could name themselves and send from their own address. A SENT-BY
// counts only when the stored object (the invitation the attendee received,
// or the organizer's own copy) already names it for that calendar user, or
// when it is in that calendar user's own domain: a delegate such as Outlook's
// or Evolution's sends the first invitation from a colleague's address, and
// nothing is stored yet then. Any other delegation is the administrator's to
// configure (`sender_aliases`).

import type ICAL from 'ical.js';
import { attendeesOf, type Participant } from '../../ical/calendar.js';
import { addressDomain, normalizeAddress } from '../../ical/address.js';
import type { ItipInput } from '../effects.js';
import { senderAliases } from '../preferences.js';

/** What sender binding reads of a message: any iTIP input, an event's or a VFREEBUSY's. */
type SenderContext = Pick<ItipInput, 'method' | 'sender' | 'prefs' | 'direction'>;

/** The calendar user a message speaks for, the SENT-BY it names, and what is stored of that. */
export interface Speaker {
  /** The ORGANIZER (or ATTENDEE) the message speaks for. */
  address: string;
  /** Every SENT-BY the message names for that address. */
  sentBy: string[];
  /** Every SENT-BY the stored object names for that address; empty when nothing is stored. */
  storedSentBy: string[];
}

/** The ORGANIZER spoken for by these message components, with the stored object's word on its SENT-BY. */
export function organizerSpeaker(address: string, message: ICAL.Component[], stored: ICAL.Component[] = []): Speaker {
  return { address, sentBy: organizerSentBys(message, address), storedSentBy: organizerSentBys(stored, address) };
}

/** The ATTENDEE spoken for, with the SENT-BY the message and the stored object name for it. */
export function attendeeSpeaker(address: string, message: ICAL.Component[], stored: ICAL.Component[] = []): Speaker {
  return { address, sentBy: attendeeSentBys(message, address), storedSentBy: attendeeSentBys(stored, address) };
}

function organizerSentBys(components: ICAL.Component[], address: string): string[] {
  const found = new Set<string>();
  for (const component of components) {
    const prop = component.getFirstProperty('organizer');
    if (!prop || normalizeAddress(String(prop.getFirstValue() ?? '')) !== address) continue;
    const sentBy = sentByOf(prop);
    if (sentBy) found.add(sentBy);
  }
  return [...found];
}

function attendeeSentBys(components: ICAL.Component[], address: string): string[] {
  const found = new Set<string>();
  for (const component of components) {
    for (const attendee of attendeesOf(component)) {
      const sentBy = attendee.address === address ? sentByOf(attendee.prop) : undefined;
      if (sentBy) found.add(sentBy);
    }
  }
  return [...found];
}

function sentByOf(prop: ICAL.Property): string | undefined {
  const sentBy = prop.getParameter('sent-by');
  return typeof sentBy === 'string' ? normalizeAddress(sentBy) : undefined;
}

/**
 * Whether a SENT-BY the message names may speak for the speaker: the stored
 * object names it for that address, or it shares the address's domain.
 */
function trustedSentBy(speaker: Speaker, sentBy: string): boolean {
  if (speaker.storedSentBy.includes(sentBy)) return true;
  const domain = addressDomain(speaker.address);
  return domain !== '' && addressDomain(sentBy) === domain;
}

/**
 * Why the mail may not speak for the speaker's address, or undefined if it may.
 * Entitled are the address itself, its configured aliases, and each SENT-BY of
 * the message that trustedSentBy allows. Mail a user sends (outgoing) is bound
 * by the MTA already.
 */
export function senderProblem(input: SenderContext, speaker: Speaker | string): string | undefined {
  if (input.direction === 'outgoing') return undefined;
  const who: Speaker = typeof speaker === 'string' ? { address: speaker, sentBy: [], storedSentBy: [] } : speaker;
  const claimed = input.sender.addresses;
  if (claimed.length === 0) return `the mail names no sender, so it cannot be shown to come from ${who.address}`;
  const allowed = new Set([who.address, ...senderAliases(input.prefs, who.address)]);
  for (const sentBy of who.sentBy) if (trustedSentBy(who, sentBy)) allowed.add(sentBy);
  const matching = claimed.filter((sender) => allowed.has(sender));
  if (matching.length === 0) {
    const untrusted = claimed.find((sender) => who.sentBy.includes(sender));
    if (untrusted) {
      const domain = addressDomain(who.address) || `the domain of ${who.address}`;
      return (
        `the ${input.method} comes from ${untrusted}, which it names itself as SENT-BY for ${who.address}, but that SENT-BY ` +
        `is not trusted: it is outside ${domain} and no stored copy of the event names it (an administrator can allow it with sender_aliases)`
      );
    }
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

/**
 * The attendee a REPLY, REFRESH or COUNTER speaks for: the one whose address (or
 * SENT-BY) the mail comes from, else the only one it carries.
 */
export function speakingAttendee(input: ItipInput, attendees: Participant[]): Participant | undefined {
  const claimed = new Set(input.sender.addresses);
  const bySender = attendees.find((a) => claimed.has(a.address) || claimed.has(sentByOf(a.prop) ?? ''));
  if (bySender) return bySender;
  if (input.direction === 'outgoing') return attendees.find((a) => a.address === input.user) ?? attendees[0];
  return attendees.length === 1 ? attendees[0] : undefined;
}

// Building outgoing iMIP mail (RFC 6047) from an iTIP message (RFC 5546) with
// nodemailer's MailComposer.
//
// Shape: multipart/alternative with a readable text/plain part first and the
// calendar last, as `text/calendar; charset=utf-8; method=X` whose method is the
// body's METHOD (RFC 6047 section 2.4: they MUST agree). There is one calendar
// part and no second copy as an invite.ics attachment: RFC 6047 section 2.4
// describes one text/calendar body part per iTIP message, and a reader that
// applies every calendar part it finds would apply an attached copy twice.
// (nodemailer's own `icalEvent` option adds such a copy, so the part is added
// as an alternative instead.)

import { createHash } from 'node:crypto';
import ICAL from 'ical.js';
import MailComposer from 'nodemailer/lib/mail-composer/index.js';
import { mailAddress, normalizeAddress } from '../ical/address.js';
import { attendeesOf, calendarMethod, scheduledComponentsOf, organizerOf, parseCalendar, textOf, uidOf } from '../ical/calendar.js';
import { formatUtc, instantOf, tzidOf } from '../ical/times.js';
import { ZoneResolver } from '../ical/zones.js';
import { oneLine } from '../ical/display-text.js';
import { type Texts, textsFor } from './language.js';

export interface ImipInput {
  /** The calendar user who sends: a mailto: URI or a bare address. */
  from: string;
  /** The display name on From; default: the CN the calendar gives this address. */
  fromName?: string;
  /** Recipients: mailto: URIs or bare addresses. */
  to: string[];
  /** The iTIP message: one VCALENDAR with METHOD. */
  ics: string;
  /** Message-ID without angle brackets; default: a random one at the sender's domain. */
  messageId?: string;
  /** The Date header; default: now. */
  date?: Date;
  /**
   * Auto-Submitted (RFC 3834 section 5): `auto-generated` for mail no person
   * wrote, so that vacation responders and similar programs do not answer it.
   */
  autoSubmitted?: 'auto-generated' | 'auto-replied';
  /** The sending user's LANG preference: the language of the Subject and text part (src/mail/language.ts); default English. */
  lang?: string;
}

export interface ImipMail {
  /** The whole RFC 5322 message, CRLF line ends. */
  raw: Buffer;
  method: string;
  subject: string;
  /** Message-ID without angle brackets. */
  messageId: string;
  /** SMTP envelope: bare addresses. */
  envelope: { from: string; to: string[] };
}

/** The iTIP message cannot be sent as iMIP (no VCALENDAR, no METHOD). */
export class ImipError extends Error {
  override name = 'ImipError';
}

const CRLF = '\r\n';
/** RFC 5545 section 3.1: content lines SHOULD NOT be longer than 75 octets. */
const FOLD_OCTETS = 75;

/**
 * Folds iCalendar text per RFC 5545 section 3.1: CRLF line ends, content lines
 * of at most 75 octets (not counting the CRLF), continued with one space, never
 * splitting a UTF-8 sequence. Already folded input is unfolded first, so the
 * result is the same whatever folding (or bare LF) the input used.
 */
export function foldIcs(text: string): string {
  const unfolded = text.replace(/\r\n|\r|\n/g, '\n').replace(/\n[ \t]/g, '');
  // Empty content lines are not iCalendar (RFC 5545 section 3.1); dropping them
  // also drops the text's trailing line end, which is written back below.
  const lines = unfolded.split('\n').filter((line) => line !== '');
  const out: string[] = [];
  for (const line of lines) {
    let current = '';
    let octets = 0;
    for (const char of line) {
      const size = Buffer.byteLength(char, 'utf8');
      if (octets + size > FOLD_OCTETS) {
        out.push(current);
        // The continuation's leading space counts towards its 75 octets.
        current = ' ';
        octets = 1;
      }
      current += char;
      octets += size;
    }
    out.push(current);
  }
  return out.join(CRLF) + CRLF;
}

/**
 * The calendar text as it goes out: without SCHEDULE-STATUS parameters, which
 * servers MUST NOT put in the scheduling messages they send (RFC 6638 section
 * 7.3; the organizer's stored copy carries them), and folded with CRLF.
 */
export function outgoingIcs(ics: string): string {
  if (!/SCHEDULE-STATUS/i.test(ics)) return foldIcs(ics);
  const vcalendar = parseCalendar(ics);
  for (const component of vcalendar.getAllSubcomponents()) {
    for (const prop of [...component.getAllProperties('attendee'), ...component.getAllProperties('organizer')]) {
      prop.removeParameter('schedule-status');
    }
  }
  return foldIcs(vcalendar.toString());
}

// ---------------------------------------------------------------------------
// Subject and text part
//
// Every value taken from the calendar (SUMMARY, LOCATION, CN, PARTSTAT, TZID,
// FBTYPE, the RRULE text) passes through oneLine() before it reaches the
// Subject, the From name or a line of the text part: the sender of the
// calendar must not be able to start a line there (see src/ical/display-text.ts).
// DESCRIPTION is not shown: the calendar program shows it, and a summary of
// it would be the sender's free text in the agent's own mail.

interface Facts {
  method: string;
  summary: string;
  /** The components to describe: master first. */
  events: ICAL.Component[];
  zones: ZoneResolver;
  organizer?: { address: string; name?: string };
  /** For a REPLY: the answer of the replying attendee (the sender). */
  partstat?: string;
  sequence: number;
}

function cnOf(prop: ICAL.Property | null | undefined): string | undefined {
  const cn = prop?.getParameter('cn');
  return typeof cn === 'string' ? oneLine(cn) || undefined : undefined;
}

/** The CN the calendar gives an address, on its ORGANIZER or an ATTENDEE. */
function nameInCalendar(events: ICAL.Component[], address: string): string | undefined {
  for (const event of events) {
    const organizer = event.getFirstProperty('organizer');
    if (organizer && organizerOf(event) === address) {
      const cn = cnOf(organizer);
      if (cn) return cn;
    }
    for (const attendee of attendeesOf(event)) {
      if (attendee.address === address) {
        const cn = cnOf(attendee.prop);
        if (cn) return cn;
      }
    }
  }
  return undefined;
}

function readFacts(vcalendar: ICAL.Component, method: string, from: string): Facts {
  const events = scheduledComponentsOf(vcalendar).sort((a, b) => Number(a.hasProperty('recurrence-id')) - Number(b.hasProperty('recurrence-id')));
  const first = events[0];
  const summary = first ? oneLine(textOf(first, 'summary') ?? uidOf(first)) : '';
  const facts: Facts = {
    method,
    summary: summary || '(no title)',
    events,
    zones: new ZoneResolver(vcalendar, null),
    sequence: first ? Number(first.getFirstPropertyValue('sequence') ?? 0) || 0 : 0,
  };
  const organizer = first ? organizerOf(first) : undefined;
  if (organizer) facts.organizer = { address: organizer, name: cnOf(first!.getFirstProperty('organizer')) };
  if (method === 'REPLY' && first) {
    // The one ATTENDEE of a REPLY is the replier (RFC 5546 section 3.2.3); prefer the sender's own.
    const attendees = attendeesOf(first);
    const own = attendees.find((a) => a.address === from) ?? attendees[0];
    if (own) facts.partstat = own.partstat;
  }
  return facts;
}

/** A readable subject per method (and, for a REPLY, per PARTSTAT), as mail clients write them. */
export function subjectFor(method: string, summary: string, options: { partstat?: string; sequence?: number; texts?: Texts } = {}): string {
  const texts = options.texts ?? textsFor(undefined);
  const words = texts.subject;
  let prefix: string;
  switch (method) {
    case 'REQUEST':
      prefix = (options.sequence ?? 0) > 0 ? words.updated : words.invitation;
      break;
    case 'REPLY':
      prefix = texts.answer[(options.partstat ?? '') as keyof Texts['answer']] ?? words.reply;
      break;
    case 'CANCEL':
      prefix = words.cancelled;
      break;
    case 'ADD':
      prefix = words.updated;
      break;
    case 'PUBLISH':
      prefix = words.event;
      break;
    case 'REFRESH':
      prefix = words.refresh;
      break;
    case 'COUNTER':
      prefix = words.counter;
      break;
    case 'DECLINECOUNTER':
      prefix = words.declineCounter;
      break;
    default:
      prefix = method;
  }
  return `${prefix}: ${summary}`;
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

function wallText(time: ICAL.Time, withDate: boolean): string {
  const clock = `${pad(time.hour)}:${pad(time.minute)}`;
  return withDate ? `${pad(time.year, 4)}-${pad(time.month)}-${pad(time.day)} ${clock}` : clock;
}

function utcText(ms: number, withDate: boolean): string {
  const iso = formatUtc(ms);
  return withDate ? `${iso.slice(0, 10)} ${iso.slice(11, 16)}` : iso.slice(11, 16);
}

/** The end of an event: DTEND, or DTSTART plus DURATION (RFC 5545 section 3.6.1); a task's DUE (section 3.6.2). */
function endOf(event: ICAL.Component, start: ICAL.Time): { time: ICAL.Time; tzid?: string } | undefined {
  const dtend = event.getFirstProperty('dtend') ?? event.getFirstProperty('due');
  const value = dtend?.getFirstValue();
  if (value instanceof ICAL.Time) return { time: value, tzid: tzidOf(dtend!) };
  const duration = event.getFirstPropertyValue('duration');
  if (duration instanceof ICAL.Duration) {
    const end = start.clone();
    end.addDuration(duration);
    return { time: end, tzid: tzidOf(event.getFirstProperty('dtstart')) };
  }
  return undefined;
}

/** "2026-12-01 09:00 - 10:00 UTC (10:00 - 11:00 Europe/Berlin)", or the date of an all-day event. */
export function whenText(event: ICAL.Component, zones: ZoneResolver, texts: Texts = textsFor(undefined)): string | undefined {
  const dtstart = event.getFirstProperty('dtstart');
  const start = dtstart?.getFirstValue();
  if (!(start instanceof ICAL.Time)) return undefined;
  const end = endOf(event, start);
  if (start.isDate) {
    const day = `${pad(start.year, 4)}-${pad(start.month)}-${pad(start.day)}`;
    if (end && end.time.isDate) {
      // DTEND of an all-day event is exclusive (RFC 5545 section 3.6.1).
      const last = end.time.clone();
      last.adjust(-1, 0, 0, 0);
      const lastDay = `${pad(last.year, 4)}-${pad(last.month)}-${pad(last.day)}`;
      if (lastDay > day) return `${day} ${texts.when.to} ${lastDay} ${texts.when.allDay}`;
    }
    return `${day} ${texts.when.allDay}`;
  }
  const tzid = tzidOf(dtstart!);
  // The TZID is the sender's text (RFC 6868 can put a line break in it).
  const shownTzid = oneLine(tzid);
  const utc = start.zone?.tzid === 'UTC' || start.zone === ICAL.Timezone.utcTimezone;
  if (!tzid && !utc) {
    const endWall = end ? ` - ${wallText(end.time, !sameDay(start, end.time))}` : '';
    return `${wallText(start, true)}${endWall} ${texts.when.floating}`;
  }
  const zone = tzid ? zones.zone(tzid) : null;
  if (tzid && !zone) {
    const endWall = end ? ` - ${wallText(end.time, !sameDay(start, end.time))}` : '';
    return `${wallText(start, true)}${endWall} ${shownTzid}`;
  }
  const startMs = instantOf(start, tzid, zones);
  const endMs = end ? instantOf(end.time, end.tzid, zones) : undefined;
  const utcLine =
    `${utcText(startMs, true)}` +
    (endMs !== undefined ? ` - ${utcText(endMs, formatUtc(endMs).slice(0, 10) !== formatUtc(startMs).slice(0, 10))}` : '') +
    ' UTC';
  if (!tzid || tzid.toUpperCase() === 'UTC' || tzid === 'Etc/UTC') return utcLine;
  const localEnd = end ? ` - ${wallText(end.time, !sameDay(start, end.time))}` : '';
  return `${utcLine} (${wallText(start, true)}${localEnd} ${shownTzid})`;
}

function sameDay(a: ICAL.Time, b: ICAL.Time): boolean {
  return a.year === b.year && a.month === b.month && a.day === b.day;
}

function person(address: string, name?: string): string {
  const bare = oneLine(mailAddress(address));
  const shown = oneLine(name);
  return shown ? `${shown} <${bare}>` : bare;
}

function partstatText(texts: Texts, partstat: string | undefined): string | undefined {
  return texts.partstat[(partstat ?? '') as keyof Texts['partstat']];
}

function opening(facts: Facts, sender: string, texts: Texts): string {
  const words = texts.opening;
  switch (facts.method) {
    case 'REQUEST':
      return facts.sequence > 0 ? words.updated(sender) : words.invites(sender);
    case 'REPLY':
      return words.replied(sender, partstatText(texts, facts.partstat));
    case 'CANCEL':
      return words.cancelled(sender);
    case 'ADD':
      return words.added(sender);
    case 'PUBLISH':
      return words.published(sender);
    case 'REFRESH':
      return words.refresh(sender);
    case 'COUNTER':
      return words.counter(sender);
    case 'DECLINECOUNTER':
      return words.declineCounter(sender);
    default:
      return words.other(sender, facts.method);
  }
}

/** The text/plain part: what a person without a calendar program needs to know. */
function textPart(facts: Facts, sender: string, texts: Texts): string {
  const label = texts.label;
  const lines = [opening(facts, sender, texts), '', `${label.event}${facts.summary}`];
  const shown = facts.events.slice(0, 10);
  for (const event of shown) {
    const when = whenText(event, facts.zones, texts);
    const isOverride = event.hasProperty('recurrence-id');
    if (when) lines.push(`${isOverride ? label.instance : label.when}${when}`);
    const status = textOf(event, 'status');
    if (isOverride && status && status.toUpperCase() === 'CANCELLED') lines[lines.length - 1] += ` (${texts.cancelledMark})`;
  }
  if (facts.events.length > shown.length) lines.push(`            ${texts.moreInstances(facts.events.length - shown.length)}`);
  const master = facts.events[0];
  const rrule = master?.getFirstPropertyValue('rrule');
  if (rrule instanceof ICAL.Recur) lines.push(`${label.repeats}${oneLine(rrule.toString())}`);
  const location = master ? oneLine(textOf(master, 'location')) : '';
  if (location) lines.push(`${label.where}${location}`);
  if (facts.organizer) lines.push(`${label.organizer}${person(facts.organizer.address, facts.organizer.name)}`);
  if (facts.method === 'REPLY' && facts.partstat) {
    lines.push(`${label.answer}${texts.answer[facts.partstat as keyof Texts['answer']] ?? oneLine(facts.partstat)}`);
  }
  if (['REQUEST', 'ADD', 'PUBLISH'].includes(facts.method) && master) {
    const attendees = attendeesOf(master);
    if (attendees.length > 0) {
      lines.push(label.attendees);
      for (const a of attendees.slice(0, 50)) {
        lines.push(`  ${person(a.address, cnOf(a.prop))} (${partstatText(texts, a.partstat) ?? oneLine(a.partstat.toLowerCase())})`);
      }
      if (attendees.length > 50) lines.push(`  ${texts.more(attendees.length - 50)}`);
    }
  }
  lines.push('', texts.carries(facts.method));
  return lines.join(CRLF) + CRLF;
}

/** The text/plain part of a free/busy message: the range and the busy times, in UTC. */
function freeBusyTextPart(vfreebusy: ICAL.Component, method: string, sender: string, texts: Texts): string {
  const words = texts.freeBusy;
  const utc = (value: unknown) => (value instanceof ICAL.Time ? `${formatUtc(value.toUnixTime() * 1000).slice(0, 16).replace('T', ' ')} UTC` : '?');
  const range = `${utc(vfreebusy.getFirstPropertyValue('dtstart'))} ${words.to} ${utc(vfreebusy.getFirstPropertyValue('dtend'))}`;
  const lines = [method === 'REQUEST' ? words.asks(sender, range) : words.sends(sender, range)];
  const busy: string[] = [];
  for (const prop of vfreebusy.getAllProperties('freebusy')) {
    const type = oneLine(String(prop.getParameter('fbtype') ?? 'BUSY').toLowerCase().replace('busy-', ''));
    for (const period of prop.getValues()) {
      if (period instanceof ICAL.Period) busy.push(`  ${utc(period.start)} ${words.to} ${utc(period.getEnd())} (${type})`);
    }
  }
  if (method !== 'REQUEST') {
    lines.push('', busy.length > 0 ? words.busy : words.none, ...busy.slice(0, 50));
    if (busy.length > 50) lines.push(`  ${texts.more(busy.length - 50)}`);
  }
  lines.push('', texts.carries(method));
  return lines.join(CRLF) + CRLF;
}

// ---------------------------------------------------------------------------

function domainOf(address: string): string {
  const at = address.lastIndexOf('@');
  return at >= 0 ? address.slice(at + 1) : 'localhost';
}

/** Builds the iMIP mail for one iTIP message. */
export async function composeImip(input: ImipInput): Promise<ImipMail> {
  const from = normalizeAddress(input.from);
  if (!from) throw new ImipError('no sender address');
  const to = [...new Set(input.to.map((a) => normalizeAddress(a)).filter((a): a is string => !!a))];
  if (to.length === 0) throw new ImipError('no recipient');

  let vcalendar: ICAL.Component;
  try {
    vcalendar = parseCalendar(input.ics);
  } catch (error) {
    throw new ImipError(`the iTIP message is not iCalendar: ${(error as Error).message}`);
  }
  const method = calendarMethod(vcalendar);
  // RFC 6047 section 2.4: the Content-Type method parameter MUST be present and equal METHOD.
  if (!method) throw new ImipError('the iTIP message has no METHOD (RFC 5546 section 1.4)');
  // METHOD goes into the Content-Type header and the Subject as written: only
  // a name (RFC 5545 section 3.1, iana-token or x-name) may go there.
  if (!/^[A-Z0-9-]+$/.test(method)) throw new ImipError(`METHOD:${JSON.stringify(method)} is not a method name (RFC 5545 section 3.1)`);
  const ics = outgoingIcs(input.ics);

  const facts = readFacts(vcalendar, method, from);
  // A free/busy message (RFC 5546 section 3.3) holds no event to describe.
  const vfreebusy = facts.events.length === 0 ? vcalendar.getFirstSubcomponent('vfreebusy') : null;
  const fromName = oneLine(input.fromName) || nameInCalendar(vfreebusy ? [vfreebusy] : facts.events, from);
  const sender = fromName ? `${fromName} (${oneLine(mailAddress(from))})` : oneLine(mailAddress(from));
  const texts = textsFor(input.lang);
  const subject = vfreebusy
    ? `${texts.subject.freeBusy}: ${fromName ?? mailAddress(from)}`
    : subjectFor(method, facts.summary, { partstat: facts.partstat, sequence: facts.sequence, texts });
  const messageId = input.messageId ?? `${globalThis.crypto.randomUUID()}@${domainOf(mailAddress(from))}`;
  const bareFrom = mailAddress(from);
  const bareTo = to.map(mailAddress);

  const options: ConstructorParameters<typeof MailComposer>[0] & { baseBoundary?: string } = {
    from: fromName ? { name: fromName, address: bareFrom } : bareFrom,
    to: bareTo,
    subject,
    date: input.date ?? new Date(),
    messageId: `<${messageId}>`,
    text: vfreebusy ? freeBusyTextPart(vfreebusy, method, sender, texts) : textPart(facts, sender, texts),
    alternatives: [{ contentType: `text/calendar; charset=utf-8; method=${method}`, content: ics }],
    ...(input.autoSubmitted ? { headers: { 'Auto-Submitted': input.autoSubmitted } } : {}),
    // The MIME boundary comes from the content rather than from chance, so that
    // the same message composed again (a retry) is the same bytes, and a
    // receiver that keys redelivery on Message-ID plus a digest sees a copy.
    baseBoundary: createHash('sha256').update(`${messageId}\u0000${subject}\u0000${ics}`).digest('hex').slice(0, 24),
  };
  const raw = await new MailComposer(options).compile().build();
  return { raw, method, subject, messageId, envelope: { from: bareFrom, to: bareTo } };
}

// VFREEBUSY messages (RFC 5546 section 3.3): a request for a calendar user's
// busy time, the reply that answers it, and busy time published unasked.
// - A REQUEST that names the user as an ATTENDEE is answered with a REPLY that
//   carries the user's own busy periods in the asked range, when the user
//   shares free/busy (freebusy_sharing=share, as in imip-agent); otherwise it
//   is ignored and the mail goes on to the user as always. The ORGANIZER who
//   asks must be who sent the mail (section 6.1.1), or anyone could have the
//   agent mail a user's busy time to an address of their choosing.
// - A REPLY from its ATTENDEE, or a PUBLISH from its ORGANIZER, is busy time
//   learned of that person: kept as others' periods under the VFREEBUSY's UID,
//   replacing what that UID said of them before.
// - Busy time published on the web (`GET /freebusy/ADDR.ifb`, imip-agent's
//   freebusy_publishing): a PUBLISH of the user's own periods, built by the
//   same builder as the REPLY (publishFreeBusy).
// The answered range is cut to the free/busy window: beyond it, series are not
// expanded, and an answer would show time as free that is not.

import { createHash } from 'node:crypto';
import ICAL from 'ical.js';
import { CalendarError, attendeesOf, cloneComponent, findAttendee, newCalendar, organizerOf } from '../../ical/calendar.js';
import { compareText } from '../../ical/text-order.js';
import { formatUtc, parseInstant, utcTime } from '../../ical/times.js';
import { result, type Effect, type FreeBusyInput, type ItipResult } from '../effects.js';
import type { FbType, Method, OthersPeriod, Period, Preferences } from '../model.js';
import { freeBusyWindow } from './periods.js';
import { sharesFreeBusy } from '../preferences.js';
import { attendeeSpeaker, organizerSpeaker, senderProblem, type Speaker } from '../rules/sender.js';

/** Reached through schedule() (src/itip/schedule.ts). Pure: the same input always gives the same result. Never throws. */
export function scheduleFreeBusy(input: FreeBusyInput): ItipResult {
  try {
    if (input.direction === 'outgoing') return result('ignored', 'a VFREEBUSY the user sends changes nothing in the user\'s calendar');
    switch (input.method) {
      case 'REQUEST':
        return answerRequest(input);
      case 'REPLY':
      case 'PUBLISH':
        return keepBusyTime(input);
      default:
        return result('ignored', `METHOD:${input.method} is not used with VFREEBUSY (RFC 5546 section 3.3)`);
    }
  } catch (error) {
    if (error instanceof CalendarError) return result('refused', `the free/busy ${input.method} cannot be used: ${error.message}`);
    return result('error', `the free/busy ${input.method} could not be processed: ${(error as Error).message}`);
  }
}

function answerRequest(input: FreeBusyInput): ItipResult {
  const { component, user } = input;
  const organizer = organizerOf(component);
  if (!organizer) return result('refused', 'a free/busy REQUEST needs an ORGANIZER to answer (RFC 5546 section 3.3.2)');
  const attendee = findAttendee(component, user);
  if (!attendee) return result('ignored', `the free/busy request does not name ${user} as an ATTENDEE`);
  const asked = rangeOf(component);
  // Nothing is stored of a free/busy request: its SENT-BY counts only within the organizer's domain.
  const forged = senderProblem(input, organizerSpeaker(organizer, [component]));
  if (forged) return result('refused', forged);
  if (!sharesFreeBusy(input.prefs)) {
    return result('ignored', 'free/busy requests are answered only for a user who shares free/busy (freebusy_sharing=share)');
  }
  const { from, to } = answeredRange(asked, input.prefs, input.now);
  if (from >= to) return result('ignored', `the free/busy request asks about ${formatUtc(asked.from)} to ${formatUtc(asked.to)}, outside the free/busy window`);

  const reply = busyTime({
    uid: input.uid,
    now: input.now,
    organizer: ICAL.Property.fromString(component.getFirstProperty('organizer')!.toICALString()),
    attendee: ICAL.Property.fromString(attendee.prop.toICALString()),
    from,
    to,
    busy: input.busy,
  });
  const calendar = newCalendar('REPLY');
  calendar.addSubcomponent(reply.component);
  const effects: Effect[] = [{ type: 'send', method: 'REPLY', uid: input.uid, to: [organizer], ics: calendar.toString() }];
  const cut = from > asked.from || to < asked.to ? ' (cut to the free/busy window)' : '';
  return result('applied', `answered ${organizer}'s free/busy request for ${formatUtc(from)} to ${formatUtc(to)}${cut} with ${reply.periods} busy period(s)`, effects);
}

interface BusyTimeInput {
  uid: string;
  now: number;
  /** Who asked (a REPLY), or whose busy time it is (a PUBLISH). */
  organizer: ICAL.Property;
  /** The one answering (a REPLY only). */
  attendee?: ICAL.Property;
  from: number;
  to: number;
  busy: Period[];
}

/**
 * The one VFREEBUSY builder, for a REPLY (RFC 5546 section 3.3.3) and a
 * PUBLISH (section 3.3.1) alike: DTSTART and DTEND in UTC, the busy periods cut
 * to them, joined per FBTYPE and sorted ascending, as both sections ask.
 */
function busyTime(input: BusyTimeInput): { component: ICAL.Component; periods: number } {
  const periods = mergedBusy(input.busy, input.from, input.to);
  const vfreebusy = new ICAL.Component('vfreebusy');
  vfreebusy.addPropertyWithValue('uid', input.uid);
  vfreebusy.addPropertyWithValue('dtstamp', utcTime(input.now));
  vfreebusy.addProperty(input.organizer);
  if (input.attendee) vfreebusy.addProperty(input.attendee);
  vfreebusy.addPropertyWithValue('dtstart', utcTime(input.from));
  vfreebusy.addPropertyWithValue('dtend', utcTime(input.to));
  for (const period of periods) {
    const prop = new ICAL.Property('freebusy');
    prop.setParameter('fbtype', period.fbtype);
    prop.setValue(ICAL.Period.fromData({ start: utcTime(period.start), end: utcTime(period.end) }));
    vfreebusy.addProperty(prop);
  }
  return { component: vfreebusy, periods: periods.length };
}

export interface PublishInput {
  /** The calendar user whose busy time it is (a lower-case mailto: URI). */
  user: string;
  prefs: Preferences;
  /** The user's own busy periods overlapping the range asked for. */
  busy: Period[];
  now: number;
  /** The range asked for; the published one is cut to the free/busy window. Default: today (UTC) to the window's end. */
  from?: number;
  to?: number;
}

export type Published = { ics: string; from: number; to: number; periods: number } | { problem: 'not-published' | 'outside-window'; window: { from: number; to: number } };

/**
 * The range published free/busy covers, before reading the busy time: the
 * asked range cut to the free/busy window (beyond it series are not expanded
 * and time would show as free that is not). Without a start, today at 00:00
 * UTC: past busy time helps no one find a slot and tells more of the user.
 */
export function publishedRange(prefs: Preferences, now: number, asked: { from?: number; to?: number } = {}): { from: number; to: number; window: { from: number; to: number } } {
  const window = freeBusyWindow(prefs, now);
  const today = Math.floor(now / 86_400_000) * 86_400_000;
  const from = Math.max(asked.from ?? today, window.from);
  const to = Math.min(asked.to ?? window.to, window.to);
  return { from, to, window };
}

/** Whether the user publishes free/busy on the web (imip-agent: freebusy_publishing=publish, which needs freebusy_sharing=share). */
export function publishesFreeBusy(prefs: Preferences): boolean {
  return sharesFreeBusy(prefs) && prefs.freebusy_publishing === 'publish';
}

/**
 * The user's busy time published unasked (RFC 5546 section 3.3.1, METHOD:PUBLISH),
 * for `GET /freebusy/ADDR.ifb`. Pure: `busy` is read by the caller over
 * publishedRange. The UID stays the same for the user, so that a client
 * fetching it again replaces what it had.
 */
export function publishFreeBusy(input: PublishInput): Published {
  const range = publishedRange(input.prefs, input.now, input);
  if (!publishesFreeBusy(input.prefs)) return { problem: 'not-published', window: range.window };
  if (range.from >= range.to) return { problem: 'outside-window', window: range.window };
  const organizer = new ICAL.Property('organizer');
  organizer.setValue(input.user);
  const cn = input.prefs.CN;
  if (cn) organizer.setParameter('cn', cn);
  const uid = `freebusy-${createHash('sha256').update(input.user).digest('hex').slice(0, 32)}`;
  const built = busyTime({ uid, now: input.now, organizer, from: range.from, to: range.to, busy: input.busy });
  const calendar = newCalendar('PUBLISH');
  calendar.addSubcomponent(built.component);
  return { ics: calendar.toString(), from: range.from, to: range.to, periods: built.periods };
}

function keepBusyTime(input: FreeBusyInput): ItipResult {
  const { component, method, uid } = input;
  let participant: string | undefined;
  let speaker: Speaker;
  if (method === 'REPLY') {
    // The one ATTENDEE of a REPLY is the one answering (RFC 5546 section 3.3.3).
    const attendees = attendeesOf(component);
    if (attendees.length !== 1) return result('refused', `a free/busy REPLY carries exactly one ATTENDEE (RFC 5546 section 3.3.3); this one has ${attendees.length}`);
    participant = attendees[0]!.address;
    speaker = attendeeSpeaker(participant, [component]);
  } else {
    participant = organizerOf(component);
    if (!participant) return result('refused', 'a free/busy PUBLISH needs an ORGANIZER (RFC 5546 section 3.3.1)');
    speaker = organizerSpeaker(participant, [component]);
  }
  if (participant === input.user) return result('ignored', `the free/busy ${method} is about ${input.user} itself`);
  // Nothing is stored of busy time learned: a SENT-BY counts only within the participant's domain.
  const forged = senderProblem(input, speaker);
  if (forged) return result('refused', forged);

  const periods: OthersPeriod[] = [];
  for (const prop of component.getAllProperties('freebusy')) {
    const fbtype = String(prop.getParameter('fbtype') ?? 'BUSY').toUpperCase();
    // FREE says nothing busy; the other types are kept as they come (RFC 5545 section 3.2.9).
    if (fbtype === 'FREE') continue;
    for (const value of prop.getValues()) {
      if (!(value instanceof ICAL.Period)) continue;
      const start = utcMs(value.start, 'a FREEBUSY period');
      const end = utcMs(value.getEnd(), 'a FREEBUSY period');
      if (end <= start) continue;
      periods.push({ start: formatUtc(start), end: formatUtc(end), fbtype: fbtype as FbType, uid, recurrenceId: null, participant });
    }
  }
  const effects: Effect[] = [
    { type: 'others-periods', uid, participant, periods },
    { type: 'inbox', method, uid, from: participant, ics: messageText(method, component) },
  ];
  return result('applied', `kept ${periods.length} busy period(s) of ${participant}`, effects);
}

/** The range a free/busy REQUEST is answered for: the asked one, cut to the free/busy window. */
function answeredRange(asked: { from: number; to: number }, prefs: Preferences, now: number): { from: number; to: number } {
  const window = freeBusyWindow(prefs, now);
  return { from: Math.max(asked.from, window.from), to: Math.min(asked.to, window.to) };
}

/**
 * The user's busy time a free/busy REQUEST needs read (src/itip/snapshot.ts):
 * the answered range, or none when the request cannot be answered anyway.
 */
export function freeBusyReadRange(component: ICAL.Component, prefs: Preferences, now: number): { from: number; to: number } | undefined {
  if (!sharesFreeBusy(prefs)) return undefined;
  let asked: { from: number; to: number };
  try {
    asked = rangeOf(component);
  } catch {
    return undefined;
  }
  const range = answeredRange(asked, prefs, now);
  return range.from < range.to ? range : undefined;
}

/** DTSTART and DTEND of a VFREEBUSY, which RFC 5545 section 3.6.4 requires in UTC. */
function rangeOf(component: ICAL.Component): { from: number; to: number } {
  const start = component.getFirstPropertyValue('dtstart');
  const end = component.getFirstPropertyValue('dtend');
  if (!(start instanceof ICAL.Time) || !(end instanceof ICAL.Time)) {
    throw new CalendarError('a free/busy REQUEST needs DTSTART and DTEND (RFC 5546 section 3.3.2)');
  }
  const from = utcMs(start, 'DTSTART');
  const to = utcMs(end, 'DTEND');
  if (to <= from) throw new CalendarError('DTEND is not after DTSTART');
  return { from, to };
}

function utcMs(time: ICAL.Time, what: string): number {
  if (time.isDate || time.zone?.tzid !== 'UTC') throw new CalendarError(`${what} must be a UTC date-time in a VFREEBUSY (RFC 5545 section 3.6.4)`);
  return time.toUnixTime() * 1000;
}

/**
 * Busy periods as an answer gives them: cut to [from, to), and per type the
 * overlapping or touching ones joined, which also keeps the events' own
 * boundaries to the user.
 */
function mergedBusy(periods: Period[], from: number, to: number): Array<{ start: number; end: number; fbtype: FbType }> {
  const byType = new Map<FbType, Array<[number, number]>>();
  for (const period of periods) {
    const start = Math.max(parseInstant(period.start), from);
    const end = Math.min(parseInstant(period.end), to);
    if (end <= start) continue;
    const list = byType.get(period.fbtype) ?? [];
    list.push([start, end]);
    byType.set(period.fbtype, list);
  }
  const merged: Array<{ start: number; end: number; fbtype: FbType }> = [];
  for (const [fbtype, list] of byType) {
    list.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    let current: [number, number] | undefined;
    for (const [start, end] of list) {
      if (current && start <= current[1]) current[1] = Math.max(current[1], end);
      else {
        if (current) merged.push({ start: current[0], end: current[1], fbtype });
        current = [start, end];
      }
    }
    if (current) merged.push({ start: current[0], end: current[1], fbtype });
  }
  return merged.sort((a, b) => a.start - b.start || a.end - b.end || compareText(a.fbtype, b.fbtype));
}

/** The message as the inbox keeps it: this VFREEBUSY in a VCALENDAR with its METHOD. */
function messageText(method: Method, component: ICAL.Component): string {
  const calendar = newCalendar(method);
  calendar.addSubcomponent(cloneComponent(component));
  return calendar.toString();
}

// POST of a VFREEBUSY request to the scheduling outbox (RFC 6638 section 5):
// the busy time of each ATTENDEE that is a calendar user here, answered at
// once in a schedule-response. Another user's busy time is shown only when
// they share it (freebusy_sharing=share), the same rule as a request by mail.
// Addresses elsewhere (no calendar here, and outside localDomains when those
// are set) are asked by iMIP: one VFREEBUSY REQUEST (RFC 5546 section 3.3.2)
// naming them goes into the user's outbox, and their entry in the answer says
// 1.1, sent (RFC 5546 section 3.6), the code queued iMIP gets everywhere in
// the agent. Their REPLY comes back by mail and is kept as their busy time.
// An address in localDomains with no calendar is no calendar user: 3.7.

import { randomBytes } from 'node:crypto';
import type { FastifyReply } from 'fastify';
import ICAL from 'ical.js';
import { applyEffects } from '../../agent/apply-effects.js';
import { attendeesOf, calendarMethod, cloneComponent, newCalendar, parseCalendar, organizerOf } from '../../ical/calendar.js';
import { addressDomain, normalizeAddress } from '../../ical/address.js';
import { formatUtc, propertyInstant, utcTime } from '../../ical/times.js';
import { ZoneResolver } from '../../ical/zones.js';
import { sharesFreeBusy } from '../../itip/preferences.js';
import { SCHEDULE_STATUS } from '../../itip/schedule-status.js';
import type { Store } from '../../store/store.js';
import { freeBusyText } from './freebusy.js';
import { sendDavError, sendText } from './multistatus.js';
import { CALDAV, documentOf, el, escapeXml, textEl, DAV } from './xml.js';

/** Most recipients one request may name. */
const MAX_RECIPIENTS = 100;

export interface FreeBusyPost {
  store: Store;
  user: string;
  body: string;
  now: number;
  /** Domains of this installation's users; empty: every address without a calendar is elsewhere. */
  localDomains: readonly string[];
  /** Called once a request was queued, so that the outbox sender sends it now. */
  queued?: () => void;
}

interface FreeBusyRequest {
  component: ICAL.Component;
  from: number;
  to: number;
  organizer: string | undefined;
  attendees: string[];
}

function readRequest(body: string): FreeBusyRequest {
  const vcalendar = parseCalendar(body);
  const component = vcalendar.getFirstSubcomponent('vfreebusy');
  if (calendarMethod(vcalendar) !== 'REQUEST' || !component) throw new Error('not a VFREEBUSY REQUEST');
  const zones = new ZoneResolver(vcalendar, null);
  const from = propertyInstant(component.getFirstProperty('dtstart'), zones);
  const to = propertyInstant(component.getFirstProperty('dtend'), zones);
  if (from === undefined || to === undefined || !(to > from)) throw new Error('DTSTART and DTEND are needed, DTEND after DTSTART');
  return { component, from, to, organizer: organizerOf(component), attendees: attendeesOf(component).map((a) => a.address) };
}

/** Whether an address without a calendar here belongs elsewhere (asked by mail) rather than to this installation. */
function isElsewhere(address: string, localDomains: readonly string[]): boolean {
  return localDomains.length === 0 || !localDomains.some((domain) => domain.toLowerCase() === addressDomain(address));
}

/** The iMIP request to the remote attendees: the client's ORGANIZER and their ATTENDEE properties, times in UTC. */
function remoteRequestText(request: FreeBusyRequest, uid: string, remote: Set<string>, now: number): string {
  const vcalendar = newCalendar('REQUEST');
  const source = cloneComponent(request.component);
  const vfreebusy = new ICAL.Component('vfreebusy');
  vfreebusy.addPropertyWithValue('uid', uid);
  vfreebusy.addPropertyWithValue('dtstamp', utcTime(now));
  const organizer = source.getFirstProperty('organizer');
  if (organizer) vfreebusy.addProperty(organizer);
  for (const attendee of source.getAllProperties('attendee')) {
    if (remote.has(normalizeAddress(String(attendee.getFirstValue())) ?? '')) vfreebusy.addProperty(attendee);
  }
  vfreebusy.addPropertyWithValue('dtstart', utcTime(request.from));
  vfreebusy.addPropertyWithValue('dtend', utcTime(request.to));
  vcalendar.addSubcomponent(vfreebusy);
  return vcalendar.toString() + '\r\n';
}

export async function postFreeBusy(reply: FastifyReply, options: FreeBusyPost): Promise<FastifyReply> {
  const { store, user, body, now, localDomains, queued } = options;
  let request: FreeBusyRequest;
  try {
    request = readRequest(body);
  } catch (error) {
    return sendDavError(reply, 403, CALDAV, 'valid-calendar-data', `The outbox takes a METHOD:REQUEST VFREEBUSY (RFC 6638 section 5): ${(error as Error).message}.`);
  }
  // Only the user may ask in their own name (RFC 6638 section 3.2.5 organizer-allowed).
  if (normalizeAddress(request.organizer) !== user) return sendDavError(reply, 403, CALDAV, 'organizer-allowed', `The ORGANIZER must be you (${user}).`);
  if (request.attendees.length === 0 || request.attendees.length > MAX_RECIPIENTS) {
    return sendDavError(reply, 403, CALDAV, 'valid-calendar-data', `Name between 1 and ${MAX_RECIPIENTS} ATTENDEEs.`);
  }
  const given = request.component.getFirstPropertyValue('uid');
  const uid = typeof given === 'string' && given !== '' ? given : `freebusy-${randomBytes(12).toString('hex')}@${addressDomain(user) || 'localhost'}`;
  const roles = new Map<string, string | undefined>();
  for (const attendee of request.attendees) if (!roles.has(attendee)) roles.set(attendee, await store.getRole(attendee));
  const remote = new Set(request.attendees.filter((attendee) => attendee !== user && roles.get(attendee) === undefined && isElsewhere(attendee, localDomains)));
  if (remote.size > 0) {
    const at = formatUtc(now);
    const ics = remoteRequestText(request, uid, remote, now);
    try {
      // A store of its own per POST: the same UID may be asked again, each time a new message.
      const key = `caldav-freebusy:${uid}:${randomBytes(6).toString('hex')}`;
      await store.transact(user, (tx) => {
        applyEffects(tx, [{ type: 'send', method: 'REQUEST', uid, to: [...remote], ics }], { messageId: key, messageKey: key, received: at }, { next: 0 });
      });
    } catch (error) {
      return sendText(reply, 503, `The request for the busy time of others could not be queued (${(error as Error).message}); nothing was sent. Try again later.`);
    }
    queued?.();
  }
  const responses: string[] = [];
  for (const attendee of request.attendees) {
    let status: string;
    let data = '';
    if (remote.has(attendee)) status = `${SCHEDULE_STATUS.SENT};Sent`;
    else if (roles.get(attendee) === undefined) status = '3.7;Invalid calendar user';
    else if (attendee !== user && !sharesFreeBusy(await store.getPrefs(attendee))) status = '3.8;No authority';
    else {
      status = '2.0;Success';
      data = textEl(CALDAV, 'calendar-data', await freeBusyText(store, attendee, { from: request.from, to: request.to }, { method: 'REPLY', organizer: user, attendee, now, uid }));
    }
    responses.push(el(CALDAV, 'response', el(CALDAV, 'recipient', textEl(DAV, 'href', attendee)) + textEl(CALDAV, 'request-status', status) + data));
  }
  return reply.code(200).type('application/xml; charset=utf-8').send(documentOf(CALDAV, 'schedule-response', responses.join('')));
}

export { escapeXml };

// POST of a VFREEBUSY request to the scheduling outbox (RFC 6638 section 5):
// the busy time of each ATTENDEE that is a calendar user here, answered at
// once in a schedule-response. Another user's busy time is shown only when
// they share it (freebusy_sharing=share), the same rule as a request by mail;
// addresses elsewhere are not asked (their calendars are not ours to read).

import type { FastifyReply } from 'fastify';
import { attendeesOf, calendarMethod, parseCalendar, organizerOf } from '../../ical/calendar.js';
import { normalizeAddress } from '../../ical/address.js';
import { propertyInstant } from '../../ical/times.js';
import { ZoneResolver } from '../../ical/zones.js';
import { sharesFreeBusy } from '../../itip/preferences.js';
import type { Store } from '../../store/store.js';
import { freeBusyText } from './freebusy.js';
import { sendDavError } from './multistatus.js';
import { CALDAV, documentOf, el, escapeXml, textEl, DAV } from './xml.js';

/** Most recipients one request may name. */
const MAX_RECIPIENTS = 100;

export function postFreeBusy(reply: FastifyReply, options: { store: Store; user: string; body: string; now: number }): FastifyReply {
  const { store, user, body, now } = options;
  let request;
  try {
    const vcalendar = parseCalendar(body);
    const component = vcalendar.getFirstSubcomponent('vfreebusy');
    if (calendarMethod(vcalendar) !== 'REQUEST' || !component) throw new Error('not a VFREEBUSY REQUEST');
    const zones = new ZoneResolver(vcalendar, null);
    const from = propertyInstant(component.getFirstProperty('dtstart'), zones);
    const to = propertyInstant(component.getFirstProperty('dtend'), zones);
    if (from === undefined || to === undefined || !(to > from)) throw new Error('DTSTART and DTEND are needed, DTEND after DTSTART');
    request = { component, from, to, organizer: organizerOf(component), attendees: attendeesOf(component).map((a) => a.address) };
  } catch (error) {
    return sendDavError(reply, 403, CALDAV, 'valid-calendar-data', `The outbox takes a METHOD:REQUEST VFREEBUSY (RFC 6638 section 5): ${(error as Error).message}.`);
  }
  // Only the user may ask in their own name (RFC 6638 section 3.2.5 organizer-allowed).
  if (normalizeAddress(request.organizer) !== user) return sendDavError(reply, 403, CALDAV, 'organizer-allowed', `The ORGANIZER must be you (${user}).`);
  if (request.attendees.length === 0 || request.attendees.length > MAX_RECIPIENTS) {
    return sendDavError(reply, 403, CALDAV, 'valid-calendar-data', `Name between 1 and ${MAX_RECIPIENTS} ATTENDEEs.`);
  }
  const uid = request.component.getFirstPropertyValue('uid');
  const responses = request.attendees.map((attendee) => {
    let status: string;
    let data = '';
    if (store.getRole(attendee) === undefined) status = '3.7;Invalid calendar user';
    else if (attendee !== user && !sharesFreeBusy(store.getPrefs(attendee))) status = '3.8;No authority';
    else {
      status = '2.0;Success';
      data = textEl(CALDAV, 'calendar-data', freeBusyText(store, attendee, { from: request.from, to: request.to }, { method: 'REPLY', organizer: user, attendee, now, ...(typeof uid === 'string' ? { uid } : {}) }));
    }
    return el(CALDAV, 'response', el(CALDAV, 'recipient', textEl(DAV, 'href', attendee)) + textEl(CALDAV, 'request-status', status) + data);
  });
  return reply.code(200).type('application/xml; charset=utf-8').send(documentOf(CALDAV, 'schedule-response', responses.join('')));
}

export { escapeXml };

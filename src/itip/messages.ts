// iTIP messages the core generates (RFC 5546 section 3.2): the text goes to the
// outbox as a `send` effect; the transport turns it into iMIP mail.

import ICAL from 'ical.js';
import { cloneComponent, newCalendar } from '../ical/calendar.js';
import { mailAddress } from '../ical/address.js';
import { utcTime } from '../ical/times.js';
import type { CalendarObject } from './calendar-object.js';
import type { Context } from './context.js';
import type { Effect } from './effects.js';

function addressProperty(name: 'organizer' | 'attendee', address: string): ICAL.Property {
  const prop = new ICAL.Property(name);
  prop.setValue(`mailto:${mailAddress(address)}`);
  return prop;
}

/**
 * REFRESH (RFC 5546 section 3.2.6): the attendee asks the organizer for the
 * current version of the event (or of one instance).
 */
export function refreshMessage(context: Context, organizer: string): Effect {
  const { input, incoming } = context;
  const vcalendar = newCalendar('REFRESH');
  const keys = incoming.keys().filter((k) => k !== '');
  const ridSources = keys.length > 0 ? keys.map((k) => incoming.get(k)!) : [undefined];
  for (const source of ridSources) {
    // A REFRESH names the kind it asks about: VEVENT, or VTODO (RFC 5546 section 3.4.6).
    const event = new ICAL.Component((source ?? incoming.list()[0])?.name ?? 'vevent');
    event.addPropertyWithValue('uid', input.uid);
    event.addPropertyWithValue('dtstamp', utcTime(input.now));
    event.addProperty(addressProperty('organizer', organizer));
    event.addProperty(addressProperty('attendee', input.user));
    const rid = source?.getFirstProperty('recurrence-id');
    if (rid) event.addProperty(ICAL.Property.fromString(rid.toICALString()));
    vcalendar.addSubcomponent(event);
  }
  return { type: 'send', method: 'REFRESH', uid: input.uid, to: [organizer], ics: vcalendar.toString() + '\r\n' };
}

/** Copies of the object's components fit to send: without the user's own alarms. */
export function sendableCopies(object: CalendarObject): ICAL.Component[] {
  return object.list().map((component) => {
    const copy = cloneComponent(component);
    copy.removeAllSubcomponents('valarm');
    return copy;
  });
}

/**
 * The organizer's current version of the event, for an attendee who asked with
 * REFRESH (RFC 5546 section 3.2.6): a REQUEST with a fresh DTSTAMP, without the
 * organizer's own alarms.
 */
export function currentRequest(context: Context, object: CalendarObject, attendee: string): Effect {
  const components = sendableCopies(object).map((copy) => {
    copy.updatePropertyWithValue('dtstamp', utcTime(context.input.now));
    return copy;
  });
  return {
    type: 'send',
    method: 'REQUEST',
    uid: context.input.uid,
    to: [attendee],
    ics: object.toMessage('REQUEST', components),
  };
}

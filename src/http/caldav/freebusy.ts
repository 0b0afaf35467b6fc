// Busy time as VFREEBUSY text: the answer of free-busy-query (RFC 4791
// section 7.10) and of a VFREEBUSY request POSTed to the outbox (RFC 6638
// section 5). Read from the store's own periods, which the agent keeps
// expanded for the free/busy window; FREE time is never stored.

import ICAL from 'ical.js';
import { newCalendar } from '../../ical/calendar.js';
import { formatUtc, parseInstant, utcTime } from '../../ical/times.js';
import type { Store } from '../../store/store.js';
import type { Range } from './time-range.js';

export interface FreeBusyOptions {
  method?: 'REPLY';
  uid?: string;
  organizer?: string;
  attendee?: string;
  now?: number;
}

export async function freeBusyComponent(store: Store, owner: string, range: Range, options: FreeBusyOptions = {}): Promise<ICAL.Component> {
  const vfreebusy = new ICAL.Component('vfreebusy');
  if (options.uid) vfreebusy.addPropertyWithValue('uid', options.uid);
  vfreebusy.addPropertyWithValue('dtstamp', utcTime(options.now ?? Date.now()));
  if (options.organizer) vfreebusy.addPropertyWithValue('organizer', options.organizer);
  if (options.attendee) vfreebusy.addPropertyWithValue('attendee', options.attendee);
  vfreebusy.addPropertyWithValue('dtstart', utcTime(range.from));
  vfreebusy.addPropertyWithValue('dtend', utcTime(range.to));
  const periods = await store.freeBusy(owner, { from: formatUtc(range.from), to: formatUtc(range.to) });
  for (const period of periods) {
    const start = Math.max(parseInstant(period.start), range.from);
    const end = Math.min(parseInstant(period.end), range.to);
    if (!(end > start)) continue;
    const prop = new ICAL.Property('freebusy');
    prop.setParameter('fbtype', period.fbtype);
    prop.setValue(ICAL.Period.fromData({ start: utcTime(start), end: utcTime(end) } as never));
    vfreebusy.addProperty(prop);
  }
  return vfreebusy;
}

export async function freeBusyText(store: Store, owner: string, range: Range, options: FreeBusyOptions = {}): Promise<string> {
  const calendar = newCalendar(options.method);
  calendar.addSubcomponent(await freeBusyComponent(store, owner, range, options));
  return calendar.toString();
}

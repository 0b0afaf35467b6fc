// Offers held (imip-agent's `freebusy_offers`): a resource that answers a clash
// with a COUNTER (RFC 5546 section 3.2.7) holds the slot it offers as
// tentatively busy for the duration the preference names, so that the
// organizer who takes the offer finds the slot still free, and nobody else
// is promised it meanwhile. The hold ends when the time is up (the upkeep,
// src/agent/offers-upkeep.ts), when the organizer declines the offer
// (DECLINECOUNTER), or when a new REQUEST for the event is decided (its own
// periods replace the hold). Without the preference nothing is held.
//
// The hold is derived from the stored counter entry (its offered DTSTART and
// DTEND, and when it was made), so that it needs nothing new in the store.

import ICAL from 'ical.js';
import { eventsOf, parseCalendar } from '../../ical/calendar.js';
import { formatUtc } from '../../ical/times.js';
import type { CounterEntry, Period, Preferences } from '../model.js';
import { SettingError, parseDuration } from './settings.js';

/** How long an offer holds its slot, in ms; undefined when `freebusy_offers` is not set (or cannot be read). */
export function offerHoldMs(prefs: Preferences): number | undefined {
  if (!prefs.freebusy_offers) return undefined;
  // imip-agent's users write days after the T (PT1D); `prefs` accepts that, so it is read here too.
  const text = prefs.freebusy_offers.trim().toUpperCase().replace(/^PT(\d+)D/, 'P$1DT').replace(/T$/, '');
  try {
    return parseDuration(text, 'freebusy_offers');
  } catch (error) {
    if (error instanceof SettingError) return undefined;
    throw error;
  }
}

/** Whether this counter entry is the user's own offer whose hold is over at `now`. */
export function offerExpired(entry: CounterEntry, user: string, prefs: Preferences, now: number): boolean {
  const hold = offerHoldMs(prefs);
  // Without freebusy_offers an offer holds nothing, and stays open until answered.
  if (entry.attendee !== user || hold === undefined) return false;
  return Date.parse(entry.received) + hold <= now;
}

/** The tentative period the user's own offer holds at `now`, or undefined (another's proposal, no hold, or over). */
export function heldOffer(entry: CounterEntry, user: string, prefs: Preferences, now: number): Period | undefined {
  if (entry.attendee !== user || offerHoldMs(prefs) === undefined || offerExpired(entry, user, prefs, now)) return undefined;
  const slot = offeredSlot(entry.ics);
  if (!slot) return undefined;
  return { start: formatUtc(slot.start), end: formatUtc(slot.end), fbtype: 'BUSY-TENTATIVE', uid: entry.uid, recurrenceId: entry.recurrenceId };
}

/** The offered slot of a COUNTER the resource wrote (src/itip/resource/answers.ts: times in UTC). */
function offeredSlot(ics: string): { start: number; end: number } | undefined {
  try {
    const event = eventsOf(parseCalendar(ics))[0];
    const start = event?.getFirstPropertyValue('dtstart');
    const end = event?.getFirstPropertyValue('dtend');
    if (!(start instanceof ICAL.Time) || !(end instanceof ICAL.Time)) return undefined;
    return { start: start.toUnixTime() * 1000, end: end.toUnixTime() * 1000 };
  } catch {
    return undefined;
  }
}

/** Own periods of a UID with the holds of the user's offers still running added. */
export function withHeldOffers(periods: Period[], counters: readonly CounterEntry[], user: string, prefs: Preferences, now: number): Period[] {
  const held = counters.map((entry) => heldOffer(entry, user, prefs, now)).filter((p): p is Period => !!p);
  return held.length === 0 ? periods : [...periods, ...held].sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
}

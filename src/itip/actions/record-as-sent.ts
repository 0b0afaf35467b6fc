// An action changes the user's own store the way mail the user sent would
// (the outgoing rule, src/itip/outgoing/): it builds the message the user's
// calendar program would have sent and runs it through schedule() as
// outgoing, so the object, the own free/busy and the request entries come out
// exactly as for that mail. storeObject() serves the changes no message
// records (an EXDATE the attendee adds, an alarm), with the same effects the
// core makes for every stored object.

import type ICAL from 'ical.js';
import { scheduledComponentsOf, newCalendar, parseCalendar, uidOf } from '../../ical/calendar.js';
import { userZone, type Zone } from '../../ical/zones.js';
import { CalendarObject } from '../calendar-object.js';
import { makeContext, objectEffects } from '../context.js';
import type { Effect, ItipInput, ItipResult } from '../effects.js';
import type { Method } from '../model.js';
import { zoneOf } from '../preferences.js';
import { schedule } from '../schedule.js';
import type { ActionInput } from './action.js';

/** The zone floating times and dates are read in: the user's (RFC 5545 section 3.3.5). */
export function floatingZone(input: ActionInput): Zone | null {
  return userZone(zoneOf(input.prefs));
}

/** The stored copy of the action's UID, parsed (undefined when nothing is stored). */
export function storedObject(input: ActionInput): CalendarObject | undefined {
  return input.stored ? CalendarObject.fromStored(input.stored, floatingZone(input)) : undefined;
}

/** The core's input for a message the user sends now, about `uid`, from `ics`. */
export function sentInput(input: ActionInput, uid: string, method: Method, ics: string): ItipInput {
  return sentInputOf(input, uid, method, parseCalendar(ics));
}

/** The same for a calendar already parsed. */
export function sentInputOf(input: ActionInput, uid: string, method: Method, message: ICAL.Component): ItipInput {
  return {
    method,
    uid,
    message,
    components: scheduledComponentsOf(message).filter((event) => uidOf(event) === uid),
    user: input.user,
    role: input.role,
    prefs: input.prefs,
    // Mail the user sends is theirs: the MTA bound it at submission (src/itip/rules/sender.ts).
    sender: { addresses: [input.user] },
    direction: 'outgoing',
    now: input.now,
    ...(input.stored ? { stored: input.stored } : {}),
    counters: input.counters,
    ...(input.expansionLimits ? { expansionLimits: input.expansionLimits } : {}),
  };
}

/** What the outgoing rule stores for this message, as if the user had mailed it. */
export function recordAsSent(input: ActionInput, uid: string, method: Method, ics: string): ItipResult {
  return schedule(sentInput(input, uid, method, ics));
}

/**
 * Effects that store `object` as the user's copy, with the own and others'
 * periods it implies (src/itip/freebusy/periods.ts), and what the journal
 * should add (an expansion cut short).
 */
export function storeObject(input: ActionInput, object: CalendarObject): { effects: Effect[]; notes: string[] } {
  const context = makeContext(sentInput(input, object.uid, 'REPLY', newCalendar('REPLY').toString()));
  const effects = objectEffects(context, object);
  return { effects, notes: context.notes };
}

/**
 * What schedule() added to its reason after the first "; ": the notes of the
 * core (a VTIMEZONE not used, an expansion cut short), for the action's reason.
 */
export function notesOf(recorded: ItipResult): string {
  const at = recorded.reason.indexOf('; ');
  return at < 0 ? '' : recorded.reason.slice(at);
}

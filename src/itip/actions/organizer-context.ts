// What the organizer's actions share: a Context for the core's helpers (the
// same one a message gets, so that objectEffects stores the object and its
// free/busy exactly as the receiving side does), recurrence ids as the command
// line writes them, and the journal notes the helpers leave.

import type ICAL from 'ical.js';
import { scheduledComponentsOf, newCalendar, uidOf } from '../../ical/calendar.js';
import { formatUtc, parseInstant } from '../../ical/times.js';
import { type Context, makeContext } from '../context.js';
import type { ItipInput, ItipResult } from '../effects.js';
import type { ActionInput } from './action.js';
import { sentInputOf } from './record-as-sent.js';

/**
 * A Context for an action on `uid`, as for mail the user sent (direction
 * outgoing): `calendar` is the user's new version when there is one (its
 * VTIMEZONEs count), else an empty VCALENDAR.
 */
export function actionContext(input: ActionInput, uid: string, calendar?: ICAL.Component): Context {
  return makeContext(sentInputOf(input, uid, 'REQUEST', calendar ?? newCalendar()));
}

/** The result with what the core's helpers noted along the way (an expansion cut short). */
export function withNotes(outcome: ItipResult, context: Context): ItipResult {
  if (context.notes.length === 0) return outcome;
  return { ...outcome, reason: `${outcome.reason}; ${context.notes.join('; ')}` };
}

/**
 * A recurrence id as the user gives it, as a recurrence key: an instant in
 * ISO 8601 (`2026-12-01T09:00:00Z`) or iCalendar form (`20261201T090000Z`),
 * or a date (`2026-12-01`, `20261201`) for an all-day series. Undefined when
 * it is neither.
 */
export function recurrenceKeyOf(text: string): string | undefined {
  const trimmed = text.trim();
  const date = /^(\d{4})-?(\d{2})-?(\d{2})$/.exec(trimmed);
  if (date) return `${date[1]}-${date[2]}-${date[3]}`;
  const basic = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(trimmed);
  const iso = basic ? `${basic[1]}-${basic[2]}-${basic[3]}T${basic[4]}:${basic[5]}:${basic[6]}Z` : trimmed;
  // Only an instant: a time without a zone would be read in this machine's zone.
  if (!/(Z|[+-]\d{2}:?\d{2})$/i.test(iso)) return undefined;
  const instant = parseInstant(iso);
  return Number.isFinite(instant) ? formatUtc(instant) : undefined;
}

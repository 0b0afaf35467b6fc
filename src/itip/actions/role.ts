// Which side of an event the acting user is on, which decides how an action
// is scheduled (RFC 6638 section 3.2: the organizer's changes go out as
// REQUEST and CANCEL, an attendee's as REPLY), and which actions each side may
// take at all.

import type ICAL from 'ical.js';
import { attendeesOf, scheduledComponentsOf, organizerOf, parseCalendar, uidOf } from '../../ical/calendar.js';
import type { ActionInput, ActionKind } from './action.js';

export type ActingRole = { kind: 'organizer' } | { kind: 'attendee' } | { kind: 'problem'; reason: string };

const ATTENDEE_ONLY: ReadonlySet<ActionKind> = new Set(['respond', 'delegate', 'propose', 'ask-refresh']);
const ORGANIZER_ONLY: ReadonlySet<ActionKind> = new Set(['counter-accept', 'counter-decline', 'refresh-answer']);

/** The VEVENTs of one UID in a calendar text (all of them when uid is undefined). */
export function componentsOf(ics: string, uid?: string): ICAL.Component[] {
  return scheduledComponentsOf(parseCalendar(ics)).filter((event) => uid === undefined || uidOf(event) === uid);
}

function organizerIn(components: ICAL.Component[]): string | undefined {
  for (const component of components) {
    const organizer = organizerOf(component);
    if (organizer) return organizer;
  }
  return undefined;
}

function attends(components: ICAL.Component[], user: string): boolean {
  return components.some((component) => attendeesOf(component).some((attendee) => attendee.address === user));
}

/**
 * The organizer's side when the user is the ORGANIZER, or when the event names
 * none (a personal event, scheduled with nobody); the attendee's side otherwise.
 */
export function actingRole(input: ActionInput): ActingRole {
  const { action, user, stored } = input;
  const storedComponents = stored ? componentsOf(stored.ics, stored.uid) : [];
  if (action.kind === 'put') {
    const incoming = componentsOf(action.ics);
    const organizer = organizerIn(incoming) ?? organizerIn(storedComponents);
    return !organizer || organizer === user ? { kind: 'organizer' } : { kind: 'attendee' };
  }
  if (!stored) return { kind: 'problem', reason: `there is no event ${action.uid} in the calendar of ${user}` };
  const organizer = organizerIn(storedComponents);
  const organizes = !organizer || organizer === user;
  if (ATTENDEE_ONLY.has(action.kind)) {
    if (organizes) return { kind: 'problem', reason: `${user} organizes ${action.uid}; only an attendee can ${describe(action.kind)}` };
    if (!attends(storedComponents, user)) return { kind: 'problem', reason: `${user} is not among the attendees of ${action.uid}` };
    return { kind: 'attendee' };
  }
  if (ORGANIZER_ONLY.has(action.kind)) {
    if (!organizes) return { kind: 'problem', reason: `${action.uid} is organized by ${organizer}; only the organizer can ${describe(action.kind)}` };
    return { kind: 'organizer' };
  }
  return organizes ? { kind: 'organizer' } : { kind: 'attendee' };
}

function describe(kind: ActionKind): string {
  switch (kind) {
    case 'respond':
      return 'answer it';
    case 'delegate':
      return 'delegate it';
    case 'propose':
      return 'propose another time';
    case 'ask-refresh':
      return 'ask for the current version';
    case 'counter-accept':
    case 'counter-decline':
      return 'answer a proposal';
    case 'refresh-answer':
      return 'answer a refresh';
    default:
      return kind;
  }
}

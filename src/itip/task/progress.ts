// Tasks (VTODO, RFC 5546 section 3.4) are scheduled as events are, with what
// sets a to-do apart kept here:
// - an assignee reports progress in its REPLY (section 3.4.3): PARTSTAT
//   IN-PROCESS or COMPLETED (RFC 5545 section 3.2.12 allows both for VTODO
//   only), with PERCENT-COMPLETE (RFC 5545 section 3.8.1.8) and COMPLETED
//   (section 3.8.2.1) on the VTODO. The organizer's copy takes both, so it
//   shows how far the assigned work is;
// - a task blocks no time: free/busy is made of events only (RFC 5545 section
//   3.6.4 speaks of busy time of events, and a CalDAV free-busy-query reads
//   VEVENTs alone, RFC 4791 section 7.10), see src/itip/freebusy/periods.ts.

import ICAL from 'ical.js';
import { isTask } from '../../ical/calendar.js';

/** The VTODO properties an assignee's REPLY reports on, besides its PARTSTAT. */
export const PROGRESS_PROPERTIES = ['percent-complete', 'completed'] as const;

/**
 * Copies PERCENT-COMPLETE and COMPLETED of a REPLY's VTODO onto the stored
 * one. What the reply leaves out stays as stored: a plain ACCEPTED does not
 * undo progress reported before. Nothing happens for a VEVENT.
 */
export function takeTaskProgress(target: ICAL.Component, reply: ICAL.Component): string[] {
  if (!isTask(target) || !isTask(reply)) return [];
  const taken: string[] = [];
  for (const name of PROGRESS_PROPERTIES) {
    const prop = reply.getFirstProperty(name);
    if (!prop) continue;
    target.removeAllProperties(name);
    target.addProperty(ICAL.Property.fromString(prop.toICALString()));
    taken.push(`${name.toUpperCase()} ${String(prop.getFirstValue())}`);
  }
  return taken;
}

/** The answers an assignee may give a task beyond those of an event (RFC 5545 section 3.2.12). */
export const TASK_ONLY_ANSWERS = ['IN-PROCESS', 'COMPLETED'] as const;
export type TaskOnlyAnswer = (typeof TASK_ONLY_ANSWERS)[number];

/**
 * The progress a respond action reports with a task answer: COMPLETED says
 * 100 per cent and when (now, in UTC as RFC 5545 section 3.8.2.1 requires).
 */
export function progressFor(partstat: string, now: ICAL.Time, percent?: number): ICAL.Property[] {
  const props: ICAL.Property[] = [];
  if (partstat === 'COMPLETED') {
    const completed = new ICAL.Property('completed');
    completed.setValue(now);
    props.push(completed);
    percent = 100;
  }
  if (percent !== undefined) {
    const prop = new ICAL.Property('percent-complete');
    prop.setValue(Math.max(0, Math.min(100, Math.round(percent))));
    props.push(prop);
  }
  return props;
}

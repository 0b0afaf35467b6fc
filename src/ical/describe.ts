// A stored calendar object described per component, in the JSON shape of
// `itip-agent objects --json`: times in UTC (ISO 8601) or as dates for all-day
// events, addresses as lower-case mailto: URIs.

import ICAL from 'ical.js';
import { attendeesOf, scheduledComponentsOf, organizerOf, parseCalendar, recurrenceKey, sequenceOf, textOf, timeKey, uidOf } from './calendar.js';
import { formatDate, formatUtc, instantOf, tzidOf } from './times.js';
import { ZoneResolver, userZone } from './zones.js';
import { compareText } from './text-order.js';

export interface ComponentSummary {
  uid: string;
  recurrenceId: string | null;
  component: string;
  sequence: number;
  status: string | null;
  summary: string | null;
  organizer: string | null;
  attendees: Array<{ address: string; partstat: string }>;
  start: string | null;
  end: string | null;
  rrule: string | null;
  exdates: string[];
}

function timeText(prop: ICAL.Property | null, zones: ZoneResolver): string | null {
  const value = prop?.getFirstValue();
  if (!(value instanceof ICAL.Time)) return null;
  return value.isDate ? formatDate(value) : formatUtc(instantOf(value, tzidOf(prop), zones));
}

/** DTEND, or a task's DUE (RFC 5545 section 3.6.2), else DTSTART plus DURATION. */
function endText(event: ICAL.Component, zones: ZoneResolver): string | null {
  const dtend = event.getFirstProperty('dtend') ?? event.getFirstProperty('due');
  if (dtend) return timeText(dtend, zones);
  const dtstart = event.getFirstProperty('dtstart');
  const start = dtstart?.getFirstValue();
  if (!(start instanceof ICAL.Time)) return null;
  const duration = event.getFirstPropertyValue('duration');
  const seconds = duration instanceof ICAL.Duration ? duration.toSeconds() : start.isDate ? 86_400 : 0;
  if (start.isDate) {
    const end = start.clone();
    end.addDuration(ICAL.Duration.fromSeconds(seconds));
    return formatDate(end);
  }
  return formatUtc(instantOf(start, tzidOf(dtstart), zones) + seconds * 1000);
}

export function describeComponent(event: ICAL.Component, zones: ZoneResolver): ComponentSummary {
  const key = recurrenceKey(event, zones);
  const exdates: string[] = [];
  for (const prop of event.getAllProperties('exdate')) {
    for (const value of prop.getValues()) {
      if (value instanceof ICAL.Time) exdates.push(timeKey(value, tzidOf(prop), zones));
    }
  }
  const rrule = event.getFirstPropertyValue('rrule');
  const status = textOf(event, 'status');
  return {
    uid: uidOf(event) ?? '',
    recurrenceId: key === '' ? null : key,
    component: event.name.toUpperCase(),
    sequence: sequenceOf(event),
    status: status ? status.toUpperCase() : null,
    summary: textOf(event, 'summary') ?? null,
    organizer: organizerOf(event) ?? null,
    attendees: attendeesOf(event)
      .map((a) => ({ address: a.address, partstat: a.partstat }))
      .sort((a, b) => compareText(a.address, b.address)),
    start: timeText(event.getFirstProperty('dtstart'), zones),
    end: endText(event, zones),
    rrule: rrule instanceof ICAL.Recur ? rrule.toString() : null,
    exdates: [...new Set(exdates)].sort(),
  };
}

/**
 * Describes every VEVENT or VTODO of a stored object, master first, then overrides by
 * recurrence id. `tzid` is the user's zone for floating times and dates.
 */
export function describeObject(ics: string, tzid?: string): ComponentSummary[] {
  const vcalendar = parseCalendar(ics);
  const zones = new ZoneResolver(vcalendar, userZone(tzid));
  return scheduledComponentsOf(vcalendar)
    .map((event) => describeComponent(event, zones))
    .sort((a, b) => compareText(a.recurrenceId ?? '', b.recurrenceId ?? ''));
}

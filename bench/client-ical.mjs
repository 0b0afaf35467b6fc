// The iCalendar text of a scheduling message as each client writes it: the
// property order, parameters and X- properties of Outlook/Exchange, Google
// Calendar, Apple Calendar and Thunderbird (see test/fixtures/mail/README.md
// for the real messages these follow).
//
// An event (bench/generate.mjs keeps them) is
//   { uid, client, variant, organizer: {email, name}, attendees: [{email, name, role}],
//     summary, location, description, zone, allDay, startWall, minutes,
//     rule: null | {freq, interval, byday, bymonthday, count, until, instances},
//     sequence, created, overrides: Map(k -> {shift, sequence}), outlookId }
// with wall times kept as epoch ms of the local fields (bench/zones.mjs).

import { formatDate, formatUtc, formatWall, tzidFor, vtimezone, wallToUtc } from './zones.mjs';

const DAY = 86_400_000;
const WEEKDAYS = ['SU', 'MO', 'TU', 'WE', 'TH', 'FR', 'SA'];

/** The wall-clock start of instance k of a series (0 is the first). */
export function instanceWall(event, k) {
  const { rule, startWall } = event;
  if (!rule || k === 0) return startWall;
  if (rule.freq === 'DAILY') return startWall + k * rule.interval * DAY;
  if (rule.freq === 'WEEKLY') return startWall + k * 7 * rule.interval * DAY;
  const d = new Date(startWall);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + k * rule.interval, d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes());
}

/** The weekday code of a wall time (RFC 5545 section 3.3.10). */
export const weekdayOf = (wallMs) => WEEKDAYS[new Date(wallMs).getUTCDay()];

/** RFC 5545 section 3.3.11: backslash, semicolon, comma and newline escaped. */
export const escapeText = (text) => text.replace(/[\\;,]/g, (c) => `\\${c}`).replace(/\r?\n/g, '\\n');

/** Folds a content line at `width` octets (section 3.1), never inside a UTF-8 sequence. */
export function fold(line, width = 75) {
  if (Buffer.byteLength(line) <= width) return line;
  const out = [];
  let current = '';
  let bytes = 0;
  let limit = width;
  for (const char of line) {
    const size = Buffer.byteLength(char);
    if (bytes + size > limit) {
      out.push(current);
      current = ' ';
      bytes = 1;
      limit = width;
    }
    current += char;
    bytes += size;
  }
  out.push(current);
  return out.join('\r\n');
}

const FOLD = { outlook: 74, google: 75, apple: 72, thunderbird: 75 };

/** Start and end of the master (k === null) or of instance k, wall and UTC, overrides applied. */
function timesOf(event, k) {
  const base = k === null ? event.startWall : instanceWall(event, k);
  const shift = k === null ? 0 : (event.overrides.get(k)?.shift ?? 0);
  const startWall = base + shift * 60_000;
  const endWall = startWall + (event.allDay ? DAY : event.minutes * 60_000);
  return { startWall, endWall, startUtc: wallToUtc(event.zone, startWall), endUtc: wallToUtc(event.zone, endWall), originalWall: base };
}

/** A DATE-TIME property: all-day as DATE, `utc` in UTC, otherwise with the client's TZID. */
function timeProp(name, event, style, wall, utc) {
  if (event.allDay) return `${name};VALUE=DATE:${formatDate(wall)}`;
  if (style === 'utc') return `${name}:${formatUtc(utc)}`;
  const tzid = tzidFor(style === 'outlook' ? 'outlook' : 'olson', event.zone);
  const quoted = event.variant === 'desktop-notz' && style === 'outlook' ? `"${tzid}"` : tzid;
  return `${name};TZID=${quoted}:${formatWall(wall)}`;
}

function rruleOf(event, client) {
  const { rule } = event;
  const end = rule.count ? `COUNT=${rule.count}` : rule.until ? `UNTIL=${formatUtc(wallToUtc(event.zone, instanceWall(event, rule.until)))}` : '';
  const by = rule.freq === 'MONTHLY' ? `BYMONTHDAY=${rule.bymonthday}` : rule.freq === 'WEEKLY' ? `BYDAY=${rule.byday}` : '';
  const interval = rule.interval > 1 || client === 'outlook' ? `INTERVAL=${rule.interval}` : '';
  const parts = client === 'outlook' ? [`FREQ=${rule.freq}`, end, interval, by, 'WKST=MO'] : [`FREQ=${rule.freq}`, interval, end, by];
  return `RRULE:${parts.filter(Boolean).join(';')}`;
}

/** The TZ style of a client's times; Google writes instance ids (and an instance's REPLY) in UTC. */
const styleOf = (client) => (client === 'outlook' ? 'outlook' : 'olson');

function recurrenceId(event, client, k) {
  const { originalWall } = timesOf(event, k);
  return timeProp('RECURRENCE-ID', event, client === 'google' ? 'utc' : styleOf(client), originalWall, wallToUtc(event.zone, originalWall));
}

// --- one VEVENT per client ---------------------------------------------------

function outlookEvent(m, event, k) {
  const { method, replier } = m;
  const t = timesOf(event, k);
  const lang = (name, value) => `${name};LANGUAGE=en-US:${escapeText(value)}`;
  const people =
    method === 'REPLY'
      ? [`ATTENDEE;PARTSTAT=${replier.partstat};CN=${replier.name}:mailto:${replier.email}`, lang('COMMENT', '\n')]
      : [
          `ORGANIZER;CN=${event.organizer.name}:mailto:${event.organizer.email}`,
          ...event.attendees.map((a) => `ATTENDEE;ROLE=${a.role};PARTSTAT=NEEDS-ACTION;RSVP=TRUE;CN=${a.name}:mailto:${a.email}`),
          lang('DESCRIPTION', event.description),
        ];
  const prefix = { REQUEST: '', CANCEL: 'Canceled: ', REPLY: `${{ ACCEPTED: 'Accepted', DECLINED: 'Declined', TENTATIVE: 'Tentative' }[replier?.partstat]}: ` }[method];
  const instType = k !== null ? 3 : event.rule ? 1 : 0;
  return [
    ...people,
    ...(event.rule && k === null ? [rruleOf(event, 'outlook')] : []),
    `UID:${event.uid}`,
    ...(k !== null ? [recurrenceId(event, 'outlook', k)] : []),
    lang('SUMMARY', prefix + event.summary),
    timeProp('DTSTART', event, 'outlook', t.startWall, t.startUtc),
    timeProp('DTEND', event, 'outlook', t.endWall, t.endUtc),
    'CLASS:PUBLIC',
    `PRIORITY:${method === 'CANCEL' ? 1 : 5}`,
    `DTSTAMP:${formatUtc(m.stamp)}`,
    'TRANSP:OPAQUE',
    `STATUS:${method === 'CANCEL' ? 'CANCELLED' : 'CONFIRMED'}`,
    `SEQUENCE:${m.sequence}`,
    lang('LOCATION', event.location),
    `X-MICROSOFT-CDO-APPT-SEQUENCE:${m.sequence}`,
    `X-MICROSOFT-CDO-OWNERAPPTID:${event.outlookId}`,
    `X-MICROSOFT-CDO-BUSYSTATUS:${method === 'CANCEL' ? 'FREE' : method === 'REPLY' ? 'BUSY' : 'TENTATIVE'}`,
    'X-MICROSOFT-CDO-INTENDEDSTATUS:BUSY',
    `X-MICROSOFT-CDO-ALLDAYEVENT:${event.allDay ? 'TRUE' : 'FALSE'}`,
    'X-MICROSOFT-CDO-IMPORTANCE:1',
    `X-MICROSOFT-CDO-INSTTYPE:${instType}`,
    'X-MICROSOFT-DONOTFORWARDMEETING:FALSE',
    'X-MICROSOFT-DISALLOW-COUNTER:FALSE',
    'X-MICROSOFT-REQUESTEDATTENDANCEMODE:DEFAULT',
    `X-MICROSOFT-ISRESPONSEREQUESTED:${method === 'REQUEST' ? 'TRUE' : 'FALSE'}`,
    ...(method === 'REQUEST'
      ? [
          `X-MICROSOFT-LOCATIONS:[ { "DisplayName" : "${event.location}"\\, "LocationAnnotation" : ""\\, "LocationSource" : 0\\, "Unresolved" : false\\, "LocationUri" : "" } ]`,
          'BEGIN:VALARM', 'DESCRIPTION:REMINDER', 'TRIGGER;RELATED=START:-PT15M', 'ACTION:DISPLAY', 'END:VALARM',
        ]
      : []),
  ];
}

function googleAttendee(a, partstat, rsvp) {
  return `ATTENDEE;CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;PARTSTAT=${partstat};${rsvp ? 'RSVP=TRUE;' : ''}CN=${a.name};X-NUM-GUESTS=0:mailto:${a.email}`;
}

function googleEvent(m, event, k) {
  const { method, replier } = m;
  const t = timesOf(event, k);
  // An instance's REPLY carries its times in UTC and no VTIMEZONE.
  const style = method === 'REPLY' && k !== null ? 'utc' : 'olson';
  const attendees =
    method === 'REPLY'
      ? [googleAttendee(replier, replier.partstat, false)]
      : [googleAttendee(event.organizer, 'ACCEPTED', false), ...event.attendees.map((a) => googleAttendee(a, 'NEEDS-ACTION', true))];
  return [
    timeProp('DTSTART', event, style, t.startWall, t.startUtc),
    timeProp('DTEND', event, style, t.endWall, t.endUtc),
    ...(event.rule && k === null ? [rruleOf(event, 'google')] : []),
    `DTSTAMP:${formatUtc(m.stamp)}`,
    `ORGANIZER;CN=${event.organizer.name}:mailto:${event.organizer.email}`,
    `UID:${event.uid}`,
    ...attendees,
    ...(k !== null ? [recurrenceId(event, 'google', k)] : []),
    ...(method === 'REPLY' ? [] : [`X-MICROSOFT-CDO-OWNERAPPTID:${event.outlookId}`]),
    `CREATED:${formatUtc(event.created)}`,
    `DESCRIPTION:${escapeText(event.description)}`,
    `LAST-MODIFIED:${formatUtc(m.stamp - 2000)}`,
    `LOCATION:${escapeText(event.location)}`,
    `SEQUENCE:${m.sequence}`,
    `STATUS:${method === 'CANCEL' ? 'CANCELLED' : 'CONFIRMED'}`,
    `SUMMARY:${escapeText(event.summary)}`,
    'TRANSP:OPAQUE',
    ...(method === 'REQUEST' ? ['BEGIN:VALARM', 'ACTION:DISPLAY', 'DESCRIPTION:This is an event reminder', 'TRIGGER:-P0DT0H10M0S', 'END:VALARM'] : []),
  ];
}

function appleParticipant(name, a, partstat, role, rsvp) {
  return `${name};CN=${a.name};CUTYPE=INDIVIDUAL;EMAIL=${a.email};PARTSTAT=${partstat};ROLE=${role}${rsvp ? ';RSVP=TRUE' : ''}:mailto:${a.email}`;
}

function appleEvent(m, event, k) {
  const { method, replier } = m;
  const t = timesOf(event, k);
  const people =
    method === 'REPLY'
      ? [appleParticipant('ATTENDEE', replier, replier.partstat, 'REQ-PARTICIPANT', false)]
      : [
          appleParticipant('ATTENDEE', event.organizer, 'ACCEPTED', 'CHAIR', false),
          ...event.attendees.map((a) => appleParticipant('ATTENDEE', a, 'NEEDS-ACTION', a.role, true)),
        ];
  return [
    'TRANSP:OPAQUE',
    timeProp('DTEND', event, 'olson', t.endWall, t.endUtc),
    `UID:${event.uid}`,
    `DTSTAMP:${formatUtc(m.stamp)}`,
    ...(event.location ? [`LOCATION:${escapeText(event.location)}`] : []),
    ...(event.description && method !== 'REPLY' ? [`DESCRIPTION:${escapeText(event.description)}`] : []),
    'X-APPLE-TRAVEL-ADVISORY-BEHAVIOR:AUTOMATIC',
    `SEQUENCE:${m.sequence}`,
    ...(k !== null ? [recurrenceId(event, 'apple', k)] : []),
    'X-APPLE-CREATOR-IDENTITY:com.apple.calendar',
    'X-APPLE-CREATOR-TEAM-IDENTITY:0000000000',
    `SUMMARY:${escapeText(event.summary)}`,
    `LAST-MODIFIED:${formatUtc(m.stamp - 17_000)}`,
    `CREATED:${formatUtc(event.created)}`,
    timeProp('DTSTART', event, 'olson', t.startWall, t.startUtc),
    ...(event.rule && k === null ? [rruleOf(event, 'apple')] : []),
    ...(method === 'CANCEL' ? ['STATUS:CANCELLED'] : []),
    `ORGANIZER;CN=${event.organizer.name};EMAIL=${event.organizer.email}:mailto:${event.organizer.email}`,
    ...people,
    ...(method === 'REQUEST' && event.location
      ? [`X-APPLE-STRUCTURED-LOCATION;VALUE=URI;X-ADDRESS="${event.location.replace(/"/g, '')}";X-APPLE-RADIUS=70.59;X-APPLE-REFERENCEFRAME=1;X-TITLE="${event.location.replace(/"/g, '')}":geo:48.854052,2.332823`]
      : []),
    ...(method === 'REQUEST'
      ? ['BEGIN:VALARM', `X-WR-ALARMUID:${event.alarmUid}`, `UID:${event.alarmUid}`, 'TRIGGER:-PT30M', 'DESCRIPTION:Reminder', 'ACTION:DISPLAY', 'X-APPLE-DEFAULT-ALARM:TRUE', 'END:VALARM']
      : []),
  ];
}

function thunderbirdEvent(m, event, k) {
  const { method, replier } = m;
  const t = timesOf(event, k);
  const person = (a, partstat, role) => `ATTENDEE;RSVP=TRUE;CN=${a.name};PARTSTAT=${partstat};ROLE=${role}:mailto:${a.email}`;
  const people =
    method === 'REPLY'
      ? [person(replier, replier.partstat, 'REQ-PARTICIPANT')]
      : [person(event.organizer, 'ACCEPTED', 'CHAIR'), ...event.attendees.map((a) => person(a, 'NEEDS-ACTION', a.role))];
  return [
    `CREATED:${formatUtc(event.created)}`,
    `LAST-MODIFIED:${formatUtc(m.stamp)}`,
    `DTSTAMP:${formatUtc(m.stamp)}`,
    `UID:${event.uid}`,
    `SUMMARY:${escapeText(event.summary)}`,
    `ORGANIZER;RSVP=TRUE;CN=${event.organizer.name};PARTSTAT=ACCEPTED;ROLE=CHAIR:mailto:${event.organizer.email}`,
    ...people,
    ...(k !== null ? [recurrenceId(event, 'thunderbird', k)] : []),
    ...(event.rule && k === null ? [rruleOf(event, 'thunderbird')] : []),
    timeProp('DTSTART', event, 'olson', t.startWall, t.startUtc),
    timeProp('DTEND', event, 'olson', t.endWall, t.endUtc),
    ...(event.location ? [`LOCATION:${escapeText(event.location)}`] : []),
    `DESCRIPTION:${escapeText(event.description)}`,
    `SEQUENCE:${m.sequence}`,
    `STATUS:${method === 'CANCEL' ? 'CANCELLED' : 'CONFIRMED'}`,
    'TRANSP:OPAQUE',
    'X-MOZ-SEND-INVITATIONS:TRUE',
    'X-MOZ-SEND-INVITATIONS-UNDISCLOSED:FALSE',
    ...(method === 'REQUEST' ? ['BEGIN:VALARM', 'ACTION:DISPLAY', 'TRIGGER;VALUE=DURATION:-PT15M', 'DESCRIPTION:Default Mozilla Description', 'END:VALARM'] : []),
  ];
}

const EVENT = { outlook: outlookEvent, google: googleEvent, apple: appleEvent, thunderbird: thunderbirdEvent };

const HEAD = {
  outlook: (method, variant) =>
    variant === 'exchange'
      ? [`METHOD:${method}`, 'PRODID:Microsoft Exchange Server 2010', 'VERSION:2.0']
      : ['PRODID:-//Microsoft Corporation//Outlook 16.0 MIMEDIR//EN', 'VERSION:2.0', `METHOD:${method}`, 'X-MS-OLK-FORCEINSPECTOROPEN:TRUE'],
  google: (method) => ['PRODID:-//Google Inc//Google Calendar 70.9054//EN', 'VERSION:2.0', 'CALSCALE:GREGORIAN', `METHOD:${method}`],
  apple: (method) => [`METHOD:${method}`, 'VERSION:2.0', 'PRODID:-//Apple Inc.//macOS 15.1//EN', 'CALSCALE:GREGORIAN'],
  thunderbird: (method) => ['PRODID:-//Mozilla.org/NONSGML Mozilla Calendar V1.1//EN', 'VERSION:2.0', `METHOD:${method}`],
};

/**
 * The calendar of one message, folded, CRLF line ends. `m` is
 * {client, variant, method, sequence, stamp, instances, replier}: `instances`
 * lists the components it carries, null for the master; a REPLY's `replier`
 * is {email, name, partstat}.
 */
export function calendarText(event, m) {
  const { client } = m;
  const components = m.instances.flatMap((k) => ['BEGIN:VEVENT', ...EVENT[client](m, event, k), 'END:VEVENT']);
  // Outlook desktop sometimes sends only the Windows TZID; an all-day event needs none,
  // nor does Google's REPLY for one instance (its times are in UTC).
  const utcOnly = client === 'google' && m.method === 'REPLY' && !m.instances.includes(null);
  const zoned = !event.allDay && event.variant !== 'desktop-notz' && !utcOnly;
  const lines = [
    'BEGIN:VCALENDAR',
    ...HEAD[client](m.method, m.variant),
    ...(zoned ? vtimezone(client, event.zone) : []),
    ...components,
    'END:VCALENDAR',
  ];
  return lines.map((line) => fold(line, FOLD[client])).join('\r\n') + '\r\n';
}


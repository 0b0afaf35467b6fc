// Time zones for the benchmark mail: each Olson zone with its Windows name,
// written as VTIMEZONEs the way each client writes them (RFC 5545 section
// 3.6.5), and the wall-clock arithmetic the generator needs.
//
// - Outlook / Exchange: TZID is the Windows name, observances start in 1601,
//   STANDARD first, RRULE with INTERVAL=1.
// - Google: Olson TZID, X-LIC-LOCATION, observances from 1970, DAYLIGHT first.
// - Apple: Olson TZID, observances from the year the current rule began.
// - Thunderbird: Olson TZID, X-TZINFO, offsets written with seconds (+010000).

const EU = { toDst: [3, '-1SU', '020000'], toStd: [10, '-1SU', '030000'], since: [1981, 1996] };
const US = { toDst: [3, '2SU', '020000'], toStd: [11, '1SU', '020000'], since: [2007, 2007] };

export const ZONES = {
  'Europe/Berlin': { windows: 'W. Europe Standard Time', std: ['+0100', 'CET'], dst: ['+0200', 'CEST'], ...EU },
  'Europe/Paris': { windows: 'Romance Standard Time', std: ['+0100', 'CET'], dst: ['+0200', 'CEST'], ...EU },
  'Europe/London': {
    windows: 'GMT Standard Time', std: ['+0000', 'GMT'], dst: ['+0100', 'BST'],
    toDst: [3, '-1SU', '010000'], toStd: [10, '-1SU', '020000'], since: [1981, 1996],
  },
  'America/New_York': { windows: 'Eastern Standard Time', std: ['-0500', 'EST'], dst: ['-0400', 'EDT'], ...US },
  'America/Chicago': { windows: 'Central Standard Time', std: ['-0600', 'CST'], dst: ['-0500', 'CDT'], ...US },
  'America/Los_Angeles': { windows: 'Pacific Standard Time', std: ['-0800', 'PST'], dst: ['-0700', 'PDT'], ...US },
  'Asia/Tokyo': { windows: 'Tokyo Standard Time', std: ['+0900', 'JST'] },
  'Asia/Kolkata': { windows: 'India Standard Time', std: ['+0530', 'IST'] },
  'Australia/Sydney': {
    windows: 'AUS Eastern Standard Time', std: ['+1000', 'AEST'], dst: ['+1100', 'AEDT'],
    toDst: [10, '1SU', '020000'], toStd: [4, '1SU', '030000'], since: [2008, 2008],
  },
};

const pad = (n, width = 2) => String(n).padStart(width, '0');

/** The day of the month of a BYDAY like '2SU' or '-1SU' in a year and month (1-12). */
function nthSunday(year, month, byday) {
  const n = Number(byday.slice(0, -2));
  if (n > 0) {
    const first = new Date(Date.UTC(year, month - 1, 1)).getUTCDay();
    return 1 + ((7 - first) % 7) + (n - 1) * 7;
  }
  const lastDay = new Date(Date.UTC(year, month, 0));
  return lastDay.getUTCDate() - lastDay.getUTCDay();
}

function observance(kind, from, to, rule, year, { seconds = false, names = true, interval = false } = {}) {
  const [month, byday, time] = rule;
  const offset = (o) => (seconds ? `${o}00` : o);
  return [
    `BEGIN:${kind}`,
    ...(names ? [`TZNAME:${to[1]}`] : []),
    `TZOFFSETFROM:${offset(from[0])}`,
    `TZOFFSETTO:${offset(to[0])}`,
    `DTSTART:${year}${pad(month)}${pad(nthSunday(year, month, byday))}T${time}`,
    `RRULE:FREQ=YEARLY;${interval ? 'INTERVAL=1;' : ''}BYMONTH=${month};BYDAY=${byday}`,
    `END:${kind}`,
  ];
}

function fixedObservance(std, start, { seconds = false, names = true } = {}) {
  const offset = (o) => (seconds ? `${o}00` : o);
  return ['BEGIN:STANDARD', ...(names ? [`TZNAME:${std[1]}`] : []), `TZOFFSETFROM:${offset(std[0])}`, `TZOFFSETTO:${offset(std[0])}`, `DTSTART:${start}`, 'END:STANDARD'];
}

/** The TZID a client writes for an Olson zone. */
export function tzidFor(style, olson) {
  return style === 'outlook' ? ZONES[olson].windows : olson;
}

/** The VTIMEZONE lines of a zone in a client's style. */
export function vtimezone(style, olson) {
  const z = ZONES[olson];
  const head = ['BEGIN:VTIMEZONE', `TZID:${tzidFor(style, olson)}`];
  let body;
  if (style === 'outlook') {
    // Exchange: no TZNAME, 1601 rules, STANDARD first.
    body = z.dst
      ? [
          ...observance('STANDARD', z.dst, z.std, z.toStd, 1601, { names: false, interval: true }).map((l) => l.replace(/^DTSTART:1601\d{4}/, 'DTSTART:16010101')),
          ...observance('DAYLIGHT', z.std, z.dst, z.toDst, 1601, { names: false, interval: true }).map((l) => l.replace(/^DTSTART:1601\d{4}/, 'DTSTART:16010101')),
        ]
      : fixedObservance(z.std, '16010101T000000', { names: false });
  } else if (style === 'google') {
    head.push(`X-LIC-LOCATION:${olson}`);
    body = z.dst
      ? [...observance('DAYLIGHT', z.std, z.dst, z.toDst, 1970), ...observance('STANDARD', z.dst, z.std, z.toStd, 1970)]
      : fixedObservance(z.std, '19700101T000000');
  } else {
    const seconds = style === 'thunderbird';
    if (seconds) head.push(`X-TZINFO:${olson}[2025b]`);
    body = z.dst
      ? [...observance('DAYLIGHT', z.std, z.dst, z.toDst, z.since[0], { seconds }), ...observance('STANDARD', z.dst, z.std, z.toStd, z.since[1], { seconds })]
      : fixedObservance(z.std, '19700101T000000', { seconds });
  }
  return [...head, ...body, 'END:VTIMEZONE'];
}

// --- wall clock -------------------------------------------------------------

const formatters = new Map();

/** The zone's offset from UTC at an instant, in minutes. */
export function offsetMinutes(olson, utcMs) {
  let format = formatters.get(olson);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: olson, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric',
    });
    formatters.set(olson, format);
  }
  const parts = Object.fromEntries(format.formatToParts(new Date(utcMs)).map((p) => [p.type, Number(p.value)]));
  const wall = Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute);
  return Math.round((wall - Math.floor(utcMs / 60_000) * 60_000) / 60_000);
}

/**
 * The instant of a wall-clock time in a zone. Wall times are kept as epoch ms
 * "as if UTC" (Date.UTC of the local fields).
 */
export function wallToUtc(olson, wallMs) {
  const guess = wallMs - offsetMinutes(olson, wallMs) * 60_000;
  return wallMs - offsetMinutes(olson, guess) * 60_000;
}

/** iCalendar DATE-TIME of a wall time: 20261208T123000. */
export function formatWall(wallMs) {
  const d = new Date(wallMs);
  return `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}T${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}`;
}

/** iCalendar DATE-TIME in UTC: 20261208T113000Z. */
export const formatUtc = (utcMs) => `${formatWall(utcMs)}Z`;

/** iCalendar DATE: 20261208. */
export const formatDate = (wallMs) => formatWall(wallMs).slice(0, 8);

// To-dos over CalDAV at the wire (RFC 4791 with RFC 5546 section 3.4): the
// calendar takes VTODOs, a PUT of one is scheduled like an event, queries
// tell events and to-dos apart, time ranges on to-dos follow RFC 4791
// section 9.9's table, and a recurring to-do expands into its instances.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALICE, startDavServer, type DavServer } from './caldav-support.js';

let server: DavServer;
const AUTH = `Basic ${Buffer.from('alice@example.com:wonderland').toString('base64')}`;
const CAL = '/dav/calendars/alice%40example.com/calendar/';

async function dav(method: string, path: string, body = '', headers: Record<string, string> = {}): Promise<{ status: number; text: string; headers: Headers }> {
  const response = await fetch(server.base + path, {
    method,
    headers: { authorization: AUTH, 'content-type': 'application/xml; charset=utf-8', ...headers },
    ...(body ? { body } : {}),
  });
  return { status: response.status, text: await response.text(), headers: response.headers };
}

function todo(uid: string, lines: string[]): string {
  return ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//t//EN', 'BEGIN:VTODO', `UID:${uid}`, 'DTSTAMP:20261101T080000Z', `SUMMARY:${uid}`, ...lines, 'END:VTODO', 'END:VCALENDAR', ''].join('\r\n');
}

async function put(name: string, ics: string): Promise<void> {
  const answer = await dav('PUT', `${CAL}${name}.ics`, ics, { 'content-type': 'text/calendar' });
  if (answer.status !== 201) throw new Error(`${name} was not stored: ${answer.status} ${answer.text}`);
}

const query = (inner: string, prop = '<d:getetag/>') =>
  dav('REPORT', CAL, `<?xml version="1.0"?><c:calendar-query xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav"><d:prop>${prop}</d:prop><c:filter><c:comp-filter name="VCALENDAR">${inner}</c:comp-filter></c:filter></c:calendar-query>`, { depth: '1' });
const names = (text: string) => [...text.matchAll(/<d:href>[^<]*\/([^/<]+)\.ics<\/d:href>/g)].map((m) => m[1]).sort();
const inRange = async (start: string, end: string) => names((await query(`<c:comp-filter name="VTODO"><c:time-range start="${start}" end="${end}"/></c:comp-filter>`)).text);

beforeAll(async () => {
  server = await startDavServer();
  await put('meeting', ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//t//EN', 'BEGIN:VEVENT', 'UID:meeting', 'DTSTAMP:20261101T080000Z', 'DTSTART:20261202T090000Z', 'DTEND:20261202T100000Z', 'SUMMARY:Meeting', 'END:VEVENT', 'END:VCALENDAR', ''].join('\r\n'));
  // The rows of RFC 4791 section 9.9 for VTODO, one to-do each.
  await put('span', todo('span', ['DTSTART:20261201T090000Z', 'DUE:20261203T170000Z']));
  await put('length', todo('length', ['DTSTART:20261207T090000Z', 'DURATION:PT2H']));
  await put('due-only', todo('due-only', ['DUE:20261205T120000Z']));
  await put('start-only', todo('start-only', ['DTSTART:20261206T080000Z']));
  await put('done', todo('done', ['CREATED:20261110T080000Z', 'COMPLETED:20261112T080000Z', 'STATUS:COMPLETED']));
  await put('created', todo('created', ['CREATED:20261120T080000Z']));
  await put('open', todo('open', []));
});
afterAll(async () => {
  await server?.stop();
});

describe('to-dos over CalDAV', () => {
  it('the calendar says it takes VEVENT and VTODO', async () => {
    const answer = await dav('PROPFIND', CAL, '<d:propfind xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav"><d:prop><c:supported-calendar-component-set/></d:prop></d:propfind>', { depth: '0' });
    expect(answer.status).toBe(207);
    expect(answer.text).toContain('<c:supported-calendar-component-set><c:comp name="VEVENT"/><c:comp name="VTODO"/></c:supported-calendar-component-set>');
  });

  it('a PUT of a to-do with an attendee elsewhere is stored and sends its REQUEST', async () => {
    await put('report', todo('report@example.com', ['DTSTART:20261208T090000Z', 'DUE:20261210T170000Z', 'ORGANIZER:mailto:alice@example.com', 'ATTENDEE;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:dave@example.net']));
    expect((await server.store.getObject(ALICE, 'report@example.com'))?.ics).toContain('BEGIN:VTODO');
    const sent = (await server.store.listOutbox(ALICE)).filter((item) => item.uid === 'report@example.com');
    expect(sent.map((item) => [item.method, item.to])).toStrictEqual([['REQUEST', ['mailto:dave@example.net']]]);
    expect(sent[0]!.ics).toContain('BEGIN:VTODO');
    const got = await dav('PROPFIND', `${CAL}report.ics`, '<d:propfind xmlns:d="DAV:"><d:prop><d:getcontenttype/></d:prop></d:propfind>', { depth: '0' });
    expect(got.text).toContain('component=VTODO');
  });

  it('a VEVENT comp-filter returns no to-do, a VTODO one only to-dos, is-not-defined the other kind', async () => {
    expect(names((await query('<c:comp-filter name="VEVENT"/>')).text)).toStrictEqual(['meeting', 'seed-1%40example.org']);
    const tasks = names((await query('<c:comp-filter name="VTODO"/>')).text);
    expect(tasks).toStrictEqual(['created', 'done', 'due-only', 'length', 'open', 'report', 'span', 'start-only']);
    expect(names((await query('<c:comp-filter name="VEVENT"><c:is-not-defined/></c:comp-filter>')).text)).toStrictEqual(tasks);
    expect(names((await query('<c:comp-filter name="VTODO"><c:prop-filter name="STATUS"><c:text-match>completed</c:text-match></c:prop-filter></c:comp-filter>')).text)).toStrictEqual(['done']);
  });

  it('time ranges on to-dos follow RFC 4791 section 9.9', async () => {
    // DTSTART and DUE: overlap; an undated to-do without CREATED or COMPLETED is in every range,
    // one with CREATED alone in every range that ends after it.
    expect(await inRange('20261202T000000Z', '20261202T120000Z')).toStrictEqual(['created', 'open', 'span']);
    // DUE alone: start < DUE <= end.
    expect(await inRange('20261204T000000Z', '20261205T120000Z')).toStrictEqual(['created', 'due-only', 'open']);
    expect(await inRange('20261205T120000Z', '20261206T000000Z')).toStrictEqual(['created', 'open']);
    // DTSTART alone: start <= DTSTART < end.
    expect(await inRange('20261206T080000Z', '20261206T080001Z')).toStrictEqual(['created', 'open', 'start-only']);
    // DTSTART and DURATION.
    expect(await inRange('20261207T100000Z', '20261207T103000Z')).toStrictEqual(['created', 'length', 'open']);
    // COMPLETED and CREATED; CREATED alone: end > CREATED.
    expect(await inRange('20261111T000000Z', '20261113T000000Z')).toStrictEqual(['done', 'open']);
    expect(await inRange('20261113T000000Z', '20261121T000000Z')).toStrictEqual(['created', 'open']);
  });

  it('expands a recurring to-do into its instances, each with DTSTART, DUE and RECURRENCE-ID in UTC', async () => {
    await put('daily', todo('daily', ['DTSTART;TZID=Europe/Berlin:20261214T090000', 'DUE;TZID=Europe/Berlin:20261214T100000', 'RRULE:FREQ=DAILY;COUNT=3']).replace('BEGIN:VTODO', [
      'BEGIN:VTIMEZONE', 'TZID:Europe/Berlin', 'BEGIN:STANDARD', 'DTSTART:19701025T030000', 'TZOFFSETFROM:+0200', 'TZOFFSETTO:+0100', 'RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU', 'END:STANDARD',
      'BEGIN:DAYLIGHT', 'DTSTART:19700329T020000', 'TZOFFSETFROM:+0100', 'TZOFFSETTO:+0200', 'RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU', 'END:DAYLIGHT', 'END:VTIMEZONE', 'BEGIN:VTODO'].join('\r\n')));
    const answer = await query('<c:comp-filter name="VTODO"><c:time-range start="20261214T000000Z" end="20261216T000000Z"/></c:comp-filter>', '<c:calendar-data><c:expand start="20261214T000000Z" end="20261216T000000Z"/></c:calendar-data>');
    const data = /daily\.ics<\/d:href>[\s\S]*?<c:calendar-data>([^<]*)<\/c:calendar-data>/.exec(answer.text)?.[1];
    expect(data).toBeDefined();
    const instances = data!.split('BEGIN:VTODO').slice(1).map((text) => ({
      recurrenceId: /RECURRENCE-ID:([0-9TZ]+)/.exec(text)?.[1],
      start: /\nDTSTART:([0-9TZ]+)/.exec(text)?.[1],
      due: /\nDUE:([0-9TZ]+)/.exec(text)?.[1],
      rules: /RRULE|DTEND/.test(text),
    }));
    expect(instances).toStrictEqual([
      { recurrenceId: '20261214T080000Z', start: '20261214T080000Z', due: '20261214T090000Z', rules: false },
      { recurrenceId: '20261215T080000Z', start: '20261215T080000Z', due: '20261215T090000Z', rules: false },
    ]);
    expect(data).not.toContain('BEGIN:VEVENT');
  });
});

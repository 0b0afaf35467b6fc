// The CalDAV protocol at the wire, request by request: what the client
// libraries' tests do not reach (properties of discovery, queries with time
// ranges and expansion, free/busy, the scheduling inbox and outbox,
// Schedule-Reply, sync errors) and the safety rules (XML without DTDs, body
// limits, one person's collections only).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordScheduleStatus } from '../../src/agent/schedule-status-update.js';
import { KEPT_REMOVALS } from '../../src/store/store.js';
import { reportLimits } from '../../src/http/caldav/reports.js';
import { ALICE, BOB, NOW, calendar, invitation, mail, startDavServer, type DavServer } from './caldav-support.js';

let server: DavServer;
const AUTH = `Basic ${Buffer.from('alice@example.com:wonderland').toString('base64')}`;
const CAL = '/dav/calendars/alice%40example.com/calendar/';

async function dav(method: string, path: string, body = '', headers: Record<string, string> = {}): Promise<{ status: number; text: string; headers: Headers }> {
  const response = await fetch(server.base + path, {
    method,
    headers: { authorization: AUTH, 'content-type': 'application/xml; charset=utf-8', ...headers },
    ...(body ? { body } : {}),
    redirect: 'manual',
  });
  return { status: response.status, text: await response.text(), headers: response.headers };
}

const report = (body: string) => dav('REPORT', CAL, `<?xml version="1.0"?>${body}`, { depth: '1' });
const unfolded = (ics: string) => ics.replace(/\r\n[ \t]/g, '').replace(/\r\n/g, '\n');
const hrefsOf = (text: string) => [...text.matchAll(/<d:href>([^<]*)<\/d:href>/g)].map((m) => m[1]);

beforeAll(async () => {
  server = await startDavServer();
  // A weekly series alice organizes, stored by PUT through the agent.
  const series = calendar(undefined, 'weekly@example.com', ['SUMMARY:Weekly', 'RRULE:FREQ=WEEKLY;COUNT=4', 'ORGANIZER:mailto:alice@example.com', 'ATTENDEE;PARTSTAT=NEEDS-ACTION:mailto:dave@example.net'], ['DTSTART:20261207T080000Z', 'DTEND:20261207T083000Z']);
  const put = await dav('PUT', `${CAL}weekly%40example.com.ics`, series, { 'content-type': 'text/calendar' });
  if (put.status !== 201) throw new Error(`the series was not stored: ${put.status} ${put.text}`);
});
afterAll(async () => {
  await server?.stop();
});

describe('discovery', () => {
  it('OPTIONS names the DAV classes, and /.well-known/caldav leads to /dav/', async () => {
    const options = await dav('OPTIONS', '/dav/');
    expect(options.headers.get('dav')).toBe('1, 3, access-control, calendar-access, calendar-auto-schedule');
    const wellKnown = await fetch(`${server.base}/.well-known/caldav`, { redirect: 'manual' });
    expect([wellKnown.status, wellKnown.headers.get('location')]).toStrictEqual([301, '/dav/']);
  });

  it('the principal names the home, the addresses, the inbox and the outbox', async () => {
    const body = '<d:propfind xmlns:d="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><d:prop><C:calendar-home-set/><C:calendar-user-address-set/><C:schedule-inbox-URL/><C:schedule-outbox-URL/><d:nope/></d:prop></d:propfind>';
    const answer = await dav('PROPFIND', '/dav/principals/alice%40example.com/', body, { depth: '0' });
    expect(answer.status).toBe(207);
    expect(answer.text).toContain('<c:calendar-home-set><d:href>/dav/calendars/alice%40example.com/</d:href></c:calendar-home-set>');
    expect(answer.text).toContain('<c:calendar-user-address-set><d:href>mailto:alice@example.com</d:href>');
    expect(answer.text).toContain('<c:schedule-inbox-URL><d:href>/dav/calendars/alice%40example.com/inbox/</d:href></c:schedule-inbox-URL>');
    expect(answer.text).toContain('<c:schedule-outbox-URL><d:href>/dav/calendars/alice%40example.com/outbox/</d:href></c:schedule-outbox-URL>');
    expect(answer.text).toMatch(/<d:propstat><d:prop><d:nope\/><\/d:prop><d:status>HTTP\/1.1 404 Not Found<\/d:status>/);
  });

  it('calendar-user-address-set lists every address of the user: theirs and the aliases their preferences name', async () => {
    const ask = () => dav('PROPFIND', '/dav/principals/alice%40example.com/', '<d:propfind xmlns:d="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><d:prop><C:calendar-user-address-set/></d:prop></d:propfind>', { depth: '0' });
    const addresses = (text: string) => hrefsOf(/<c:calendar-user-address-set>(.*)<\/c:calendar-user-address-set>/.exec(text)![1]!);
    expect(addresses((await ask()).text)).toStrictEqual(['mailto:alice@example.com', '/dav/principals/alice%40example.com/']);
    await server.store.transact(ALICE, (tx) => tx.setPref('sender_aliases', 'alice@example.com=alice.liddell@example.com,A.L@Example.com;carol@example.org=c@example.org'));
    try {
      expect(addresses((await ask()).text)).toStrictEqual(['mailto:alice@example.com', 'mailto:alice.liddell@example.com', 'mailto:a.l@example.com', '/dav/principals/alice%40example.com/']);
    } finally {
      await server.store.transact(ALICE, (tx) => tx.setPref('sender_aliases', null));
    }
  });

  it('refuses another person\'s principal and calendar', async () => {
    expect((await dav('PROPFIND', '/dav/principals/bob%40example.com/', '', { depth: '0' })).status).toBe(403);
    expect((await dav('GET', '/dav/calendars/bob%40example.com/calendar/seed-1%40example.org.ics')).status).toBe(403);
  });
});

describe('calendar-query', () => {
  const query = (range: string, data = '<C:calendar-data/>') =>
    report(`<C:calendar-query xmlns:d="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><d:prop><d:getetag/>${data}</d:prop><C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">${range}</C:comp-filter></C:comp-filter></C:filter></C:calendar-query>`);

  it('selects by time range, a series by any of its instances', async () => {
    const all = await query('');
    expect(hrefsOf(all.text)).toStrictEqual([`${CAL}seed-1%40example.org.ics`, `${CAL}weekly%40example.com.ics`]);
    // Only the third week of the series falls in this range.
    const third = await query('<C:time-range start="20261221T000000Z" end="20261222T000000Z"/>');
    expect(hrefsOf(third.text)).toStrictEqual([`${CAL}weekly%40example.com.ics`]);
    const none = await query('<C:time-range start="20270101T000000Z" end="20270201T000000Z"/>');
    expect(hrefsOf(none.text)).toStrictEqual([]);
  });

  it('expands a series into its instances in the asked range', async () => {
    const expanded = await query('<C:time-range start="20261214T000000Z" end="20261222T000000Z"/>', '<C:calendar-data><C:expand start="20261214T000000Z" end="20261222T000000Z"/></C:calendar-data>');
    const data = /<c:calendar-data>([^<]*)<\/c:calendar-data>/.exec(expanded.text)![1]!.replace(/&#13;/g, '\r');
    expect(data).not.toContain('RRULE');
    expect([...data.matchAll(/RECURRENCE-ID:(\S+)/g)].map((m) => m[1])).toStrictEqual(['20261214T080000Z', '20261221T080000Z']);
  });

  const zonedSeries = [
    'BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//t//EN',
    'BEGIN:VEVENT', 'UID:zoned@example.com', 'DTSTAMP:20261101T080000Z', 'SUMMARY:Zoned', 'DESCRIPTION:Long notes',
    'DTSTART;TZID=Europe/Berlin:20270104T090000', 'DTEND;TZID=Europe/Berlin:20270104T100000', 'RRULE:FREQ=WEEKLY;COUNT=4', 'EXDATE;TZID=Europe/Berlin:20270118T090000',
    'END:VEVENT',
    // The second week moved to the afternoon.
    'BEGIN:VEVENT', 'UID:zoned@example.com', 'DTSTAMP:20261101T080000Z', 'SUMMARY:Zoned (moved)', 'RECURRENCE-ID;TZID=Europe/Berlin:20270111T090000',
    'DTSTART;TZID=Europe/Berlin:20270111T150000', 'DTEND;TZID=Europe/Berlin:20270111T160000', 'END:VEVENT',
    'END:VCALENDAR', '',
  ].join('\r\n');
  const dataOf = (text: string) => [...text.matchAll(/<c:calendar-data>([^<]*)<\/c:calendar-data>/g)].map((m) => m[1]!.replace(/&#13;/g, '\r'));
  const zonedQuery = (data: string) => query('<C:prop-filter name="UID"><C:text-match>zoned@</C:text-match></C:prop-filter>', data);

  it('expands a zoned series with a moved instance and an exception: instances in UTC, each with its RECURRENCE-ID, no rules', async () => {
    expect((await dav('PUT', `${CAL}zoned.ics`, zonedSeries, { 'content-type': 'text/calendar' })).status).toBe(201);
    const [data] = dataOf((await zonedQuery('<C:calendar-data><C:expand start="20270101T000000Z" end="20270201T000000Z"/></C:calendar-data>')).text);
    expect(data).not.toMatch(/RRULE|EXDATE|TZID|VTIMEZONE/);
    const events = data!.split('BEGIN:VEVENT').slice(1).map((e) => ({
      rid: /RECURRENCE-ID:(\S+)/.exec(e)?.[1], start: /DTSTART:(\S+)/.exec(e)?.[1], summary: /SUMMARY:([^\r]+)/.exec(e)?.[1],
    }));
    expect(events).toStrictEqual([
      { rid: '20270104T080000Z', start: '20270104T080000Z', summary: 'Zoned' },
      { rid: '20270111T080000Z', start: '20270111T140000Z', summary: 'Zoned (moved)' },
      { rid: '20270125T080000Z', start: '20270125T080000Z', summary: 'Zoned' },
    ]);
  });

  it('limit-recurrence-set keeps the master and only the overridden instances in the range', async () => {
    const inside = dataOf((await zonedQuery('<C:calendar-data><C:limit-recurrence-set start="20270111T000000Z" end="20270112T000000Z"/></C:calendar-data>')).text)[0]!;
    expect(inside.match(/BEGIN:VEVENT/g)).toHaveLength(2);
    expect(inside).toContain('RRULE:FREQ=WEEKLY;COUNT=4');
    const outside = dataOf((await zonedQuery('<C:calendar-data><C:limit-recurrence-set start="20270120T000000Z" end="20270201T000000Z"/></C:calendar-data>')).text)[0]!;
    expect(outside.match(/BEGIN:VEVENT/g)).toHaveLength(1);
    expect(outside).not.toContain('RECURRENCE-ID');
  });

  it('returns only the asked components and properties, a novalue property without its value', async () => {
    const selection = '<C:calendar-data><C:comp name="VCALENDAR"><C:prop name="VERSION"/><C:comp name="VEVENT"><C:prop name="UID"/><C:prop name="SUMMARY"/><C:prop name="DESCRIPTION" novalue="yes"/></C:comp></C:comp></C:calendar-data>';
    const [data] = dataOf((await zonedQuery(selection)).text);
    const lines = data!.split('\r\n').filter(Boolean);
    expect(lines).toStrictEqual([
      'BEGIN:VCALENDAR', 'VERSION:2.0',
      'BEGIN:VEVENT', 'UID:zoned@example.com', 'SUMMARY:Zoned', 'DESCRIPTION:', 'END:VEVENT',
      'BEGIN:VEVENT', 'UID:zoned@example.com', 'SUMMARY:Zoned (moved)', 'END:VEVENT',
      'END:VCALENDAR',
    ]);
    const bad = await zonedQuery('<C:calendar-data><C:expand start="20270101T000000Z"/></C:calendar-data>');
    expect(bad.status).toBe(400);
    expect((await dav('DELETE', `${CAL}zoned.ics`)).status).toBe(204);
  });

  it('refuses a filter that is not on VCALENDAR', async () => {
    const bad = await report('<C:calendar-query xmlns:d="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><C:filter><C:comp-filter name="VEVENT"/></C:filter></C:calendar-query>');
    expect(bad.status).toBe(403);
    expect(bad.text).toContain('<c:valid-filter/>');
  });
});

describe('free/busy', () => {
  it('free-busy-query answers the busy time in the range', async () => {
    const answer = await report('<C:free-busy-query xmlns:C="urn:ietf:params:xml:ns:caldav"><C:time-range start="20261207T000000Z" end="20261208T000000Z"/></C:free-busy-query>');
    expect(answer.status).toBe(200);
    expect(answer.text).toContain('FREEBUSY;FBTYPE=BUSY:20261207T080000Z/20261207T083000Z');
  });

  it('a VFREEBUSY POSTed to the outbox is answered per attendee', async () => {
    const request = ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//t//EN', 'METHOD:REQUEST', 'BEGIN:VFREEBUSY', 'UID:fb-1', 'DTSTAMP:20261115T120000Z',
      'DTSTART:20261207T000000Z', 'DTEND:20261208T000000Z', 'ORGANIZER:mailto:alice@example.com',
      'ATTENDEE:mailto:alice@example.com', 'ATTENDEE:mailto:bob@example.com', 'ATTENDEE:mailto:nobody@example.net', 'END:VFREEBUSY', 'END:VCALENDAR', ''].join('\r\n');
    const answer = await dav('POST', '/dav/calendars/alice%40example.com/outbox/', request, { 'content-type': 'text/calendar' });
    expect(answer.status).toBe(200);
    const statuses = [...answer.text.matchAll(/<d:href>([^<]*)<\/d:href><\/c:recipient><c:request-status>([^<]*)</g)].map((m) => [m[1], m[2]]);
    // bob does not share his free/busy; nobody@example.net has no calendar here, so is asked by iMIP.
    expect(statuses).toStrictEqual([['mailto:alice@example.com', '2.0;Success'], ['mailto:bob@example.com', '3.8;No authority'], ['mailto:nobody@example.net', '1.1;Sent']]);
    expect(answer.text).toContain('FREEBUSY;FBTYPE=BUSY:20261207T080000Z/20261207T083000Z');
    const queued = (await server.store.listOutbox(ALICE)).filter((item) => item.uid === 'fb-1');
    expect(queued.map((item) => [item.method, item.from, item.to, item.state])).toStrictEqual([['REQUEST', ALICE, ['mailto:nobody@example.net'], 'unprocessed']]);
    const sent = unfolded(queued[0]!.ics);
    expect(sent).toContain('METHOD:REQUEST');
    expect(sent).toMatch(/BEGIN:VFREEBUSY[\s\S]*UID:fb-1/);
    expect(sent).toContain('ORGANIZER:mailto:alice@example.com');
    // Only the remote attendee is named in the mail: the local ones were answered here.
    expect(sent.match(/^ATTENDEE.*$/gm)).toStrictEqual(['ATTENDEE:mailto:nobody@example.net']);
    expect(sent).toContain('DTSTART:20261207T000000Z');
    expect(sent).toContain('DTEND:20261208T000000Z');
  });

  it('a VFREEBUSY POST for remote attendees only queues one iMIP REQUEST naming them all, times in UTC', async () => {
    const request = ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//t//EN', 'METHOD:REQUEST',
      'BEGIN:VTIMEZONE', 'TZID:Europe/Berlin', 'BEGIN:STANDARD', 'DTSTART:19701025T030000', 'TZOFFSETFROM:+0200', 'TZOFFSETTO:+0100', 'RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU', 'END:STANDARD',
      'BEGIN:DAYLIGHT', 'DTSTART:19700329T020000', 'TZOFFSETFROM:+0100', 'TZOFFSETTO:+0200', 'RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU', 'END:DAYLIGHT', 'END:VTIMEZONE',
      'BEGIN:VFREEBUSY', 'UID:fb-remote', 'DTSTAMP:20261115T120000Z', 'DTSTART;TZID=Europe/Berlin:20261209T090000', 'DTEND;TZID=Europe/Berlin:20261209T170000',
      'ORGANIZER;CN=Alice:mailto:alice@example.com', 'ATTENDEE;CN=Dave:mailto:dave@example.net', 'ATTENDEE:mailto:erin@example.org', 'END:VFREEBUSY', 'END:VCALENDAR', ''].join('\r\n');
    const wakes = server.outboxWakes.count;
    const answer = await dav('POST', '/dav/calendars/alice%40example.com/outbox/', request, { 'content-type': 'text/calendar' });
    expect(answer.status).toBe(200);
    expect(answer.text).toContain('schedule-response');
    // The outbox sender is told at once, not left to its next interval.
    expect(server.outboxWakes.count).toBe(wakes + 1);
    const statuses = [...answer.text.matchAll(/<d:href>([^<]*)<\/d:href><\/c:recipient><c:request-status>([^<]*)</g)].map((m) => [m[1], m[2]]);
    expect(statuses).toStrictEqual([['mailto:dave@example.net', '1.1;Sent'], ['mailto:erin@example.org', '1.1;Sent']]);
    expect(answer.text).not.toContain('calendar-data');
    const queued = (await server.store.listOutbox(ALICE)).filter((item) => item.uid === 'fb-remote');
    expect(queued.map((item) => [item.method, item.to])).toStrictEqual([['REQUEST', ['mailto:dave@example.net', 'mailto:erin@example.org']]]);
    const sent = unfolded(queued[0]!.ics);
    expect(sent).toContain('ORGANIZER;CN=Alice:mailto:alice@example.com');
    expect(sent.match(/^ATTENDEE.*$/gm)).toStrictEqual(['ATTENDEE;CN=Dave:mailto:dave@example.net', 'ATTENDEE:mailto:erin@example.org']);
    expect(sent).toContain('DTSTART:20261209T080000Z');
    expect(sent).toContain('DTEND:20261209T160000Z');
    expect(sent).toMatch(/^DTSTAMP:\d{8}T\d{6}Z$/m);
  });

  it('a VFREEBUSY POST with only local attendees queues nothing', async () => {
    const before = (await server.store.listOutbox(ALICE)).length;
    const wakes = server.outboxWakes.count;
    const request = ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//t//EN', 'METHOD:REQUEST', 'BEGIN:VFREEBUSY', 'UID:fb-local', 'DTSTAMP:20261115T120000Z',
      'DTSTART:20261207T000000Z', 'DTEND:20261208T000000Z', 'ORGANIZER:mailto:alice@example.com', 'ATTENDEE:mailto:bob@example.com', 'END:VFREEBUSY', 'END:VCALENDAR', ''].join('\r\n');
    const answer = await dav('POST', '/dav/calendars/alice%40example.com/outbox/', request, { 'content-type': 'text/calendar' });
    expect(answer.text).toContain('<c:request-status>3.8;No authority</c:request-status>');
    expect((await server.store.listOutbox(ALICE)).length).toBe(before);
    expect(server.outboxWakes.count).toBe(wakes);
  });
});

describe('scheduling', () => {
  it('the inbox lists received messages; a client reads and removes one', async () => {
    const listing = await dav('PROPFIND', '/dav/calendars/alice%40example.com/inbox/', '', { depth: '1' });
    const items = hrefsOf(listing.text).filter((href) => href.endsWith('.ics'));
    expect(items.length).toBe((await server.store.listInbox(ALICE)).length);
    expect(items.length).toBeGreaterThan(0);
    const item = await dav('GET', items[0]!);
    expect(item.text).toContain('METHOD:REQUEST');
    expect((await dav('DELETE', items[0]!)).status).toBe(204);
    expect((await server.store.listInbox(ALICE)).length).toBe(items.length - 1);
    expect(await server.store.getObject(ALICE, 'seed-1@example.org')).toBeDefined();
  });

  it('an attendee\'s DELETE sends a DECLINED REPLY, but none with Schedule-Reply: F', async () => {
    await server.deliver(mail('carol@example.org', 'alice@example.com', 'inv-q1@example.org', invitation('quiet@example.org', 'Quiet')), ['alice@example.com'], 'carol@example.org');
    await server.deliver(mail('carol@example.org', 'alice@example.com', 'inv-q2@example.org', invitation('loud@example.org', 'Loud')), ['alice@example.com'], 'carol@example.org');
    expect((await dav('DELETE', `${CAL}quiet%40example.org.ics`, '', { 'schedule-reply': 'F' })).status).toBe(204);
    expect((await dav('DELETE', `${CAL}loud%40example.org.ics`)).status).toBe(204);
    const replies = (await server.store.listOutbox(ALICE)).filter((item) => item.method === 'REPLY').map((item) => item.uid);
    expect(replies).toStrictEqual(['loud@example.org']);
    expect(await server.store.getObject(ALICE, 'quiet@example.org')).toBeUndefined();
  });

  it('honours SCHEDULE-AGENT=CLIENT, and the SCHEDULE-STATUS the outbox sender writes back reaches the client by sync', async () => {
    const event = calendar(undefined, 'agents@example.com', ['SUMMARY:Agents', 'ORGANIZER:mailto:alice@example.com',
      'ATTENDEE;PARTSTAT=NEEDS-ACTION:mailto:erin@example.net', 'ATTENDEE;SCHEDULE-AGENT=CLIENT;PARTSTAT=NEEDS-ACTION:mailto:frank@example.net']);
    expect((await dav('PUT', `${CAL}agents%40example.com.ics`, event, { 'content-type': 'text/calendar' })).status).toBe(201);
    const sent = (await server.store.listOutbox(ALICE)).filter((item) => item.uid === 'agents@example.com');
    expect(sent.map((item) => ({ method: item.method, to: item.to }))).toStrictEqual([{ method: 'REQUEST', to: ['mailto:erin@example.net'] }]);
    const token = /<d:sync-token>([^<]*)</.exec((await report('<d:sync-collection xmlns:d="DAV:"><d:sync-token/><d:prop><d:getetag/></d:prop></d:sync-collection>')).text)![1]!;
    // What the outbox sender does once the relay took the message (src/transport/outbox-sender.ts).
    await recordScheduleStatus(server.store, sent[0]!, { 'mailto:erin@example.net': '1.2' }, 'sent-1@example.com', NOW);
    const changes = await report(`<d:sync-collection xmlns:d="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><d:sync-token>${token}</d:sync-token><d:prop><C:calendar-data/></d:prop></d:sync-collection>`);
    expect(hrefsOf(changes.text)).toStrictEqual([`${CAL}agents%40example.com.ics`]);
    expect(changes.text.replace(/&#13;\n[ \t]/g, '')).toMatch(/ATTENDEE;[^\n]*SCHEDULE-STATUS=1\.2[^\n]*:mailto:erin@example\.net/);
  });
});

describe('resource names', () => {
  it('keeps an event under the name the client gave it, whatever its UID', async () => {
    const event = calendar(undefined, 'real-uid@example.com', ['SUMMARY:Named by the client']);
    const put = await dav('PUT', `${CAL}3F2504E0-4F89-11D3-9A0C-0305E82C3301.ics`, event, { 'content-type': 'text/calendar' });
    expect(put.status).toBe(201);
    const got = await dav('GET', `${CAL}3F2504E0-4F89-11D3-9A0C-0305E82C3301.ics`);
    expect([got.status, got.headers.get('etag')]).toStrictEqual([200, put.headers.get('etag')]);
    expect(got.text).toContain('UID:real-uid@example.com');
    expect((await dav('GET', `${CAL}real-uid%40example.com.ics`)).status).toBe(404);
    const listing = await dav('PROPFIND', CAL, '<d:propfind xmlns:d="DAV:"><d:prop><d:getetag/></d:prop></d:propfind>', { depth: '1' });
    expect(hrefsOf(listing.text)).toContain(`${CAL}3F2504E0-4F89-11D3-9A0C-0305E82C3301.ics`);
    expect(await server.store.objectName(ALICE, 'real-uid@example.com')).toBe('3F2504E0-4F89-11D3-9A0C-0305E82C3301.ics');
  });

  it('takes a percent-encoded name as the same resource however it is escaped', async () => {
    const event = calendar(undefined, 'spaced@example.com', ['SUMMARY:Spaced']);
    expect((await dav('PUT', `${CAL}my%20event%C3%A9.ics`, event, { 'content-type': 'text/calendar' })).status).toBe(201);
    expect(await server.store.objectName(ALICE, 'spaced@example.com')).toBe('my event\u00e9.ics');
    expect((await dav('GET', `${CAL}my%20event%c3%a9.ics`)).status).toBe(200);
    const multiget = await report(`<C:calendar-multiget xmlns:d="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><d:prop><d:getetag/></d:prop><d:href>${CAL}my%20event%C3%A9.ics</d:href></C:calendar-multiget>`);
    expect(multiget.text).toMatch(/<d:getetag>/);
  });

  it('refuses a UID that lives under another name with no-uid-conflict and that href, and a UID change under a name', async () => {
    const event = calendar(undefined, 'real-uid@example.com', ['SUMMARY:Second copy']);
    const conflict = await dav('PUT', `${CAL}another-name.ics`, event, { 'content-type': 'text/calendar' });
    expect(conflict.status).toBe(403);
    expect(conflict.text).toContain(`<c:no-uid-conflict><d:href>${CAL}3F2504E0-4F89-11D3-9A0C-0305E82C3301.ics</d:href></c:no-uid-conflict>`);
    expect((await dav('GET', `${CAL}another-name.ics`)).status).toBe(404);
    const changed = await dav('PUT', `${CAL}3F2504E0-4F89-11D3-9A0C-0305E82C3301.ics`, calendar(undefined, 'new-uid@example.com', ['SUMMARY:x']), { 'content-type': 'text/calendar' });
    expect(changed.status).toBe(403);
    expect(changed.text).toContain('<c:valid-calendar-object-resource/>');
    expect(await server.store.getObject(ALICE, 'new-uid@example.com')).toBeUndefined();
    expect((await server.store.getObject(ALICE, 'real-uid@example.com'))!.ics).toContain('SUMMARY:Named by the client');
  });

  it('names an event that came by mail after its UID, escaped for a URL', async () => {
    await server.deliver(mail('carol@example.org', 'alice@example.com', 'inv-slash@example.org', invitation('room/7 booking@example.org', 'Slashed')), ['alice@example.com'], 'carol@example.org');
    const name = (await server.store.objectName(ALICE, 'room/7 booking@example.org'))!;
    expect(name).not.toContain('/');
    const got = await dav('GET', `${CAL}${encodeURIComponent(name)}`);
    expect(got.status).toBe(200);
    expect(got.text).toContain('SUMMARY:Slashed');
  });
});

describe('sync-collection', () => {
  const sync = (token: string) => report(`<d:sync-collection xmlns:d="DAV:"><d:sync-token>${token}</d:sync-token><d:sync-level>1</d:sync-level><d:prop><d:getetag/></d:prop></d:sync-collection>`);
  const tokenOf = (text: string) => /<d:sync-token>([^<]*)<\/d:sync-token>/.exec(text)![1]!;

  it('reports a removal as 404, and refuses a token that is not ours', async () => {
    const first = await sync('');
    await dav('DELETE', `${CAL}weekly%40example.com.ics`);
    const second = await sync(tokenOf(first.text));
    expect(second.text).toContain(`<d:response><d:href>${CAL}weekly%40example.com.ics</d:href><d:status>HTTP/1.1 404 Not Found</d:status></d:response>`);
    expect(hrefsOf(second.text)).toStrictEqual([`${CAL}weekly%40example.com.ics`]);
    const bad = await sync('urn:itip-agent:sync:999999999');
    expect(bad.status).toBe(403);
    expect(bad.text).toContain('<d:valid-sync-token/>');
    expect((await sync('http://elsewhere/token')).status).toBe(403);
  });
});

describe('sync-collection after many removals', () => {
  const sync = (token: string) => report(`<d:sync-collection xmlns:d="DAV:"><d:sync-token>${token}</d:sync-token><d:sync-level>1</d:sync-level><d:prop><d:getetag/></d:prop></d:sync-collection>`);
  const tokenOf = (text: string) => /<d:sync-token>([^<]*)<\/d:sync-token>/.exec(text)![1]!;

  it(`answers a token older than the removals the log remembers (${KEPT_REMOVALS}) with valid-sync-token, so that the client starts again`, async () => {
    const old = tokenOf((await sync('')).text);
    const uids = Array.from({ length: KEPT_REMOVALS + 5 }, (_, i) => `short-lived-${i}@example.com`);
    await server.store.transact(ALICE, (tx) => uids.forEach((uid) => tx.putObject({ uid, ics: calendar(undefined, uid, ['SUMMARY:x']) })));
    await server.store.transact(ALICE, (tx) => uids.slice(0, 10).forEach((uid) => tx.deleteObject(uid)));
    const mid = tokenOf((await sync('')).text);
    await server.store.transact(ALICE, (tx) => uids.slice(10).forEach((uid) => tx.deleteObject(uid)));
    const refused = await sync(old);
    expect(refused.status).toBe(403);
    expect(refused.text).toContain('<d:valid-sync-token/>');
    // A token from after the forgotten removals gets the later ones, each as a 404.
    const later = await sync(mid);
    expect(later.status).toBe(207);
    expect(later.text.match(/<d:status>HTTP\/1.1 404 Not Found<\/d:status>/g)).toHaveLength(uids.length - 10);
    const fresh = await sync('');
    expect(fresh.status).toBe(207);
    const next = await sync(tokenOf(fresh.text));
    expect([next.status, hrefsOf(next.text)]).toStrictEqual([207, []]);
  });
});

describe('safety', () => {
  it('refuses a body with a DTD, and does not expand entities', async () => {
    const bomb = '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]><d:propfind xmlns:d="DAV:"><d:prop><d:displayname/></d:prop></d:propfind>';
    const answer = await dav('PROPFIND', CAL, bomb, { depth: '0' });
    expect(answer.status).toBe(400);
    expect(answer.text).toContain('document type declaration');
  });

  it('refuses a REPORT whose answer would pass the result limit with 507 number-of-matches-within-limits', async () => {
    const all = '<C:calendar-query xmlns:d="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><d:prop><d:getetag/></d:prop><C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"/></C:comp-filter></C:filter></C:calendar-query>';
    const count = hrefsOf((await report(all)).text).length;
    expect(count).toBeGreaterThan(1);
    const saved = reportLimits.maxResults;
    reportLimits.maxResults = count - 1;
    try {
      for (const body of [all, '<d:sync-collection xmlns:d="DAV:"><d:sync-token/><d:prop><d:getetag/></d:prop></d:sync-collection>']) {
        const refused = await report(body);
        expect(refused.status).toBe(507);
        expect(refused.text).toContain('<d:number-of-matches-within-limits/>');
      }
    } finally {
      reportLimits.maxResults = saved;
    }
    expect((await report(all)).status).toBe(207);
  });

  it('refuses a body over the limit with 413, and asks for a password without one', async () => {
    const big = await dav('PUT', `${CAL}big.ics`, 'x'.repeat(2 * 1024 * 1024), { 'content-type': 'text/calendar' });
    expect(big.status).toBe(413);
    const anonymous = await fetch(`${server.base}${CAL}`, { method: 'PROPFIND' });
    expect(anonymous.status).toBe(401);
    expect(await server.store.getRole(BOB)).toBe('person');
  });
});

describe('free/busy POST with localDomains', () => {
  let local: DavServer;
  beforeAll(async () => {
    local = await startDavServer({ localDomains: ['example.com'] });
  });
  afterAll(async () => {
    await local?.stop();
  });

  it('an address in localDomains without a calendar is no calendar user; one elsewhere is asked by iMIP', async () => {
    const request = ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//t//EN', 'METHOD:REQUEST', 'BEGIN:VFREEBUSY', 'UID:fb-domains', 'DTSTAMP:20261115T120000Z',
      'DTSTART:20261207T000000Z', 'DTEND:20261208T000000Z', 'ORGANIZER:mailto:alice@example.com', 'ATTENDEE:mailto:nobody@example.com', 'ATTENDEE:mailto:dave@example.net', 'END:VFREEBUSY', 'END:VCALENDAR', ''].join('\r\n');
    const answer = await fetch(`${local.base}/dav/calendars/alice%40example.com/outbox/`, { method: 'POST', headers: { authorization: AUTH, 'content-type': 'text/calendar' }, body: request });
    const text = await answer.text();
    expect(answer.status).toBe(200);
    const statuses = [...text.matchAll(/<d:href>([^<]*)<\/d:href><\/c:recipient><c:request-status>([^<]*)</g)].map((m) => [m[1], m[2]]);
    expect(statuses).toStrictEqual([['mailto:nobody@example.com', '3.7;Invalid calendar user'], ['mailto:dave@example.net', '1.1;Sent']]);
    expect((await local.store.listOutbox(ALICE)).filter((item) => item.uid === 'fb-domains').map((item) => item.to)).toStrictEqual([['mailto:dave@example.net']]);
  });
});

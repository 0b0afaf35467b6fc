// CalDAV with a real client library (tsdav): discovery from the base URL, the
// calendar and its events, and writes that the agent schedules (RFC 6638):
// a new event with attendees queues a REQUEST, a stale ETag is refused with
// 412, a removal queues a CANCEL, an accepted invitation a REPLY (none with
// Schedule-Reply: F), SCHEDULE-AGENT=CLIENT is left to the client; an event
// under a name of the client's own (not its UID) goes through the whole round.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAVClient, calendarMultiGet } from 'tsdav';

const AUTH = { authorization: `Basic ${Buffer.from('alice@example.com:wonderland').toString('base64')}` };
import { etagOf } from '../../src/itip/actions/action.js';
import { ALICE, calendar, invitation, mail, startDavServer, type DavServer } from './caldav-support.js';

let server: DavServer;
let client: DAVClient;
beforeAll(async () => {
  server = await startDavServer();
  client = new DAVClient({
    serverUrl: server.base,
    credentials: { username: 'alice@example.com', password: 'wonderland' },
    authMethod: 'Basic',
    defaultAccountType: 'caldav',
  });
  await client.login();
});
afterAll(async () => {
  await server?.stop();
});

const NEW_EVENT = calendar(undefined, 'new-1@example.com', [
  'SUMMARY:Review',
  'SEQUENCE:0',
  'ORGANIZER:mailto:alice@example.com',
  'ATTENDEE;PARTSTAT=ACCEPTED:mailto:alice@example.com',
  'ATTENDEE;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:dave@example.net',
], ['DTSTART:20261203T140000Z', 'DTEND:20261203T150000Z']);

describe('tsdav against the agent', () => {
  it('discovers the principal, the home and the one calendar from the base URL', async () => {
    expect(client.account?.principalUrl).toBe(`${server.base}/dav/principals/alice%40example.com/`);
    expect(client.account?.homeUrl).toBe(`${server.base}/dav/calendars/alice%40example.com/`);
    const calendars = await client.fetchCalendars();
    expect(calendars.map((c) => c.url)).toStrictEqual([`${server.base}/dav/calendars/alice%40example.com/calendar/`]);
    expect(calendars[0]!.components).toStrictEqual(['VEVENT', 'VTODO']);
    expect(calendars[0]!.syncToken).toMatch(/^urn:itip-agent:sync:\d+$/);
  });

  it('fetches the events the agent keeps, with the ETag the store gives', async () => {
    const [cal] = await client.fetchCalendars();
    const objects = await client.fetchCalendarObjects({ calendar: cal! });
    const stored = (await server.store.getObject(ALICE, 'seed-1@example.org'))!;
    // tsdav trims the text it reads out of the XML.
    expect(objects.map((o) => ({ url: o.url, etag: o.etag, data: o.data }))).toStrictEqual([
      { url: `${server.base}/dav/calendars/alice%40example.com/calendar/seed-1%40example.org.ics`, etag: etagOf(stored), data: stored.ics.trim() },
    ]);
  });

  it('creates an event with an attendee: stored, and a REQUEST waits in the outbox', async () => {
    const [cal] = await client.fetchCalendars();
    const response = await client.createCalendarObject({ calendar: cal!, filename: 'new-1%40example.com.ics', iCalString: NEW_EVENT });
    expect(response.status).toBe(201);
    const stored = await server.store.getObject(ALICE, 'new-1@example.com');
    expect(stored?.ics).toContain('SUMMARY:Review');
    expect(response.headers.get('etag')).toBe(etagOf(stored!));
    const requests = (await server.store.listOutbox(ALICE)).filter((item) => item.uid === 'new-1@example.com');
    expect(requests.map((item) => ({ method: item.method, to: item.to }))).toStrictEqual([{ method: 'REQUEST', to: ['mailto:dave@example.net'] }]);
  });

  it('refuses a second create of the same UID (If-None-Match: *) with 412', async () => {
    const [cal] = await client.fetchCalendars();
    const response = await client.createCalendarObject({ calendar: cal!, filename: 'new-1%40example.com.ics', iCalString: NEW_EVENT.replace('SUMMARY:Review', 'SUMMARY:Overwritten') });
    expect(response.status).toBe(412);
    expect((await server.store.getObject(ALICE, 'new-1@example.com'))?.ics).toContain('SUMMARY:Review');
  });

  it('refuses an update with a stale ETag with 412 and keeps the stored event', async () => {
    const url = `${server.base}/dav/calendars/alice%40example.com/calendar/new-1%40example.com.ics`;
    const before = (await server.store.getObject(ALICE, 'new-1@example.com'))!;
    const response = await client.updateCalendarObject({
      calendarObject: { url, etag: '"not-the-current-one"', data: NEW_EVENT.replace('SUMMARY:Review', 'SUMMARY:Lost update').replace('SEQUENCE:0', 'SEQUENCE:1') },
    });
    expect(response.status).toBe(412);
    expect(await server.store.getObject(ALICE, 'new-1@example.com')).toStrictEqual(before);
  });

  it('updates with the current ETag: the organizer\'s change goes out as a new REQUEST', async () => {
    const url = `${server.base}/dav/calendars/alice%40example.com/calendar/new-1%40example.com.ics`;
    const before = (await server.store.getObject(ALICE, 'new-1@example.com'))!;
    const response = await client.updateCalendarObject({
      calendarObject: { url, etag: etagOf(before), data: before.ics.replace('DTSTART:20261203T140000Z', 'DTSTART:20261203T133000Z') },
    });
    expect(response.status).toBe(204);
    const requests = (await server.store.listOutbox(ALICE)).filter((item) => item.uid === 'new-1@example.com' && item.method === 'REQUEST');
    expect(requests).toHaveLength(2);
  });

  it('deletes the event: removed from the calendar, and a CANCEL waits in the outbox', async () => {
    const url = `${server.base}/dav/calendars/alice%40example.com/calendar/new-1%40example.com.ics`;
    const current = (await server.store.getObject(ALICE, 'new-1@example.com'))!;
    const response = await client.deleteCalendarObject({ calendarObject: { url, etag: etagOf(current) } });
    expect(response.status).toBe(204);
    expect(await server.store.getObject(ALICE, 'new-1@example.com')).toBeUndefined();
    const cancels = (await server.store.listOutbox(ALICE)).filter((item) => item.uid === 'new-1@example.com' && item.method === 'CANCEL');
    expect(cancels.map((item) => item.to)).toStrictEqual([['mailto:dave@example.net']]);
  });

  it('syncs: after a token, only what changed since, including an invitation that came by mail', async () => {
    const [cal] = await client.fetchCalendars();
    const objects = await client.fetchCalendarObjects({ calendar: cal! });
    await server.deliver(mail('carol@example.org', 'alice@example.com', 'inv2@example.org', invitation('mailed-2@example.org', 'By mail')), ['alice@example.com'], 'carol@example.org');
    const synced = await client.smartCollectionSync({ collection: { ...cal!, objects, objectMultiGet: (params: Parameters<typeof calendarMultiGet>[0]) => calendarMultiGet({ ...params, headers: { ...params.headers, ...AUTH } }) }, method: 'webdav', detailedResult: true });
    expect(synced.objects.created.map((o) => o.url)).toStrictEqual([`${server.base}/dav/calendars/alice%40example.com/calendar/mailed-2%40example.org.ics`]);
    expect(synced.objects.created[0]!.data).toContain('SUMMARY:By mail');
    expect(synced.objects.updated).toStrictEqual([]);
    expect(synced.objects.deleted).toStrictEqual([]);
    expect(synced.syncToken).not.toBe(cal!.syncToken);
  });

  it('answers a wrong password with 401 and another person\'s calendar with 403', async () => {
    const wrong = await fetch(`${server.base}/dav/`, { method: 'PROPFIND', headers: { authorization: `Basic ${Buffer.from('alice@example.com:nope').toString('base64')}`, depth: '0' } });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('www-authenticate')).toMatch(/^Basic /);
    const other = await fetch(`${server.base}/dav/calendars/bob%40example.com/calendar/`, { method: 'PROPFIND', headers: { authorization: `Basic ${Buffer.from('alice@example.com:wonderland').toString('base64')}`, depth: '1' } });
    expect(other.status).toBe(403);
  });
});

describe('tsdav: names, scheduling headers and collection properties', () => {
  const AS_ALICE = { headers: AUTH };
  const calendarUrl = () => `${server.base}/dav/calendars/alice%40example.com/calendar/`;
  const sync = async (cal: Awaited<ReturnType<DAVClient['fetchCalendars']>>[number], objects: Awaited<ReturnType<DAVClient['fetchCalendarObjects']>>) =>
    client.smartCollectionSync({ collection: { ...cal, objects, objectMultiGet: (params: Parameters<typeof calendarMultiGet>[0]) => calendarMultiGet({ ...params, headers: { ...params.headers, ...AUTH } }) }, method: 'webdav', detailedResult: true });

  it('reads getctag, the component set and every calendar user address', async () => {
    const [cal] = await client.fetchCalendars();
    expect(cal!.ctag).toBe(cal!.syncToken);
    expect(cal!.components).toStrictEqual(['VEVENT', 'VTODO']);
    await server.store.transact(ALICE, (tx) => tx.setPref('sender_aliases', 'alice@example.com=alice.liddell@example.com'));
    try {
      const addresses = await client.fetchCalendarUserAddresses({ account: client.account! });
      expect(addresses).toStrictEqual(['mailto:alice@example.com', 'mailto:alice.liddell@example.com', '/dav/principals/alice%40example.com/']);
    } finally {
      await server.store.transact(ALICE, (tx) => tx.setPref('sender_aliases', null));
    }
  });

  it('takes an event under a name that is not its UID through create, list, sync, update and delete', async () => {
    const name = 'E3B0C442-98FC-1C14-9AFB-F4C8996FB924.ics';
    const url = calendarUrl() + name;
    const uid = 'tsdav-named@example.com';
    const [cal] = await client.fetchCalendars();
    let objects = await client.fetchCalendarObjects({ calendar: cal! });
    const event = calendar(undefined, uid, ['SUMMARY:Own name', 'SEQUENCE:0'], ['DTSTART:20261210T090000Z', 'DTEND:20261210T100000Z']);
    const created = await client.createCalendarObject({ calendar: cal!, filename: name, iCalString: event });
    expect(created.status).toBe(201);

    let synced = await sync(cal!, objects);
    expect(synced.objects.created.map((o) => o.url)).toStrictEqual([url]);
    expect(synced.objects.created[0]!.data).toContain(`UID:${uid}`);
    const listed = (await client.fetchCalendarObjects({ calendar: cal! })).find((o) => o.url === url);
    expect(listed?.etag).toBe(created.headers.get('etag'));

    objects = await client.fetchCalendarObjects({ calendar: cal! });
    const [current] = await client.fetchCalendarObjects({ calendar: cal!, objectUrls: [url] });
    const updated = await client.updateCalendarObject({ calendarObject: { ...current!, data: event.replace('SUMMARY:Own name', 'SUMMARY:Renamed').replace('SEQUENCE:0', 'SEQUENCE:1') } });
    expect(updated.status).toBe(204);
    const [{ syncToken: tokenAfterUpdate }] = await client.fetchCalendars();
    synced = await sync(cal!, objects);
    expect(synced.objects.updated.map((o) => o.url)).toStrictEqual([url]);
    expect(synced.objects.updated[0]!.data).toContain('SUMMARY:Renamed');
    expect(await server.store.objectName(ALICE, uid)).toBe(name);

    objects = await client.fetchCalendarObjects({ calendar: cal! });
    const [latest] = await client.fetchCalendarObjects({ calendar: cal!, objectUrls: [url] });
    expect((await client.deleteCalendarObject({ calendarObject: latest! })).status).toBe(204);
    synced = await sync({ ...cal!, syncToken: tokenAfterUpdate }, objects);
    expect(synced.objects.deleted.map((o) => o.url)).toStrictEqual([url]);
    expect(await server.store.getObject(ALICE, uid)).toBeUndefined();
  });

  it('accepts an invitation by writing back the attendee copy: a REPLY to the organizer waits in the outbox', async () => {
    await server.deliver(mail('carol@example.org', 'alice@example.com', 'inv-ts3@example.org', invitation('ts-accept@example.org', 'To accept')), ['alice@example.com'], 'carol@example.org');
    const [cal] = await client.fetchCalendars();
    const [invite] = await client.fetchCalendarObjects({ calendar: cal!, objectUrls: [calendarUrl() + 'ts-accept%40example.org.ics'] });
    const accepted = invite!.data.replace('PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:alice@example.com', 'PARTSTAT=ACCEPTED:mailto:alice@example.com');
    expect((await client.updateCalendarObject({ calendarObject: { ...invite!, data: accepted } })).status).toBe(204);
    const replies = (await server.store.listOutbox(ALICE)).filter((item) => item.uid === 'ts-accept@example.org');
    expect(replies.map((item) => ({ method: item.method, to: item.to }))).toStrictEqual([{ method: 'REPLY', to: ['mailto:carol@example.org'] }]);
    expect(replies[0]!.ics).toContain('PARTSTAT=ACCEPTED:mailto:alice@example.com');
  });

  it('removes an invitation with Schedule-Reply: F without a REPLY', async () => {
    await server.deliver(mail('carol@example.org', 'alice@example.com', 'inv-ts4@example.org', invitation('ts-quiet@example.org', 'Quietly gone')), ['alice@example.com'], 'carol@example.org');
    const [cal] = await client.fetchCalendars();
    const [invite] = await client.fetchCalendarObjects({ calendar: cal!, objectUrls: [calendarUrl() + 'ts-quiet%40example.org.ics'] });
    expect((await client.deleteCalendarObject({ calendarObject: invite!, headers: { ...AS_ALICE.headers, 'Schedule-Reply': 'F' } })).status).toBe(204);
    expect(await server.store.getObject(ALICE, 'ts-quiet@example.org')).toBeUndefined();
    expect((await server.store.listOutbox(ALICE)).filter((item) => item.uid === 'ts-quiet@example.org')).toStrictEqual([]);
  });

  it('leaves an attendee with SCHEDULE-AGENT=CLIENT to the client', async () => {
    const [cal] = await client.fetchCalendars();
    const event = calendar(undefined, 'ts-agents@example.com', ['SUMMARY:Agents', 'ORGANIZER:mailto:alice@example.com',
      'ATTENDEE;PARTSTAT=NEEDS-ACTION:mailto:erin@example.net', 'ATTENDEE;SCHEDULE-AGENT=CLIENT;PARTSTAT=NEEDS-ACTION:mailto:frank@example.net']);
    expect((await client.createCalendarObject({ calendar: cal!, filename: 'agents.ics', iCalString: event })).status).toBe(201);
    const sent = (await server.store.listOutbox(ALICE)).filter((item) => item.uid === 'ts-agents@example.com');
    expect(sent.map((item) => ({ method: item.method, to: item.to }))).toStrictEqual([{ method: 'REQUEST', to: ['mailto:erin@example.net'] }]);
  });

  it('creates a to-do with an attendee, scheduled like an event, and fetches it with a VTODO filter only', async () => {
    const [cal] = await client.fetchCalendars();
    const task = ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//t//EN', 'BEGIN:VTODO', 'UID:ts-task@example.com', 'DTSTAMP:20261101T080000Z',
      'DTSTART:20261204T090000Z', 'DUE:20261204T170000Z', 'SUMMARY:Write the report', 'ORGANIZER:mailto:alice@example.com',
      'ATTENDEE;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:dave@example.net', 'END:VTODO', 'END:VCALENDAR', ''].join('\r\n');
    expect((await client.createCalendarObject({ calendar: cal!, filename: 'task.ics', iCalString: task })).status).toBe(201);
    const sent = (await server.store.listOutbox(ALICE)).filter((item) => item.uid === 'ts-task@example.com');
    expect(sent.map((item) => ({ method: item.method, to: item.to }))).toStrictEqual([{ method: 'REQUEST', to: ['mailto:dave@example.net'] }]);
    const tasks = await client.fetchCalendarObjects({
      calendar: cal!,
      filters: [{ 'comp-filter': { _attributes: { name: 'VCALENDAR' }, 'comp-filter': { _attributes: { name: 'VTODO' } } } }],
    });
    expect(tasks.map((o) => o.url)).toStrictEqual([calendarUrl() + 'task.ics']);
    expect(tasks[0]!.data).toContain('SUMMARY:Write the report');
    // tsdav's default filter asks for VEVENTs: the to-do is not among them.
    const events = await client.fetchCalendarObjects({ calendar: cal! });
    expect(events.map((o) => o.url)).not.toContain(calendarUrl() + 'task.ics');
    expect(events.length).toBeGreaterThan(0);
  });
});

// CalDAV with a real client library (tsdav): discovery from the base URL, the
// calendar and its events, and writes that the agent schedules (RFC 6638):
// a new event with attendees queues a REQUEST, a stale ETag is refused with
// 412, a removal queues a CANCEL.

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
    expect(calendars[0]!.components).toStrictEqual(['VEVENT']);
    expect(calendars[0]!.syncToken).toMatch(/^urn:itip-agent:sync:\d+$/);
  });

  it('fetches the events the agent keeps, with the ETag the store gives', async () => {
    const [cal] = await client.fetchCalendars();
    const objects = await client.fetchCalendarObjects({ calendar: cal! });
    const stored = server.store.getObject(ALICE, 'seed-1@example.org')!;
    // tsdav trims the text it reads out of the XML.
    expect(objects.map((o) => ({ url: o.url, etag: o.etag, data: o.data }))).toStrictEqual([
      { url: `${server.base}/dav/calendars/alice%40example.com/calendar/seed-1%40example.org.ics`, etag: etagOf(stored), data: stored.ics.trim() },
    ]);
  });

  it('creates an event with an attendee: stored, and a REQUEST waits in the outbox', async () => {
    const [cal] = await client.fetchCalendars();
    const response = await client.createCalendarObject({ calendar: cal!, filename: 'new-1%40example.com.ics', iCalString: NEW_EVENT });
    expect(response.status).toBe(201);
    const stored = server.store.getObject(ALICE, 'new-1@example.com');
    expect(stored?.ics).toContain('SUMMARY:Review');
    expect(response.headers.get('etag')).toBe(etagOf(stored!));
    const requests = server.store.listOutbox(ALICE).filter((item) => item.uid === 'new-1@example.com');
    expect(requests.map((item) => ({ method: item.method, to: item.to }))).toStrictEqual([{ method: 'REQUEST', to: ['mailto:dave@example.net'] }]);
  });

  it('refuses a second create of the same UID (If-None-Match: *) with 412', async () => {
    const [cal] = await client.fetchCalendars();
    const response = await client.createCalendarObject({ calendar: cal!, filename: 'new-1%40example.com.ics', iCalString: NEW_EVENT.replace('SUMMARY:Review', 'SUMMARY:Overwritten') });
    expect(response.status).toBe(412);
    expect(server.store.getObject(ALICE, 'new-1@example.com')?.ics).toContain('SUMMARY:Review');
  });

  it('refuses an update with a stale ETag with 412 and keeps the stored event', async () => {
    const url = `${server.base}/dav/calendars/alice%40example.com/calendar/new-1%40example.com.ics`;
    const before = server.store.getObject(ALICE, 'new-1@example.com')!;
    const response = await client.updateCalendarObject({
      calendarObject: { url, etag: '"not-the-current-one"', data: NEW_EVENT.replace('SUMMARY:Review', 'SUMMARY:Lost update').replace('SEQUENCE:0', 'SEQUENCE:1') },
    });
    expect(response.status).toBe(412);
    expect(server.store.getObject(ALICE, 'new-1@example.com')).toStrictEqual(before);
  });

  it('updates with the current ETag: the organizer\'s change goes out as a new REQUEST', async () => {
    const url = `${server.base}/dav/calendars/alice%40example.com/calendar/new-1%40example.com.ics`;
    const before = server.store.getObject(ALICE, 'new-1@example.com')!;
    const response = await client.updateCalendarObject({
      calendarObject: { url, etag: etagOf(before), data: before.ics.replace('DTSTART:20261203T140000Z', 'DTSTART:20261203T133000Z') },
    });
    expect(response.status).toBe(204);
    const requests = server.store.listOutbox(ALICE).filter((item) => item.uid === 'new-1@example.com' && item.method === 'REQUEST');
    expect(requests).toHaveLength(2);
  });

  it('deletes the event: removed from the calendar, and a CANCEL waits in the outbox', async () => {
    const url = `${server.base}/dav/calendars/alice%40example.com/calendar/new-1%40example.com.ics`;
    const current = server.store.getObject(ALICE, 'new-1@example.com')!;
    const response = await client.deleteCalendarObject({ calendarObject: { url, etag: etagOf(current) } });
    expect(response.status).toBe(204);
    expect(server.store.getObject(ALICE, 'new-1@example.com')).toBeUndefined();
    const cancels = server.store.listOutbox(ALICE).filter((item) => item.uid === 'new-1@example.com' && item.method === 'CANCEL');
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

// Published free/busy over HTTP: GET /freebusy/ADDRESS.ifb, public, only for
// users who publish, the same 404 for everyone else; the range, the cache
// headers and a conditional GET. Real LMDB store, real listener on loopback.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ICAL from 'ical.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processMail } from '../../src/agent/process-message.js';
import { parseRangeTime } from '../../src/http/published-freebusy.js';
import { LmdbStore } from '../../src/store/lmdb-store.js';
import { startStoreWeb, type StoreWeb } from './store-web.js';
import { send } from './web-client.js';

const NOW = Date.parse('2026-11-15T12:00:00Z');
const dir = mkdtempSync(join(tmpdir(), 'itip-agent-published-'));
let store: LmdbStore;
let web: StoreWeb;

function organizerRequest(organizer: string, uid: string, start: string, end: string): Buffer {
  const ics = [
    'BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//t//EN', 'METHOD:REQUEST', 'BEGIN:VEVENT', `UID:${uid}`, 'DTSTAMP:20261101T080000Z',
    `DTSTART:${start}`, `DTEND:${end}`, 'SEQUENCE:0', 'SUMMARY:Secret project <b>', `ORGANIZER:mailto:${organizer}`,
    'ATTENDEE;PARTSTAT=NEEDS-ACTION:mailto:someone@example.org', 'END:VEVENT', 'END:VCALENDAR', '',
  ].join('\r\n');
  return Buffer.from(`From: ${organizer}\r\nTo: someone@example.org\r\nSubject: s\r\nMessage-ID: <${uid}@t>\r\nContent-Type: text/calendar; method=REQUEST\r\n\r\n${ics}`);
}

async function seed(user: string, prefs: Record<string, string>): Promise<void> {
  await processMail(store, organizerRequest(user, `${user}-1`, '20261120T090000Z', '20261120T100000Z'), { recipients: [], sender: user, outgoing: true }, NOW);
  await processMail(store, organizerRequest(user, `${user}-2`, '20261120T093000Z', '20261120T110000Z'), { recipients: [], sender: user, outgoing: true }, NOW);
  await store.transact(`mailto:${user}`, (tx) => {
    for (const [key, value] of Object.entries(prefs)) tx.setPref(key, value);
  });
}

beforeAll(async () => {
  store = new LmdbStore(join(dir, 'store'));
  await seed('alice@example.com', { freebusy_sharing: 'share', freebusy_publishing: 'publish', CN: 'Alice' });
  await seed('bob@example.com', { freebusy_sharing: 'share' });
  await seed('carol@example.com', { freebusy_publishing: 'publish' });
  web = await startStoreWeb({ store, now: NOW, localDomains: ['example.com'] });
});
afterAll(async () => {
  await web.stop();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const get = (path: string, headers: Record<string, string> = {}) => send({ port: web.listener.port! }, path, { headers });

describe('GET /freebusy/ADDRESS.ifb', () => {
  it('gives a publishing user\'s busy time without a sign-in, as a VFREEBUSY PUBLISH', async () => {
    const response = await get('/freebusy/alice@example.com.ifb');
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toBe('text/calendar; charset=utf-8; method=PUBLISH');
    expect(response.headers['cache-control']).toBe('public, max-age=60');
    expect(response.headers.etag).toMatch(/^"[A-Za-z0-9_-]{22}"$/);
    const vcalendar = new ICAL.Component(ICAL.parse(response.body) as unknown[]);
    expect(vcalendar.getFirstPropertyValue('method')).toBe('PUBLISH');
    const vfreebusy = vcalendar.getFirstSubcomponent('vfreebusy')!;
    expect(vfreebusy.getFirstPropertyValue('organizer')).toBe('mailto:alice@example.com');
    expect(String(vfreebusy.getFirstPropertyValue('dtstart'))).toBe('2026-11-15T00:00:00Z');
    expect(vfreebusy.getAllProperties('freebusy').map((p) => String(p.getFirstValue()))).toEqual(['2026-11-20T09:00:00Z/2026-11-20T11:00:00Z']);
    // Busy time only: nothing of what the events are.
    expect(response.body).not.toContain('Secret');
    expect(response.body).not.toContain('alice@example.com-1');
  });

  it('takes the address as a mailto: URI, URL-encoded or not, and as a bare name in the local domain', async () => {
    const expected = (await get('/freebusy/alice@example.com.ifb')).body;
    for (const path of ['/freebusy/mailto%3Aalice%40example.com.ifb', '/freebusy/mailto:alice@example.com.ifb', '/freebusy/ALICE@Example.COM.ifb', '/freebusy/alice.ifb']) {
      const response = await get(path);
      expect(response.status, path).toBe(200);
      expect(response.body, path).toBe(expected);
    }
  });

  it('answers 304 to a client that has the same busy time', async () => {
    const first = await get('/freebusy/alice@example.com.ifb');
    const again = await get('/freebusy/alice@example.com.ifb', { 'if-none-match': first.headers.etag as string });
    expect(again.status).toBe(304);
    expect(again.body).toBe('');
    const other = await get('/freebusy/alice@example.com.ifb', { 'if-none-match': '"something-else"' });
    expect(other.status).toBe(200);
  });

  it('gives the same 404 for a user who does not publish, who shares without publishing, and for no user at all', async () => {
    const answers = await Promise.all(
      ['/freebusy/bob@example.com.ifb', '/freebusy/carol@example.com.ifb', '/freebusy/nobody@example.com.ifb', '/freebusy/not-an-address.ifb', '/freebusy/alice@example.com.vfb'].map((path) => get(path)),
    );
    for (const answer of answers) {
      expect(answer.status).toBe(404);
      expect(answer.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(answer.headers['cache-control']).toBe('no-store');
      expect(answer.body).toBe(answers[0]!.body);
    }
  });

  it('publishes ?start=&end= cut to the free/busy window, and says what is wrong with a range it cannot use', async () => {
    const some = await get('/freebusy/alice@example.com.ifb?start=2026-11-20T09:30:00Z&end=20261120T100000Z');
    expect(some.status).toBe(200);
    const vfreebusy = new ICAL.Component(ICAL.parse(some.body) as unknown[]).getFirstSubcomponent('vfreebusy')!;
    expect(vfreebusy.getAllProperties('freebusy').map((p) => String(p.getFirstValue()))).toEqual(['2026-11-20T09:30:00Z/2026-11-20T10:00:00Z']);

    const wide = await get('/freebusy/alice@example.com.ifb?start=2020-01-01&end=2030-01-01');
    const wideBusy = new ICAL.Component(ICAL.parse(wide.body) as unknown[]).getFirstSubcomponent('vfreebusy')!;
    // The default window is 365 days either side of now.
    expect(String(wideBusy.getFirstPropertyValue('dtstart'))).toBe('2025-11-15T12:00:00Z');
    expect(String(wideBusy.getFirstPropertyValue('dtend'))).toBe('2027-11-15T12:00:00Z');

    const bad = await get('/freebusy/alice@example.com.ifb?start=tomorrow');
    expect(bad.status).toBe(400);
    expect(bad.body).toContain('?start= must be a UTC date-time such as 2026-12-01T09:00:00Z');
    const outside = await get('/freebusy/alice@example.com.ifb?start=2029-01-01&end=2029-02-01');
    expect(outside.status).toBe(400);
    expect(outside.body).toContain('Free/busy is published from 2025-11-15T12:00:00Z to 2027-11-15T12:00:00Z');
  });

  it('reads range times strictly', () => {
    expect(parseRangeTime('2026-12-01T09:00:00Z')).toBe(Date.parse('2026-12-01T09:00:00Z'));
    expect(parseRangeTime('20261201T090000Z')).toBe(Date.parse('2026-12-01T09:00:00Z'));
    expect(parseRangeTime('2026-12-01')).toBe(Date.parse('2026-12-01T00:00:00Z'));
    for (const text of ['2026-02-31', '2026-12-01T09:00:00', '2026-12-01T25:00:00Z', 'now', '']) expect(parseRangeTime(text), text).toBeUndefined();
  });
});

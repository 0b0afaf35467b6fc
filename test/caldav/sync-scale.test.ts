// Sync at scale (RFC 6578): a first sync of a calendar of 10,000 events lists
// them all with their ETags, and the sync after one change answers from the
// change log: it lists that one event and reads neither the whole calendar
// nor any other event.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { etagOf } from '../../src/itip/actions/action.js';
import type { Store } from '../../src/store/store.js';
import { ALICE, calendar, startDavServer, type DavServer } from './caldav-support.js';

const COUNT = 10_000;
const AUTH = `Basic ${Buffer.from('alice@example.com:wonderland').toString('base64')}`;
const CAL = '/dav/calendars/alice%40example.com/calendar/';

const reads = { listObjects: 0, getObject: 0 };
/** The real store, with its whole-calendar and per-object reads counted. */
function counted(store: Store): Store {
  return new Proxy(store, {
    get(target, name, receiver) {
      const value = Reflect.get(target, name, receiver) as unknown;
      if (typeof value !== 'function') return value;
      if (name === 'listObjects' || name === 'getObject') {
        return (...args: unknown[]) => {
          reads[name] += 1;
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      }
      return (value as (...a: unknown[]) => unknown).bind(target);
    },
  });
}

let server: DavServer;
beforeAll(async () => {
  server = await startDavServer({ view: counted });
  await server.store.transact(ALICE, (tx) => {
    for (let i = 0; i < COUNT; i++) {
      const day = String(1 + (i % 28)).padStart(2, '0');
      tx.putObject({ uid: `bulk-${i}@example.com`, ics: calendar(undefined, `bulk-${i}@example.com`, [`SUMMARY:Event ${i}`], [`DTSTART:202701${day}T090000Z`, `DTEND:202701${day}T100000Z`]) });
    }
  });
}, 120_000);
afterAll(async () => {
  await server?.stop();
});

async function sync(token: string): Promise<{ status: number; text: string }> {
  const body = `<d:sync-collection xmlns:d="DAV:"><d:sync-token>${token}</d:sync-token><d:sync-level>1</d:sync-level><d:prop><d:getetag/></d:prop></d:sync-collection>`;
  const response = await fetch(server.base + CAL, { method: 'REPORT', headers: { authorization: AUTH, 'content-type': 'application/xml', depth: '1' }, body });
  return { status: response.status, text: await response.text() };
}

describe('sync-collection of 10,000 events', () => {
  it('lists every event in the first sync, and only the changed one after a change, without reading the calendar', async () => {
    const first = await sync('');
    expect(first.status).toBe(207);
    expect(first.text.match(/<d:response>/g)).toHaveLength(COUNT + 1);
    const token = /<d:sync-token>([^<]*)<\/d:sync-token>/.exec(first.text)![1]!;

    await server.store.transact(ALICE, (tx) => {
      const object = tx.getObject('bulk-4321@example.com')!;
      tx.putObject({ ...object, ics: object.ics.replace('SUMMARY:Event 4321', 'SUMMARY:Changed') });
    });
    reads.listObjects = 0;
    reads.getObject = 0;
    const second = await sync(token);
    expect(second.status).toBe(207);
    const changed = (await server.store.getObject(ALICE, 'bulk-4321@example.com'))!;
    const etag = etagOf(changed).replace(/"/g, '&quot;');
    expect(second.text).toContain(`<d:response><d:href>${CAL}bulk-4321%40example.com.ics</d:href><d:propstat><d:prop><d:getetag>${etag}</d:getetag></d:prop>`);
    expect(second.text.match(/<d:response>/g)).toHaveLength(1);
    expect(reads).toStrictEqual({ listObjects: 0, getObject: 1 });
  }, 120_000);
});

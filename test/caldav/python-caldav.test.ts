// CalDAV with Debian's python3-caldav against `itip-agent serve --http` (the
// built program, a child process): discovery, the calendar and its events and
// properties, creating an event with an attendee (a REQUEST is queued),
// accepting an invitation by writing back the attendee's copy (the agent
// queues the REPLY, RFC 6638 section 3.2), an event under a name of the
// client's own, a stale change refused with 412, a removal (a CANCEL), and a
// sync that shows an invitation which came by mail after the previous sync.

import { caldavPython } from '../integration/tools.js';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processMail } from '../../src/agent/process-message.js';
import { LmdbStore } from '../../src/store/lmdb-store.js';
import { startServeChild, type ServeChild } from '../http/serve-child.js';
import { writePasswords } from '../http/web-support.js';
import { NOW, ROOT, tempDir } from '../cli/run-cli.js';
import { ALICE, calendar, invitation, mail } from './caldav-support.js';

// The script goes in as text (-c): a python3 from the tests' Debian root does not see the checkout.
const SCRIPT = readFileSync(join(ROOT, 'test/caldav/python-client.py'), 'utf8');
let python: string;
const run = promisify(execFile);

const dir = tempDir('itip-agent-pycaldav-');
const storeDir = join(dir.path, 'store');
let store: LmdbStore;
let server: ServeChild;
let base: string;

async function client(step: string, arg?: string): Promise<Record<string, unknown>> {
  const { stdout } = await run(python, ['-c', SCRIPT, `${base}/`, 'alice@example.com', 'wonderland', step, ...(arg ? [arg] : [])], { timeout: 60_000 });
  return JSON.parse(stdout) as Record<string, unknown>;
}

const deliver = (uid: string, summary: string, id: string) =>
  processMail(store, mail('carol@example.org', 'alice@example.com', id, invitation(uid, summary)), { recipients: ['alice@example.com'], sender: 'carol@example.org' }, Date.parse(NOW));

beforeAll(async () => {
  // The host's python3 with caldav, else the tests' own Debian root's (built on a first run: minutes).
  python = await caldavPython();
  store = new LmdbStore(storeDir);
  await deliver('pyseed-1@example.org', 'Seeded', 'py1@example.org');
  await writePasswords(join(storeDir, 'passwords'));
  server = await startServeChild(storeDir, ['serve', '--http', '127.0.0.1:0']);
  base = `http://127.0.0.1:${server.httpPort()}`;
}, 1_800_000); // a first run may build the tools root (debootstrap, apt-get inside it)
afterAll(async () => {
  await server?.stop();
  await store?.close();
  dir.remove();
});

describe('python3-caldav against serve --http', () => {
  it('discovers the principal and the calendar, and fetches the events', async () => {
    const listed = await client('list');
    expect(listed.principal).toBe(`${base}/dav/principals/alice%40example.com/`);
    expect(listed.calendars).toStrictEqual([`${base}/dav/calendars/alice%40example.com/calendar/`]);
    const stored = (await store.getObject(ALICE, 'pyseed-1@example.org'))!;
    // The library hands calendar data on with LF line ends whatever the server sent.
    const events = (listed.events as Array<{ url: string; data: string }>).map((e) => ({ url: e.url, data: e.data.replace(/\r\n/g, '\n') }));
    expect(events).toStrictEqual([{ url: `${base}/dav/calendars/alice%40example.com/calendar/pyseed-1%40example.org.ics`, data: stored.ics.replace(/\r\n/g, '\n') }]);
  }, 60_000);

  it('accepts an invitation by PUT of the attendee copy: stored as ACCEPTED, and a REPLY to the organizer waits in the outbox', async () => {
    await client('accept', 'pyseed-1@example.org');
    expect((await store.getObject(ALICE, 'pyseed-1@example.org'))!.ics).toContain('PARTSTAT=ACCEPTED:mailto:alice@example.com');
    const replies = (await store.listOutbox(ALICE)).filter((item) => item.uid === 'pyseed-1@example.org');
    expect(replies.map((item) => ({ method: item.method, to: item.to }))).toStrictEqual([{ method: 'REPLY', to: ['mailto:carol@example.org'] }]);
    expect(replies[0]!.ics).toContain('PARTSTAT=ACCEPTED');
  }, 60_000);

  it('reads the calendar user addresses, the component set and getctag', async () => {
    const props = await client('props');
    expect(props.addresses).toStrictEqual(['mailto:alice@example.com', '/dav/principals/alice%40example.com/']);
    expect(props.components).toStrictEqual(['VEVENT', 'VTODO']);
    expect(props.ctag).toBe(props.token);
  }, 60_000);

  it('creates an event with an attendee: stored, and a REQUEST waits in the outbox; a stale change is refused with 412; a removal sends a CANCEL', async () => {
    const event = calendar(undefined, 'py-new@example.com', ['SUMMARY:From Python', 'SEQUENCE:0', 'ORGANIZER:mailto:alice@example.com',
      'ATTENDEE;PARTSTAT=ACCEPTED:mailto:alice@example.com', 'ATTENDEE;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:dave@example.net'], ['DTSTART:20261204T090000Z', 'DTEND:20261204T100000Z']);
    await client('create', event);
    expect((await store.getObject(ALICE, 'py-new@example.com'))?.ics).toContain('SUMMARY:From Python');
    const sent = async () => (await store.listOutbox(ALICE)).filter((item) => item.uid === 'py-new@example.com').map((item) => ({ method: item.method, to: item.to }));
    expect(await sent()).toStrictEqual([{ method: 'REQUEST', to: ['mailto:dave@example.net'] }]);
    const before = await store.getObject(ALICE, 'py-new@example.com');
    expect((await client('update-stale', 'py-new@example.com')).status).toBe(412);
    expect(await store.getObject(ALICE, 'py-new@example.com')).toStrictEqual(before);
    await client('delete', 'py-new@example.com');
    expect(await store.getObject(ALICE, 'py-new@example.com')).toBeUndefined();
    // Both are made at the same (fixed) time: their order is by id.
    expect((await sent()).sort((a, b) => a.method.localeCompare(b.method))).toStrictEqual([{ method: 'CANCEL', to: ['mailto:dave@example.net'] }, { method: 'REQUEST', to: ['mailto:dave@example.net'] }]);
  }, 60_000);

  it('stores an event under a name of its own, finds it by UID and lists it under that name', async () => {
    const event = calendar(undefined, 'py-named@example.com', ['SUMMARY:Named'], ['DTSTART:20261205T090000Z', 'DTEND:20261205T100000Z']);
    const named = await client('create-named', `6B29FC40-CA47-1067-B31D-00DD010662DA.ics|${event}`);
    const url = `${base}/dav/calendars/alice%40example.com/calendar/6B29FC40-CA47-1067-B31D-00DD010662DA.ics`;
    expect(named.url).toBe(url);
    expect(named.found).toBe(url);
    expect(named.listed).toContain(url);
    expect(await store.objectName(ALICE, 'py-named@example.com')).toBe('6B29FC40-CA47-1067-B31D-00DD010662DA.ics');
  }, 60_000);

  it('syncs: after an invitation arrives by mail, the next sync brings it and nothing else', async () => {
    const first = await client('sync');
    expect((first.objects as Array<{ url: string }>).map((o) => o.url)).toStrictEqual([
      `${base}/dav/calendars/alice%40example.com/calendar/6B29FC40-CA47-1067-B31D-00DD010662DA.ics`,
      `${base}/dav/calendars/alice%40example.com/calendar/pyseed-1%40example.org.ics`,
    ]);
    await deliver('pymail-2@example.org', 'Came by mail', 'py2@example.org');
    const second = await client('sync', first.token as string);
    expect((second.objects as Array<{ url: string; data: string }>).map((o) => o.url)).toStrictEqual([`${base}/dav/calendars/alice%40example.com/calendar/pymail-2%40example.org.ics`]);
    expect((second.objects as Array<{ data: string }>)[0]!.data).toContain('SUMMARY:Came by mail');
    expect(second.token).not.toBe(first.token);
  }, 60_000);
});

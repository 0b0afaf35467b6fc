// CalDAV sync (RFC 6578) over real HTTP on loopback, against `itip-agent
// serve --http` (the built program, a child process), for a calendar of
// 10,000 events and one of 50,000:
// - initial sync: sync-collection without a token (every href and ETag),
//   then calendar-multiget of every event in batches of 500, as DAVx5 and
//   tsdav do;
// - incremental sync after one change: the client PUTs a change to one event
//   (If-Match), then sync-collection with its token lists that one event and
//   calendar-multiget fetches it. Only the two REPORTs are timed.
// The incremental figure must not grow with the calendar: its answer comes
// from the change log alone (src/store/lmdb-changes.ts; test/caldav/
// sync-scale.test.ts counts the store reads). Both servers run at once and
// the rounds take turns, so that both sizes see the same load; on a shared
// machine single rounds still scatter widely (5 to 90 ms seen under load, in
// both sizes), so the figure is the median of 21 rounds, with the best one
// beside it. Target: the 50,000 figure at most 1.5x the 10,000 one.
//
// Events are written straight into the store (one transaction), as the
// calendar of a user who has had them for years; the store then is closed
// and the server opens it.

import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { BIN, dist, median, scratch } from './common.mjs';

const USER = 'mailto:bench-dav@example.com';
const LOGIN = 'bench-dav@example.com';
const PASSWORD = 'bench password';
const AUTH = `Basic ${Buffer.from(`${LOGIN}:${PASSWORD}`).toString('base64')}`;
const CAL = '/dav/calendars/bench-dav%40example.com/calendar/';
const BATCH = 500;
const ROUNDS = 21;

function eventText(i, summary = `Event ${i}`) {
  const day = new Date(Date.UTC(2026, 0, 1) + (i % 700) * 86_400_000).toISOString().slice(0, 10).replace(/-/g, '');
  const hour = String(8 + (i % 9)).padStart(2, '0');
  return [
    'BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//bench//EN', 'BEGIN:VEVENT', `UID:bench-${i}@example.com`, 'DTSTAMP:20261101T080000Z',
    `DTSTART:${day}T${hour}0000Z`, `DTEND:${day}T${hour}3000Z`, `SUMMARY:${summary}`, 'SEQUENCE:0', `LOCATION:Room ${i % 40}`,
    'DESCRIPTION:Agenda\\nFirst item\\nSecond item', 'END:VEVENT', 'END:VCALENDAR', '',
  ].join('\r\n');
}

async function fill(dir, count) {
  const { LmdbStore } = await dist('store/lmdb-store.js');
  const { hashPassword, updatePasswordFile } = await dist('http/password-file.js');
  const store = new LmdbStore(dir);
  await store.transact(USER, (tx) => {
    tx.setRole('person');
    for (let i = 0; i < count; i++) tx.putObject({ uid: `bench-${i}@example.com`, ics: eventText(i) });
  });
  await store.close();
  await updatePasswordFile(join(dir, 'passwords'), USER, await hashPassword(PASSWORD));
}

function serve(dir, env) {
  const child = spawn(process.execPath, [BIN, '--store', dir, 'serve', '--http', '127.0.0.1:0'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  return new Promise((resolve, reject) => {
    let log = '';
    createInterface({ input: child.stderr }).on('line', (line) => {
      log += line + '\n';
      if (line.includes('"listening for HTTP"')) resolve({ child, port: JSON.parse(line).port });
    });
    child.once('exit', (code) => reject(new Error(`serve exited ${code}: ${log}`)));
  });
}

async function dav(base, method, path, body, headers = {}) {
  const response = await fetch(base + path, { method, headers: { authorization: AUTH, 'content-type': 'application/xml; charset=utf-8', ...headers }, body });
  const text = await response.text();
  if (response.status >= 300) throw new Error(`${method} ${path}: ${response.status} ${text.slice(0, 300)}`);
  return { text, headers: response.headers };
}

const syncBody = (token) => `<d:sync-collection xmlns:d="DAV:"><d:sync-token>${token}</d:sync-token><d:sync-level>1</d:sync-level><d:prop><d:getetag/></d:prop></d:sync-collection>`;
const multigetBody = (hrefs) =>
  `<c:calendar-multiget xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav"><d:prop><d:getetag/><c:calendar-data/></d:prop>${hrefs.map((h) => `<d:href>${h}</d:href>`).join('')}</c:calendar-multiget>`;
const hrefsOf = (text) => [...text.matchAll(/<d:response><d:href>([^<]*)<\/d:href><d:propstat>/g)].map((m) => m[1]);
const tokenOf = (text) => /<d:sync-token>([^<]*)<\/d:sync-token>/.exec(text)[1];

async function timed(work) {
  const start = process.hrtime.bigint();
  const value = await work();
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, value };
}

/** A server over a store of `count` events, with the password check paid. */
async function calendarServer(count, env) {
  const dir = scratch('caldav');
  await fill(dir, count);
  const server = await serve(dir, env);
  const base = `http://127.0.0.1:${server.port}`;
  // The first request pays the password check (scrypt); later ones are remembered.
  await dav(base, 'PROPFIND', CAL, '<d:propfind xmlns:d="DAV:"><d:prop><d:sync-token/></d:prop></d:propfind>', { depth: '0' });
  return {
    count,
    base,
    token: '',
    async stop() {
      const exited = new Promise((done) => server.child.once('exit', done));
      server.child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** One initial sync: every href and ETag, then every event by multiget. */
async function initialSync(calendar) {
  const { base, count } = calendar;
  const sync = await timed(() => dav(base, 'REPORT', CAL, syncBody(''), { depth: '1' }));
  const hrefs = hrefsOf(sync.value.text);
  if (hrefs.length !== count) throw new Error(`the first sync listed ${hrefs.length} events, not ${count}`);
  calendar.token = tokenOf(sync.value.text);
  const fetched = await timed(async () => {
    let events = 0;
    for (let i = 0; i < hrefs.length; i += BATCH) events += hrefsOf((await dav(base, 'REPORT', CAL, multigetBody(hrefs.slice(i, i + BATCH)), { depth: '1' })).text).length;
    return events;
  });
  if (fetched.value !== count) throw new Error(`the multigets brought ${fetched.value} events, not ${count}`);
  return { listingMs: sync.ms, totalMs: sync.ms + fetched.ms };
}

/** A client's change to one event (If-Match, scheduled by the agent), then the timed sync that brings it. */
async function incrementalSync(calendar, round) {
  const { base, count } = calendar;
  const i = (round * 7919) % count;
  const href = `${CAL}bench-${i}%40example.com.ics`;
  const current = await fetch(base + href, { headers: { authorization: AUTH } });
  const etag = current.headers.get('etag');
  await current.text();
  await dav(base, 'PUT', href, eventText(i, `Changed ${round}`), { 'content-type': 'text/calendar; charset=utf-8', 'if-match': etag });
  const result = await timed(async () => {
    const sync = await dav(base, 'REPORT', CAL, syncBody(calendar.token), { depth: '1' });
    const hrefs = hrefsOf(sync.text);
    const data = await dav(base, 'REPORT', CAL, multigetBody(hrefs), { depth: '1' });
    return { hrefs, token: tokenOf(sync.text), changed: data.text.includes(`SUMMARY:Changed ${round}`) };
  });
  if (result.value.hrefs.length !== 1 || result.value.hrefs[0] !== href || !result.value.changed) throw new Error(`the incremental sync did not bring the one changed event: ${JSON.stringify(result.value.hrefs)}`);
  calendar.token = result.value.token;
  return result.ms;
}

export async function benchCalDav() {
  const env = { ...process.env, ITIP_AGENT_STORE: undefined };
  const calendars = [];
  try {
    calendars.push(await calendarServer(10_000, env), await calendarServer(50_000, env));
    const [small, large] = calendars;
    const initial = { small: [], large: [] };
    const incremental = { small: [], large: [] };
    // In turns, so that both sizes see the same load on a shared machine.
    for (let r = 0; r < 3; r++) {
      initial.small.push(await initialSync(small));
      initial.large.push(await initialSync(large));
    }
    for (let r = 0; r < ROUNDS; r++) {
      incremental.small.push(await incrementalSync(small, r));
      incremental.large.push(await incrementalSync(large, r));
    }
    const figures = (key) => ({
      initialMs: median(initial[key].map((x) => x.totalMs)),
      listingMs: median(initial[key].map((x) => x.listingMs)),
      incrementalMs: median(incremental[key]),
      incrementalBestMs: Math.min(...incremental[key]),
      incremental: incremental[key],
    });
    const a = figures('small');
    const b = figures('large');
    const ratio = b.incrementalMs / a.incrementalMs;
    return [
      { id: 'caldav-initial', name: 'caldav: initial sync, 10,000 events', figure: `${(a.initialMs / 1000).toFixed(2)} s`, floor: `${a.listingMs.toFixed(0)} ms of it the sync-collection`, ratio: null, target: '-', met: null, ...a },
      { id: 'caldav-initial-50k', name: 'caldav: initial sync, 50,000 events', figure: `${(b.initialMs / 1000).toFixed(2)} s`, floor: `${b.listingMs.toFixed(0)} ms of it the sync-collection`, ratio: b.initialMs / a.initialMs, target: '-', met: null, ...b },
      {
        id: 'caldav-incremental',
        name: `caldav: sync after one change, 50,000 vs 10,000 events (median of ${ROUNDS})`,
        figure: `${b.incrementalMs.toFixed(1)} ms (best ${b.incrementalBestMs.toFixed(1)})`,
        floor: `${a.incrementalMs.toFixed(1)} ms (best ${a.incrementalBestMs.toFixed(1)}) at 10,000`,
        ratio,
        target: '<= 1.5',
        met: ratio <= 1.5,
        bestRatio: b.incrementalBestMs / a.incrementalBestMs,
      },
    ];
  } finally {
    for (const calendar of calendars) await calendar.stop();
  }
}

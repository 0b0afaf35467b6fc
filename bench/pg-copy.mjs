// `store copy` of one big user from LMDB to PostgreSQL (copyStore, what
// `itip-agent store copy DIR postgres://...` runs), against the server named
// by ITIP_AGENT_BENCH_PG, or on a throwaway server of its own when that is unset, as in bench/pg-store.mjs. Run after `npm run build`:
//
//   ITIP_AGENT_BENCH_PG=postgres://postgres@127.0.0.1:5432/postgres node bench/pg-copy.mjs [EVENTS]
//
// The user holds EVENTS events (default 10,000; 20% weekly for two years):
// objects, own periods, a request and others' periods for every third event,
// a journal entry and a seen mark for each. Figures: the first copy (an empty
// target: everything in one commitIf) and a second one (nothing to write),
// each with its time and the statements it sent.

import { rmSync } from 'node:fs';
import { DAY, dist, scratch } from './common.mjs';
import { benchPgServer, countStatements, scratchDatabase } from './pg-server.mjs';

const server = await benchPgServer();
if (!server.url) {
  console.error(`${server.reason}: set ITIP_AGENT_BENCH_PG to a postgres:// URL of a server where the user may create databases`);
  process.exit(2);
}
const EVENTS = Number(process.argv[2] ?? 10_000);
const USER = 'mailto:big@bench.example';
const ORGANIZER = 'mailto:organizer@bench.example';
const NOW_MS = Date.UTC(2026, 10, 2, 8);
const iso = (ms) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

const { PgStore } = await dist('store/pg-store.js');
const { LmdbStore } = await dist('store/lmdb-store.js');
const { copyStore } = await dist('store/copy-store.js');

// Every statement any client sends, counted.
const counter = countStatements();

function ics(uid, startMs) {
  return ['BEGIN:VCALENDAR', 'VERSION:2.0', 'BEGIN:VEVENT', `UID:${uid}`, `DTSTART:${iso(startMs).replace(/[-:]/g, '')}`, 'SUMMARY:Bench', 'END:VEVENT', 'END:VCALENDAR', ''].join('\r\n');
}

async function fill(store) {
  const windowStart = NOW_MS - 365 * DAY;
  const windowEnd = NOW_MS + 365 * DAY;
  await store.transact(USER, (tx) => tx.setRole('person'));
  for (let done = 0; done < EVENTS; done += 1000) {
    await store.transact(USER, (tx) => {
      for (let i = done; i < Math.min(done + 1000, EVENTS); i++) {
        const uid = `stored-${i}@bench.example`;
        const startMs = windowStart + ((i * 7919) % (730 * 48)) * 1_800_000;
        tx.putObject({ uid, ics: ics(uid, startMs) });
        const list = [];
        if (i % 100 < 20) {
          for (let t = startMs; t < windowEnd; t += 7 * DAY) list.push({ start: iso(t), end: iso(t + 3_600_000), fbtype: 'BUSY', uid, recurrenceId: iso(t) });
        } else list.push({ start: iso(startMs), end: iso(startMs + 3_600_000), fbtype: 'BUSY', uid, recurrenceId: null });
        tx.setOwnPeriods(uid, list);
        const messageId = `<m${i}@bench.example>`;
        if (i % 3 === 0) {
          tx.putRequest({ uid, recurrenceId: null, from: ORGANIZER, received: iso(NOW_MS), sequence: 0, messageId });
          tx.setOthersPeriods(uid, ORGANIZER, [{ ...list[0], participant: ORGANIZER }]);
        }
        tx.addJournal({ messageId, recipient: USER, method: 'REQUEST', uid, outcome: 'applied', reason: 'bench', at: iso(NOW_MS) });
        tx.markSeen(`${messageId}:digest`, iso(NOW_MS));
      }
    });
  }
}

async function timedCopy(from, to) {
  const before = counter.statements;
  const t0 = performance.now();
  const summary = await copyStore(from, to);
  return { seconds: (performance.now() - t0) / 1000, statements: counter.statements - before, summary };
}

const dir = scratch('pg-copy');
const lmdb = new LmdbStore(dir);
const db = await scratchDatabase(server.url);
const target = await PgStore.open(db.url);
try {
  await fill(lmdb);
  const first = await timedCopy(lmdb, target);
  if (first.summary.copied !== 1 || first.summary.objects !== EVENTS) throw new Error(`unexpected copy summary ${JSON.stringify(first.summary)}`);
  const second = await timedCopy(lmdb, target);
  if (second.summary.unchanged !== 1) throw new Error(`the second copy changed something: ${JSON.stringify(second.summary)}`);
  const counts = first.summary.counts;
  const rows = [
    [`store copy LMDB -> PostgreSQL, one user with ${EVENTS} events`, `${first.seconds.toFixed(1)} s`, `${first.statements} statements; ${counts.ownPeriods} own periods, ${counts.journal} journal entries`],
    ['the same copy again (nothing to write)', `${second.seconds.toFixed(1)} s`, `${second.statements} statements`],
  ];
  for (const row of rows) console.log(row.join(' | '));
} finally {
  await target.close();
  await lmdb.close();
  await db.drop();
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
}

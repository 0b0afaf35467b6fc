// The PostgreSQL store on its own, against the server named by
// ITIP_AGENT_BENCH_PG (postgres://USER@HOST:PORT/DB; the user must be allowed
// to create databases: each run makes a scratch database beside DB and drops
// it at the end), or without it a throwaway server of its own
// (bench/pg-server.mjs). Run after `npm run build`:
//
//   node bench/pg-store.mjs
//   ITIP_AGENT_BENCH_PG=postgres://postgres@127.0.0.1:5432/postgres node bench/pg-store.mjs
//
// (`npm run bench -- pg` gives the PostgreSQL rows of the README, in turns with LMDB.)
// Figures (medians):
// - one mail's store work on a warm pool: the read view (redelivery guard,
//   object, requests, a day of periods) then commitIf with what an invitation
//   writes (object, own and others' periods, request, journal, seen mark,
//   outbox item); the statements sent per mail and the runs of the callback;
//   one mail at a time, and 16 at once for 50 users;
// - processMail on the real-client mix (bench/generate.mjs), PostgreSQL and
//   LMDB mail by mail in turns, with the statements a mail sends;
// - free/busy of a user with 10,000 events (20% weekly without end): busy
//   time over a year (Store.busyTime) and the periods of a month.

import { rmSync } from 'node:fs';
import { PgStore } from '../dist/store/pg-store.js';
import { LmdbStore } from '../dist/store/lmdb-store.js';
import { processMail } from '../dist/agent/process-message.js';
import { NOW_MS as MIX_NOW_MS, envelopeOf, scratch } from './common.mjs';
import { generateClientMails } from './generate.mjs';
import { benchPgServer, countStatements, scratchDatabase } from './pg-server.mjs';

const server = await benchPgServer();
if (!server.url) {
  console.error(`${server.reason}: set ITIP_AGENT_BENCH_PG to a postgres:// URL of a server where the user may create databases`);
  process.exit(2);
}

const DAY = 86_400_000;
const NOW_MS = Date.UTC(2026, 10, 2, 8);
const iso = (ms) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

// Every statement any client sends, counted.
const counter = countStatements();

function ics(uid, startMs) {
  return ['BEGIN:VCALENDAR', 'VERSION:2.0', 'BEGIN:VEVENT', `UID:${uid}`, `DTSTART:${iso(startMs).replace(/[-:]/g, '')}`, 'SUMMARY:Bench', 'END:VEVENT', 'END:VCALENDAR', ''].join('\r\n');
}

/** One invitation's store work for `user`: read, then commit its effects. Returns the callback's runs. */
async function oneMail(store, user, n) {
  const uid = `mail-${n}@bench.example`;
  const startMs = NOW_MS + (n % 300) * 3_600_000;
  const key = `<m${n}@bench.example>:digest`;
  const { version } = await store.readUser(user, async (view) => {
    await view.hasSeen(key);
    await view.getObject(uid);
    await view.listRequests(uid);
    await view.freeBusy({ from: iso(startMs - DAY / 2), to: iso(startMs + DAY / 2) });
  });
  let runs = 0;
  const outcome = await store.commitIf(user, version, (tx) => {
    runs++;
    if (tx.hasSeen(key)) return;
    tx.putObject({ uid, ics: ics(uid, startMs) });
    const period = { start: iso(startMs), end: iso(startMs + 3_600_000), fbtype: 'BUSY', uid, recurrenceId: null };
    tx.setOwnPeriods(uid, [period]);
    tx.replaceOthersPeriods(uid, [{ ...period, participant: 'mailto:organizer@example.com' }]);
    tx.putRequest({ uid, recurrenceId: null, from: 'mailto:organizer@example.com', received: iso(NOW_MS), sequence: 0, messageId: key });
    tx.addJournal({ messageId: key, recipient: user, method: 'REQUEST', uid, outcome: 'applied', reason: 'bench', at: iso(NOW_MS) });
    tx.markSeen(key, iso(NOW_MS));
    tx.addOutbox({ id: `out-${n}`, user, method: 'REPLY', uid, from: user, to: ['mailto:organizer@example.com'], state: 'unprocessed', attempts: 0, created: iso(NOW_MS), ics: '' });
  });
  if (!outcome.committed) return { runs, conflict: true };
  return { runs, conflict: false };
}

async function perMail(store) {
  for (let n = 0; n < 50; n++) await oneMail(store, `mailto:warm${n % 5}@bench.example`, -1 - n);
  const times = [];
  const counts = [];
  const runs = [];
  for (let n = 0; n < 500; n++) {
    const before = counter.statements;
    const t0 = performance.now();
    const result = await oneMail(store, `mailto:user${n % 50}@bench.example`, n);
    times.push(performance.now() - t0);
    counts.push(counter.statements - before);
    runs.push(result.runs);
  }
  return { ms: median(times), statements: median(counts), runs: median(runs) };
}

async function concurrent(store) {
  const total = 800;
  let next = 0;
  let conflicts = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < total) {
        const n = 10_000 + next++;
        for (;;) {
          const result = await oneMail(store, `mailto:user${n % 50}@bench.example`, n);
          if (!result.conflict) break;
          conflicts++;
        }
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  return { mailsPerSecond: total / seconds, conflicts };
}

async function fill(store, user, count) {
  const windowStart = NOW_MS - 365 * DAY;
  const windowEnd = NOW_MS + 365 * DAY;
  for (let done = 0; done < count; ) {
    const batch = Math.min(1000, count - done);
    await store.transact(user, (tx) => {
      for (let i = done; i < done + batch; i++) {
        const uid = `stored-${i}@bench.example`;
        const startMs = windowStart + ((i * 7919) % (730 * 48)) * 1_800_000;
        const weekly = i % 100 < 20;
        tx.putObject({ uid, ics: ics(uid, startMs) });
        const list = [];
        if (weekly) {
          for (let t = startMs; t < windowEnd; t += 7 * DAY) list.push({ start: iso(t), end: iso(t + 3_600_000), fbtype: 'BUSY', uid, recurrenceId: iso(t) });
        } else list.push({ start: iso(startMs), end: iso(startMs + 3_600_000), fbtype: 'BUSY', uid, recurrenceId: null });
        tx.setOwnPeriods(uid, list);
      }
    });
    done += batch;
  }
}

async function freeBusy(store) {
  const user = 'mailto:big@bench.example';
  const t0 = performance.now();
  await fill(store, user, 10_000);
  const fillSeconds = (performance.now() - t0) / 1000;
  const year = [];
  const month = [];
  let busy = 0;
  for (let r = 0; r < 21; r++) {
    const from = NOW_MS - 180 * DAY + r * 7 * DAY;
    let t = performance.now();
    busy = (await store.busyTime(user, { from: iso(from), to: iso(from + 365 * DAY) })).length;
    year.push(performance.now() - t);
    t = performance.now();
    await store.freeBusy(user, { from: iso(from), to: iso(from + 30 * DAY) });
    month.push(performance.now() - t);
  }
  return { fillSeconds, yearMs: median(year), busyIntervals: busy, monthMs: median(month) };
}

/** processMail on the real-client mix, the two stores mail by mail in turns. */
async function realMix(store) {
  const dir = scratch('pg-lmdb');
  const lmdb = new LmdbStore(dir);
  try {
    const mails = generateClientMails(600, 3);
    const times = [[], []];
    const counts = [];
    for (const [index, mail] of mails.entries()) {
      for (const [which, target] of [store, lmdb].entries()) {
        const before = counter.statements;
        const t0 = performance.now();
        await processMail(target, mail.raw, envelopeOf(mail), MIX_NOW_MS);
        if (index >= 100) times[which].push(performance.now() - t0);
        if (which === 0 && index >= 100) counts.push(counter.statements - before);
      }
    }
    const mean = (list) => list.reduce((a, b) => a + b, 0) / list.length;
    return { pgMs: mean(times[0]), lmdbMs: mean(times[1]), statements: median(counts) };
  } finally {
    await lmdb.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const db = await scratchDatabase(server.url);
const store = await PgStore.open(db.url, { maxConnections: 20 });
try {
  const mix = await realMix(store);
  const single = await perMail(store);
  const many = await concurrent(store);
  const fb = await freeBusy(store);
  const rows = [
    ['processMail, real-client mix (mean of 500)', `${mix.pgMs.toFixed(2)} ms`, `LMDB ${mix.lmdbMs.toFixed(2)} ms in turns; ${mix.statements} statements per mail (median)`],
    ['one mail, warm pool (read view + commitIf)', `${single.ms.toFixed(2)} ms`, `${single.statements} statements, ${single.runs} run(s) of the callback`],
    ['16 mails at once, 50 users', `${many.mailsPerSecond.toFixed(0)} mails/s`, `${many.conflicts} commitIf conflicts (computed again)`],
    ['busy time of one year, 10k events', `${fb.yearMs.toFixed(2)} ms`, `${fb.busyIntervals} intervals`],
    ['periods of one month, 10k events', `${fb.monthMs.toFixed(2)} ms`, `filled in ${fb.fillSeconds.toFixed(1)} s`],
  ];
  for (const row of rows) console.log(row.join(' | '));
} finally {
  await store.close();
  await db.drop();
  server.stop();
}

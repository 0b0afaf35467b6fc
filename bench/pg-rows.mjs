// The PostgreSQL rows that run inside one Node process, each figure taken in
// turns with its LMDB counterpart in the same run, so that the ratio PG/LMDB
// holds on a loaded machine. The server is ITIP_AGENT_BENCH_PG (run.mjs sets
// it to its own throwaway server when unset; pg-server.mjs); every store is a
// scratch database of its own, dropped at the end.
//
// - pg-in-process: processMail on the real-client mix, PostgreSQL and LMDB
//   mail by mail in turns (the order swapped every mail), after 300 untimed
//   mails on each; beside them PostgreSQL's floor, mailparser + ical.js + one
//   durable commit (Store.transact with one redelivery mark), and the
//   statements (round trips) each mail sends.
// - pg-freebusy: users with 10,000 and 50,000 events (20% weekly without end,
//   filled as the LMDB free/busy rows fill them) on both stores: the busy time
//   of one year (Store.busyTime) and the periods of one month, queried in turns
//   with LMDB; and PostgreSQL's year at 50,000 events in turns with 10,000.

import { rmSync } from 'node:fs';
import { NOW, NOW_MS, dist, envelopeOf, median, scratch, userOf } from './common.mjs';
import { generateClientMails } from './generate.mjs';
import { parseOnly } from './in-process.mjs';
import { countStatements, scratchDatabase } from './pg-server.mjs';
import { fillUser, queryInTurns } from './store-size.mjs';

/** Rounds of the in-process comparison (each 300 untimed mails, then 600 timed on three paths). */
const IN_PROCESS_RUNS = 3;

function serverUrl() {
  const url = process.env.ITIP_AGENT_BENCH_PG;
  if (!url) throw new Error('the PostgreSQL rows need ITIP_AGENT_BENCH_PG (run.mjs sets it)');
  return url;
}

/** Opens a PgStore on a scratch database; close() closes it and drops the database. */
async function openPg() {
  const { PgStore } = await dist('store/pg-store.js');
  const db = await scratchDatabase(serverUrl());
  const store = await PgStore.open(db.url);
  return {
    store,
    close: async () => {
      await store.close();
      await db.drop();
    },
  };
}

function openLmdb(LmdbStore, name) {
  const dir = scratch(name);
  const store = new LmdbStore(dir);
  return {
    store,
    close: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function benchPgInProcess(libs) {
  const { LmdbStore, processMail } = libs;
  const counter = countStatements();
  const agent = (store) => (m) => processMail(store, m.raw, envelopeOf(m), NOW_MS);
  const runs = [];
  for (let r = 0; r < IN_PROCESS_RUNS; r++) {
    const opened = [];
    try {
      const pg = await openPg();
      opened.push(pg);
      const lmdb = openLmdb(LmdbStore, 'pg-core-lmdb');
      opened.push(lmdb);
      // The same mails as the LMDB in-process row's rounds.
      for (const m of generateClientMails(300, 900 + r)) {
        await agent(pg.store)(m);
        await agent(lmdb.store)(m);
      }
      const paths = [
        { name: 'pg', each: agent(pg.store) },
        { name: 'lmdb', each: agent(lmdb.store) },
        { name: 'floor', each: async (m, i) => {
          await parseOnly(m, libs);
          await pg.store.transact(userOf(m), (tx) => tx.markSeen(`floor-${r}-${i}`, NOW));
        } },
      ];
      const totals = { pg: 0n, lmdb: 0n, floor: 0n };
      const statements = { pg: [], floor: [] };
      const waited = { pg: 0, floor: 0 };
      const committing = { pg: 0, floor: 0 };
      const mails = generateClientMails(600, 11 + r);
      for (const [index, mail] of mails.entries()) {
        // Each path first as often as last: none always meets the caches another one warmed.
        const order = paths.map((_, k) => paths[(k + index) % paths.length]);
        for (const { name, each } of order) {
          const before = { ...counter };
          const start = process.hrtime.bigint();
          await each(mail, index);
          totals[name] += process.hrtime.bigint() - start;
          if (name === 'lmdb') continue;
          statements[name].push(counter.statements - before.statements);
          waited[name] += counter.waitMs - before.waitMs;
          committing[name] += counter.commitMs - before.commitMs;
        }
      }
      const ms = (name) => Number(totals[name]) / 1e6 / mails.length;
      const perMail = (value) => value / mails.length;
      runs.push({
        pgMs: ms('pg'), lmdbMs: ms('lmdb'), floorMs: ms('floor'),
        statements: median(statements.pg), statementsMean: perMail(statements.pg.reduce((a, b) => a + b, 0)), statementsMax: Math.max(...statements.pg), floorStatements: median(statements.floor),
        // Per mail, the wall time spent waiting for the server's answers, and for the COMMIT among them.
        pgWaitMs: perMail(waited.pg), pgCommitMs: perMail(committing.pg), floorWaitMs: perMail(waited.floor), floorCommitMs: perMail(committing.floor),
      });
    } finally {
      for (const { close } of opened) await close();
    }
  }
  const at = (key) => median(runs.map((r) => r[key]));
  const ratio = median(runs.map((r) => r.pgMs / r.lmdbMs));
  const floorRatio = median(runs.map((r) => r.pgMs / r.floorMs));
  return [
    { id: 'pg-in-process', name: 'PostgreSQL in-process: per mail, real-client mix', figure: `${at('pgMs').toFixed(2)} ms (${at('statements')} statements)`, floor: `${at('lmdbMs').toFixed(2)} ms (LMDB, same mails in turns)`, ratio, target: '-', met: null, pgMs: at('pgMs'), lmdbMs: at('lmdbMs'), statements: at('statements'), pgWaitMs: at('pgWaitMs'), pgCommitMs: at('pgCommitMs'), runs },
    { id: 'pg-in-process-floor', name: 'PostgreSQL in-process against its own floor', figure: `${at('pgMs').toFixed(2)} ms`, floor: `${at('floorMs').toFixed(2)} ms (parse + ical + one PG commit, ${at('floorStatements')} statements)`, ratio: floorRatio, target: '-', met: null, floorMs: at('floorMs'), floorStatements: at('floorStatements'), floorWaitMs: at('floorWaitMs'), floorCommitMs: at('floorCommitMs') },
  ];
}

export async function benchPgFreeBusy({ LmdbStore }) {
  const user = 'mailto:busy@example.com';
  const opened = [];
  const fillSeconds = {};
  try {
    const stores = {};
    for (const count of [10_000, 50_000]) {
      for (const kind of ['lmdb', 'pg']) {
        const one = kind === 'pg' ? await openPg() : openLmdb(LmdbStore, `pg-freebusy-${count}`);
        opened.push(one);
        const start = performance.now();
        await fillUser(one.store, user, count, { recurringShare: 0.2 });
        fillSeconds[`${kind}${count}`] = (performance.now() - start) / 1000;
        stores[`${kind}${count}`] = one.store;
      }
    }
    const totals = {};
    for (const [name, store] of Object.entries(stores)) totals[name] = (await store.freeBusy(user)).length;
    // Both stores hold the same periods, or the comparison says nothing.
    if (totals.pg10000 !== totals.lmdb10000 || totals.pg50000 !== totals.lmdb50000) throw new Error(`the stores hold different periods: ${JSON.stringify(totals)}`);
    const busyTime = (store, range) => store.busyTime(user, range);
    const [lmdbYear, pgYear] = await queryInTurns([stores.lmdb10000, stores.pg10000], user, 365, busyTime);
    const [lmdbYear50, pgYear50] = await queryInTurns([stores.lmdb50000, stores.pg50000], user, 365, busyTime);
    const [pgYearAgain, pgGrowth] = await queryInTurns([stores.pg10000, stores.pg50000], user, 365, busyTime);
    const [lmdbMonth, pgMonth] = await queryInTurns([stores.lmdb10000, stores.pg10000], user, 30);
    const ms = (q) => `${q.ms.toFixed(2)} ms`;
    return [
      { id: 'pg-freebusy-year', name: 'PostgreSQL free/busy: busy time of one year, 10k events', figure: ms(pgYear), floor: `${ms(lmdbYear)} (LMDB, in turns)`, ratio: pgYear.ratio, target: '<= 20 ms', met: pgYear.ms <= 20, ...pgYear, lmdbMs: lmdbYear.ms, periodsTotal: totals.pg10000, fillSeconds },
      // As the LMDB row: 50,000 events in turns with 10,000, the ratio the median of the pairs'.
      { id: 'pg-freebusy-year-50k', name: 'PostgreSQL free/busy: busy time of one year, 50k events', figure: `${ms(pgGrowth)} (LMDB ${ms(lmdbYear50)} in turns: ${pgYear50.ratio.toFixed(2)})`, floor: `${ms(pgYearAgain)} (PostgreSQL, 10k events)`, ratio: pgGrowth.ratio, target: '<= 2.0', met: pgGrowth.ratio <= 2.0, ...pgGrowth, vsLmdb: { pgMs: pgYear50.ms, lmdbMs: lmdbYear50.ms, ratio: pgYear50.ratio }, periodsTotal: totals.pg50000 },
      { id: 'pg-freebusy-month', name: 'PostgreSQL free/busy: periods of one month, 10k events', figure: `${ms(pgMonth)} (${pgMonth.found} periods)`, floor: `${ms(lmdbMonth)} (LMDB, in turns)`, ratio: pgMonth.ratio, target: '<= 10 ms', met: pgMonth.ms <= 10, ...pgMonth, lmdbMs: lmdbMonth.ms },
    ];
  } finally {
    for (const { close } of opened) await close();
  }
}

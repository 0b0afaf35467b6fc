// `npm run bench`: every benchmark in one run. Each figure stands beside a floor
// measured in the same run on the same machine, as a ratio, because absolute
// times on a shared machine drift. Prints a table; writes bench/results.json.
// Fixtures come from bench/generate.mjs (seeded), the clock from ITIP_AGENT_NOW.
// The default mix is real-client mail (Outlook, Google, Apple, Thunderbird
// shapes, REQUEST, updates, REPLY, CANCEL, 1-20 KB); the old mix of small
// bench-shaped mails stays as rows of its own.
//
// - pipe: one `itip-agent process` per mail (as Postfix's pipe runs it) against
//   a bare `node -e 0`, run alternately. Target: at most 1.5x.
// - lmtp: mails per second through `itip-agent serve --lmtp` from a pooled
//   client (16 connections, kept open) against an smtp-server LMTP sink that
//   does nothing, same client, each after 1,000 untimed mails. Target: at
//   least 0.5x of the sink. Two references beside it: the sink that parses
//   each mail, and the sink that makes one durable commit per mail.
// - in-process (bench/in-process.mjs): per-mail cost of processMail in a warm
//   process against the floor of mailparser + ical.js + one durable LMDB commit
//   on the same store. Target: at most 1.3x (the old mix: 1.5x).
// - engine (bench/engine.mjs): parse + schedule + serialise per message, without
//   the store, by method; with SABRE_VOBJECT set, sabre/vobject's ITip\Broker on
//   the same messages beside it. Targets: at most 0.2x sabre's time (5x faster);
//   an invitation with its VTIMEZONE at most 1.2x the same without.
// - store growth (bench/store-size.mjs): per-mail cost for a user with 100,000
//   stored objects against one with 1,000. Target: at most 1.2x.
// - free/busy (bench/store-size.mjs): for a user with 10,000 events (20% weekly
//   without end, expanded over the default window): the periods of one month,
//   and the busy time of one year (Store.busyTime, what published free/busy and
//   a VFREEBUSY REPLY read); the same year at 50,000 events. Targets: 10 ms,
//   20 ms, 2x the 10,000 figure. The periods of a year are a reference row.
// - memory: peak RSS (VmHWM) of `serve` under the LMTP load. Target: 200 MB.
// - web: server time to render the requests page of a user with 500 pending
//   requests, seeded through the mail path (bench/web.mjs). Target: < 200 ms.
// - caldav (bench/caldav.mjs): sync-collection over HTTP against `serve
//   --http`: the initial sync of 10,000 and of 50,000 events (listing and
//   multiget), and the sync after one change. Target: the latter flat, at
//   most 1.5x from 10,000 to 50,000 events.
// - PostgreSQL (`pg` runs all three; bench/pg-server.mjs, bench/pg-rows.mjs):
//   against ITIP_AGENT_BENCH_PG, or else a throwaway server of the bench's own
//   (fsync on), each figure in turns with its LMDB counterpart: pg-in-process
//   (processMail per mail, real-client mix), pg-lmtp (`serve --store
//   postgres://...`, the LMTP method above), pg-freebusy (busy time of a year
//   at 10,000 and 50,000 events, periods of a month). Without the server
//   programs the rows are reported as skipped, with the reason.
//
// Each figure is the median of repeated runs. `node bench/run.mjs pipe lmtp`
// runs only the named benchmarks.

import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { BIN, NOW, NOW_MS, ROOT, dist, median, scratch } from './common.mjs';
import { benchEngine } from './engine.mjs';
import { asTransactions, describeMix, generateClientMails, generateMails } from './generate.mjs';
import { benchInProcess } from './in-process.mjs';
import { lmtpPool } from './lmtp-client.mjs';
import { benchFreeBusy, benchStoreGrowth } from './store-size.mjs';
import { benchWeb } from './web.mjs';
import { benchCalDav } from './caldav.mjs';
import { benchPgServer, scratchDatabase } from './pg-server.mjs';
import { benchPgFreeBusy, benchPgInProcess } from './pg-rows.mjs';

// Every child runs with an empty configuration file: the machine's own
// /etc/itip-agent/config.json must not change what is measured.
const CONFIG_DIR = scratch('config');
const CONFIG = join(CONFIG_DIR, 'config.json');
writeFileSync(CONFIG, '{}\n');
const CHILD_ENV = { ...process.env, ITIP_AGENT_NOW: NOW, ITIP_AGENT_CONFIG: CONFIG };

function build() {
  // BENCH_NO_BUILD=1: dist/ is fresh already (a second run after `npm run build`).
  if (process.env.BENCH_NO_BUILD === '1') return;
  const result = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  if (result.status !== 0) throw new Error('npm run build failed; fix the build before benchmarking');
}

function timeSpawn(args, input) {
  const start = process.hrtime.bigint();
  const result = spawnSync(process.execPath, args, { input, env: CHILD_ENV, stdio: ['pipe', 'ignore', 'pipe'] });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0) throw new Error(`${args.join(' ')} exited ${result.status}: ${result.stderr}`);
  return ms;
}

// ---------------------------------------------------------------------------

function benchPipe() {
  const mails = generateClientMails(20, 7);
  const runs = [];
  for (let r = 0; r < 5; r++) {
    const store = scratch('pipe');
    try {
      const agent = [];
      const floor = [];
      // Alternating, so that both see the same load on a shared machine.
      for (const m of mails) {
        const envelope = m.outgoing ? ['--outgoing', '--sender', m.sender] : ['--recipient', m.recipient, '--sender', m.sender];
        agent.push(timeSpawn([BIN, '--store', store, 'process', ...envelope], m.raw));
        floor.push(timeSpawn(['-e', '0'], ''));
      }
      runs.push({ agentMs: median(agent), floorMs: median(floor) });
    } finally {
      rmSync(store, { recursive: true, force: true });
    }
  }
  const agentMs = median(runs.map((r) => r.agentMs));
  const floorMs = median(runs.map((r) => r.floorMs));
  const ratio = median(runs.map((r) => r.agentMs / r.floorMs));
  return { id: 'pipe', name: 'pipe: process per mail, real-client mix', figure: `${agentMs.toFixed(1)} ms`, floor: `${floorMs.toFixed(1)} ms (node -e 0)`, ratio, target: '<= 1.5', met: ratio <= 1.5, agentMs, floorMs, runs };
}

// ---------------------------------------------------------------------------

/** Starts a server process that prints what it listens on; resolves with {child, port}. */
function startServer(args, portOf, env = {}) {
  const child = spawn(process.execPath, args, { env: { ...CHILD_ENV, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolvePort, reject) => {
    const lines = createInterface({ input: portOf === 'stdout' ? child.stdout : child.stderr });
    let log = '';
    lines.on('line', (line) => {
      log += line + '\n';
      if (portOf === 'stdout' && /^\d+$/.test(line)) resolvePort({ child, port: Number(line) });
      if (portOf === 'stderr' && line.includes('"listening for LMTP"')) resolvePort({ child, port: JSON.parse(line).port });
    });
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited ${code}: ${log}`)));
  });
}

function peakRssMb(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+)/.exec(status)[1]) / 1024;
}

async function stop(child) {
  const exited = new Promise((done) => child.once('exit', done));
  child.kill('SIGTERM');
  await exited;
}

/**
 * Mails per second through an LMTP server from the pooled client, after a
 * warm-up; `rss` also reads the server's peak RSS before it is stopped.
 */
/** Connections of the pooled LMTP client: an MTA such as Postfix opens up to 20 per destination. */
const LMTP_CONNECTIONS = 16;

async function lmtpRate(args, portOf, warmup, mails, { rss = false, env } = {}) {
  const server = await startServer(args, portOf, env);
  try {
    const pool = await lmtpPool(server.port, '127.0.0.1', LMTP_CONNECTIONS);
    await pool.run(warmup);
    const rate = (mails.length * 1000) / (await pool.run(mails));
    pool.close();
    return { rate, rssMb: rss ? peakRssMb(server.child.pid) : undefined };
  } finally {
    await stop(server.child);
  }
}

async function benchLmtp() {
  const COUNT = 1500;
  const runs = [];
  const agentArgs = (store) => [BIN, '--store', store, 'serve', '--lmtp', '127.0.0.1:0', '--deliver', 'none'];
  const sink = (...flags) => [join(ROOT, 'bench/lmtp-sink.mjs'), ...flags];
  // The real-client mix as an MTA hands it over: one transaction per mail, with
  // its local recipients; the agent knows example.com is local, so that a local
  // sender's mail also goes through the outgoing rule.
  const local = { ITIP_AGENT_LOCAL_DOMAINS: 'example.com' };
  for (let r = 0; r < 3; r++) {
    // Fresh mails each run (another seed): a redelivery would be a cheap no-op.
    // The rate of a running service is wanted, not of one still compiling:
    // V8 optimises the agent's code over its first thousand mails or so (its
    // rate here roughly doubles between the first 500 mails and the fourth).
    const warmup = asTransactions(generateClientMails(1000, 1000 + r));
    const mails = asTransactions(generateClientMails(COUNT, 2000 + r));
    const oldWarmup = generateMails(1000, 1000 + r);
    const oldMails = generateMails(COUNT, 2000 + r);

    const withStore = async (run) => {
      const store = scratch('lmtp');
      try {
        return await run(store);
      } finally {
        rmSync(store, { recursive: true, force: true });
      }
    };
    const agent = await withStore((store) => lmtpRate(agentArgs(store), 'stderr', warmup, mails, { rss: true, env: local }));
    const sinkRate = (await lmtpRate(sink(), 'stdout', warmup, mails)).rate;
    // Not a floor: the sink that also parses each mail, the rate no agent
    // that reads its mail could pass on this machine.
    const parseRate = (await lmtpRate(sink('--parse'), 'stdout', warmup, mails)).rate;
    // Nor this: the sink that makes one durable commit per mail before its 250.
    const commitRate = (await lmtpRate(sink('--commit'), 'stdout', warmup, mails)).rate;
    const old = await withStore((store) => lmtpRate(agentArgs(store), 'stderr', oldWarmup, oldMails, { rss: true }));
    const oldSinkRate = (await lmtpRate(sink(), 'stdout', oldWarmup, oldMails)).rate;
    runs.push({ agentRate: agent.rate, sinkRate, parseRate, commitRate, rssMb: Math.max(agent.rssMb, old.rssMb), oldAgentRate: old.rate, oldSinkRate });
  }
  const at = (key) => median(runs.map((r) => r[key]));
  const ratioOf = (key, floor) => median(runs.map((r) => r[key] / r[floor]));
  const ratio = ratioOf('agentRate', 'sinkRate');
  const oldRatio = ratioOf('oldAgentRate', 'oldSinkRate');
  const rssMb = Math.max(...runs.map((r) => r.rssMb));
  const rate = (key) => `${at(key).toFixed(0)} mails/s`;
  const sinkFloor = `${rate('sinkRate')} (LMTP sink)`;
  return [
    { id: 'lmtp', name: `lmtp: serve, ${LMTP_CONNECTIONS} connections, real-client mix`, figure: rate('agentRate'), floor: sinkFloor, ratio, target: '>= 0.5', met: ratio >= 0.5, agentRate: at('agentRate'), sinkRate: at('sinkRate'), runs },
    { id: 'lmtp-parse', name: 'lmtp reference: sink that parses', figure: rate('parseRate'), floor: sinkFloor, ratio: ratioOf('parseRate', 'sinkRate'), target: '-', met: null, parseRate: at('parseRate') },
    { id: 'lmtp-commit', name: 'lmtp reference: sink that commits', figure: rate('commitRate'), floor: sinkFloor, ratio: ratioOf('commitRate', 'sinkRate'), target: '-', met: null, commitRate: at('commitRate') },
    { id: 'lmtp-old-mix', name: `lmtp: serve, ${LMTP_CONNECTIONS} connections, old mix`, figure: rate('oldAgentRate'), floor: `${rate('oldSinkRate')} (LMTP sink)`, ratio: oldRatio, target: '>= 0.5', met: oldRatio >= 0.5, agentRate: at('oldAgentRate'), sinkRate: at('oldSinkRate') },
    { id: 'memory', name: 'memory: serve peak RSS', figure: `${rssMb.toFixed(0)} MB`, floor: '-', ratio: null, target: '<= 200 MB', met: rssMb <= 200, rssMb },
  ];
}

/**
 * `serve --store postgres://...` by the LMTP method above (16 connections, the
 * real-client mix, 1,000 untimed mails first), round by round in turns with
 * `serve` on LMDB on the same mails; a fresh scratch database each round.
 */
async function benchPgLmtp(pgUrl) {
  const COUNT = 1500;
  const runs = [];
  const agentArgs = (store) => [BIN, '--store', store, 'serve', '--lmtp', '127.0.0.1:0', '--deliver', 'none'];
  const local = { ITIP_AGENT_LOCAL_DOMAINS: 'example.com' };
  for (let r = 0; r < 3; r++) {
    const warmup = asTransactions(generateClientMails(1000, 1000 + r));
    const mails = asTransactions(generateClientMails(COUNT, 2000 + r));
    const onLmdb = async () => {
      const store = scratch('pg-lmtp-lmdb');
      try {
        return await lmtpRate(agentArgs(store), 'stderr', warmup, mails, { rss: true, env: local });
      } finally {
        rmSync(store, { recursive: true, force: true });
      }
    };
    const onPg = async () => {
      const db = await scratchDatabase(pgUrl);
      try {
        return await lmtpRate(agentArgs(db.url), 'stderr', warmup, mails, { rss: true, env: local });
      } finally {
        await db.drop();
      }
    };
    const [first, second] = r % 2 ? [onPg, onLmdb] : [onLmdb, onPg];
    const a = await first();
    const b = await second();
    const [lmdb, pg] = r % 2 ? [b, a] : [a, b];
    runs.push({ pgRate: pg.rate, lmdbRate: lmdb.rate, pgRssMb: pg.rssMb, lmdbRssMb: lmdb.rssMb });
  }
  const at = (key) => median(runs.map((r) => r[key]));
  const ratio = median(runs.map((r) => r.pgRate / r.lmdbRate));
  const pgRssMb = Math.max(...runs.map((r) => r.pgRssMb));
  return [
    { id: 'pg-lmtp', name: `PostgreSQL lmtp: serve, ${LMTP_CONNECTIONS} connections, real-client mix`, figure: `${at('pgRate').toFixed(0)} mails/s`, floor: `${at('lmdbRate').toFixed(0)} mails/s (LMDB serve, in turns)`, ratio, target: '-', met: null, pgRate: at('pgRate'), lmdbRate: at('lmdbRate'), pgRssMb, runs },
  ];
}

/** The PostgreSQL rows, reported as not run (with the reason) when there is no server. */
const PG_ROWS = {
  'pg-lmtp': ['pg-lmtp'],
  'pg-in-process': ['pg-in-process', 'pg-in-process-floor'],
  'pg-freebusy': ['pg-freebusy-year', 'pg-freebusy-year-50k', 'pg-freebusy-month'],
};
const skippedRows = (id, reason) => PG_ROWS[id].map((row) => ({ id: row, name: `PostgreSQL: ${row}`, figure: 'skipped', floor: 'no server (see below)', ratio: null, target: '-', met: null, skipped: reason }));

// ---------------------------------------------------------------------------

// The benchmarks that run inside a Node process of their own: each gets a
// fresh one, so that none measures the heap another one left behind (the
// store-growth fill, say, or the garbage of 100,000 stored objects).
const IN_PROCESS = {
  'in-process': (libs) => benchInProcess(libs),
  'pg-in-process': (libs) => benchPgInProcess(libs),
  engine: () => benchEngine(),
  'store-growth': (libs) => benchStoreGrowth(libs),
  freebusy: (libs) => benchFreeBusy(libs),
  'pg-freebusy': (libs) => benchPgFreeBusy(libs),
  caldav: () => benchCalDav(),
  web: async (libs) => benchWeb({ ...libs, buildWebApp: (await dist('http/server.js')).buildWebApp, forgetReadEvents: (await dist('http/event-view.js')).forgetReadEvents, nowMs: NOW_MS }),
};

async function loadLibs() {
  const { LmdbStore } = await dist('store/lmdb-store.js');
  const { processMail } = await dist('agent/process-message.js');
  const { simpleParser } = await import('mailparser');
  const { default: ICAL } = await import('ical.js');
  return { LmdbStore, processMail, simpleParser, ICAL };
}

/** Runs one in-process benchmark in a child (`run.mjs --child ID`), which prints its results as JSON. */
function inChild(id) {
  const result = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child', id], {
    env: CHILD_ENV,
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.status !== 0) throw new Error(`benchmark ${id} failed (exit ${result.status})`);
  return [JSON.parse(result.stdout.toString('utf8'))].flat();
}

if (process.argv[2] === '--child') {
  const id = process.argv[3];
  try {
    const out = await IN_PROCESS[id](await loadLibs());
    process.stdout.write(JSON.stringify(out));
  } finally {
    rmSync(CONFIG_DIR, { recursive: true, force: true });
  }
  process.exit(0);
}

// `pg` names the three PostgreSQL benchmarks.
const wanted = new Set(process.argv.slice(2).flatMap((id) => (id === 'pg' ? Object.keys(PG_ROWS) : [id])));
const want = (id) => wanted.size === 0 || wanted.has(id);
build();
const results = [];
const started = Date.now();
// The server of the PostgreSQL rows: started before the first of them (not
// idle beside the LMDB rows before), stopped and deleted at the end, also
// when the run is interrupted.
let pgServer;
const stopPg = () => pgServer?.stop?.();
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => { stopPg(); process.exit(130); });
const runPg = async (id, run) => {
  if (!want(id)) return;
  pgServer ??= await benchPgServer();
  if (pgServer.url) CHILD_ENV.ITIP_AGENT_BENCH_PG = pgServer.url;
  results.push(...(pgServer.url ? await run(pgServer.url) : skippedRows(id, pgServer.reason)));
};
try {
  if (want('pipe')) results.push(benchPipe());
  if (want('lmtp')) results.push(...(await benchLmtp()));
  await runPg('pg-lmtp', (url) => benchPgLmtp(url));
  for (const id of Object.keys(IN_PROCESS)) {
    if (PG_ROWS[id]) await runPg(id, () => inChild(id));
    else if (want(id)) results.push(...inChild(id));
  }
} finally {
  stopPg();
  rmSync(CONFIG_DIR, { recursive: true, force: true });
}

const rows = results.filter((r) => !r.detail).map((r) => [r.name, r.figure, r.floor, r.ratio === null ? '-' : r.ratio.toFixed(2), r.target, r.met === null ? '-' : r.met ? 'yes' : 'NO']);
const head = ['benchmark', 'figure', 'floor', 'ratio', 'target', 'met'];
const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
for (const row of [head, ...rows]) console.log(row.map((cell, i) => cell.padEnd(widths[i])).join('  '));
// The engine rows mean what they say only if every message was scheduled as meant.
const engine = results.find((r) => r.id === 'engine-outcomes');
if (engine) {
  const other = (outcomes, good) => Object.entries(outcomes ?? {}).filter(([key]) => !key.endsWith(good));
  const ours = other(engine.outcomes, ': applied');
  if (ours.length > 0) console.log(`engine: not every message was applied: ${JSON.stringify(Object.fromEntries(ours))}`);
  if (!engine.sabreOutcomes) console.log(`engine beside sabre/vobject: not run, ${engine.sabre}`);
  const theirs = other(engine.sabreOutcomes, ': object');
  if (theirs.length > 0) console.log(`sabre: not every message gave an object: ${JSON.stringify(Object.fromEntries(theirs))}`);
}
if (pgServer) {
  if (pgServer.reason) console.log(`PostgreSQL rows skipped: ${pgServer.reason}`);
  else console.log(`PostgreSQL rows: ${pgServer.own ? 'a throwaway server of the bench (fsync on), stopped and deleted' : 'the server of ITIP_AGENT_BENCH_PG'}`);
}
const mix = describeMix(generateClientMails(600, 11));
console.log(`real-client mix (600 mails, seed 11): ${JSON.stringify(mix)}`);
const os = await import('node:os');
const meta = { at: new Date().toISOString(), node: process.version, cpus: os.cpus().length, loadAverage: os.loadavg().map((l) => Number(l.toFixed(2))), seconds: Math.round((Date.now() - started) / 1000), mix };
writeFileSync(join(ROOT, 'bench/results.json'), JSON.stringify({ ...meta, results }, null, 2) + '\n');
console.log(`figures written to bench/results.json (${meta.seconds} s)`);

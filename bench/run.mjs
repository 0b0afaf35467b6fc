// `npm run bench`: every benchmark in one run. Each figure stands beside a floor
// measured in the same run on the same machine, as a ratio, because absolute
// times on a shared machine drift. Prints a table; writes bench/results.json.
// Fixtures come from bench/generate.mjs (seeded), the clock from ITIP_AGENT_NOW.
//
// - pipe: one `itip-agent process` per mail (as Postfix's pipe runs it) against
//   a bare `node -e 0`, run alternately. Target: at most 2.0x.
// - lmtp: mails per second through `itip-agent serve --lmtp` from a pooled
//   client (4 connections, kept open) against an smtp-server LMTP sink that
//   does nothing, same client, each after 1,000 untimed mails. Target: at
//   least 0.5x of the sink. Two references beside it: the sink that parses
//   each mail, and the sink that makes one durable commit per mail.
// - in-process: per-mail cost of processMail in a warm process (read, schedule, one durable
//   transaction) against the floor of mailparser + ical.js + one durable LMDB
//   commit on the same store. Target: at most 1.5x.
// - store growth: per-mail cost for a user with 100,000 stored objects
//   against one with 1,000. Target: at most 1.2x.
// - free/busy: one-month and one-year queries for a user with 10,000 events
//   (20% weekly without end, expanded over the default window). Targets: 10 ms, 50 ms.
// - memory: peak RSS (VmHWM) of `serve` under the LMTP load. Target: 200 MB.
// - web: server time to render the requests page of a user with 500 pending
//   requests, seeded through the mail path (bench/web.mjs). Target: < 200 ms.
//
// Each figure is the median of repeated runs. `node bench/run.mjs pipe lmtp`
// runs only the named benchmarks.

import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { generateMails } from './generate.mjs';
import { lmtpPool } from './lmtp-client.mjs';
import { benchWeb } from './web.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const BIN = join(ROOT, 'bin/itip-agent');
const NOW = '2026-11-15T12:00:00Z';
const NOW_MS = Date.parse(NOW);
const DAY = 86_400_000;

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const dist = (path) => import(pathToFileURL(join(ROOT, 'dist', path)).href);
const scratch = (name) => mkdtempSync(join(tmpdir(), `itip-bench-${name}-`));

// Every child runs with an empty configuration file: the machine's own
// /etc/itip-agent/config.json must not change what is measured.
const CONFIG_DIR = scratch('config');
const CONFIG = join(CONFIG_DIR, 'config.json');
writeFileSync(CONFIG, '{}\n');
const CHILD_ENV = { ...process.env, ITIP_AGENT_NOW: NOW, ITIP_AGENT_CONFIG: CONFIG };

function build() {
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
  const mails = generateMails(20, 7);
  const runs = [];
  for (let r = 0; r < 5; r++) {
    const store = scratch('pipe');
    try {
      const agent = [];
      const floor = [];
      // Alternating, so that both see the same load on a shared machine.
      for (const m of mails) {
        agent.push(timeSpawn([BIN, '--store', store, 'process', '--recipient', m.recipient, '--sender', m.sender], m.raw));
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
  return { id: 'pipe', name: 'pipe: process per mail', figure: `${agentMs.toFixed(1)} ms`, floor: `${floorMs.toFixed(1)} ms (node -e 0)`, ratio, target: '<= 2.0', met: ratio <= 2.0, agentMs, floorMs, runs };
}

// ---------------------------------------------------------------------------

/** Starts a server process that prints what it listens on; resolves with {child, port}. */
function startServer(args, portOf) {
  const child = spawn(process.execPath, args, { env: CHILD_ENV, stdio: ['ignore', 'pipe', 'pipe'] });
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
async function lmtpRate(args, portOf, warmup, mails, { rss = false } = {}) {
  const server = await startServer(args, portOf);
  try {
    const pool = await lmtpPool(server.port);
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
  for (let r = 0; r < 3; r++) {
    // Fresh mails each run (another seed): a redelivery would be a cheap no-op.
    // The rate of a running service is wanted, not of one still compiling:
    // V8 optimises the agent's code over its first thousand mails or so (its
    // rate here roughly doubles between the first 500 mails and the fourth).
    const warmup = generateMails(1000, 1000 + r);
    const mails = generateMails(COUNT, 2000 + r);

    const store = scratch('lmtp');
    let agent;
    try {
      agent = await lmtpRate([BIN, '--store', store, 'serve', '--lmtp', '127.0.0.1:0', '--deliver', 'none'], 'stderr', warmup, mails, { rss: true });
    } finally {
      rmSync(store, { recursive: true, force: true });
    }
    const sink = await lmtpRate([join(ROOT, 'bench/lmtp-sink.mjs')], 'stdout', warmup, mails);
    // Not a floor: the sink that also parses each mail, the rate no agent
    // that reads its mail could pass on this machine.
    const parser = await lmtpRate([join(ROOT, 'bench/lmtp-sink.mjs'), '--parse'], 'stdout', warmup, mails);
    // Nor this: the sink that makes one durable commit per mail before its 250.
    const committer = await lmtpRate([join(ROOT, 'bench/lmtp-sink.mjs'), '--commit'], 'stdout', warmup, mails);
    runs.push({ agentRate: agent.rate, sinkRate: sink.rate, parseRate: parser.rate, commitRate: committer.rate, rssMb: agent.rssMb });
  }
  const agentRate = median(runs.map((r) => r.agentRate));
  const sinkRate = median(runs.map((r) => r.sinkRate));
  const ratio = median(runs.map((r) => r.agentRate / r.sinkRate));
  const parseRate = median(runs.map((r) => r.parseRate));
  const parseRatio = median(runs.map((r) => r.parseRate / r.sinkRate));
  const commitRate = median(runs.map((r) => r.commitRate));
  const commitRatio = median(runs.map((r) => r.commitRate / r.sinkRate));
  const rssMb = Math.max(...runs.map((r) => r.rssMb));
  return [
    { id: 'lmtp', name: 'lmtp: serve, 4 connections', figure: `${agentRate.toFixed(0)} mails/s`, floor: `${sinkRate.toFixed(0)} mails/s (LMTP sink)`, ratio, target: '>= 0.5', met: ratio >= 0.5, agentRate, sinkRate, runs },
    { id: 'lmtp-parse', name: 'lmtp reference: sink that parses', figure: `${parseRate.toFixed(0)} mails/s`, floor: `${sinkRate.toFixed(0)} mails/s (LMTP sink)`, ratio: parseRatio, target: '-', met: null, parseRate },
    { id: 'lmtp-commit', name: 'lmtp reference: sink that commits', figure: `${commitRate.toFixed(0)} mails/s`, floor: `${sinkRate.toFixed(0)} mails/s (LMTP sink)`, ratio: commitRatio, target: '-', met: null, commitRate },
    { id: 'memory', name: 'memory: serve peak RSS', figure: `${rssMb.toFixed(0)} MB`, floor: '-', ratio: null, target: '<= 200 MB', met: rssMb <= 200, rssMb },
  ];
}

// ---------------------------------------------------------------------------

/** The parsing part of the floor: mailparser, then ical.js for each calendar part. */
async function parseOnly(mail, { simpleParser, ICAL }) {
  const parsed = await simpleParser(mail.raw, { skipHtmlToText: true, skipTextToHtml: true, skipTextLinks: true, skipImageLinks: true });
  for (const attachment of parsed.attachments) {
    if (attachment.contentType === 'text/calendar') ICAL.parse(attachment.content.toString('utf8'));
  }
}

/** The floor of one mail: mailparser, ical.js, one durable commit. */
async function floorMail(store, mail, index, libs) {
  await parseOnly(mail, libs);
  await store.transact(`mailto:${mail.recipient}`, (tx) => tx.markSeen(`floor-${index}`, NOW));
}

/**
 * Per-mail cost of two ways of handling the same mails, taken in turns mail
 * by mail, so that both see the same state of a shared machine (its page
 * cache, its other load) rather than one the first half and the other the next.
 */
async function timeInTurns(mails, first, second) {
  const totals = [0n, 0n];
  for (const [index, mail] of mails.entries()) {
    for (const [which, each] of [first, second].entries()) {
      const start = process.hrtime.bigint();
      await each(mail, index);
      totals[which] += process.hrtime.bigint() - start;
    }
  }
  return totals.map((total) => Number(total) / 1e6 / mails.length);
}

async function timePerMail(mails, each) {
  const start = process.hrtime.bigint();
  for (const [index, mail] of mails.entries()) await each(mail, index);
  return Number(process.hrtime.bigint() - start) / 1e6 / mails.length;
}

/** The store's databases by path ('objects', 'own.byTime', ...), each once. */
function databasesOf(store) {
  const found = new Map();
  const walk = (node, path) => {
    for (const [name, value] of Object.entries(node)) {
      if (value && typeof value.putSync === 'function') {
        if (![...found.values()].includes(value)) found.set(path + name, value);
      } else if (value && typeof value === 'object' && !(value instanceof Map)) walk(value, `${path}${name}.`);
    }
  };
  walk(store.dbs, '');
  return found;
}

/**
 * Runs the mails through processMail on `store`, recording for each mail the
 * writes its transaction made: [[database path, 'putSync' | 'removeSync', key, value]].
 */
async function recordWrites(store, mails, processMail) {
  const current = { ops: undefined };
  for (const [path, db] of databasesOf(store)) {
    for (const op of ['putSync', 'removeSync']) {
      const original = db[op].bind(db);
      db[op] = (key, value) => {
        current.ops?.push([path, op, structuredClone(key), structuredClone(value)]);
        return original(key, value);
      };
    }
  }
  const recorded = [];
  for (const m of mails) {
    current.ops = [];
    await processMail(store, m.raw, { recipients: [m.recipient], sender: m.sender }, NOW_MS);
    recorded.push(current.ops);
  }
  current.ops = undefined;
  return recorded;
}

async function benchInProcess(libs) {
  const { LmdbStore, processMail } = libs;
  const runs = [];
  for (let r = 0; r < 5; r++) {
    const warmup = generateMails(300, 900 + r);
    const mails = generateMails(600, 11 + r);
    const stores = [];
    const open = () => {
      const dir = scratch('core');
      const store = new LmdbStore(dir);
      stores.push({ dir, store });
      return store;
    };
    const each = (store) => (m) => processMail(store, m.raw, { recipients: [m.recipient], sender: m.sender }, NOW_MS);
    try {
      // Mails first that are not timed: the cost of a mail in a running agent
      // is measured, after V8 has compiled the hot code (the pipe benchmark
      // measures the cold start of one process per mail).
      const store = open();
      for (const m of warmup) await each(store)(m);
      const [agentMs, floorMs] = await timeInTurns(mails, each(store), (m, i) => floorMail(store, m, i + r * 1000, libs));

      // The reference: the floor's parsing, then a commit of exactly the writes
      // the agent made for that mail, on a store in the same state.
      const recording = open();
      for (const m of warmup) await each(recording)(m);
      const writes = await recordWrites(recording, mails, processMail);
      const replay = open();
      for (const m of warmup) await each(replay)(m);
      const dbs = databasesOf(replay);
      const writesMs = await timePerMail(mails, async (m, i) => {
        await parseOnly(m, libs);
        await replay.transact(`mailto:${m.recipient}`, () => {
          for (const [path, op, key, value] of writes[i]) dbs.get(path)[op](key, value);
        });
      });
      runs.push({ agentMs, floorMs, writesMs });
    } finally {
      for (const { dir, store } of stores) {
        await store.close();
        rmSync(dir, { recursive: true, force: true });
      }
    }
  }
  const agentMs = median(runs.map((r) => r.agentMs));
  const floorMs = median(runs.map((r) => r.floorMs));
  const writesMs = median(runs.map((r) => r.writesMs));
  const ratio = median(runs.map((r) => r.agentMs / r.floorMs));
  const writesRatio = median(runs.map((r) => r.writesMs / r.floorMs));
  return [
    { id: 'in-process', name: 'in-process: per mail', figure: `${agentMs.toFixed(2)} ms`, floor: `${floorMs.toFixed(2)} ms (parse + ical + commit)`, ratio, target: '<= 1.5', met: ratio <= 1.5, agentMs, floorMs, runs },
    { id: 'in-process-writes', name: "in-process reference: the agent's writes", figure: `${writesMs.toFixed(2)} ms`, floor: `${floorMs.toFixed(2)} ms (parse + ical + commit)`, ratio: writesRatio, target: '-', met: null, writesMs },
  ];
}

// ---------------------------------------------------------------------------

const BIG_USER = 'big@example.com';

/** A stored event as the agent keeps it: one VCALENDAR, master only. */
function storedEvent(uid, startMs, rrule) {
  const stamp = (ms) => new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  const attendees = [1, 2, 3, 4].map((i) => `ATTENDEE;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:user${(uid.length + i) % 50}@example.com`);
  return [
    'BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//bench//EN', 'BEGIN:VEVENT', `UID:${uid}`, 'DTSTAMP:20261101T080000Z', 'SEQUENCE:0',
    `SUMMARY:Stored ${uid}`, `DTSTART:${stamp(startMs)}`, `DTEND:${stamp(startMs + 3_600_000)}`, ...(rrule ? [rrule] : []),
    'ORGANIZER:mailto:user0@example.com', `ATTENDEE;PARTSTAT=ACCEPTED:mailto:${BIG_USER}`, ...attendees, 'END:VEVENT', 'END:VCALENDAR', '',
  ].join('\r\n');
}

/** Fills a user's store with `count` events and their periods, in batches. */
async function fillUser(store, user, count, { recurringShare = 0, periods = true } = {}) {
  const windowStart = NOW_MS - 365 * DAY;
  const windowEnd = NOW_MS + 365 * DAY;
  const iso = (ms) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
  for (let done = 0; done < count; ) {
    const batch = Math.min(5000, count - done);
    await store.transact(user, (tx) => {
      for (let i = done; i < done + batch; i++) {
        const uid = `stored-${i}@bench.example`;
        // Spread over two years around now, on the half hour.
        const startMs = windowStart + Math.floor(((i * 7919) % (730 * 48)) * 1_800_000);
        const weekly = i % 100 < recurringShare * 100;
        tx.putObject({ uid, ics: storedEvent(uid, startMs, weekly ? 'RRULE:FREQ=WEEKLY' : undefined) });
        if (!periods) continue;
        const list = [];
        if (weekly) {
          for (let t = startMs; t < windowEnd; t += 7 * DAY) {
            if (t + 3_600_000 > windowStart) list.push({ start: iso(t), end: iso(t + 3_600_000), fbtype: 'BUSY', uid, recurrenceId: iso(t) });
          }
        } else {
          list.push({ start: iso(startMs), end: iso(startMs + 3_600_000), fbtype: 'BUSY', uid, recurrenceId: null });
        }
        tx.setOwnPeriods(uid, list);
      }
    });
    done += batch;
  }
}

async function benchStoreGrowth({ LmdbStore, processMail }) {
  const sizes = { small: 1_000, large: 100_000 };
  const stores = {};
  try {
    for (const [name, count] of Object.entries(sizes)) {
      const dir = scratch(`growth-${name}`);
      stores[name] = { dir, store: new LmdbStore(dir) };
      await fillUser(stores[name].store, `mailto:${BIG_USER}`, count);
      for (const m of generateMails(30, 700, { focus: BIG_USER })) {
        await processMail(stores[name].store, m.raw, { recipients: [m.recipient], sender: m.sender }, NOW_MS);
      }
    }
    const runs = [];
    for (let r = 0; r < 5; r++) {
      const mails = generateMails(200, 50 + r, { focus: BIG_USER });
      const cost = {};
      // Alternating order between runs evens out drift.
      for (const name of r % 2 ? ['large', 'small'] : ['small', 'large']) {
        cost[name] = await timePerMail(mails, (m) => processMail(stores[name].store, m.raw, { recipients: [m.recipient], sender: m.sender }, NOW_MS));
      }
      runs.push({ smallMs: cost.small, largeMs: cost.large });
    }
    const largeMs = median(runs.map((r) => r.largeMs));
    const smallMs = median(runs.map((r) => r.smallMs));
    const ratio = median(runs.map((r) => r.largeMs / r.smallMs));
    return { id: 'store-growth', name: 'store growth: 100k objects', figure: `${largeMs.toFixed(2)} ms`, floor: `${smallMs.toFixed(2)} ms (1k objects)`, ratio, target: '<= 1.2', met: ratio <= 1.2, largeMs, smallMs, runs };
  } finally {
    for (const { dir, store } of Object.values(stores)) {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

// ---------------------------------------------------------------------------

async function benchFreeBusy({ LmdbStore }) {
  const dir = scratch('freebusy');
  const store = new LmdbStore(dir);
  const user = 'mailto:busy@example.com';
  try {
    await fillUser(store, user, 10_000, { recurringShare: 0.2 });
    const periodsTotal = store.freeBusy(user).length;
    const iso = (ms) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const query = (days) => {
      const times = [];
      const counts = [];
      for (let i = 0; i < 21; i++) {
        // Windows that move through the year, so that no answer is cached.
        const from = NOW_MS + ((i * 13) % 300) * DAY;
        const start = process.hrtime.bigint();
        counts.push(store.freeBusy(user, { from: iso(from), to: iso(from + days * DAY) }).length);
        times.push(Number(process.hrtime.bigint() - start) / 1e6);
      }
      // The first query of the process is left out (code not compiled yet, no UID name read).
      return { ms: median(times.slice(1)), found: Math.round(median(counts.slice(1))), foundMin: Math.min(...counts), foundMax: Math.max(...counts) };
    };
    const month = query(30);
    const year = query(365);
    return [
      { id: 'freebusy-month', name: 'free/busy: one month', figure: `${month.ms.toFixed(2)} ms`, floor: `${month.found} periods (median) of ${periodsTotal}`, ratio: null, target: '<= 10 ms', met: month.ms <= 10, ...month, periodsTotal },
      { id: 'freebusy-year', name: 'free/busy: one year', figure: `${year.ms.toFixed(2)} ms`, floor: `${year.found} periods (median) of ${periodsTotal}`, ratio: null, target: '<= 50 ms', met: year.ms <= 50, ...year, periodsTotal },
    ];
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------

// The benchmarks that run inside a Node process of their own: each gets a
// fresh one, so that none measures the heap another one left behind (the
// store-growth fill, say, or the garbage of 100,000 stored objects).
const IN_PROCESS = {
  'in-process': (libs) => benchInProcess(libs),
  'store-growth': (libs) => benchStoreGrowth(libs),
  freebusy: (libs) => benchFreeBusy(libs),
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

const wanted = new Set(process.argv.slice(2));
const want = (id) => wanted.size === 0 || wanted.has(id);
build();
const results = [];
const started = Date.now();
try {
  if (want('pipe')) results.push(benchPipe());
  if (want('lmtp')) results.push(...(await benchLmtp()));
  for (const id of Object.keys(IN_PROCESS)) if (want(id)) results.push(...inChild(id));
} finally {
  rmSync(CONFIG_DIR, { recursive: true, force: true });
}

const rows = results.map((r) => [r.name, r.figure, r.floor, r.ratio === null ? '-' : r.ratio.toFixed(2), r.target, r.met === null ? '-' : r.met ? 'yes' : 'NO']);
const head = ['benchmark', 'figure', 'floor', 'ratio', 'target', 'met'];
const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
for (const row of [head, ...rows]) console.log(row.map((cell, i) => cell.padEnd(widths[i])).join('  '));
const meta = { at: new Date().toISOString(), node: process.version, cpus: (await import('node:os')).cpus().length, seconds: Math.round((Date.now() - started) / 1000) };
writeFileSync(join(ROOT, 'bench/results.json'), JSON.stringify({ ...meta, results }, null, 2) + '\n');
console.log(`figures written to bench/results.json (${meta.seconds} s)`);

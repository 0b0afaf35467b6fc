// `npm run bench`: every benchmark in one run. Each figure stands beside a floor
// measured in the same run on the same machine, as a ratio, because absolute
// times on a shared machine drift. Prints a table; writes bench/results.json.
//
// Benchmarks so far:
// - pipe: one `itip-agent process` per mail (as Postfix's pipe runs it) against
//   a bare `node -e 0` start.
// - core: mails per second through the handlers into the LMDB store (read,
//   schedule, one durable transaction per recipient), against the same number
//   of durable one-record transactions on the same store.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateMails } from './generate.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const BIN = join(ROOT, 'bin/itip-agent');
const NOW = '2026-11-15T12:00:00Z';
const REPEATS = 3;

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

function build() {
  const result = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
  if (result.status !== 0) throw new Error('npm run build failed; fix the build before benchmarking');
}

function timeSpawn(args, input, env) {
  const start = process.hrtime.bigint();
  const result = spawnSync(process.execPath, args, { input, env: { ...process.env, ...env }, stdio: ['pipe', 'ignore', 'pipe'] });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0) throw new Error(`${args.join(' ')} exited ${result.status}: ${result.stderr}`);
  return ms;
}

function benchPipe(mails) {
  const runs = [];
  for (let r = 0; r < REPEATS; r++) {
    const store = mkdtempSync(join(tmpdir(), 'itip-bench-pipe-'));
    try {
      const agent = mails.map((m) =>
        timeSpawn([BIN, '--store', store, 'process', '--recipient', m.recipient, '--sender', m.sender], m.raw, { ITIP_AGENT_NOW: NOW }),
      );
      const floor = mails.map(() => timeSpawn(['-e', '0'], ''));
      runs.push({ agentMs: median(agent), floorMs: median(floor) });
    } finally {
      rmSync(store, { recursive: true, force: true });
    }
  }
  const agentMs = median(runs.map((r) => r.agentMs));
  const floorMs = median(runs.map((r) => r.floorMs));
  return { name: 'pipe: process per mail', figure: `${agentMs.toFixed(1)} ms`, floor: `${floorMs.toFixed(1)} ms (node -e 0)`, ratio: agentMs / floorMs, target: '<= 2.0', agentMs, floorMs };
}

async function benchCore(mails) {
  const { LmdbStore } = await import(join(ROOT, 'dist/store/lmdb-store.js'));
  const { processMail } = await import(join(ROOT, 'dist/agent/process-message.js'));
  const now = Date.parse(NOW);
  const runs = [];
  for (let r = 0; r < REPEATS; r++) {
    const dir = mkdtempSync(join(tmpdir(), 'itip-bench-core-'));
    const store = new LmdbStore(dir);
    try {
      let start = process.hrtime.bigint();
      for (const m of mails) await processMail(store, m.raw, { recipients: [m.recipient], sender: m.sender }, now);
      const agentMs = Number(process.hrtime.bigint() - start) / 1e6;
      start = process.hrtime.bigint();
      for (const [i, m] of mails.entries()) await store.transact(`floor-${m.recipient}`, (tx) => tx.markSeen(`floor-${i}`, NOW));
      const floorMs = Number(process.hrtime.bigint() - start) / 1e6;
      runs.push({ agentRate: (mails.length * 1000) / agentMs, floorRate: (mails.length * 1000) / floorMs });
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const agentRate = median(runs.map((r) => r.agentRate));
  const floorRate = median(runs.map((r) => r.floorRate));
  return { name: 'core: mails/s into LMDB', figure: `${agentRate.toFixed(0)}/s`, floor: `${floorRate.toFixed(0)}/s (bare durable txn)`, ratio: agentRate / floorRate, target: 'report', agentRate, floorRate };
}

build();
const results = [benchPipe(generateMails(20, 7)), await benchCore(generateMails(500, 11))];
const rows = results.map((r) => [r.name, r.figure, r.floor, r.ratio.toFixed(2), r.target]);
const head = ['benchmark', 'figure', 'floor', 'ratio', 'target'];
const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
for (const row of [head, ...rows]) console.log(row.map((cell, i) => cell.padEnd(widths[i])).join('  '));
writeFileSync(join(ROOT, 'bench/results.json'), JSON.stringify({ at: new Date().toISOString(), node: process.version, results }, null, 2) + '\n');
console.log('figures written to bench/results.json');

// The VTIMEZONE ratio of the engine benchmark (bench/engine.mjs) in CPU time:
// each REQUEST of the real-client mix that carries a VTIMEZONE, with it and
// without it (the TZID then read from the Olson or Windows name), in turns, per
// message; CPU time (process.cpuUsage) because on a shared, loaded machine the
// wall time of a fraction of a millisecond scatters by more than the
// difference. With the path of another checkout (built), its build runs in
// turns with this one, each in a fresh Node process, so that both see the
// machine in the same states.
//
//   node bench/vtimezone-cpu.mjs [OTHER_CHECKOUT] [--rounds 12] [--turns 3]
//
// Per kind of TZID (Olson, Windows): the mean over the messages of each one's
// median CPU time with and without the VTIMEZONE, and the median over the
// messages of their ratios (as the engine benchmark's rows).

import { spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const HERE = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const mean = (values) => values.reduce((a, b) => a + b, 0) / values.length;
const KINDS = [
  ['Olson', (text) => !/TZID:[^\r\n]*Standard Time/.test(text)],
  ['Windows', (text) => /TZID:[^\r\n]*Standard Time/.test(text)],
];

/** One checkout's figures, in this process: {Olson: {with, without, ratio, n}, Windows: ...}. */
async function measure(root, rounds) {
  const { loadEngine, prepareCases, withoutTimezones, runCase } = await import(pathToFileURL(join(root, 'bench/engine.mjs')).href);
  const { generateClientMails } = await import(pathToFileURL(join(root, 'bench/generate.mjs')).href);
  const engine = await loadEngine();
  const { cases } = await prepareCases(engine, generateClientMails(400, 31));
  const zoned = cases.filter((c) => c.label === 'REQUEST' && c.parts.some((p) => p.text.includes('BEGIN:VTIMEZONE')));
  const bare = zoned.map(withoutTimezones);
  // Four runs per reading: one run is a few hundred microseconds.
  const cpuMs = (c) => {
    const start = process.cpuUsage();
    for (let k = 0; k < 4; k++) runCase(engine, c);
    const used = process.cpuUsage(start);
    return (used.user + used.system) / 4000;
  };
  const withTimes = zoned.map(() => []);
  const bareTimes = zoned.map(() => []);
  // Two untimed rounds first, while V8 compiles; with and without alternate which goes first.
  for (let round = -2; round < rounds; round++) {
    for (let i = 0; i < zoned.length; i++) {
      const bareFirst = round & 1 ? cpuMs(bare[i]) : undefined;
      const withMs = cpuMs(zoned[i]);
      const bareMs = bareFirst ?? cpuMs(bare[i]);
      if (round < 0) continue;
      withTimes[i].push(withMs);
      bareTimes[i].push(bareMs);
    }
  }
  const figures = {};
  for (const [kind, test] of KINDS) {
    const picked = zoned.map((c, i) => (test(c.parts[0].text) ? i : -1)).filter((i) => i >= 0);
    figures[kind] = {
      n: picked.length,
      with: mean(picked.map((i) => median(withTimes[i]))),
      without: mean(picked.map((i) => median(bareTimes[i]))),
      ratio: median(picked.map((i) => median(withTimes[i]) / median(bareTimes[i]))),
    };
  }
  return figures;
}

function option(name, fallback) {
  const at = process.argv.indexOf(name);
  return at >= 0 ? Number(process.argv[at + 1]) : fallback;
}

if (process.argv[2] === '--worker') {
  console.log(JSON.stringify(await measure(process.argv[3], Number(process.argv[4]))));
} else {
  const rounds = option('--rounds', 12);
  const turns = option('--turns', 3);
  const other = process.argv[2] && !process.argv[2].startsWith('--') ? resolve(process.argv[2]) : undefined;
  const roots = other ? [['this', HERE], ['other', other]] : [['this', HERE]];
  const results = new Map(roots.map(([name]) => [name, []]));
  for (let turn = 0; turn < turns; turn++) {
    // The builds take turns, and which goes first alternates.
    const order = turn % 2 ? [...roots].reverse() : roots;
    for (const [name, root] of order) {
      const run = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--worker', root, String(rounds)], { encoding: 'utf8' });
      if (run.status !== 0) throw new Error(`${root}: ${run.stderr}`);
      const figures = JSON.parse(run.stdout);
      results.get(name).push(figures);
      const line = KINDS.map(([kind]) => `${kind} ${figures[kind].with.toFixed(3)} / ${figures[kind].without.toFixed(3)} ms = ${figures[kind].ratio.toFixed(3)}`);
      console.log(`turn ${turn + 1}, ${name} (${root}): ${line.join(', ')}`);
    }
  }
  for (const [name, list] of results) {
    const line = KINDS.map(([kind]) => `${kind} ${median(list.map((f) => f[kind].ratio)).toFixed(3)} (${list.map((f) => f[kind].ratio.toFixed(2)).join(', ')})`);
    console.log(`${name}: median ratio over the turns: ${line.join('; ')}`);
  }
}

// Where the engine's time goes: `node bench/profile-engine.mjs [LABEL] [ROUNDS]`
// runs our engine alone (bench/engine.mjs: parse + schedule + serialise, no
// store) on one kind of message of the real-client mix, ROUNDS times over,
// with V8's sampling profiler on for those rounds only. Prints the functions
// with the most self time and the self time by file, and writes the profile
// (open it in Chrome's DevTools, Performance tab) to the temporary directory.
//
// LABEL: REQUEST (default), "REQUEST update", REPLY, CANCEL, outgoing.
// --without-vtimezone: the same messages with their VTIMEZONEs taken out.

import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { generateClientMails } from './generate.mjs';
import { loadEngine, prepareCases, runCase, withoutTimezones } from './engine.mjs';

const args = process.argv.slice(2).filter((a) => a !== '--without-vtimezone');
const bare = process.argv.includes('--without-vtimezone');
const label = args[0] ?? 'REQUEST';
const rounds = Number(args[1] ?? 100);
const engine = await loadEngine();
const { cases } = await prepareCases(engine, generateClientMails(400, 31));
const picked = cases.filter((c) => c.label === label).map((c) => (bare ? withoutTimezones(c) : c));
if (picked.length === 0) {
  console.error(`no messages labelled ${label}; labels: REQUEST, "REQUEST update", REPLY, CANCEL, outgoing`);
  process.exit(64);
}
// Untimed rounds first, as in the benchmark: the profile is of compiled code.
for (let r = 0; r < 3; r++) for (const c of picked) runCase(engine, c);

const session = new Session();
session.connect();
await session.post('Profiler.enable');
await session.post('Profiler.setSamplingInterval', { interval: 100 });
await session.post('Profiler.start');
const start = process.hrtime.bigint();
for (let r = 0; r < rounds; r++) for (const c of picked) runCase(engine, c);
const ms = Number(process.hrtime.bigint() - start) / 1e6;
const { profile } = await session.post('Profiler.stop');
session.disconnect();

const file = join(tmpdir(), `engine-${label.replace(/\W+/g, '-')}${bare ? '-without-vtimezone' : ''}.cpuprofile`);
writeFileSync(file, JSON.stringify(profile));

// Self time per node: each sample's time delta goes to the node it landed in.
const self = new Map();
profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
const total = [...self.values()].reduce((a, b) => a + b, 0);
const byFunction = new Map();
const byFile = new Map();
for (const node of profile.nodes) {
  const us = self.get(node.id) ?? 0;
  const { functionName, url, lineNumber } = node.callFrame;
  const where = url ? `${basename(url)}:${lineNumber + 1}` : '(native)';
  const key = `${functionName || '(anonymous)'} ${where}`;
  byFunction.set(key, (byFunction.get(key) ?? 0) + us);
  const source = url ? (url.includes('node_modules/') ? url.replace(/.*node_modules\//, '').replace(/\/.*\//, '/') : url.replace(/.*\/dist\//, 'dist/')) : functionName;
  byFile.set(source, (byFile.get(source) ?? 0) + us);
}
// Inclusive time: a sample counts once for every function on its stack.
const parent = new Map();
for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
const nodeKey = new Map(profile.nodes.map((node) => {
  const { functionName, url, lineNumber } = node.callFrame;
  return [node.id, `${functionName || '(anonymous)'} ${url ? `${basename(url)}:${lineNumber + 1}` : '(native)'}`];
}));
const inclusive = new Map();
for (const [id, us] of self) {
  const seen = new Set();
  for (let at = id; at !== undefined; at = parent.get(at)) seen.add(nodeKey.get(at));
  for (const key of seen) inclusive.set(key, (inclusive.get(key) ?? 0) + us);
}
for (const key of [...inclusive.keys()]) if (/^\((root|program)\)|^(\(anonymous\)|runCase) (profile-engine|engine)\.mjs/.test(key)) inclusive.delete(key);
const top = (map, n) =>
  [...map].sort((a, b) => b[1] - a[1]).slice(0, n).map(([key, us]) => `${((100 * us) / total).toFixed(1).padStart(5)}%  ${key}`).join('\n');
console.log(`${label}: ${picked.length} messages x ${rounds} rounds, ${(ms / (rounds * picked.length)).toFixed(3)} ms each (profiler on)`);
console.log(`\nself time, top functions:\n${top(byFunction, 15)}`);
console.log(`\nself time by file:\n${top(byFile, 12)}`);
console.log(`\ninclusive time, top functions:\n${top(inclusive, 30)}`);
console.log(`\nprofile written to ${file}`);

// `node bench/snapshot-trial.mjs` (after `npm run build`): would a V8 start-up
// snapshot of the program make `itip-agent process` start faster than
// bin/itip-agent's bundle with its code cache? The pipe benchmark's method
// (bench/run.mjs, benchPipe): the same 20 real-client mails per round, five
// rounds, one process per mail, the variants in turns mail by mail so that all
// see the same load:
// - floor: `node -e 0`;
// - bundle: `node bin/itip-agent ... process` (what runs today);
// - snapshot: `node --snapshot-blob FILE -- bin/itip-agent ... process`, the
//   program loaded and the modules `process` needs evaluated at build time
//   (bench/snapshot-entry.cjs), with the bundle's code cache in it;
// - empty snapshot: `node --snapshot-blob FILE` of a snapshot that holds
//   nothing of ours, the least any snapshot costs on this Node;
// - handoff: bench/handoff-client.cjs, the least a `process` that hands the
//   mail to a running `serve --lmtp /path/socket` would do (the service got
//   50 other mails first: a running service is warm).
// Each figure is the median round's median, with the ratio to the floor.
// Unlike the pipe benchmark, each round has 20 mails of its own (the service
// keeps one store), and a local sender's own copy (the outgoing rule) is left
// out: the handoff client has no envelope for it.
// Writes nothing outside its scratch folders; the snapshot files are removed.

import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { loadavg } from 'node:os';
import { BIN, NOW, ROOT, median, scratch } from './common.mjs';
import { generateClientMails } from './generate.mjs';

const ROUNDS = Number(process.env.TRIAL_ROUNDS ?? 5);
const MAILS = 20;

const work = scratch('snapshot');
const config = join(work, 'config.json');
writeFileSync(config, '{}\n');
const env = { ...process.env, ITIP_AGENT_NOW: NOW, ITIP_AGENT_CONFIG: config };

function buildSnapshot(blob, entry, args) {
  const result = spawnSync(process.execPath, ['--no-warnings', '--snapshot-blob', blob, '--build-snapshot', entry, ...args], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (result.status !== 0) throw new Error(`building the snapshot ${blob} failed (exit ${result.status})`);
  return statSync(blob).size;
}

function timeSpawn(args, input) {
  const start = process.hrtime.bigint();
  const result = spawnSync(process.execPath, args, { input, env, stdio: ['pipe', 'ignore', 'pipe'] });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0) throw new Error(`${args.join(' ')} exited ${result.status}: ${result.stderr}`);
  return ms;
}

const bundle = realpathSync(join(ROOT, 'dist/bundle/itip-agent.cjs'));
const cache = readdirSync(join(ROOT, 'dist/bundle')).find((name) => name.endsWith('.cache'));
if (!cache) throw new Error('dist/bundle has no code cache: run npm run build first');

/** `serve --lmtp SOCKET` on a store of its own; resolves once it listens. */
function startService(socket) {
  const child = spawn(process.execPath, [BIN, '--store', join(work, 'service'), 'serve', '--lmtp', socket, '--deliver', 'none'], {
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  return new Promise((listening, reject) => {
    let log = '';
    createInterface({ input: child.stderr }).on('line', (line) => {
      log += `${line}\n`;
      if (line.includes('"listening for LMTP"')) listening(child);
    });
    child.once('exit', (code) => reject(new Error(`serve exited ${code}: ${log}`)));
  });
}

function stop(child) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const exited = new Promise((done) => child.once('exit', done));
  child.kill('SIGTERM');
  return exited;
}

let service;
try {
  const programBlob = join(work, 'program.blob');
  const emptyBlob = join(work, 'empty.blob');
  const emptyEntry = join(work, 'empty-entry.cjs');
  writeFileSync(emptyEntry, "require('node:v8').startupSnapshot.setDeserializeMainFunction(() => {});\n");
  const sizes = {
    program: buildSnapshot(programBlob, join(ROOT, 'bench/snapshot-entry.cjs'), [bundle, join(ROOT, 'dist/bundle', cache)]),
    empty: buildSnapshot(emptyBlob, emptyEntry, []),
  };

  const socket = join(work, 'lmtp.sock');
  service = await startService(socket);
  const handoff = (m) => timeSpawn([join(ROOT, 'bench/handoff-client.cjs'), socket, m.sender, m.recipient], m.raw);
  for (const m of generateClientMails(60, 99).filter((mail) => !mail.outgoing).slice(0, 50)) handoff(m);

  const incoming = generateClientMails(ROUNDS * MAILS * 2, 7).filter((mail) => !mail.outgoing);
  const names = ['floor', 'bundle', 'snapshot', 'emptySnapshot', 'handoff'];
  const rounds = [];
  const loads = [loadavg()[0]];
  for (let r = 0; r < ROUNDS; r++) {
    const stores = { bundle: join(work, `bundle-${r}`), snapshot: join(work, `snapshot-${r}`) };
    const times = Object.fromEntries(names.map((name) => [name, []]));
    for (const m of incoming.slice(r * MAILS, (r + 1) * MAILS)) {
      const envelope = ['--recipient', m.recipient, '--sender', m.sender];
      times.floor.push(timeSpawn(['-e', '0'], ''));
      times.bundle.push(timeSpawn([BIN, '--store', stores.bundle, 'process', ...envelope], m.raw));
      times.snapshot.push(timeSpawn(['--snapshot-blob', programBlob, '--', BIN, '--store', stores.snapshot, 'process', ...envelope], m.raw));
      times.emptySnapshot.push(timeSpawn(['--snapshot-blob', emptyBlob], ''));
      times.handoff.push(handoff(m));
    }
    rounds.push(Object.fromEntries(names.map((name) => [name, median(times[name])])));
    loads.push(loadavg()[0]);
    for (const store of Object.values(stores)) rmSync(store, { recursive: true, force: true });
  }

  console.log(`snapshot files: the program ${(sizes.program / 1e6).toFixed(1)} MB, empty ${(sizes.empty / 1e6).toFixed(1)} MB`);
  console.log(`load average (1 min) during the run: ${Math.min(...loads).toFixed(1)} to ${Math.max(...loads).toFixed(1)}`);
  for (const name of names) {
    const ms = median(rounds.map((round) => round[name]));
    const ratios = rounds.map((round) => round[name] / round.floor);
    const byRound = ratios.map((ratio) => ratio.toFixed(2)).join(', ');
    console.log(`${name.padEnd(14)} ${ms.toFixed(1).padStart(8)} ms  ratio to node -e 0: ${median(ratios).toFixed(2)} (rounds: ${byRound})`);
  }
  const against = rounds.map((round) => round.snapshot / round.bundle);
  console.log(`snapshot / bundle: ${median(against).toFixed(2)} (rounds: ${against.map((ratio) => ratio.toFixed(2)).join(', ')})`);
} finally {
  if (service) await stop(service);
  rmSync(work, { recursive: true, force: true });
}

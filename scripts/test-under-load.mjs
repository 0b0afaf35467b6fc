#!/usr/bin/env node
// Runs the test suite beside busy loops, several times in a row, to show that
// no test depends on how fast the machine is (CI shares two cores with other
// work). Usage:
//   node scripts/test-under-load.mjs [--runs N] [--loops N] [--project unit|integration] [vitest args...]
// Defaults: 3 runs, 2 busy loops, the unit project. Exits 0 only if every run passed.
// Expects a built program (npm run build), as the CLI tests run bin/itip-agent.

import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);

function option(name, fallback) {
  const at = args.indexOf(name);
  if (at < 0) return fallback;
  const [, value] = args.splice(at, 2);
  return value;
}

const runs = Number(option('--runs', '3'));
const loops = Number(option('--loops', '2'));
const project = option('--project', 'unit');

const busy = Array.from({ length: loops }, () => spawn(process.execPath, ['-e', 'for(;;);'], { stdio: 'ignore' }));
const stopBusy = () => busy.forEach((child) => child.kill('SIGKILL'));
process.on('exit', stopBusy);
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(130));

const vitest = join(root, 'node_modules/vitest/vitest.mjs');
const results = [];
for (let run = 1; run <= runs; run++) {
  const started = Date.now();
  const code = await new Promise((resolve) => {
    const child = spawn(process.execPath, [vitest, 'run', '--project', project, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
    let tail = '';
    child.stdout.on('data', (chunk) => {
      process.stdout.write(chunk);
      tail = (tail + chunk.toString()).slice(-4000);
    });
    child.on('close', (exit) => resolve({ exit, tail }));
  });
  const seconds = Math.round((Date.now() - started) / 1000);
  const counts = /Tests\s+(?:\x1b\[[0-9;]*m)*\s*(.*)/.exec(code.tail.replace(/\x1b\[[0-9;]*m/g, ''))?.[1]?.trim() ?? '?';
  results.push({ run, exit: code.exit, seconds, counts });
  process.stderr.write(`${JSON.stringify({ msg: 'run done', run, of: runs, loops, project, exit: code.exit, seconds, tests: counts })}\n`);
}
stopBusy();
const failed = results.filter((r) => r.exit !== 0);
process.stderr.write(`${JSON.stringify({ msg: failed.length ? 'some runs failed' : 'every run passed', runs: results })}\n`);
process.exit(failed.length ? 1 : 0);

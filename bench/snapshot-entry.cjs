'use strict';
// The entry of a V8 start-up snapshot of the program, for the trial in
// bench/snapshot-trial.mjs (which runs
// `node --snapshot-blob FILE --build-snapshot bench/snapshot-entry.cjs BUNDLE CACHE`).
//
// The idea: an MTA starts `itip-agent process` once per mail, and a run spends
// much of its time reading the 2 MB bundle, compiling it and evaluating the
// libraries (commander, ical.js, mailsplit, libmime). Done once here, V8 saves
// the resulting heap, and a run started as `node --snapshot-blob FILE -- BIN
// ARGS...` restores it and starts at main(). The trial measures whether that is
// faster than bin/itip-agent's bundle with its code cache (it is not on Node
// 20: README.md, Performance, says by how much and why).
//
// What the snapshot holds is only what loading the program computes: the
// bundle's modules and the ones `process` imports, minus the store (lmdb loads
// a native addon, which a snapshot cannot hold; it is required after the
// restore). main() reads the clock, the environment, argv, cwd and stdin when
// it runs; V8 and Node reseed Math.random and the crypto generator after a
// restore.

const { startupSnapshot } = require('node:v8');
const { readFileSync, realpathSync, statSync } = require('node:fs');
const { dirname, join, resolve } = require('node:path');
// Not restorable itself (Node's list below), but only used while the snapshot is made.
const { runInThisContext } = require('node:vm');

// The bundle (a real path) and its code cache, and what the bundle was when read.
const [bundle, cacheFile] = process.argv.slice(2);
const bundleStamp = stampOf(bundle);
const builtBy = { version: process.version, execPath: process.execPath };

function stampOf(file) {
  const { size, mtimeMs, ino } = statSync(file);
  return `${size}:${mtimeMs}:${ino}`;
}

// The modules of Node's own that Node 20 restores correctly from a user
// snapshot (lib/internal/main/mksnapshot.js lists them). The bundle gets the
// others (child_process, perf_hooks, module, http, tls...) as stand-ins that
// require the real module on first use, which is after the restore when
// nothing reads them while the program loads.
const SNAPSHOT_SAFE = new Set(
  'assert assert/strict buffer console constants crypto diagnostics_channel dns events fs fs/promises net os path path/posix path/win32 process punycode querystring stream stream/promises string_decoder timers timers/promises url util util/types v8 zlib'.split(' '),
);
/** Modules a stand-in had to load while the snapshot was made (reported by the build). */
const loadedEarly = [];

// After the restore: an ordinary require from the bundle's folder.
let runtimeRequire;

function deferred(id) {
  let real;
  const load = () => {
    if (real === undefined && !runtimeRequire) loadedEarly.push(id);
    return (real ??= (runtimeRequire ?? require)(id));
  };
  return new Proxy(
    {},
    {
      get: (_, key) => load()[key],
      has: (_, key) => key in load(),
      ownKeys: () => Reflect.ownKeys(load()),
      getOwnPropertyDescriptor: (_, key) => {
        const descriptor = Reflect.getOwnPropertyDescriptor(load(), key);
        // The stand-in's own target has no such property: a proxy may only report it as configurable.
        return descriptor && { ...descriptor, configurable: true };
      },
    },
  );
}

/** The bundle's require: while the snapshot is made, Node's own modules only (a package file cannot be in it). */
function bundleRequire(id) {
  if (runtimeRequire) return runtimeRequire(id);
  return SNAPSHOT_SAFE.has(id.replace(/^node:/, '')) ? require(id) : deferred(id);
}
bundleRequire.resolve = (id, options) => (runtimeRequire ?? require).resolve(id, options);

const module = { exports: {} };
const source = readFileSync(bundle, 'latin1');
// The code cache of the build's warm-up run holds the compiled functions of a
// `process` run; compiled with it, the snapshot keeps them too (without it, a
// run compiles every function it calls from source).
let cachedData;
try {
  cachedData = readFileSync(cacheFile);
} catch {
  // None: the functions are compiled on first use.
}
// The same wrapper as bin/itip-agent's, so that the cache fits.
runInThisContext(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, { filename: bundle, cachedData })(
  module.exports,
  bundleRequire,
  module,
  bundle,
  dirname(bundle),
);
const program = module.exports;

/** Whether this snapshot may run: the node that made it, and the bundle it was made from, where the bin script expects it. */
function current(script) {
  if (process.version !== builtBy.version || process.execPath !== builtBy.execPath) return false;
  try {
    const expected = join(dirname(realpathSync(script)), '../dist/bundle/itip-agent.cjs');
    return realpathSync(expected) === bundle && stampOf(bundle) === bundleStamp;
  } catch {
    return false;
  }
}

async function main() {
  // Started as `node --snapshot-blob FILE -- BIN ARGS...`: argv is [node, BIN, ARGS...], as for `node BIN ARGS...`.
  const script = process.argv[1];
  if (!script || !current(script)) {
    // Stale: the bin script runs the bundle file as without a snapshot.
    const bin = resolve(script ?? join(__dirname, '../bin/itip-agent'));
    process.argv[1] = bin;
    require('node:module').createRequire(bin)(bin);
    return;
  }
  runtimeRequire = require('node:module').createRequire(bundle);
  const code = await program.main(process.argv);
  // As bin/itip-agent: exit once output is flushed; an open database handle must not keep the process alive.
  process.exit(code);
}

// Evaluated now, so that a run does not: the modules `process` needs besides the store.
program.preload().then(
  () => {
    if (loadedEarly.length > 0) process.stdout.write(`loaded while the snapshot was made: ${loadedEarly.join(', ')}\n`);
  },
  (error) => {
    process.stderr.write(`the start-up snapshot cannot hold the program: ${error && error.stack}\n`);
    process.exit(1);
  },
);

startupSnapshot.setDeserializeMainFunction(() => {
  main();
});

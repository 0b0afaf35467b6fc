// Bundles the command line (dist/, tsc's output) into dist/bundle/itip-agent.cjs,
// then runs it once so that bin/itip-agent finds a V8 code cache beside it.
//
// Why: an MTA starts `itip-agent process` once per mail, and its start-up time
// went into module loading: resolving and reading a few hundred small files
// (mailparser alone pulls in dozens), compiling them, and evaluating libraries
// that the agent never calls. So:
// - one CommonJS file: one read, no module resolution. The commands' dynamic
//   imports stay lazy (esbuild wraps each module in an init function), so
//   `process` still never evaluates the listeners or the outbox sender;
// - CommonJS rather than ESM because only a classic script can be compiled with
//   a code cache in Node 20 (vm.Script cachedData): bin/itip-agent loads it so;
// - libmime requires, at load time, encoding-japanese (ISO-2022-JP, Shift_JIS,
//   EUC-JP), which only rare mail needs. It is replaced by a stand-in that loads
//   the real library on first use, so behaviour is unchanged and the common mail
//   pays nothing for it.
// - lmdb's JavaScript is bundled too (compiling it was a fifth of a run); it
//   finds its native addon from its own file name, so that name is set to where
//   lmdb is installed. msgpackr's optional native string extractor is left out:
//   every value is stored as JSON, so msgpack decoding never runs hot.
// - some libraries require, at load time, modules that a `process` run never
//   calls: nodemailer's HTTP client (http, https, tls, zlib) and its DNS
//   lookups, commander's and detect-libc's child_process. Those requires get a
//   stand-in that requires the real module on first use (LAZY_REQUIRES below):
//   every module Node loads costs start-up time, and these were a tenth of it.
// - iconv-lite's double-byte tables (Chinese, Japanese, Korean charsets, 0.4 MB
//   of the 2 MB) are read from the package on first use instead: every byte of
//   the bundle is read and copied on every run, and plain mail never needs them.
// The packages the source loads with createRequire on first use stay outside.

import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(root, 'dist/bundle');
const outfile = join(outdir, 'itip-agent.cjs');

let build;
try {
  ({ build } = await import('esbuild'));
} catch {
  // Installed without devDependencies: bin/itip-agent runs tsc's output instead.
  console.warn('esbuild is not installed: no bundle made; bin/itip-agent runs dist/cli/main.js (slower start)');
  rmSync(outdir, { recursive: true, force: true });
  process.exit(0);
}

/** Libraries loaded on first use: a proxy whose members are read at call time. */
const DEFERRED = ['encoding-japanese'];

function stubSource(relativePath) {
  // Resolved at build time against the importer; loaded at run time from the
  // package root (dist/bundle/../..), the tree the bundle was built in.
  return `let real; const load = () => (real ??= require(require('node:path').join(__dirname, '..', '..', ${JSON.stringify(relativePath)})));
module.exports = new Proxy({}, { get: (_, key) => load()[key], has: (_, key) => key in load() });`;
}

/**
 * A file of an installed package, relative to the package root
 * (node_modules/NAME/...). Not relative(root, file): node_modules may be a
 * link to another checkout's, and esbuild hands over the real path, which
 * would tie the bundle to that other folder; an installed copy (npm pack, the
 * Debian package) must find the file in its own node_modules.
 */
function packageRelative(file) {
  const parts = file.split(sep).join('/').split('/node_modules/');
  if (parts.length < 2) return relative(root, file).split(sep).join('/');
  return `node_modules/${parts.slice(1).join('/node_modules/')}`;
}

const deferLibraries = {
  name: 'defer-libraries',
  setup(pluginBuild) {
    const filter = new RegExp(`^(${DEFERRED.join('|').replace(/[.-]/g, '\\$&')})$`);
    pluginBuild.onResolve({ filter }, async (args) => {
      // This plugin's own lookup of the real file below comes through here too.
      if (args.pluginData === 'real') return undefined;
      const resolved = await pluginBuild.resolve(args.path, { resolveDir: args.resolveDir, kind: args.kind, namespace: 'file', pluginData: 'real' });
      if (resolved.errors.length > 0) return { errors: resolved.errors };
      return { path: args.path, namespace: 'deferred', pluginData: packageRelative(resolved.path) };
    });
    pluginBuild.onLoad({ filter: /.*/, namespace: 'deferred' }, (args) => ({
      contents: stubSource(args.pluginData),
      loader: 'js',
    }));
  },
};

/**
 * `[package of the importer, what it requires]`: a require, at load time, of a
 * module that a `process` run never calls. It gets a stand-in that requires the
 * real module (still bundled, or Node's own) on first use, so behaviour is the
 * same. Only for CommonJS importers that use the module as an object or call it.
 */
const LAZY_REQUIRES = [
  // nodemailer fetches attachment content given by URL (the agent never does);
  // its HTTP client loads http, https, tls and zlib.
  ['nodemailer', '../fetch'],
  // nodemailer resolves mail hosts for its SMTP transport (the agent does not send through it).
  ['nodemailer', 'dns'],
  // commander runs executable subcommands (there are none); detect-libc runs
  // getconf only when it cannot read the C library's name from a file.
  ['commander', 'node:child_process'],
  ['detect-libc', 'child_process'],
];

/** The package a file of node_modules belongs to ('@scope/name' or 'name'). */
function packageOf(file) {
  const parts = file.split(sep).join('/').split('/node_modules/');
  if (parts.length < 2) return undefined;
  const names = parts[parts.length - 1].split('/');
  return names[0].startsWith('@') ? `${names[0]}/${names[1]}` : names[0];
}

function lazyStubSource(realPath) {
  // A function as the target, so that the stand-in can be called and constructed too.
  return `let real; const load = () => (real ??= require(${JSON.stringify(realPath)}));
module.exports = new Proxy(function () {}, {
  get: (_, key) => load()[key],
  has: (_, key) => key in load(),
  apply: (_, self, args) => Reflect.apply(load(), self, args),
  construct: (_, args) => Reflect.construct(load(), args),
});`;
}

const escapeRegExp = (text) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

const lazyRequires = {
  name: 'lazy-requires',
  setup(pluginBuild) {
    const specifiers = [...new Set(LAZY_REQUIRES.map(([, specifier]) => specifier))];
    const filter = new RegExp(`^(${specifiers.map(escapeRegExp).join('|')})$`);
    pluginBuild.onResolve({ filter }, async (args) => {
      // The stand-in's own require of the real module comes through here too.
      if (args.pluginData === 'real' || args.kind !== 'require-call') return undefined;
      const importer = packageOf(args.importer);
      if (!LAZY_REQUIRES.some(([owner, specifier]) => owner === importer && specifier === args.path)) return undefined;
      const resolved = await pluginBuild.resolve(args.path, { resolveDir: args.resolveDir, kind: args.kind, pluginData: 'real' });
      if (resolved.errors.length > 0) return { errors: resolved.errors };
      // Node's own module stays a require at run time; a library file is bundled and evaluated on first use.
      return { path: resolved.external ? args.path : resolved.path, namespace: 'lazy', pluginData: args.resolveDir };
    });
    pluginBuild.onLoad({ filter: /.*/, namespace: 'lazy' }, (args) => ({
      contents: lazyStubSource(args.path),
      loader: 'js',
      resolveDir: args.pluginData,
    }));
    // iconv-lite requires each table inside the function that builds its codec,
    // so the stand-in (a plain require of the installed file) runs only then.
    pluginBuild.onResolve({ filter: /^\.\/tables\/[\w-]+\.json$/ }, async (args) => {
      if (args.pluginData === 'real' || packageOf(args.importer) !== 'iconv-lite') return undefined;
      const resolved = await pluginBuild.resolve(args.path, { resolveDir: args.resolveDir, kind: args.kind, pluginData: 'real' });
      if (resolved.errors.length > 0) return { errors: resolved.errors };
      return { path: args.path, namespace: 'installed', pluginData: packageRelative(resolved.path) };
    });
    pluginBuild.onLoad({ filter: /.*/, namespace: 'installed' }, (args) => ({
      contents: `module.exports = require(require('node:path').join(__dirname, '..', '..', ${JSON.stringify(args.pluginData)}));`,
      loader: 'js',
    }));
  },
};

const nativeAddons = {
  name: 'native-addons',
  setup(pluginBuild) {
    // lmdb's CommonJS build: its ESM build locates itself with import.meta.url, which names the bundle here.
    pluginBuild.onResolve({ filter: /^lmdb$/ }, (args) =>
      args.pluginData === 'real' ? undefined : pluginBuild.resolve('lmdb', { resolveDir: args.resolveDir, kind: 'require-call', pluginData: 'real' }),
    );
    pluginBuild.onResolve({ filter: /^msgpackr-extract$/ }, () => ({ path: 'msgpackr-extract', namespace: 'absent' }));
    pluginBuild.onLoad({ filter: /.*/, namespace: 'absent' }, () => ({ contents: 'module.exports = null;', loader: 'js' }));
    pluginBuild.onLoad({ filter: /[\\/]node_modules[\\/]lmdb[\\/]dist[\\/]index\.cjs$/ }, (args) => {
      const installed = packageRelative(args.path);
      const source = readFileSync(args.path, 'utf8').replaceAll('__filename', '__lmdbFilename');
      const prelude = `const __lmdbFilename = require('node:path').join(__dirname, '..', '..', ${JSON.stringify(installed)});\n`;
      return { contents: prelude + source, loader: 'js', resolveDir: dirname(args.path) };
    });
  },
};

const result = await build({
  entryPoints: [join(root, 'dist/cli/main.js')],
  outfile,
  // Written below, atomically: a command started during a build reads the old bundle or the new, never half of one.
  write: false,
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  plugins: [deferLibraries, lazyRequires, nativeAddons],
  // The source is ESM: import.meta.url becomes the bundle's own file URL.
  define: { 'import.meta.url': '__bundleUrl' },
  banner: { js: "'use strict';\nconst __bundleUrl = require('node:url').pathToFileURL(__filename).href;" },
  // Fewer bytes to read; identifiers are kept, so stack traces and class names stay readable.
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: 'none',
  charset: 'ascii',
  logLevel: 'warning',
});

// esbuild escapes every non-ASCII character (charset: ascii), so bin/itip-agent
// reads the bundle as Latin-1, the cheapest decoding; make sure of it.
if (result.outputFiles[0].contents.some((byte) => byte > 0x7f)) {
  throw new Error('the bundle is not pure ASCII; bin/itip-agent reads it as Latin-1');
}
mkdirSync(outdir, { recursive: true });
writeFileSync(`${outfile}.${process.pid}`, result.outputFiles[0].contents);
renameSync(`${outfile}.${process.pid}`, outfile);
// Caches of earlier builds (their names hold the bundle's time and size) are of no use now.
for (const name of readdirSync(outdir)) if (name.endsWith('.cache')) rmSync(join(outdir, name), { force: true });

// One run of the hot path writes the code cache (bin/itip-agent writes it when
// it finds none): the functions a `process` run compiles are in it.
const store = mkdtempSync(join(tmpdir(), 'itip-agent-warmup-'));
try {
  // An empty configuration file: the build machine's own settings must not matter.
  writeFileSync(join(store, 'config.json'), '{}\n');
  const warm = spawnSync(
    process.execPath,
    [join(root, 'bin/itip-agent'), '--store', join(store, 'store'), 'process', '--recipient', 'warmup@example.com', '--deliver', 'none'],
    {
      input: readFileSync(join(root, 'examples/invitation.eml')),
      env: { ...process.env, ITIP_AGENT_NOW: '2026-11-15T12:00:00Z', ITIP_AGENT_CONFIG: join(store, 'config.json'), ITIP_AGENT_LOG_LEVEL: 'error' },
      stdio: ['pipe', 'ignore', 'inherit'],
    },
  );
  if (warm.status !== 0) console.warn(`warning: the warm-up run exited ${warm.status}; the code cache is written on first use instead`);
} finally {
  rmSync(store, { recursive: true, force: true });
}

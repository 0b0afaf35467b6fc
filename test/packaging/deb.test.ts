// The Debian package (npm run deb, packaging/deb/build.mjs): what it holds,
// with which modes and owners, its control data, and that the program in it
// runs from the extracted files alone (its node_modules are complete, lmdb's
// native addon included). Installing it, the user and purge are tried in a
// Debian root by the integration tests.
//
// Building takes a minute or more on a loaded machine, so the package is
// built once per content of its inputs and kept in the temporary folder.

import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const ARCH = execFileSync('dpkg', ['--print-architecture'], { encoding: 'utf8' }).trim();
const INPUTS = ['package.json', 'package-lock.json', 'bin', 'dist', 'packaging/deb', 'mta-configs', 'examples', 'README.md', 'SECURITY.md'];

function hashInputs(): string {
  const hash = createHash('sha256');
  const add = (path: string) => {
    const full = join(ROOT, path);
    if (statSync(full).isDirectory()) {
      for (const name of readdirSync(full).sort()) add(join(path, name));
    } else if (!/\.cache(\.\d+)?$/.test(path)) {
      hash.update(`${path}\0`).update(readFileSync(full)).update('\0');
    }
  };
  for (const input of INPUTS) add(input);
  return hash.digest('hex').slice(0, 16);
}

/** The package for these inputs, built now or found from an earlier run. */
function packageFile(): string {
  const dir = join(tmpdir(), 'itip-agent-deb-test', hashInputs());
  const deb = join(dir, `itip-agent_${VERSION}_${ARCH}.deb`);
  if (existsSync(deb)) return deb;
  // Built aside and renamed: a run beside this one never sees half a package.
  const building = mkdtempSync(join(tmpdir(), 'itip-agent-deb-build-'));
  const result = spawnSync(process.execPath, [join(ROOT, 'packaging/deb/build.mjs'), '--out', building, '--compress', 'gzip'], {
    encoding: 'utf8',
    timeout: 900_000,
  });
  if (result.status !== 0) throw new Error(`the package build failed: ${result.stderr}`);
  const built = result.stdout.trim().split('\n').at(-1)!;
  expect(built).toBe(join(building, `itip-agent_${VERSION}_${ARCH}.deb`));
  mkdirSync(dir, { recursive: true });
  renameSync(built, deb);
  rmSync(building, { recursive: true, force: true });
  // Packages of earlier contents: keep the two newest besides this one.
  const cache = join(tmpdir(), 'itip-agent-deb-test');
  const older = readdirSync(cache)
    .map((name) => ({ path: join(cache, name), at: statSync(join(cache, name)).mtimeMs }))
    .filter((entry) => entry.path !== dir)
    .sort((a, b) => b.at - a.at);
  for (const entry of older.slice(2)) rmSync(entry.path, { recursive: true, force: true });
  return deb;
}

interface Entry {
  mode: string;
  owner: string;
  path: string;
}

let deb: string;
let entries: Map<string, Entry>;
let extracted: string;
const work = mkdtempSync(join(tmpdir(), 'itip-deb-test-'));

beforeAll(() => {
  deb = packageFile();
  entries = new Map();
  for (const line of execFileSync('dpkg-deb', ['-c', deb], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }).trim().split('\n')) {
    const [mode, owner, , , , path] = line.split(/\s+/);
    const clean = path!.replace(/^\.\//, '/').replace(/(.)\/$/, '$1');
    entries.set(clean, { mode: mode!, owner: owner!, path: clean });
  }
  extracted = join(work, 'root');
  execFileSync('dpkg-deb', ['-x', deb, extracted]);
}, 900_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

const field = (name: string) => {
  const control = execFileSync('dpkg-deb', ['-f', deb, name], { encoding: 'utf8' });
  return control.trim();
};

describe('the control data', () => {
  it('names the package, its version, the architecture of its native addon, and Node 20', () => {
    expect(field('Package')).toBe('itip-agent');
    expect(field('Version')).toBe(VERSION.replace('-', '~'));
    // lmdb's prebuilt binary is for this architecture only.
    expect(field('Architecture')).toBe(ARCH);
    expect(field('Depends')).toMatch(/(^|, )nodejs \(>= 20\)(,|$)/);
    expect(field('Depends')).toMatch(/(^|, )adduser(,|$)/);
    expect(Number(field('Installed-Size'))).toBeGreaterThan(1000);
  });

  it('declares the settings file a conffile and carries the maintainer scripts', () => {
    const info = execFileSync('dpkg-deb', ['-I', deb], { encoding: 'utf8' });
    expect(execFileSync('dpkg-deb', ['-I', deb, 'conffiles'], { encoding: 'utf8' })).toBe('/etc/itip-agent/config.json\n');
    for (const script of ['postinst', 'prerm', 'postrm']) expect(info).toMatch(new RegExp(`\\d+ bytes,\\s+\\d+ lines\\s+\\*\\s+${script}\\s+#!/bin/sh`));
    // md5sums cover the installed files but not the conffile (dpkg keeps its own sum of that).
    const sums = execFileSync('dpkg-deb', ['-I', deb, 'md5sums'], { encoding: 'utf8' });
    expect(sums).toMatch(/^[0-9a-f]{32}  usr\/bin\/itip-agent$/m);
    expect(sums).not.toContain('etc/itip-agent');
  });
});

describe('the files', () => {
  it('holds the launcher, the program, its production packages, the unit, the settings and the documents', () => {
    for (const path of [
      '/usr/bin/itip-agent',
      '/usr/lib/itip-agent/package.json',
      '/usr/lib/itip-agent/bin/itip-agent',
      '/usr/lib/itip-agent/dist/cli/main.js',
      '/usr/lib/itip-agent/dist/bundle/itip-agent.cjs',
      '/usr/lib/itip-agent/packaging/local-domains.mjs',
      '/usr/lib/itip-agent/node_modules/lmdb/package.json',
      '/usr/lib/itip-agent/node_modules/ical.js/package.json',
      '/lib/systemd/system/itip-agent.service',
      '/etc/itip-agent/config.json',
      '/usr/share/doc/itip-agent/copyright',
      '/usr/share/doc/itip-agent/changelog.gz',
      '/usr/share/doc/itip-agent/README.md',
      '/usr/share/doc/itip-agent/mta-configs/postfix/master.cf',
      '/usr/share/doc/itip-agent/mta-configs/exim/conf.d/transport/30_itip-agent',
    ]) {
      expect(entries.has(path), path).toBe(true);
    }
    const native = [...entries.keys()].filter((path) => path.startsWith('/usr/lib/itip-agent/node_modules/@lmdb/') && path.endsWith('.node'));
    expect(native.length).toBeGreaterThan(0);
  });

  it('leaves out what only building and testing need, and per-machine code caches', () => {
    for (const dev of ['vitest', 'typescript', 'esbuild', 'fast-check', 'playwright-core', 'mailparser', '.bin']) {
      expect(entries.has(`/usr/lib/itip-agent/node_modules/${dev}`), dev).toBe(false);
    }
    const paths = [...entries.keys()];
    expect(paths.filter((path) => path.includes('/dist/') && /\.cache$|\/test\//.test(path))).toEqual([]);
    // Source maps and type declarations are for developers.
    expect(paths.filter((path) => /\.(map|d\.[cm]?ts)$/.test(path))).toEqual([]);
    expect([...entries.keys()].some((path) => path.startsWith('/var/'))).toBe(false);
  });

  it('owns everything by root, with plain modes: 0755 for folders and programs, 0644 for the rest', () => {
    const programs = new Set(['/usr/bin/itip-agent', '/usr/lib/itip-agent/bin/itip-agent']);
    for (const entry of entries.values()) {
      expect(entry.owner, entry.path).toBe('root/root');
      if (entry.mode.startsWith('d')) expect(entry.mode, entry.path).toBe('drwxr-xr-x');
      else if (programs.has(entry.path)) expect(entry.mode, entry.path).toBe('-rwxr-xr-x');
      else if (entry.mode === '-rwxr-xr-x') {
        // Other executables are programs of the packages: each starts with #!.
        expect(readFileSync(join(extracted, entry.path)).subarray(0, 2).toString(), entry.path).toBe('#!');
      } else expect(entry.mode, entry.path).toBe('-rw-r--r--');
    }
  });

  it('the unit and the shipped settings name the package\'s paths', () => {
    const unit = readFileSync(join(extracted, 'lib/systemd/system/itip-agent.service'), 'utf8');
    expect(unit).toMatch(/^ExecStart=\/usr\/bin\/itip-agent serve --config \/etc\/itip-agent\/config\.json$/m);
    expect(unit).toMatch(/^User=itip$/m);
    const config = JSON.parse(readFileSync(join(extracted, 'etc/itip-agent/config.json'), 'utf8')) as Record<string, unknown>;
    expect(config.store).toBe('/var/lib/itip-agent');
    // Empty as shipped: postinst fills it from the MTA.
    expect(config.localDomains).toEqual([]);
    const masterCf = readFileSync(join(extracted, 'usr/share/doc/itip-agent/mta-configs/postfix/master.cf'), 'utf8');
    expect(masterCf).toContain('argv=/usr/bin/itip-agent --config /etc/itip-agent/config.json');
    expect(masterCf).not.toContain('/usr/local/');
  });
});

describe('the program from the package', () => {
  const run = (args: string[], input?: Buffer) =>
    spawnSync('/bin/sh', [join(extracted, 'usr/bin/itip-agent'), ...args], {
      input,
      encoding: 'utf8',
      timeout: 120_000,
      env: {
        PATH: `${join(process.execPath, '..')}:/usr/bin:/bin`,
        // The extracted tree stands where the package would install it.
        ITIP_AGENT_LAUNCHER_APP: join(extracted, 'usr/lib/itip-agent'),
        ITIP_AGENT_NOW: '2026-11-15T12:00:00Z',
      },
    });

  it('prints its version', () => {
    const result = run(['--version']);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout.trim()).toBe(VERSION);
  });

  it('files an invitation with the shipped settings (store and lmdb from the package alone)', () => {
    const config = join(work, 'config.json');
    const shipped = JSON.parse(readFileSync(join(extracted, 'etc/itip-agent/config.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(config, JSON.stringify({ ...shipped, store: join(work, 'store'), localDomains: ['example.com'] }));
    const invitation = readFileSync(join(extracted, 'usr/share/doc/itip-agent/examples/invitation.eml'));
    const processed = run(['--config', config, 'process', '--recipient', 'alice@example.com', '--deliver', 'none'], invitation);
    expect(processed.status, processed.stderr).toBe(0);
    const objects = run(['--config', config, 'objects', '--user', 'alice@example.com', '--json']);
    expect(objects.status, objects.stderr).toBe(0);
    expect((JSON.parse(objects.stdout) as unknown[]).length).toBeGreaterThan(0);
  });

  it('the packaged files are those of this checkout (same bundle)', () => {
    const inPackage = readFileSync(join(extracted, 'usr/lib/itip-agent/dist/bundle/itip-agent.cjs'));
    expect(inPackage.equals(readFileSync(join(ROOT, 'dist/bundle/itip-agent.cjs')))).toBe(true);
  });
});

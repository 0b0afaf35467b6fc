// Debian roots for the integration tests, made by the tests and kept in a
// cache folder outside the checkout, so that the real Postfix, Exim, Dovecot,
// Chromium and python3-caldav run without a package of the host's being
// installed, removed or reconfigured.
//
// The base is Debian 12 (bookworm, minbase) made with debootstrap from the
// mirror the host's apt uses; debootstrap itself is not installed on the host
// when missing, but unpacked from its .deb into the cache. Each further root
// (Postfix, Exim: they conflict; tools; PostgreSQL) is a copy of the base with
// packages installed by apt-get inside it. A root is built in a temporary
// folder and renamed into place when complete, under a lock, so two runs never
// race and an interrupted build is never used. RECIPE names the recipe: bump it
// when what a root holds changes, and the next run builds new roots.
//
// Mounts (/proc, /dev, /sys) exist only inside a private mount namespace
// (unshare, or the one `ip netns exec` makes) of the command that needs them:
// they vanish with it, on success, on failure and on a crash alike.

import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { holdLock, isRoot, run, type RunOptions } from './host.js';

export const RECIPE = 'r1';
export const CACHE = process.env.ITIP_AGENT_TEST_CACHE ?? '/var/cache/itip-agent-tests';
const RECIPE_DIR = join(CACHE, RECIPE);
const SUITE = 'bookworm';

/** Mounts what programs in a chroot expect, then runs the command in it. Used as `sh -c MOUNT_AND_CHROOT sh ROOT CMD ARGS...`. */
export const MOUNT_AND_CHROOT = [
  'set -e',
  'r="$1"; shift',
  'mount -t proc proc "$r/proc"',
  'mount --rbind /dev "$r/dev"',
  'mount --rbind /sys "$r/sys"',
  // Host folders the caller names in ITIP_BIND (space-separated), at the same path inside.
  'for d in $ITIP_BIND; do mkdir -p "$r$d"; mount --bind "$d" "$r$d"; done',
  'unset ITIP_BIND',
  'exec chroot "$r" "$@"',
].join('\n');

/** Runs a command inside `root` with /proc, /dev and /sys mounted in a mount namespace of its own (gone when it ends). */
export function inRoot(root: string, args: string[], options: RunOptions = {}) {
  return run('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', MOUNT_AND_CHROOT, 'sh', root, ...args], options);
}

const APT_ENV = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', DEBIAN_FRONTEND: 'noninteractive', LANG: 'C.UTF-8', HOME: '/root' };

/** The Debian mirror and the security mirror of the host's apt sources (deb822 or one-line), or Debian's defaults. */
export function hostMirrors(): { debian: string; security: string } {
  const files = ['/etc/apt/sources.list', ...(existsSync('/etc/apt/sources.list.d') ? readdirSync('/etc/apt/sources.list.d').map((f) => join('/etc/apt/sources.list.d', f)) : [])];
  let debian: string | undefined;
  let security: string | undefined;
  for (const file of files.filter((f) => existsSync(f))) {
    const text = readFileSync(file, 'utf8');
    const entries: Array<{ uri: string; suites: string[] }> = [];
    for (const line of text.split('\n')) {
      const oneLine = /^\s*deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)/.exec(line);
      if (oneLine) entries.push({ uri: oneLine[1], suites: [oneLine[2]] });
    }
    for (const stanza of text.split(/\n\s*\n/)) {
      const uri = /^URIs:\s*(\S+)/im.exec(stanza)?.[1];
      const suites = /^Suites:\s*(.+)$/im.exec(stanza)?.[1];
      if (uri && suites && /^Types:.*\bdeb\b/im.test(stanza)) entries.push({ uri, suites: suites.trim().split(/\s+/) });
    }
    for (const { uri, suites } of entries) {
      if (!debian && suites.includes(SUITE)) debian = uri;
      if (!security && suites.includes(`${SUITE}-security`)) security = uri;
    }
  }
  return { debian: debian ?? 'http://deb.debian.org/debian', security: security ?? 'http://deb.debian.org/debian-security' };
}

/** Fails with what to do when the tests cannot make roots here (they never skip: a skipped test would look like a passing one). */
function requireRootUser(): void {
  if (!isRoot()) throw new Error('the integration tests make Debian roots (debootstrap, chroot, network namespaces) and must run as root');
}

/**
 * debootstrap: the host's when installed, else unpacked from its .deb into
 * the cache (apt-get download needs no root privileges on the package
 * database and changes nothing on the host). It needs only sh, wget or curl,
 * and the host's gpgv to check the mirror's signature.
 */
function debootstrap(): { command: string; env: NodeJS.ProcessEnv } {
  if (existsSync('/usr/sbin/debootstrap')) return { command: '/usr/sbin/debootstrap', env: process.env };
  const dir = join(CACHE, 'debootstrap');
  const script = join(dir, 'usr/sbin/debootstrap');
  if (!existsSync(script)) {
    const tmp = `${dir}.tmp-${process.pid}`;
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
    let download = spawnIn(tmp, 'apt-get', ['download', 'debootstrap']);
    if (download.status !== 0) {
      // No package lists on the host (never updated): fetch lists of our own into the cache, leaving the host's as they are.
      const lists = join(CACHE, 'apt-lists');
      mkdirSync(join(lists, 'partial'), { recursive: true });
      const own = ['-o', `Dir::State::Lists=${lists}`, '-o', 'Debug::NoLocking=1'];
      const update = spawnIn(tmp, 'apt-get', [...own, 'update']);
      download = spawnIn(tmp, 'apt-get', [...own, 'download', 'debootstrap']);
      if (download.status !== 0) throw new Error(`could not download debootstrap's .deb with apt-get download (no network, or no Debian source in /etc/apt?):\n${update.stderr}\n${download.stderr}`);
    }
    const deb = readdirSync(tmp).find((f) => f.endsWith('.deb'))!;
    run('dpkg-deb', ['-x', join(tmp, deb), tmp]);
    rmSync(dir, { recursive: true, force: true });
    renameSync(tmp, dir);
  }
  return { command: script, env: { ...process.env, DEBOOTSTRAP_DIR: join(dir, 'usr/share/debootstrap') } };
}

/** A command run in folder `cwd` (apt-get download writes into the current folder). */
function spawnIn(cwd: string, command: string, args: string[]) {
  return run('sh', ['-c', 'cd "$1" && shift && exec "$@"', 'sh', cwd, command, ...args], { allowFail: true });
}

/**
 * The root called `name` from the cache, built by `build` into a temporary
 * folder when missing (under a lock; renamed into place when complete).
 */
async function cachedRoot(name: string, build: (tmp: string) => Promise<void> | void): Promise<string> {
  const done = join(RECIPE_DIR, name);
  if (existsSync(join(done, '.itip-root-complete'))) return done;
  requireRootUser();
  mkdirSync(RECIPE_DIR, { recursive: true });
  const release = await holdLock(join(RECIPE_DIR, `.lock-${name}`), `building the ${name} root`, 1_800_000);
  try {
    if (existsSync(join(done, '.itip-root-complete'))) return done;
    // What a crashed build left behind.
    for (const entry of readdirSync(RECIPE_DIR)) if (entry.startsWith(`${name}.tmp-`)) rmSync(join(RECIPE_DIR, entry), { recursive: true, force: true });
    rmSync(done, { recursive: true, force: true });
    const tmp = join(RECIPE_DIR, `${name}.tmp-${process.pid}`);
    try {
      await build(tmp);
      writeFileSync(join(tmp, '.itip-root-complete'), `${new Date().toISOString()}\n`);
      renameSync(tmp, done);
    } catch (error) {
      rmSync(tmp, { recursive: true, force: true });
      throw error;
    }
    return done;
  } finally {
    release();
  }
}

/** Debian 12 minbase, with the host's mirrors and a policy that no package starts a daemon on install. */
export function baseRoot(): Promise<string> {
  return cachedRoot('base', (tmp) => {
    const { debian, security } = hostMirrors();
    const tool = debootstrap();
    const keyring = '/usr/share/keyrings/debian-archive-keyring.gpg';
    const args = ['--variant=minbase', ...(existsSync(keyring) ? [`--keyring=${keyring}`] : []), SUITE, tmp, debian];
    run(tool.command, args, { env: tool.env, timeoutMs: 1_200_000 });
    writeFileSync(join(tmp, 'etc/apt/sources.list'), [`deb ${debian} ${SUITE} main`, `deb ${debian} ${SUITE}-updates main`, `deb ${security} ${SUITE}-security main`, ''].join('\n'));
    // The tests start the daemons themselves, with their own settings.
    writeFileSync(join(tmp, 'usr/sbin/policy-rc.d'), '#!/bin/sh\n# itip-agent test root: no daemon starts on install.\nexit 101\n', { mode: 0o755 });
    // Files a package may want that a chroot lacks.
    writeFileSync(join(tmp, 'etc/hostname'), 'mx.example.com\n');
    writeFileSync(join(tmp, 'etc/mailname'), 'mx.example.com\n');
    writeFileSync(join(tmp, 'etc/hosts'), '127.0.0.1 localhost\n127.0.1.1 mx.example.com mx\n');
    inRoot(tmp, ['apt-get', 'update'], { env: APT_ENV, timeoutMs: 600_000 });
  });
}

/** Installs Debian packages inside a root being built (debconf answers first, nothing started). */
function aptInstall(root: string, packages: string[], preseed: string[] = []): void {
  if (preseed.length) inRoot(root, ['debconf-set-selections'], { env: APT_ENV, input: preseed.join('\n') + '\n' });
  inRoot(root, ['apt-get', 'install', '-y', '--no-install-recommends', ...packages], { env: APT_ENV, timeoutMs: 1_800_000 });
  inRoot(root, ['apt-get', 'clean'], { env: APT_ENV });
}

/** A copy of the base (reflinks where the file system has them). */
async function fromBase(tmp: string): Promise<void> {
  const base = await baseRoot();
  run('cp', ['-a', '--reflink=auto', base, tmp]);
  rmSync(join(tmp, '.itip-root-complete'), { force: true });
}

/**
 * The host's Node as a Debian package: Debian 12 has Node 18 only, and the
 * agent's package needs the Node 20 the host runs. Repacked from the files
 * the host's nodejs package installed (dpkg -L), with its control fields;
 * when Node is not from a package, the binary alone.
 */
function hostNodeDeb(): string {
  const version = process.versions.node;
  const out = join(RECIPE_DIR, `nodejs-${version}.deb`);
  if (existsSync(out)) return out;
  const stage = `${out}.tmp-${process.pid}`;
  rmSync(stage, { recursive: true, force: true });
  mkdirSync(join(stage, 'DEBIAN'), { recursive: true });
  const listed = run('dpkg-query', ['-L', 'nodejs'], { allowFail: true });
  const status = run('dpkg-query', ['-s', 'nodejs'], { allowFail: true });
  const fromPackage = listed.status === 0 && status.stdout.includes('Status: install ok installed') && status.stdout.includes(`Version: ${version}`);
  if (fromPackage) {
    const files = listed.stdout.split('\n').filter((p) => p.startsWith('/') && existsSync(p));
    // tar copies the listed paths (files, links; folders without their other content) with their modes.
    run('sh', ['-c', 'tar -C / --no-recursion -cf - -T - | tar -xf - -C "$1"', 'sh', stage], { input: files.map((f) => f.slice(1)).join('\n') });
    const keep = ['Package', 'Version', 'Architecture', 'Maintainer', 'Depends', 'Provides', 'Conflicts', 'Replaces', 'Description', 'Homepage', 'Section', 'Priority'];
    const fields: string[] = [];
    let keeping = false;
    for (const line of status.stdout.split('\n')) {
      if (/^\S/.test(line)) keeping = keep.includes(line.split(':')[0]);
      if (keeping && line !== '') fields.push(line);
    }
    writeFileSync(join(stage, 'DEBIAN/control'), fields.join('\n') + '\n');
  } else {
    mkdirSync(join(stage, 'usr/bin'), { recursive: true });
    run('cp', [process.execPath, join(stage, 'usr/bin/node')]);
    writeFileSync(
      join(stage, 'DEBIAN/control'),
      `Package: nodejs\nVersion: ${version}-itip-test\nArchitecture: amd64\nMaintainer: itip-agent tests <root@localhost>\nDepends: libc6, libstdc++6\nDescription: the host's Node ${version}, for the itip-agent test roots\n`,
    );
  }
  run('dpkg-deb', ['-Znone', '--root-owner-group', '--build', stage, `${out}.tmp`]);
  renameSync(`${out}.tmp`, out);
  rmSync(stage, { recursive: true, force: true });
  return out;
}

export const POSTFIX_PRESEED = ['postfix postfix/main_mailer_type select No configuration', 'postfix postfix/mailname string mx.example.com'];
export const EXIM_PRESEED = ['exim4-config exim4/dc_eximconfig_configtype select local delivery only; not on a network', 'exim4-config exim4/mailname string mx.example.com'];
const DOVECOT = ['dovecot-core', 'dovecot-lmtpd'];

/** A root for one MTA: Dovecot, the MTA, and the host's Node for the agent's package. */
function mtaRoot(name: string, packages: string[], preseed: string[]): Promise<string> {
  return cachedRoot(`${name}-node${process.versions.node}`, async (tmp) => {
    await fromBase(tmp);
    const node = hostNodeDeb();
    run('cp', [node, join(tmp, 'tmp/nodejs.deb')]);
    aptInstall(tmp, ['adduser', 'ca-certificates', ...DOVECOT, ...packages, '/tmp/nodejs.deb'], preseed);
    rmSync(join(tmp, 'tmp/nodejs.deb'));
  });
}

export const postfixRoot = () => mtaRoot('postfix', ['postfix'], POSTFIX_PRESEED);
export const eximRoot = () => mtaRoot('exim', ['exim4-daemon-light'], EXIM_PRESEED);

/** PostgreSQL's server programs, for the tests of the PostgreSQL store when the host has not got them (test/support/postgres-server.ts). */
export function postgresRoot(): Promise<string> {
  return cachedRoot('postgres', async (tmp) => {
    await fromBase(tmp);
    // The package makes the `postgres` user the server runs as; no cluster is started (policy-rc.d).
    aptInstall(tmp, ['postgresql']);
  });
}

/** Chromium and python3-caldav, for the e2e and CalDAV tests when the host has not got them. */
export function toolsRoot(): Promise<string> {
  return cachedRoot('tools', async (tmp) => {
    await fromBase(tmp);
    aptInstall(tmp, ['chromium', 'python3-caldav', 'fonts-dejavu-core']);
  });
}

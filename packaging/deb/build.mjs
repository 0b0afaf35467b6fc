// Builds the Debian package with dpkg-deb alone (no debhelper):
//   npm run deb            (npm run build, then this)
//   node packaging/deb/build.mjs [--out DIR]
// writes DIR/itip-agent_VERSION_ARCH.deb (DIR: build/) and prints its path as
// the last line on stdout.
//
// Layout (Debian 12):
//   /usr/lib/itip-agent/          the program: package.json, bin/, dist/, and the
//                                 production node_modules from package-lock.json
//   /usr/bin/itip-agent           launcher (launcher.sh: exit 75 when it cannot run)
//   /lib/systemd/system/itip-agent.service
//   /etc/itip-agent/config.json   conffile; postinst fills localDomains
//   /usr/share/doc/itip-agent/    README, SECURITY, mta-configs, an example invitation
//   /var/lib/itip-agent           made by postinst, owned by the user itip
//
// Architecture: lmdb (the store) is a native addon, and node_modules holds only
// the prebuilt binary for the machine that installed it (npm skips the other
// platforms' optional packages). So the package is for this machine's
// architecture (amd64 here), not "all"; building on arm64 makes an arm64 one.
//
// Repeatable: the same sources give the same .deb, byte for byte. Every file
// gets the time of SOURCE_DATE_EPOCH (default: the last commit's time), fixed
// modes, root ownership (--root-owner-group), and dpkg-deb sorts the members.

import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync, copyFileSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, utimesSync, writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const APP = 'usr/lib/itip-agent';
const DOC = 'usr/share/doc/itip-agent';

/** Debian's architecture name -> the platform suffix of lmdb's prebuilt packages. */
const NATIVE_ARCH = { amd64: 'x64', arm64: 'arm64', armhf: 'arm' };

function fail(message) {
  process.stderr.write(`deb: ${message}\n`);
  process.exit(1);
}

function parseArgs(argv) {
  const options = { out: join(root, 'build') };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--out') options.out = resolve(argv[++i] ?? fail('--out needs a folder'));
    else fail(`unknown argument ${argv[i]}; usage: build.mjs [--out DIR]`);
  }
  return options;
}

/** npm's version to Debian's: a pre-release sorts before its release with "~". */
export function debianVersion(npmVersion) {
  return npmVersion.replace('-', '~');
}

function sourceDateEpoch() {
  if (/^\d+$/.test(process.env.SOURCE_DATE_EPOCH ?? '')) return Number(process.env.SOURCE_DATE_EPOCH);
  const git = spawnSync('git', ['log', '-1', '--format=%ct'], { cwd: root, encoding: 'utf8' });
  return git.status === 0 && /^\d+/.test(git.stdout) ? Number(git.stdout.trim()) : 0;
}

/** Copies a file or tree; `skip(relativePath, isDirectory)` leaves parts out. */
function copyTree(from, to, skip = () => false, base = from) {
  const stat = lstatSync(from);
  // A link is copied as what it points to: the package holds plain files.
  if (stat.isSymbolicLink()) return copyTree(realpathSync(from), to, skip, base);
  if (stat.isDirectory()) {
    mkdirSync(to, { recursive: true });
    for (const name of readdirSync(from).sort()) {
      const path = join(from, name);
      if (skip(relative(base, path), statSync(path).isDirectory())) continue;
      copyTree(path, join(to, name), skip, base);
    }
    return;
  }
  mkdirSync(dirname(to), { recursive: true });
  copyFileSync(from, to);
  // Executable only for programs (lintian: no executable libraries, data or documents).
  chmodSync(to, stat.mode & 0o111 && readFileSync(from).subarray(0, 2).toString() === '#!' ? 0o755 : 0o644);
}

/**
 * The production packages of package-lock.json that npm installed here: not
 * dev-only, and for optional ones (the prebuilt binaries of other platforms)
 * only those present.
 */
export function productionPackages(lock, present) {
  const packages = [];
  for (const [path, entry] of Object.entries(lock.packages ?? {})) {
    if (path === '' || !path.startsWith('node_modules/') || entry.dev || entry.link) continue;
    if (!present(path)) {
      if (entry.optional || entry.devOptional) continue;
      throw new Error(`${path} is a production dependency but is not installed; run npm ci first`);
    }
    packages.push(path);
  }
  return packages.sort();
}

function control({ version, arch, installedSize }) {
  return [
    'Package: itip-agent',
    `Version: ${version}`,
    `Architecture: ${arch}`,
    'Maintainer: itip-agent maintainers <root@localhost>',
    `Installed-Size: ${installedSize}`,
    // Debian 12 ships Node.js 18: NodeSource's nodejs 20 (or later) satisfies this.
    'Depends: nodejs (>= 20), adduser',
    'Recommends: dovecot-lmtpd',
    'Suggests: postfix | exim4-daemon-light | exim4-daemon-heavy',
    'Section: mail',
    'Priority: optional',
    'Description: mail-side calendaring agent (iTIP/iMIP) for Postfix and Exim',
    ' itip-agent reads the invitations, replies and cancellations (iTIP, RFC 5546,',
    ' carried in mail, RFC 6047) that reach or leave its users, and keeps their',
    ' calendars, free/busy and scheduling queues up to date. The MTA runs it per',
    ' mail (pipe) or hands it the mail over LMTP; the mail itself always goes on',
    ' to the mailbox unchanged. Rooms and other resources answer invitations',
    ' themselves.',
    '',
  ].join('\n');
}

const COPYRIGHT = `Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: itip-agent
Comment: The JavaScript packages under /usr/lib/itip-agent/node_modules carry
 their own licences, each in its folder.

Files: *
Copyright: itip-agent authors
License: MIT
 Permission is hereby granted, free of charge, to any person obtaining a copy
 of this software and associated documentation files (the "Software"), to deal
 in the Software without restriction, including without limitation the rights
 to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
 copies of the Software, and to permit persons to whom the Software is
 furnished to do so, subject to the following conditions:
 .
 The above copyright notice and this permission notice shall be included in
 all copies or substantial portions of the Software.
 .
 THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
 IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
 FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
 AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
 LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
 OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
 SOFTWARE.
`;

function walk(dir, visit) {
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (lstatSync(path).isDirectory()) walk(path, visit);
    visit(path);
  }
}

function build(options) {
  if (!existsSync(join(root, 'dist/cli/main.js'))) fail('dist/ is missing: run npm run build first (npm run deb does)');
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8'));
  const arch = execFileSync('dpkg', ['--print-architecture'], { encoding: 'utf8' }).trim();
  const native = NATIVE_ARCH[arch];
  if (!native) fail(`no prebuilt lmdb binary is known for ${arch}`);
  if (!existsSync(join(root, `node_modules/@lmdb/lmdb-linux-${native}`))) {
    fail(`node_modules/@lmdb/lmdb-linux-${native} is missing: run npm ci on this ${arch} machine first`);
  }
  const version = debianVersion(pkg.version);
  const epoch = sourceDateEpoch();

  const stage = mkdtempSync(join(tmpdir(), 'itip-agent-deb-'));
  try {
    const at = (path) => join(stage, path);
    // The program. Code caches are made per machine and Node version (postinst makes one).
    copyTree(join(root, 'package.json'), at(`${APP}/package.json`));
    copyTree(join(root, 'bin'), at(`${APP}/bin`));
    copyTree(join(root, 'dist'), at(`${APP}/dist`), (path) => /\.(cache|map|d\.ts)$/.test(path) || /\.cache\.\d+$/.test(path));
    copyTree(join(here, 'local-domains.mjs'), at(`${APP}/packaging/local-domains.mjs`));
    copyTree(join(root, 'examples/invitation.eml'), at(`${APP}/packaging/warmup.eml`));
    const present = (path) => existsSync(join(root, path));
    for (const path of productionPackages(lock, present)) {
      // Nested node_modules folders are packages of their own in the lock file; .bin holds links for npm scripts.
      copyTree(join(root, path), at(`${APP}/${path}`), (sub) => /(^|\/)node_modules$/.test(sub));
    }
    copyTree(join(here, 'launcher.sh'), at('usr/bin/itip-agent'));
    chmodSync(at('usr/bin/itip-agent'), 0o755);
    copyTree(join(root, 'mta-configs/systemd/itip-agent.service'), at('lib/systemd/system/itip-agent.service'));
    copyTree(join(here, 'config.json'), at('etc/itip-agent/config.json'));
    copyTree(join(root, 'README.md'), at(`${DOC}/README.md`));
    copyTree(join(root, 'SECURITY.md'), at(`${DOC}/SECURITY.md`));
    copyTree(join(root, 'mta-configs'), at(`${DOC}/mta-configs`));
    copyTree(join(root, 'examples'), at(`${DOC}/examples`));
    writeFileSync(at(`${DOC}/copyright`), COPYRIGHT);

    // Sizes before DEBIAN/ exists: Installed-Size counts the installed files, in KiB.
    let bytes = 0;
    const sums = [];
    walk(stage, (path) => {
      const stat = lstatSync(path);
      if (stat.isDirectory()) return;
      bytes += stat.size;
      const name = relative(stage, path);
      if (!name.startsWith('etc/')) sums.push(`${createHash('md5').update(readFileSync(path)).digest('hex')}  ${name}`);
    });
    mkdirSync(at('DEBIAN'));
    writeFileSync(at('DEBIAN/control'), control({ version, arch, installedSize: Math.ceil(bytes / 1024) }));
    writeFileSync(at('DEBIAN/conffiles'), '/etc/itip-agent/config.json\n');
    writeFileSync(at('DEBIAN/md5sums'), `${sums.sort().join('\n')}\n`);
    for (const script of ['postinst', 'prerm', 'postrm']) {
      copyTree(join(here, script), at(`DEBIAN/${script}`));
      chmodSync(at(`DEBIAN/${script}`), 0o755);
    }
    for (const file of ['control', 'conffiles', 'md5sums']) chmodSync(at(`DEBIAN/${file}`), 0o644);

    walk(stage, (path) => {
      if (lstatSync(path).isDirectory()) chmodSync(path, 0o755);
      utimesSync(path, epoch, epoch);
    });
    chmodSync(stage, 0o755);

    mkdirSync(options.out, { recursive: true });
    const deb = join(options.out, `itip-agent_${version}_${arch}.deb`);
    const result = spawnSync('dpkg-deb', ['--root-owner-group', '-Zxz', '--build', stage, deb], {
      encoding: 'utf8',
      env: { ...process.env, SOURCE_DATE_EPOCH: String(epoch) },
    });
    if (result.status !== 0) fail(`dpkg-deb failed: ${result.stderr || result.stdout}`);
    return deb;
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

if (/build\.mjs$/.test(process.argv[1] ?? '')) {
  const deb = build(parseArgs(process.argv.slice(2)));
  process.stdout.write(`${deb}\n`);
}

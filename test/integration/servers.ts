// Real mail servers for the integration tests: Postfix, Exim and Dovecot on
// loopback, each with its own configuration, spool and log in a temporary
// folder, so the host's own /etc/postfix, /etc/exim4 and /etc/dovecot are
// never read or changed. What a test starts, it stops (see each stop()).
//
// Missing packages are installed with apt-get (Debian): the tests run as root
// on a fresh machine (`npm ci && npm test`). When that is impossible (not
// root, no network) the tests fail with a message naming what to install;
// they never skip, because a skipped MTA test would look like a passing one.
//
// Postfix and Exim cannot be installed together (each Conflicts with
// mail-transport-agent): each test file installs the one it needs, which
// removes the other, and the integration files run one after the other.

import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { chmodSync, chownSync, closeSync, openSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import nodemailer from 'nodemailer';
import { SMTPServer } from 'smtp-server';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const BIN = join(ROOT, 'bin/itip-agent');
export const CONFIGS = join(ROOT, 'mta-configs');

/** The system user the agent runs as, as the READMEs in mta-configs/ make it. */
export const AGENT_USER = 'itip';

/** The paths the shipped configuration names, which the tests replace by their own. */
export const SHIPPED = {
  bin: '/usr/local/bin/itip-agent',
  store: '/var/lib/itip-agent',
  dovecotLmtp: '/run/dovecot/lmtp',
  serveLmtp: '127.0.0.1:10024',
} as const;

if (!existsSync(join(ROOT, 'dist/cli/main.js'))) {
  throw new Error('the integration tests run the built program: run npm run build first (npm test does)');
}

// ---------------------------------------------------------------------------
// Commands and packages

interface RunOptions {
  input?: string;
  env?: NodeJS.ProcessEnv;
  allowFail?: boolean;
  /**
   * The command starts a daemon: its output goes to this file, not to pipes,
   * because a daemon that keeps an inherited pipe open would keep spawnSync
   * waiting for ever.
   */
  daemonLog?: string;
}

function run(command: string, args: string[], options: RunOptions = {}): SpawnSyncReturns<string> {
  const fd = options.daemonLog ? openSync(options.daemonLog, 'a') : undefined;
  let result: SpawnSyncReturns<string>;
  try {
    result = spawnSync(command, args, {
      input: options.input,
      encoding: 'utf8',
      env: options.env ?? process.env,
      timeout: options.daemonLog ? 60_000 : 300_000,
      stdio: fd === undefined ? 'pipe' : ['ignore', fd, fd],
    });
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  if (fd !== undefined) result = { ...result, stdout: readFileSync(options.daemonLog!, 'utf8'), stderr: '' };
  if (result.error) throw new Error(`${command} ${args.join(' ')}: ${result.error.message}`);
  if (result.status !== 0 && !options.allowFail) {
    throw new Error(`${command} ${args.join(' ')} exited ${result.status}:\n${result.stdout}\n${result.stderr}`);
  }
  return result;
}

function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

function installed(pkg: string): boolean {
  const result = spawnSync('dpkg-query', ['-W', '-f=${db:Status-Abbrev}', pkg], { encoding: 'utf8' });
  return result.status === 0 && result.stdout.startsWith('ii');
}

let aptUpdated = false;

/**
 * Installs the Debian packages that are missing (idempotent: nothing happens
 * when all are there). `preseed` lines go to debconf-set-selections first so
 * that the install asks nothing. Daemons that a package would start on its
 * own are kept from starting (policy-rc.d): the tests run their own instances.
 */
export function ensurePackages(packages: string[], preseed: string[] = []): void {
  const missing = packages.filter((pkg) => !installed(pkg));
  if (missing.length === 0) return;
  const how = `apt-get install -y --no-install-recommends ${missing.join(' ')}`;
  if (!isRoot() || !existsSync('/usr/bin/apt-get')) {
    throw new Error(`the integration tests need ${missing.join(', ')}; they install them with apt-get as root on Debian. Run as root, or install them first: ${how}`);
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive', NEEDRESTART_MODE: 'a' };
  if (preseed.length) run('debconf-set-selections', [], { input: preseed.join('\n') + '\n', env });
  const policy = '/usr/sbin/policy-rc.d';
  const ownPolicy = !existsSync(policy);
  if (ownPolicy) writeFileSync(policy, '#!/bin/sh\n# Written by the itip-agent integration tests during apt-get install.\nexit 101\n', { mode: 0o755 });
  try {
    // Wait for the dpkg lock rather than fail when another apt-get runs.
    const lock = ['-o', 'DPkg::Lock::Timeout=120'];
    const attempt = () => spawnSync('apt-get', [...lock, 'install', '-y', '--no-install-recommends', ...missing], { encoding: 'utf8', env, timeout: 300_000 });
    let result = aptUpdated ? attempt() : undefined;
    if (!result || result.status !== 0) {
      // The package lists may be missing or stale on a fresh machine: update once, then try (again).
      const update = spawnSync('apt-get', [...lock, 'update'], { encoding: 'utf8', env, timeout: 300_000 });
      aptUpdated = true;
      result = attempt();
      if (result.status !== 0) {
        throw new Error(
          `apt-get could not install ${missing.join(' ')} (no network or no Debian repositories?). Install them by hand: ${how}\n` +
            `apt-get update said: ${(update.stderr ?? '').trim().slice(-1000)}\napt-get install said: ${((result.stdout ?? '') + (result.stderr ?? '')).trim().slice(-2000)}`,
        );
      }
    }
  } finally {
    if (ownPolicy) rmSync(policy, { force: true });
  }
  const still = missing.filter((pkg) => !installed(pkg));
  if (still.length) throw new Error(`apt-get ran, yet ${still.join(', ')} are not installed; install them by hand: apt-get install ${still.join(' ')}`);
}

export const POSTFIX_PRESEED = ['postfix postfix/main_mailer_type select No configuration', 'postfix postfix/mailname string mx.example.com'];
export const EXIM_PRESEED = ['exim4-config exim4/dc_eximconfig_configtype select local delivery only; not on a network', 'exim4-config exim4/mailname string mx.example.com'];

/** The agent's system user (adduser --system as the READMEs do), made once. */
export function ensureAgentUser(): { uid: number; gid: number } {
  const lookup = () => spawnSync('id', ['-u', AGENT_USER], { encoding: 'utf8' });
  if (lookup().status !== 0) {
    run('useradd', ['--system', '--user-group', '--home-dir', '/nonexistent', '--shell', '/usr/sbin/nologin', AGENT_USER]);
  }
  const uid = Number(run('id', ['-u', AGENT_USER]).stdout.trim());
  const gid = Number(run('id', ['-g', AGENT_USER]).stdout.trim());
  return { uid, gid };
}

// ---------------------------------------------------------------------------
// One MTA test at a time on this host

const LOCK_DIR = join(tmpdir(), 'itip-agent-integration.lock');

/**
 * Holds a host-wide lock until the returned function is called. Two test runs
 * at once on one machine (two checkouts, two CI jobs) would otherwise swap
 * Postfix and Exim under each other's feet. The lock is a directory (mkdir is
 * atomic) holding the owner's pid; a lock whose owner is gone is taken over.
 */
export async function holdMtaLock(timeoutMs = 240_000): Promise<() => void> {
  const pidFile = join(LOCK_DIR, 'pid');
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      mkdirSync(LOCK_DIR);
      writeFileSync(pidFile, String(process.pid));
      return () => {
        if (existsSync(pidFile) && readFileSync(pidFile, 'utf8') === String(process.pid)) rmSync(LOCK_DIR, { recursive: true, force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const owner = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8')) : NaN;
    if (Number.isInteger(owner) && owner > 0 && !alive(owner)) {
      rmSync(LOCK_DIR, { recursive: true, force: true });
      continue;
    }
    if (Date.now() > end) {
      throw new Error(`another MTA integration test run (pid ${owner}) has held ${LOCK_DIR} for ${timeoutMs / 1000}s; wait for it, or remove the folder if that run is gone`);
    }
    await sleep(500);
  }
}

// ---------------------------------------------------------------------------
// Small tools

/** A free TCP port on loopback (the OS picks it; it is closed again at once). */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (address && typeof address === 'object' ? resolvePort(address.port) : reject(new Error('no port'))));
    });
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls until `check` returns a value (not undefined/false); on timeout the error tells what was awaited and shows `context()`. */
export async function waitFor<T>(what: string, check: () => T | undefined | false | Promise<T | undefined | false>, context: () => string, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}\n${context()}`);
    await sleep(100);
  }
}

export function tail(file: string, lines = 40): string {
  if (!existsSync(file)) return `(${file} does not exist)`;
  return `--- ${file} (last ${lines} lines)\n` + readFileSync(file, 'utf8').split('\n').slice(-lines - 1).join('\n');
}

/** A temporary folder that the agent's user and the mail servers can enter. */
export function workDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  chmodSync(dir, 0o755);
  return dir;
}

/** A folder owned by the agent's user (its store, the maildirs). */
export function agentDir(path: string): string {
  const { uid, gid } = ensureAgentUser();
  mkdirSync(path, { recursive: true });
  chownSync(path, uid, gid);
  return path;
}

/**
 * Names the test's configuration file in the shipped agent commands: the MTA
 * runs them without an environment, so neither ITIP_AGENT_CONFIG nor the
 * settings' variables reach the agent, and the host's own default file
 * (/etc/itip-agent/config.json) must not be read.
 */
function withConfig(text: string, config: string | undefined): string {
  return config ? text.split(`--store ${SHIPPED.store}`).join(`--config ${config} --store ${SHIPPED.store}`) : text;
}

/** Replaces the paths of the shipped configuration by the test's own. */
export function localise(text: string, paths: Partial<Record<keyof typeof SHIPPED, string>>): string {
  let out = text;
  for (const [key, value] of Object.entries(paths)) {
    if (value !== undefined) out = out.split(SHIPPED[key as keyof typeof SHIPPED]).join(value);
  }
  return out;
}

// ---------------------------------------------------------------------------
// The agent, run as its own user as the MTA runs it

export function agent(store: string, args: string[], input?: string | Buffer): SpawnSyncReturns<string> {
  const { uid, gid } = ensureAgentUser();
  // Run as the agent's user: an LMDB lock file made by root would lock the agent out.
  const result = spawnSync(process.execPath, [BIN, '--store', store, ...args], {
    input,
    encoding: 'utf8',
    uid,
    gid,
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ITIP_AGENT_CONFIG: undefined },
    timeout: 60_000,
  });
  if (result.error) throw result.error;
  return result;
}

export function agentJson<T = unknown>(store: string, args: string[]): T {
  const result = agent(store, [...args, '--json']);
  if (result.status !== 0) throw new Error(`itip-agent ${args.join(' ')} exited ${result.status}: ${result.stderr}`);
  return JSON.parse(result.stdout) as T;
}

/** `itip-agent serve --lmtp`, as its own user, the way a service manager runs it. */
export interface Serve {
  address: string;
  output(): string;
  stop(): Promise<void>;
}

export async function startServe(store: string, deliver: string, env: Record<string, string> = {}, listen?: string): Promise<Serve> {
  const { uid, gid } = ensureAgentUser();
  const address = listen ?? `127.0.0.1:${await freePort()}`;
  const port = Number(address.split(':')[1]);
  const child = spawn(process.execPath, [BIN, '--store', store, 'serve', '--lmtp', address, '--deliver', deliver], {
    uid,
    gid,
    cwd: '/',
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const canConnect = () =>
    new Promise<boolean>((r) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        r(true);
      });
      socket.once('error', () => r(false));
    });
  await waitFor('itip-agent serve to listen', () => (child.exitCode !== null ? Promise.reject(new Error(`itip-agent serve exited ${child.exitCode}: ${output}`)) : canConnect()), () => output, 20_000);
  return {
    address,
    output: () => output,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await Promise.race([exited, sleep(15_000)]);
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      }
    },
  };
}

export interface StoredObject {
  uid: string;
  recurrenceId: string | null;
  summary?: string;
  organizer?: string;
  attendees: Array<{ address: string; partstat?: string }>;
}

// ---------------------------------------------------------------------------
// Mail in and out

export async function sendMail(port: number, from: string, to: string[], raw: string | Buffer, auth?: { user: string; pass: string }): Promise<string> {
  const transport = nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true, connectionTimeout: 10_000, auth });
  try {
    const info = await transport.sendMail({ envelope: { from, to }, raw });
    return String(info.response);
  } finally {
    transport.close();
  }
}

export interface SunkMail {
  from: string;
  to: string[];
  raw: Buffer;
}

/** A tiny SMTP server on loopback standing for "the Internet": it keeps whatever it is given. */
export async function startSink(): Promise<{ port: number; mails: SunkMail[]; stop(): Promise<void> }> {
  const mails: SunkMail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
        mails.push({ from, to: session.envelope.rcptTo.map((r) => r.address), raw: Buffer.concat(chunks) });
        callback();
      });
    },
  });
  const port = await freePort();
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolveListen());
  });
  return { port, mails, stop: () => new Promise<void>((r) => server.close(() => r())) };
}

/** The messages in a maildir (new/ and cur/), or [] when it does not exist yet. */
export function maildirMessages(maildir: string): Buffer[] {
  const out: Buffer[] = [];
  for (const sub of ['new', 'cur']) {
    const dir = join(maildir, sub);
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir).sort()) out.push(readFileSync(join(dir, name)));
  }
  return out;
}

/** The body and the headers of the original, as they must arrive: the MTA and the mailbox may only add header lines on top. */
export function arrivedUnchanged(original: string, arrived: Buffer): boolean {
  const text = arrived.toString('utf8').replace(/\r\n/g, '\n');
  return text.endsWith(original.replace(/\r\n/g, '\n'));
}

// ---------------------------------------------------------------------------
// Dovecot: LMTP only, every user accepted, maildirs under the test's folder

export interface Dovecot {
  socket: string;
  port: number;
  maildir(address: string): string;
  log(): string;
  stop(): Promise<void>;
}

export async function startDovecot(dir: string): Promise<Dovecot> {
  ensurePackages(['dovecot-core', 'dovecot-lmtpd']);
  mkdirSync(join(dir, 'run'), { recursive: true });
  mkdirSync(join(dir, 'state'), { recursive: true });
  const mail = agentDir(join(dir, 'mail'));
  const port = await freePort();
  const conf = join(dir, 'dovecot.conf');
  const logFile = join(dir, 'dovecot.log');
  // Mail is stored as the agent's user: in the pipe variant with a maildir
  // target the agent writes there itself. A real site uses its vmail user.
  writeFileSync(
    conf,
    `# Dovecot for the itip-agent integration tests: LMTP on loopback only.
protocols = lmtp
listen = 127.0.0.1
base_dir = ${dir}/run
state_dir = ${dir}/state
instance_name = itip-agent-test-${process.pid}
log_path = ${logFile}
ssl = no
mail_location = maildir:${mail}/%d/%n/Maildir
mail_uid = ${AGENT_USER}
mail_gid = ${AGENT_USER}
first_valid_uid = 1
passdb {
  driver = static
  args = nopassword=y
}
userdb {
  driver = static
  args = allow_all_users=yes
}
service lmtp {
  unix_listener lmtp {
    mode = 0666
  }
  inet_listener lmtp {
    address = 127.0.0.1
    port = ${port}
  }
}
`,
  );
  run('dovecot', ['-c', conf], { daemonLog: join(dir, 'dovecot.out') });
  const socket = join(dir, 'run/lmtp');
  const log = () => tail(logFile);
  await waitFor('Dovecot\'s LMTP socket', () => existsSync(socket), log, 15_000);
  return {
    socket,
    port,
    maildir: (address: string) => {
      const [local, domain] = address.toLowerCase().split('@');
      return join(mail, domain, local, 'Maildir');
    },
    log,
    async stop() {
      const pidFile = join(dir, 'run/master.pid');
      const pid = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').trim()) : undefined;
      run('dovecot', ['-c', conf, 'stop'], { allowFail: true, daemonLog: join(dir, 'dovecot.out') });
      if (pid) await waitFor('Dovecot to stop', () => !alive(pid), log, 15_000);
    },
  };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------
// Postfix: its own config_directory, queue and log; the shipped master.cf and
// main.cf pieces from mta-configs/postfix with the test's paths

export interface Postfix {
  /** The "port 25" smtpd: mail from the world. */
  smtpPort: number;
  /** A submission smtpd (mail from local users), wired to itip-cleanup as the README says. */
  submissionPort: number;
  configDir: string;
  log(): string;
  /** Replaces a map file by new text, rebuilds it (postmap) and reloads Postfix. */
  setMap(name: string, text: string): void;
  /** postqueue -p */
  queue(): string;
  /** postqueue -f: try the deferred mail again now. */
  flush(): void;
  stop(): Promise<void>;
}

export interface MtaOptions {
  dir: string;
  store: string;
  dovecot: Dovecot;
  /** Where mail for external.test goes (the sink). */
  sinkPort: number;
  /** host:port of `itip-agent serve --lmtp`, for the LMTP variant's map. */
  serveLmtp?: string;
  /** The agent's configuration file, named with --config in every shipped agent command. */
  config?: string;
}

/** master.cf entries (a first line and its indented continuation lines), by service name. */
export function masterEntries(text: string): Map<string, string> {
  const entries = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const line of text.split('\n')) {
    if (/^\s*#/.test(line) || line.trim() === '') {
      current = undefined;
    } else if (/^\S/.test(line)) {
      current = [line];
      entries.set(line.split(/\s+/)[0], current);
    } else if (current) {
      current.push(line);
    }
  }
  return new Map([...entries].map(([name, lines]) => [name, lines.join('\n')]));
}

/** main.cf `name = value` lines (no continuations in the shipped files). */
export function mainSettings(text: string): Array<[string, string]> {
  return text
    .split('\n')
    .filter((line) => /^[a-z]/i.test(line))
    .map((line) => {
      const at = line.indexOf('=');
      return [line.slice(0, at).trim(), line.slice(at + 1).trim()] as [string, string];
    });
}

const POSTFIX_BASE_MASTER = `# Postfix's own services, without chroot (the queue is in a temporary folder).
pickup    unix  n       -       n       60      1       pickup
  -o cleanup_service_name=itip-cleanup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
`;

export async function startPostfix(options: MtaOptions): Promise<Postfix> {
  ensurePackages(['postfix'], POSTFIX_PRESEED);
  const { dir, store, dovecot } = options;
  const conf = join(dir, 'conf');
  const spool = join(dir, 'spool');
  const data = join(dir, 'data');
  const logFile = join(dir, 'postfix.log');
  for (const d of [conf, spool, data]) mkdirSync(d, { recursive: true });
  chownSync(data, Number(run('id', ['-u', 'postfix']).stdout.trim()), 0);
  const [smtpPort, submissionPort] = [await freePort(), await freePort()];
  const paths = { bin: BIN, store, dovecotLmtp: dovecot.socket, serveLmtp: options.serveLmtp };
  const shipped = (name: string) => localise(withConfig(readFileSync(join(CONFIGS, 'postfix', name), 'utf8'), options.config), paths).split('/etc/postfix/').join(`${conf}/`);

  // main.cf: a site like the README's (virtual mailboxes in Dovecot), then the shipped settings.
  writeFileSync(join(conf, 'vmailbox'), ['alice@example.com x', 'bob@example.com x', 'carol@example.com x', 'room-1@example.com x', ''].join('\n'));
  const main: Array<[string, string]> = [
    ['compatibility_level', '3.6'],
    ['queue_directory', spool],
    ['data_directory', data],
    ['maillog_file_prefixes', `/var, /dev/stdout, ${dir}`],
    ['maillog_file', logFile],
    ['myhostname', 'mx.example.com'],
    ['mydomain', 'example.com'],
    ['myorigin', '$mydomain'],
    ['mydestination', ''],
    ['inet_interfaces', 'loopback-only'],
    ['inet_protocols', 'ipv4'],
    ['mynetworks', '127.0.0.0/8'],
    ['alias_maps', ''],
    ['alias_database', ''],
    ['virtual_mailbox_domains', 'example.com'],
    ['virtual_mailbox_maps', `texthash:${conf}/vmailbox`],
    ['virtual_transport', `lmtp:unix:${dovecot.socket}`],
    // Retries come fast: the deferral test flushes the queue itself anyway.
    ['minimal_backoff_time', '10s'],
    ['maximal_backoff_time', '20s'],
    ['queue_run_delay', '10s'],
    ...mainSettings(shipped('main.cf')),
  ];
  writeFileSync(join(conf, 'main.cf'), main.map(([k, v]) => `${k} = ${v}`).join('\n') + '\n');

  // master.cf: Postfix's own services, the two smtpd ports, and the shipped itip services.
  const entries = masterEntries(shipped('master.cf'));
  const wanted = ['itip', 'itip-resource', 'itip-outgoing', 'itip-cleanup', 'itip-lmtp'];
  const itipServices = wanted.map((name) => {
    const entry = entries.get(name);
    if (!entry) throw new Error(`mta-configs/postfix/master.cf has no ${name} service`);
    // No chroot in a temporary queue folder: column 5 becomes n.
    return entry.replace(/^(\S+\s+\S+\s+\S+\s+\S+\s+)\S+/, '$1n');
  });
  writeFileSync(
    join(conf, 'master.cf'),
    POSTFIX_BASE_MASTER +
      `127.0.0.1:${smtpPort} inet n - n - - smtpd\n` +
      `127.0.0.1:${submissionPort} inet n - n - - smtpd\n  -o syslog_name=postfix/submission\n  -o cleanup_service_name=itip-cleanup\n` +
      itipServices.join('\n') +
      '\n',
  );

  // The maps: the shipped ones, plus the way to "the Internet" (the sink).
  const maps = new Map<string, string>([
    ['itip_transport', shipped('itip_transport') + `\nexternal.test smtp:[127.0.0.1]:${options.sinkPort}\n`],
    ['itip_outgoing', shipped('itip_outgoing')],
  ]);
  for (const [name, text] of maps) {
    writeFileSync(join(conf, name), text);
    run('postmap', ['-c', conf, `hash:${join(conf, name)}`]);
  }
  // The header_checks table the shipped main.cf names (a regexp table: no postmap).
  writeFileSync(join(conf, 'itip_header_checks'), shipped('itip_header_checks'));

  const log = () => tail(logFile, 60);
  const postfix = (args: string[], allowFail = false) => run('postfix', ['-c', conf, ...args], { allowFail, daemonLog: join(dir, 'postfix.out') });
  const check = postfix(['check'], true);
  if (check.status !== 0) throw new Error(`postfix check failed: ${check.stdout}${check.stderr}\n${log()}`);
  const start = postfix(['start'], true);
  const pidFile = join(spool, 'pid/master.pid');
  if (start.status !== 0) throw new Error(`postfix start failed: ${start.stdout}${start.stderr}\n${log()}`);
  await waitFor('Postfix to listen', () => existsSync(pidFile) && readFileSync(logFile, 'utf8').includes('daemon started'), log, 20_000);

  const unused = readFileSync(logFile, 'utf8').match(/.*unused parameter.*/g);
  if (unused) throw new Error(`Postfix ignored settings of the shipped main.cf:\n${unused.join('\n')}`);

  return {
    smtpPort,
    submissionPort,
    configDir: conf,
    log,
    setMap(name, text) {
      writeFileSync(join(conf, name), text);
      run('postmap', ['-c', conf, `hash:${join(conf, name)}`]);
      postfix(['reload']);
    },
    queue: () => run('postqueue', ['-c', conf, '-p'], { allowFail: true }).stdout,
    flush: () => void run('postqueue', ['-c', conf, '-f'], { allowFail: true }),
    async stop() {
      const pid = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').trim()) : undefined;
      postfix(['stop'], true);
      if (pid) await waitFor('Postfix to stop', () => !alive(pid), log, 20_000);
    },
  };
}

// ---------------------------------------------------------------------------
// Exim: a single-file configuration with the test's main section and ACL,
// and the shipped routers and transports (mta-configs/exim/conf.d) pasted in
// as the README says for a single-file setup.

export interface Exim {
  /** The daemon's SMTP port: mail from the world, and authenticated submission (alice@example.com / secret). */
  smtpPort: number;
  config: string;
  log(): string;
  /** exim -qff: deliver everything in the queue now, retry times or not. */
  flush(): void;
  /** exim -bp */
  queue(): string;
  stop(): Promise<void>;
}

export const EXIM_SUBMISSION_AUTH = { user: 'alice@example.com', pass: 'secret' };
const TRUSTED_CONFIGS = '/etc/exim4/trusted_configs';

function eximIds(): { uid: number; gid: number } {
  return { uid: Number(run('id', ['-u', 'Debian-exim']).stdout.trim()), gid: Number(run('id', ['-g', 'Debian-exim']).stdout.trim()) };
}

export async function startExim(options: MtaOptions): Promise<Exim> {
  ensurePackages(['exim4-daemon-light'], EXIM_PRESEED);
  const { dir, store, dovecot } = options;
  const spool = join(dir, 'spool');
  const logDir = join(dir, 'log');
  const lists = join(dir, 'itip-agent');
  const { uid, gid } = eximIds();
  for (const d of [spool, logDir, lists]) {
    mkdirSync(d, { recursive: true });
    if (d !== lists) chownSync(d, uid, gid);
  }
  const smtpPort = await freePort();
  const paths = { bin: BIN, store, dovecotLmtp: dovecot.socket, serveLmtp: options.serveLmtp };
  let shipped = (name: string) => localise(withConfig(readFileSync(join(CONFIGS, 'exim', name), 'utf8'), options.config), paths).split('/etc/exim4/itip-agent/').join(`${lists}/`);
  if (options.serveLmtp) {
    // The LMTP variant, as its README says: itip_people uses itip_person_lmtp, on serve's port.
    const [, servePort] = options.serveLmtp.split(':');
    const plain = shipped;
    shipped = (name: string) =>
      plain(name)
        .replace(/(itip_people:[\s\S]*?transport = )itip_person\n/, '$1itip_person_lmtp\n')
        .replace(/(itip_person_lmtp:[\s\S]*?port = )10024\n/, `$1${servePort}\n`);
  }
  for (const name of ['people', 'resources', 'senders', 'acl_check_data']) writeFileSync(join(lists, name), shipped(`itip-agent/${name}`));

  const config = join(dir, 'exim.conf');
  writeFileSync(
    config,
    `# Exim for the itip-agent integration tests (loopback only).
# The hook of Debian's DATA ACL, as mta-configs/exim/README.md sets it.
CHECK_DATA_LOCAL_ACL_FILE = ${lists}/acl_check_data
primary_hostname = mx.example.com
qualify_domain = example.com
domainlist local_domains = example.com
hostlist relay_from_hosts = 127.0.0.1
spool_directory = ${spool}
log_file_path = ${logDir}/%slog
pid_file_path = ${dir}/exim.pid
daemon_smtp_ports = ${smtpPort}
local_interfaces = 127.0.0.1
host_lookup =
rfc1413_hosts =
tls_advertise_hosts =
never_users = root
keep_environment =
acl_smtp_rcpt = acl_check_rcpt
acl_smtp_data = acl_check_data

begin acl

acl_check_rcpt:
  accept hosts = :
  accept domains = +local_domains
         verify = recipient
  accept authenticated = *
  # As Debian's default: the host itself may relay (the agent's outbox sender does).
  accept hosts = +relay_from_hosts
  deny   message = relay not permitted

# As Debian's acl/40_exim4-config_check_data: the file CHECK_DATA_LOCAL_ACL_FILE
# names (the shipped itip-agent/acl_check_data), then the final accept.
acl_check_data:
  .include CHECK_DATA_LOCAL_ACL_FILE
  accept

begin routers

${shipped('conf.d/router/050_itip-agent')}

# "The Internet": the sink.
external:
  driver = manualroute
  domains = external.test
  route_list = * 127.0.0.1
  self = send
  transport = remote_smtp

# Everyone else at example.com: straight into Dovecot.
dovecot:
  driver = accept
  domains = +local_domains
  transport = dovecot_lmtp

begin transports

${shipped('conf.d/transport/30_itip-agent')}

remote_smtp:
  driver = smtp
  port = ${options.sinkPort}
  allow_localhost
  hosts_avoid_tls = *

dovecot_lmtp:
  driver = lmtp
  socket = ${dovecot.socket}
  batch_max = 200

begin retry

*  *  F,1h,10s

begin authenticators

plain:
  driver = plaintext
  public_name = PLAIN
  server_prompts = :
  server_condition = \${if and{{eq{$auth2}{${EXIM_SUBMISSION_AUTH.user}}}{eq{$auth3}{${EXIM_SUBMISSION_AUTH.pass}}}}}
  server_set_id = $auth2
  server_advertise_condition = true
`,
  );
  chmodSync(config, 0o644);
  // Exim keeps root privileges for deliveries only with a configuration it trusts.
  const trusted = existsSync(TRUSTED_CONFIGS) ? readFileSync(TRUSTED_CONFIGS, 'utf8') : '';
  if (!trusted.split('\n').includes(config)) writeFileSync(TRUSTED_CONFIGS, trusted + (trusted && !trusted.endsWith('\n') ? '\n' : '') + config + '\n', { mode: 0o644 });
  const untrust = () => {
    if (!existsSync(TRUSTED_CONFIGS)) return;
    const lines = readFileSync(TRUSTED_CONFIGS, 'utf8').split('\n').filter((line) => line !== config);
    const rest = lines.join('\n');
    if (rest.trim() === '') rmSync(TRUSTED_CONFIGS, { force: true });
    else writeFileSync(TRUSTED_CONFIGS, rest);
  };

  const mainlog = join(logDir, 'mainlog');
  const log = () => [tail(mainlog, 60), tail(join(logDir, 'paniclog'), 20)].join('\n');
  const exim = (args: string[], daemon = false) => run('exim4', ['-C', config, ...args], { allowFail: true, daemonLog: daemon ? join(dir, 'exim.out') : undefined });
  const check = exim(['-bV']);
  if (check.status !== 0) {
    untrust();
    throw new Error(`exim4 -bV rejects the configuration:\n${check.stdout}${check.stderr}`);
  }
  exim(['-bd', '-q10s'], true);
  const pidFile = join(dir, 'exim.pid');
  try {
    await waitFor('Exim to listen', () => existsSync(mainlog) && readFileSync(mainlog, 'utf8').includes('daemon started'), log, 20_000);
  } catch (error) {
    untrust();
    throw error;
  }
  return {
    smtpPort,
    config,
    log,
    flush: () => void exim(['-qff']),
    queue: () => exim(['-bp']).stdout,
    async stop() {
      try {
        const pid = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').trim()) : undefined;
        if (pid && alive(pid)) {
          process.kill(pid, 'SIGTERM');
          await waitFor('Exim to stop', () => !alive(pid), log, 20_000);
        }
      } finally {
        untrust();
      }
    },
  };
}

/** Shipped Postfix text with the test's paths, for tests that build another variant of a map. */
export function shippedPostfix(name: string, paths: Partial<Record<keyof typeof SHIPPED, string>>): string {
  return localise(readFileSync(join(CONFIGS, 'postfix', name), 'utf8'), paths);
}

// ---------------------------------------------------------------------------
// Test mail: iMIP messages as a calendar client writes them

export interface EventMail {
  uid: string;
  from: string;
  to: string;
  organizer: string;
  attendees: Array<[address: string, partstat: string]>;
  method: 'REQUEST' | 'REPLY' | 'CANCEL';
  summary?: string;
  start?: string;
  sequence?: number;
  messageId: string;
}

export function imip(mail: EventMail): string {
  const start = mail.start ?? '20270115T090000Z';
  const end = start.replace(/T(\d\d)/, (_, h: string) => `T${String(Number(h) + 1).padStart(2, '0')}`);
  const lines = [
    `From: <${mail.from}>`,
    `To: <${mail.to}>`,
    `Subject: ${mail.method === 'REPLY' ? 'Accepted' : 'Invitation'}: ${mail.summary ?? 'Planning'}`,
    `Message-ID: <${mail.messageId}>`,
    'Date: Fri, 01 Jan 2027 08:00:00 +0000',
    'MIME-Version: 1.0',
    `Content-Type: text/calendar; charset=utf-8; method=${mail.method}`,
    'Content-Transfer-Encoding: 8bit',
    '',
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'PRODID:-//itip-agent tests//EN',
    `METHOD:${mail.method}`,
    'BEGIN:VEVENT',
    `UID:${mail.uid}`,
    'DTSTAMP:20270101T080000Z',
    `DTSTART:${start}`,
    `DTEND:${end}`,
    `SEQUENCE:${mail.sequence ?? 0}`,
    `SUMMARY:${mail.summary ?? 'Planning'}`,
    `ORGANIZER:mailto:${mail.organizer}`,
    ...mail.attendees.map(([address, partstat]) => `ATTENDEE;PARTSTAT=${partstat}:mailto:${address}`),
    'END:VEVENT',
    'END:VCALENDAR',
    '',
  ];
  return lines.join('\r\n');
}

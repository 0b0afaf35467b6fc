// PostgreSQL servers for the tests: Debian's server programs run on loopback
// with data folders in a temporary folder of the test run, never the host's
// own cluster. The programs are the host's (/usr/lib/postgresql/<version>/bin)
// when the postgresql package is installed there, else those of a Debian root
// the tests build for themselves (test/integration/roots.ts): nothing is ever
// installed on the host.
//
// initdb and postgres refuse to run as root, so when the tests run as root the
// programs run as the `postgres` user (`runuser`), and the folders they write
// belong to that user.

import { execFile } from 'node:child_process';
import { appendFileSync, existsSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { holdLock, isRoot } from '../integration/host.js';
import { MOUNT_AND_CHROOT, postgresRoot } from '../integration/roots.js';

/** Where the server programs are: a folder of the host, or a folder inside a Debian root. */
export interface PgPrograms {
  /** The folder holding initdb, pg_ctl and postgres (a path inside `root` when there is one). */
  bin: string;
  /** The Debian root the programs run in (chrooted), or undefined for the host's own. */
  root?: string;
}

/** The newest /usr/lib/postgresql/<version>/bin under `prefix` that holds the server programs. */
function newestBin(prefix: string): string | undefined {
  const base = join(prefix, 'usr/lib/postgresql');
  if (!existsSync(base)) return undefined;
  const versions = readdirSync(base)
    .filter((v) => /^\d+$/.test(v) && existsSync(join(base, v, 'bin/initdb')) && existsSync(join(base, v, 'bin/postgres')))
    .sort((a, b) => Number(b) - Number(a));
  return versions.length ? join('/usr/lib/postgresql', versions[0], 'bin') : undefined;
}

/**
 * The host's server programs when present; else the tests' Debian root with
 * PostgreSQL (built on first use: minutes). ITIP_AGENT_TEST_TOOLS=root uses
 * the root even on a host that has them, to test that path.
 */
export async function findPgPrograms(): Promise<PgPrograms> {
  const host = process.env.ITIP_AGENT_TEST_TOOLS === 'root' ? undefined : newestBin('/');
  if (host) return { bin: host };
  const root = await postgresRoot();
  const bin = newestBin(root);
  if (!bin) throw new Error(`the PostgreSQL test root ${root} has no /usr/lib/postgresql/<version>/bin; remove it so that the next run builds it again`);
  return { bin, root };
}

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

function execute(command: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { env, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') reject(new Error(`${command} ${args.join(' ')}: ${error.message}\n${stderr}`));
      else resolve({ code: error ? Number(error.code) : 0, stdout, stderr });
    });
  });
}

/**
 * The command line that runs a PostgreSQL program (a name in the programs'
 * folder, or an absolute path such as /bin/cp) as the user that owns the data:
 * `postgres` when we are root, ourselves otherwise; inside the root when the
 * programs come from one, with `shared` (the run's folder) visible at the same
 * path there.
 */
export function pgCommandLine(programs: PgPrograms, program: string, args: string[], shared: string, asRoot = false): { command: string; args: string[]; env: NodeJS.ProcessEnv } {
  const path = program.startsWith('/') ? program : join(programs.bin, program);
  const line = isRoot() && !asRoot ? ['runuser', '-u', 'postgres', '--', path, ...args] : [path, ...args];
  const env = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8', ITIP_BIND: shared };
  if (!programs.root) return { command: line[0], args: line.slice(1), env };
  return { command: 'unshare', args: ['--mount', '--propagation', 'private', 'sh', '-c', MOUNT_AND_CHROOT, 'sh', programs.root, ...line], env };
}

export function runAsPg(programs: PgPrograms, program: string, args: string[], shared: string, options: { asRoot?: boolean; timeoutMs?: number } = {}): Promise<CommandResult> {
  const line = pgCommandLine(programs, program, args, shared, options.asRoot);
  return execute(line.command, line.args, line.env, options.timeoutMs ?? 120_000);
}

/** Like runAsPg, but a failure is an error that shows the program's output and the server log. */
export async function mustRunAsPg(programs: PgPrograms, program: string, args: string[], shared: string, log?: string, options: { asRoot?: boolean } = {}): Promise<CommandResult> {
  const result = await runAsPg(programs, program, args, shared, options);
  if (result.code !== 0) {
    const logText = log && existsSync(log) ? `\n--- ${log}\n${readFileSync(log, 'utf8').split('\n').slice(-30).join('\n')}` : '';
    throw new Error(`${program} ${args.join(' ')} exited ${result.code}:\n${result.stdout}\n${result.stderr}${logText}`);
  }
  return result;
}

/** Gives a folder to the user the server runs as (only needed when we are root). */
export async function giveToPg(programs: PgPrograms, dir: string, shared: string): Promise<void> {
  if (isRoot()) await mustRunAsPg(programs, '/bin/chown', ['-R', 'postgres:postgres', dir], shared, undefined, { asRoot: true });
}

/**
 * Settings of every test server (the port and the socket folder are given on
 * the command line, per server). fsync stays on: the tests check what
 * survives a restart. Trust authentication on loopback comes from initdb's
 * --auth=trust: acceptable for a throw-away server that listens on 127.0.0.1
 * only, with its socket in a folder of the test run.
 */
export const SERVER_SETTINGS = [
  '',
  '# itip-agent tests',
  "listen_addresses = '127.0.0.1'",
  'fsync = on',
  'max_connections = 200',
  'log_min_messages = warning',
  '',
].join('\n');

/** Stops the server of a data folder if one runs there (fast shutdown: clients are disconnected). */
export async function stopServer(programs: PgPrograms, data: string, shared: string, mode: 'fast' | 'immediate' = 'fast'): Promise<void> {
  if (!existsSync(join(data, 'postmaster.pid'))) return;
  const result = await runAsPg(programs, 'pg_ctl', ['stop', '-D', data, '-m', mode, '-w', '-t', '120'], shared);
  // 1 with "no server running" when it was gone already (a stale pid file).
  if (result.code !== 0 && !/no server running|PID file .* does not exist/i.test(result.stderr + result.stdout)) {
    throw new Error(`pg_ctl stop -D ${data} exited ${result.code}:\n${result.stdout}\n${result.stderr}`);
  }
}

/**
 * The run's template data folder: initdb once per run (by the globalSetup,
 * outside any test's timeout; under a lock, so that a caller that comes first
 * makes it and the others wait).
 */
export async function pgTemplate(programs: PgPrograms, run: string): Promise<string> {
  const done = join(run, 'template');
  const ready = join(run, 'template.ready');
  if (existsSync(ready)) return done;
  const release = await holdLock(join(run, 'template.lock'), 'initdb of the test PostgreSQL template', 600_000);
  try {
    if (existsSync(ready)) return done;
    // The server's user writes into the run's folder (its data folders, logs and sockets).
    await giveToPg(programs, run, run);
    const tmp = join(run, 'template.tmp');
    rmSync(tmp, { recursive: true, force: true });
    await mustRunAsPg(programs, 'initdb', ['-D', tmp, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--locale=C.UTF-8', '--no-instructions'], run);
    appendFileSync(join(tmp, 'postgresql.conf'), SERVER_SETTINGS);
    renameSync(tmp, done);
    writeFileSync(ready, '');
    return done;
  } finally {
    release();
  }
}

// PostgreSQL for the tests: `newPgDatabase()` gives the URL of a new, empty
// database; `restartPg()`, `stopPg()` and `startPg()` act on the server that
// holds it, for the fault tests.
//
// Each test process (vitest runs every test file in a process of its own)
// gets a server of its own on first use, so that a file that restarts or
// stops its server never breaks the connections of a file running beside it.
// The cost stays small: initdb runs once per test run (a template data folder,
// made by the globalSetup), and each server starts from a copy of it. The folders live in
// the run's folder from test/support/postgres-global-setup.ts, which stops
// every server when the run ends, also when it fails; a process that ends
// stops its own server at once.
//
// Databases belong to a role `itip` that is not a superuser, as on a real
// site: what the agent does to its schema it must be allowed to do as the
// owner of its database.

import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { inject } from 'vitest';
import { freePort } from '../integration/host.js';
import { findPgPrograms, mustRunAsPg, pgCommandLine, pgTemplate, runAsPg, stopServer, type PgPrograms } from './postgres-server.js';

interface TestServer {
  programs: PgPrograms;
  runDir: string;
  /** Holds the data folder, the log and the server's Unix socket. */
  dir: string;
  data: string;
  log: string;
  port: number;
}

/** The role that owns the test databases (the URLs carry it). */
export const PG_TEST_ROLE = 'itip';

function runDir(): string {
  const dir = inject('pgRunDir');
  if (!dir) throw new Error('no folder for the test PostgreSQL servers: this test runs in a vitest project without test/support/postgres-global-setup.ts in its globalSetup (vitest.config.ts)');
  return dir;
}

function logSize(server: TestServer): number {
  return existsSync(server.log) ? statSync(server.log).size : 0;
}

/**
 * Starts the server on its port; with `pickPort`, on a new free port, and
 * again on another when a process beside us took that one in the meantime.
 */
async function startServer(server: TestServer, pickPort: boolean): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    if (pickPort) server.port = await freePort();
    const before = logSize(server);
    const args = ['start', '-D', server.data, '-l', server.log, '-w', '-t', '120', '-o', `-p ${server.port} -k ${server.dir}`];
    const result = await runAsPg(server.programs, 'pg_ctl', args, server.runDir);
    if (result.code === 0) return;
    const logged = existsSync(server.log) ? readFileSync(server.log, 'utf8').slice(before) : '';
    if (pickPort && attempt < 5 && /could not bind|Address already in use/i.test(logged)) continue;
    throw new Error(`could not start the test PostgreSQL server (pg_ctl ${args.join(' ')} exited ${result.code}):\n${result.stdout}${result.stderr}\n--- ${server.log}\n${logged.slice(-3000)}`);
  }
}

/** Stops the server when this process ends (the run's teardown stops it otherwise). */
function stopOnExit(server: TestServer): void {
  process.once('exit', () => {
    if (!existsSync(join(server.data, 'postmaster.pid'))) return;
    const line = pgCommandLine(server.programs, 'pg_ctl', ['stop', '-D', server.data, '-m', 'immediate', '-w', '-t', '30'], server.runDir);
    spawnSync(line.command, line.args, { env: line.env, stdio: 'ignore', timeout: 40_000 });
  });
}

async function asAdmin<T>(server: TestServer, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ host: '127.0.0.1', port: server.port, user: 'postgres', database: 'postgres' });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

async function makeServer(): Promise<TestServer> {
  const run = runDir();
  const programs = inject('pgPrograms') ?? (await findPgPrograms());
  const source = await pgTemplate(programs, run);
  const dir = join(run, `server-${process.pid}-${Date.now().toString(36)}`);
  const server: TestServer = { programs, runDir: run, dir, data: join(dir, 'data'), log: join(dir, 'server.log'), port: 0 };
  await mustRunAsPg(programs, '/bin/mkdir', ['-m', '0700', dir], run);
  await mustRunAsPg(programs, '/bin/cp', ['-a', source, server.data], run);
  await startServer(server, true);
  stopOnExit(server);
  await asAdmin(server, (client) => client.query(`CREATE ROLE ${PG_TEST_ROLE} LOGIN`));
  return server;
}

let current: Promise<TestServer> | undefined;

function testServer(): Promise<TestServer> {
  current ??= makeServer().catch((error: unknown) => {
    current = undefined;
    throw error;
  });
  return current;
}

let databases = 0;

/** The postgres:// URL of a new, empty database on this test process's server (started on first use). */
export async function newPgDatabase(): Promise<string> {
  const server = await testServer();
  const name = `test_${++databases}`;
  await asAdmin(server, (client) => client.query(`CREATE DATABASE ${name} OWNER ${PG_TEST_ROLE}`));
  return `postgres://${PG_TEST_ROLE}@127.0.0.1:${server.port}/${name}`;
}

/** Stops this process's server (fast shutdown: open connections are ended, as by an administrator). Its port and data stay. */
export async function stopPg(): Promise<void> {
  const server = await testServer();
  await stopServer(server.programs, server.data, server.runDir);
}

/** Starts this process's server again, on the same port with the same data. */
export async function startPg(): Promise<void> {
  const server = await testServer();
  await startServer(server, false);
}

/** Stops and starts this process's server: same port, same data, every connection ended. */
export async function restartPg(): Promise<void> {
  await stopPg();
  await startPg();
}

// A PostgreSQL server for tests (minimal stand-in until the full version
// lands): started once per test process from the host's
// /usr/lib/postgresql/*/bin as the postgres user (initdb refuses root), on
// 127.0.0.1 and a free port, stopped when the process exits.
// ITIP_AGENT_TEST_PG (a postgres:// URL of a server whose user may create
// databases) is used instead when set.

import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll } from 'vitest';

interface Server {
  /** URL of the maintenance database, as a superuser. */
  admin: string;
  /** URL of a database, same server and user. */
  url(database: string): string;
  restart(): Promise<void>;
}

let server: Promise<Server> | undefined;
let stopServer: (() => void) | undefined;

// Registered on the suite of the test file that imports this module.
afterAll(async () => {
  if (!server) return;
  await server.catch(() => undefined);
  stopServer?.();
  stopServer = undefined;
  server = undefined;
}, 120_000);
let databases = 0;

function binDir(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a)) : [];
  for (const version of versions) {
    const dir = join(root, version, 'bin');
    if (existsSync(join(dir, 'initdb'))) return dir;
  }
  throw new Error('no PostgreSQL server binaries under /usr/lib/postgresql: install postgresql, or set ITIP_AGENT_TEST_PG');
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

async function startServer(): Promise<Server> {
  const given = process.env.ITIP_AGENT_TEST_PG;
  if (given) {
    const base = new URL(given);
    return {
      admin: given,
      url(database) {
        const url = new URL(base);
        url.pathname = `/${database}`;
        return url.href;
      },
      restart: () => Promise.reject(new Error('cannot restart a server given by ITIP_AGENT_TEST_PG')),
    };
  }
  const bin = binDir();
  const dir = mkdtempSync(join(tmpdir(), 'itip-agent-pg-'));
  chmodSync(dir, 0o755);
  const data = join(dir, 'data');
  execFileSync('chown', ['postgres:postgres', dir]);
  const asPostgres = (command: string, args: string[]): void => {
    execFileSync('runuser', ['-u', 'postgres', '--', join(bin, command), ...args], { stdio: 'pipe' });
  };
  asPostgres('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']);
  const port = await freePort();
  const options = `-c listen_addresses=127.0.0.1 -p ${port} -k ${dir} -c fsync=off -c max_connections=200`;
  const start = (): void => asPostgres('pg_ctl', ['-D', data, '-o', options, '-w', '-t', '120', '-l', join(dir, 'log'), 'start']);
  start();
  stopServer = () => {
    // -W: the server is told to go and the folder removed; no waiting for it here.
    spawnSync('runuser', ['-u', 'postgres', '--', join(bin, 'pg_ctl'), '-D', data, '-m', 'immediate', '-W', 'stop'], { stdio: 'ignore' });
    rmSync(dir, { recursive: true, force: true });
  };
  // A test process may end without running exit handlers: the file's afterAll stops it too.
  process.once('exit', () => stopServer?.());
  const url = (database: string): string => `postgres://postgres@127.0.0.1:${port}/${database}`;
  return {
    admin: url('postgres'),
    url,
    async restart() {
      asPostgres('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']);
      start();
    },
  };
}

/** A postgres:// URL of a new, empty database on the tests' server. */
export async function newPgDatabase(): Promise<string> {
  server ??= startServer();
  const { admin, url } = await server;
  const name = `itip_test_${process.pid}_${++databases}`;
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  try {
    // The name is made here from numbers, not from input.
    await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
  return url(name);
}

/** Restarts the tests' server (fault tests); connections open now are cut. */
export async function restartPg(): Promise<void> {
  server ??= startServer();
  await (await server).restart();
}

// The PostgreSQL server the PostgreSQL rows of the bench run against: the one
// named by ITIP_AGENT_BENCH_PG (postgres://USER@HOST:PORT/DB, a user that may
// create databases), or else a throwaway server of our own: the host's
// PostgreSQL programs (/usr/lib/postgresql/<version>/bin, Debian's layout),
// initdb into a temporary folder, started on a free loopback port, stopped and
// deleted at the end. fsync stays on: a commit is durable, as LMDB's are.
// initdb and postgres refuse to run as root, so as root they run as the
// `postgres` user (runuser), which then owns the folder.
//
// Each benchmark works in a scratch database of its own (scratchDatabase),
// made beside the server's database and dropped afterwards.

import { execFileSync, spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

const PG_LIB = '/usr/lib/postgresql';
const isRoot = () => process.getuid?.() === 0;

/**
 * The folder of server programs: ITIP_AGENT_BENCH_PG_BIN when set (another
 * layout, another version), else the newest of this host; or why there is none.
 */
export function findPgBin() {
  const wanted = ['initdb', 'pg_ctl', 'postgres'];
  const given = process.env.ITIP_AGENT_BENCH_PG_BIN;
  const versions = existsSync(PG_LIB) ? readdirSync(PG_LIB).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a)) : [];
  const candidates = given ? [given] : versions.map((v) => join(PG_LIB, v, 'bin'));
  const bin = candidates.find((dir) => wanted.every((p) => existsSync(join(dir, p))));
  const where = given ? `ITIP_AGENT_BENCH_PG_BIN (${given})` : `${PG_LIB}/<version>/bin (Debian: apt-get install postgresql)`;
  if (!bin) return { reason: `no PostgreSQL server programs (initdb, pg_ctl, postgres) in ${where}, and ITIP_AGENT_BENCH_PG is not set` };
  if (isRoot() && spawnSync('id', ['-u', 'postgres']).status !== 0) return { reason: 'running as root, and there is no `postgres` user to run the PostgreSQL server as (initdb refuses root)' };
  return { bin };
}

/** Runs a server program as the user that owns the data folder; throws with its output on failure. */
function runPg(bin, program, args) {
  const path = join(bin, program);
  const [command, ...rest] = isRoot() ? ['runuser', '-u', 'postgres', '--', path, ...args] : [path, ...args];
  const result = spawnSync(command, rest, { encoding: 'utf8', timeout: 300_000, env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8' } });
  if (result.status !== 0) throw new Error(`${program} ${args.join(' ')} exited ${result.status ?? result.signal}:\n${result.stdout}\n${result.stderr}`);
  return result;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

/** Starts a throwaway server; resolves with {url, stop()}. stop() is synchronous (also usable on exit). */
async function startOwnServer(bin) {
  const dir = mkdtempSync(join(tmpdir(), 'itip-bench-pg-'));
  const data = join(dir, 'data');
  const log = join(dir, 'server.log');
  let started = false;
  const stop = () => {
    if (started) {
      started = false;
      try {
        runPg(bin, 'pg_ctl', ['stop', '-D', data, '-m', 'fast', '-w', '-t', '120']);
      } catch (error) {
        // Left running, its folder must stay: say where, so that it can be stopped by hand.
        console.error(`could not stop the bench's PostgreSQL server (${data}): ${error.message}`);
        return;
      }
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    if (isRoot()) execFileSync('chown', ['postgres:postgres', dir]);
    // --no-sync: initdb's own files need not reach the disk; the commits measured later do (fsync = on).
    runPg(bin, 'initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--locale=C.UTF-8', '--no-instructions', '--no-sync']);
    const port = await freePort();
    // Trust authentication is acceptable here: loopback only, its socket in our own folder, gone at the end.
    appendFileSync(join(data, 'postgresql.conf'), [
      '', '# itip-agent bench: a throwaway server',
      "listen_addresses = '127.0.0.1'", `port = ${port}`, `unix_socket_directories = '${dir}'`,
      'fsync = on', 'synchronous_commit = on', 'full_page_writes = on', 'max_connections = 100', '',
    ].join('\n'));
    runPg(bin, 'pg_ctl', ['start', '-D', data, '-l', log, '-w', '-t', '120']);
    started = true;
    return { url: `postgres://postgres@127.0.0.1:${port}/postgres`, own: true, stop };
  } catch (error) {
    const tail = existsSync(log) ? `\n${readFileSync(log, 'utf8').split('\n').slice(-20).join('\n')}` : '';
    stop();
    throw new Error(`${error.message}${tail}`);
  }
}

/**
 * The server for the PostgreSQL rows: {url, own, stop()} when there is one,
 * {reason} when there is none (the rows are then reported as skipped).
 */
export async function benchPgServer() {
  const given = process.env.ITIP_AGENT_BENCH_PG;
  if (given) return { url: given, own: false, stop: () => undefined };
  const found = findPgBin();
  if (!found.bin) return { reason: found.reason };
  try {
    return await startOwnServer(found.bin);
  } catch (error) {
    return { reason: `the bench's own PostgreSQL server did not start: ${error.message}` };
  }
}

let scratchCount = 0;

/** A fresh database beside the one `base` names: {url, drop()}. */
export async function scratchDatabase(base) {
  const name = `itip_bench_${process.pid}_${scratchCount++}`;
  const admin = async (sql) => {
    const client = new pg.Client({ connectionString: base });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  await admin(`DROP DATABASE IF EXISTS ${name}`);
  await admin(`CREATE DATABASE ${name}`);
  const url = new URL(base);
  url.pathname = `/${name}`;
  return { url: url.href, drop: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

/**
 * Counts every statement any pg client of this process sends (each one a round
 * trip to the server), and the wall time until each answer came: all of them
 * (`waitMs`; reads sent at once overlap) and the COMMITs alone (`commitMs`,
 * the durable flush of the write-ahead log).
 */
export function countStatements() {
  const counter = { statements: 0, waitMs: 0, commitMs: 0 };
  const query = pg.Client.prototype.query;
  pg.Client.prototype.query = function counted(...args) {
    counter.statements++;
    const start = performance.now();
    const text = typeof args[0] === 'string' ? args[0] : args[0]?.text;
    const done = () => {
      const ms = performance.now() - start;
      counter.waitMs += ms;
      if (text === 'COMMIT') counter.commitMs += ms;
    };
    // pg.Pool's query passes a callback; the store's own transactions await a promise.
    const last = args.length - 1;
    if (typeof args[last] === 'function') {
      const callback = args[last];
      args[last] = (...results) => {
        done();
        return callback(...results);
      };
      return query.apply(this, args);
    }
    const result = query.apply(this, args);
    if (result && typeof result.then === 'function') result.then(done, done);
    return result;
  };
  return counter;
}

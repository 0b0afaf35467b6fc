// Which failures of PostgreSQL count as temporary (the mail is deferred and
// retried) and which do not, on errors a real server and the real client
// produce: a closed port, a server shut down under a query, a serialization
// failure, a deadlock, a connection limit; and mistakes that a retry would
// not fix (a missing database, bad SQL, a broken constraint).

import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { HandlerError, markHandlerErrors } from '../../src/agent/handler-errors.js';
import { openLmdbStore } from '../../src/store/open-store.js';
import { isTemporaryPgError } from '../../src/store/pg-errors.js';
import { maskStoreLocation } from '../../src/store/store-url.js';
import { freePort } from '../integration/host.js';
import { newPgDatabase, startPg, stopPg } from '../support/postgres.js';
import { tempDir } from '../transport/support.js';

let url: string;
const clients: pg.Client[] = [];

async function connect(target = url): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: target });
  // A client whose server goes away emits 'error'; here that is what is looked at, not a crash.
  client.on('error', () => {});
  await client.connect();
  clients.push(client);
  return client;
}

/** The error a promise rejects with (a test failure if it resolves). */
async function failureOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a failure');
}

beforeAll(async () => {
  url = await newPgDatabase();
  const setup = await connect();
  await setup.query('CREATE TABLE pairs (id int PRIMARY KEY, v int)');
  await setup.query('INSERT INTO pairs VALUES (1, 0), (2, 0)');
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.end().catch(() => {})));
});

describe('temporary PostgreSQL failures', () => {
  it('a server that does not listen (ECONNREFUSED)', async () => {
    const closed = `postgres://itip@127.0.0.1:${await freePort()}/none`;
    const error = await failureOf(new pg.Client({ connectionString: closed }).connect());
    expect((error as { code?: string }).code).toBe('ECONNREFUSED');
    expect(isTemporaryPgError(error)).toBe(true);
    // Wrapped by whoever caught it first, it stays temporary.
    expect(isTemporaryPgError(new Error('opening the store failed', { cause: error }))).toBe(true);
    expect(isTemporaryPgError(new AggregateError([error], ''))).toBe(true);
  });

  it('a server shut down under a running query (57P01), and the client left without a connection', async () => {
    const client = await connect();
    const running = failureOf(client.query('SELECT pg_sleep(60)'));
    // Wait until the query is running on the server, not just sent.
    const watcher = await connect();
    for (;;) {
      const { rows } = await watcher.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(60)' AND state = 'active'`);
      if (rows[0]!.n > 0) break;
    }
    await stopPg();
    try {
      const error = await running;
      expect((error as { code?: string }).code).toBe('57P01');
      expect(isTemporaryPgError(error)).toBe(true);
      const after = await failureOf(client.query('SELECT 1'));
      expect(isTemporaryPgError(after)).toBe(true);
    } finally {
      await startPg();
    }
  });

  it('a serialization failure (40001) and a deadlock (40P01)', async () => {
    const [a, b] = [await connect(), await connect()];
    await a.query('BEGIN ISOLATION LEVEL SERIALIZABLE');
    await b.query('BEGIN ISOLATION LEVEL SERIALIZABLE');
    // Each reads both rows and writes one of them: together they cannot be put in any order.
    await a.query('SELECT sum(v) FROM pairs');
    await b.query('SELECT sum(v) FROM pairs');
    await a.query('UPDATE pairs SET v = v + 1 WHERE id = 1');
    await b.query('UPDATE pairs SET v = v + 1 WHERE id = 2');
    await a.query('COMMIT');
    const serialization = await failureOf(b.query('COMMIT'));
    expect((serialization as { code?: string }).code).toBe('40001');
    expect(isTemporaryPgError(serialization)).toBe(true);

    await a.query('BEGIN');
    await b.query('BEGIN');
    await a.query('UPDATE pairs SET v = 10 WHERE id = 1');
    await b.query('UPDATE pairs SET v = 20 WHERE id = 2');
    // Each now waits for the row the other holds: the server ends one of them.
    const outcomes = await Promise.allSettled([a.query('UPDATE pairs SET v = 11 WHERE id = 2'), b.query('UPDATE pairs SET v = 21 WHERE id = 1')]);
    const deadlock = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected')!.reason as { code?: string };
    expect(deadlock.code).toBe('40P01');
    expect(isTemporaryPgError(deadlock)).toBe(true);
    await a.query('ROLLBACK');
    await b.query('ROLLBACK');
  });

  it('too many connections (53300)', async () => {
    const limited = await newPgDatabase();
    const owner = await connect(limited);
    await owner.query(`ALTER DATABASE ${new URL(limited).pathname.slice(1)} CONNECTION LIMIT 1`);
    const error = await failureOf(new pg.Client({ connectionString: limited }).connect());
    expect((error as { code?: string }).code).toBe('53300');
    expect(isTemporaryPgError(error)).toBe(true);
  });
});

describe('failures a retry does not fix', () => {
  it('a database that does not exist, bad SQL, a broken constraint, a plain error', async () => {
    const missing = url.replace(/\/[^/]+$/, '/no_such_database');
    const noDatabase = await failureOf(new pg.Client({ connectionString: missing }).connect());
    expect((noDatabase as { code?: string }).code).toBe('3D000');
    const client = await connect();
    const syntax = await failureOf(client.query('SELEC 1'));
    const duplicate = await failureOf(client.query('INSERT INTO pairs VALUES (1, 0)'));
    expect([syntax, duplicate].map((e) => (e as { code?: string }).code)).toEqual(['42601', '23505']);
    for (const error of [noDatabase, syntax, duplicate, new TypeError('x is undefined'), undefined, 'text']) expect(isTemporaryPgError(error)).toBe(false);
  });
});

describe('handlers and the store', () => {
  const dir = tempDir();
  afterAll(() => dir.remove());

  it('a temporary store failure met inside a handler stays the store\'s (retried); a handler\'s own fault is a HandlerError', async () => {
    const refused = await failureOf(new pg.Client({ connectionString: `postgres://itip@127.0.0.1:${await freePort()}/none` }).connect());
    const store = openLmdbStore(dir.path);
    try {
      const marked = markHandlerErrors(store);
      const storeFailure = await failureOf(marked.transact('mailto:alice@example.com', () => { throw refused; }));
      expect(storeFailure).toBe(refused);
      const fault = await failureOf(marked.transact('mailto:alice@example.com', () => { throw new TypeError('a bug'); }));
      expect(fault).toBeInstanceOf(HandlerError);
    } finally {
      await store.close();
    }
  });
});

describe('masking a store URL', () => {
  it('hides the password and password parameters, and leaves folders and password-less URLs alone', () => {
    expect(maskStoreLocation('postgres://agent:s%40cret@db.example.com:5433/itip')).toBe('postgres://agent:***@db.example.com:5433/itip');
    expect(maskStoreLocation('postgresql://agent@db.example.com/itip?password=s3cret&sslmode=require')).toBe('postgresql://agent@db.example.com/itip?password=***&sslmode=require');
    expect(maskStoreLocation('postgres://agent@db.example.com/itip')).toBe('postgres://agent@db.example.com/itip');
    expect(maskStoreLocation('/var/lib/itip-agent')).toBe('/var/lib/itip-agent');
    // Not a URL the parser takes: everything before the @ is hidden.
    expect(maskStoreLocation('postgres://agent:se cret@[bad/itip')).toBe('postgres://***@[bad/itip');
  });
});

// The tests' own PostgreSQL (test/support/postgres.ts): databases that are
// new and empty each time, and a restart that keeps what was committed.

import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { newPgDatabase, restartPg, startPg, stopPg } from './postgres.js';

const clients: pg.Client[] = [];

async function connect(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url });
  // A server restart ends open connections: the error is expected here, not a crash of the test process.
  client.on('error', () => {});
  await client.connect();
  clients.push(client);
  return client;
}

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.end().catch(() => {})));
});

async function tableNames(client: pg.Client): Promise<string[]> {
  const { rows } = await client.query<{ table_name: string }>(`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'`);
  return rows.map((r) => r.table_name);
}

describe('test PostgreSQL', () => {
  it('gives a distinct, empty database per call, which the role in the URL can build in', async () => {
    const first = await newPgDatabase();
    const second = await newPgDatabase();
    expect(first).toMatch(/^postgres:\/\/\w+@127\.0\.0\.1:\d+\/\w+$/);
    expect(second).not.toBe(first);

    const a = await connect(first);
    const b = await connect(second);
    expect(await tableNames(a)).toEqual([]);
    expect(await tableNames(b)).toEqual([]);
    await a.query('CREATE TABLE t (v text)');
    await a.query(`INSERT INTO t VALUES ('only in the first')`);
    expect(await tableNames(a)).toEqual(['t']);
    expect(await tableNames(b)).toEqual([]);
    const { rows } = await b.query<{ current_database: string; super: boolean }>(`SELECT current_database(), (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) AS super`);
    expect(rows[0].current_database).toBe(new URL(second).pathname.slice(1));
    // The agent must work as a plain owner of its database, as on a real site.
    expect(rows[0].super).toBe(false);
  });

  it('keeps committed data across a restart on the same port, and ends the connections open at the time', async () => {
    const url = await newPgDatabase();
    const before = await connect(url);
    await before.query('CREATE TABLE kept (v text)');
    await before.query(`INSERT INTO kept VALUES ('committed')`);
    const ended = new Promise<void>((resolve) => before.once('end', () => resolve()));

    await restartPg();
    await ended;
    await expect(before.query('SELECT 1')).rejects.toThrow();

    const after = await connect(url);
    const { rows } = await after.query<{ v: string }>('SELECT v FROM kept');
    expect(rows).toEqual([{ v: 'committed' }]);
  });

  it('refuses connections while stopped and takes them again when started', async () => {
    const url = await newPgDatabase();
    await stopPg();
    const refused = new pg.Client({ connectionString: url });
    await expect(refused.connect()).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await startPg();
    const again = await connect(url);
    expect((await again.query<{ one: number }>('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
  });
});

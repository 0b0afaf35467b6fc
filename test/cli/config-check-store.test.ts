// config check tries a PostgreSQL store: reachable from this host or not, the
// round trip time, and a schema version this build reads; an unreachable
// server or a newer schema is an error (exit 78) at the store setting, with
// the URL's password masked.

import pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../integration/host.js';
import { newPgDatabase } from '../support/postgres.js';
import { cliAsync } from './helpers.js';

interface Checked {
  errors: Array<{ setting?: string; source: string; message: string }>;
  store?: {
    location: string;
    reachable: boolean;
    connectMs?: number;
    latencyMs?: number;
    serverVersion?: string;
    schemaVersion?: number | null;
    supportedSchemaVersion: number;
    error?: string;
    note?: string;
  };
}

const SECRET = 'not-shown';

async function check(store: string): Promise<{ code: number | null; checked: Checked; output: string }> {
  const result = await cliAsync(['config', 'check', '--json'], { env: { ITIP_AGENT_STORE: store, ITIP_AGENT_LOCAL_DOMAINS: 'example.com' } });
  return { code: result.code, checked: JSON.parse(result.stdout) as Checked, output: result.stdout + result.stderr };
}

/** The URL with a password added (the test server trusts loopback, so any password is taken). */
const withPassword = (url: string) => url.replace('://itip@', `://itip:${SECRET}@`);
const masked = (url: string) => url.replace('://itip@', '://itip:***@');

async function setSchemaVersion(url: string, version: number): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('CREATE TABLE IF NOT EXISTS itip_schema (version integer NOT NULL)');
    await client.query('DELETE FROM itip_schema');
    await client.query('INSERT INTO itip_schema (version) VALUES ($1)', [version]);
  } finally {
    await client.end();
  }
}

describe('config check of a PostgreSQL store', () => {
  let url: string;
  beforeAll(async () => {
    url = await newPgDatabase();
  });

  it('reports a reachable server, its round trip and that the schema is not made yet, without an error', async () => {
    const { code, checked, output } = await check(withPassword(url));
    expect(code, output).toBe(0);
    expect(output).not.toContain(SECRET);
    expect(checked.errors).toEqual([]);
    expect(checked.store).toMatchObject({ location: masked(url), reachable: true, schemaVersion: null, supportedSchemaVersion: expect.any(Number) });
    expect(checked.store!.latencyMs).toBeGreaterThanOrEqual(0);
    expect(checked.store!.connectMs).toBeGreaterThanOrEqual(0);
    expect(checked.store!.serverVersion).toMatch(/^\d+/);
    expect(checked.store!.note).toMatch(/no itip-agent schema yet; the first agent that opens it creates it/);
  });

  it('accepts the schema version this build reads, and refuses a newer one at the store setting', async () => {
    const first = await check(url);
    const supported = first.checked.store!.supportedSchemaVersion;
    await setSchemaVersion(url, supported);
    const current = await check(url);
    expect(current.code, current.output).toBe(0);
    expect(current.checked.store).toMatchObject({ reachable: true, schemaVersion: supported });
    expect(current.checked.store!.note).toBeUndefined();

    await setSchemaVersion(url, supported + 1);
    const newer = await check(withPassword(url));
    expect(newer.code, newer.output).toBe(78);
    expect(newer.output).not.toContain(SECRET);
    expect(newer.checked.store).toMatchObject({ reachable: true, schemaVersion: supported + 1 });
    expect(newer.checked.errors).toEqual([
      expect.objectContaining({
        setting: 'store',
        source: 'env',
        message: expect.stringMatching(new RegExp(`schema version ${supported + 1}, and this version of itip-agent reads version ${supported}: a newer itip-agent wrote it`)),
      }),
    ]);
  });

  it('is an error, with what to check, when the server cannot be reached', async () => {
    const closed = `postgres://itip:${SECRET}@127.0.0.1:${await freePort()}/itip`;
    const { code, checked, output } = await check(closed);
    expect(code, output).toBe(78);
    expect(output).not.toContain(SECRET);
    expect(checked.store).toMatchObject({ location: closed.replace(SECRET, '***'), reachable: false });
    expect(checked.errors).toEqual([
      expect.objectContaining({ setting: 'store', message: expect.stringMatching(/cannot connect: connect ECONNREFUSED .*check that the PostgreSQL server is running and reachable from this host/) }),
    ]);
  });

  it('warns that the web\'s files are not in the database when serve has a web listener and they are not set', async () => {
    const env = { ITIP_AGENT_STORE: await newPgDatabase(), ITIP_AGENT_LOCAL_DOMAINS: 'example.com', ITIP_AGENT_HTTP: '127.0.0.1:8080' };
    const warned = await cliAsync(['config', 'check', '--json'], { env });
    expect(warned.code, warned.stderr).toBe(0);
    const warnings = (JSON.parse(warned.stdout) as { warnings: Array<{ setting: string; message: string }> }).warnings;
    expect(warnings).toEqual([
      expect.objectContaining({ setting: 'http.passwordFile', message: expect.stringMatching(/PostgreSQL database, but http\.passwordFile and http\.linkSecretFile are not set/) }),
    ]);
    const set = await cliAsync(['config', 'check', '--json'], {
      env: { ...env, ITIP_AGENT_HTTP_PASSWORD_FILE: '/etc/itip-agent/passwords', ITIP_AGENT_HTTP_LINK_SECRET_FILE: '/etc/itip-agent/link-secret' },
    });
    expect(set.code, set.stderr).toBe(0);
    expect((JSON.parse(set.stdout) as { warnings: unknown[] }).warnings).toEqual([]);
  });

  it('leaves a directory store alone (no store entry)', async () => {
    const result = await cliAsync(['config', 'check', '--json'], { env: { ITIP_AGENT_STORE: '/tmp/itip-agent-no-such-store', ITIP_AGENT_LOCAL_DOMAINS: 'example.com' } });
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).not.toHaveProperty('store');
  });
});

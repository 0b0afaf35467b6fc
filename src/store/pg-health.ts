// The health of a PostgreSQL store for `itip-agent config check`: can this
// host reach the server, how long does a round trip take, and which schema
// version does the database hold. Read-only: the check creates nothing (the
// first agent that opens the store creates or migrates the schema).

import pg from 'pg';
import { judgeSchema, readSchemaVersions, SCHEMA_VERSION } from './pg-schema.js';
import { maskIn, maskStoreLocation } from './store-url.js';

export interface PgHealth {
  /** The URL, password masked. */
  location: string;
  reachable: boolean;
  /** Milliseconds to connect (TCP, TLS if any, authentication). */
  connectMs?: number;
  /** Milliseconds of one round trip (SELECT 1) on the open connection. */
  latencyMs?: number;
  /** The server's version (server_version). */
  serverVersion?: string;
  /** The database's schema version; null when the agent has not created its schema there yet. */
  schemaVersion?: number | null;
  /** The schema version this build reads and writes. */
  supportedSchemaVersion: number;
  /** Why the store cannot be used, when it cannot (unreachable, refused, newer schema). */
  error?: string;
  /** What is fine now but worth knowing (no schema yet, an older one that the next open migrates). */
  note?: string;
}

const round = (ms: number) => Math.round(ms * 10) / 10;

/** Checks the store at `url`, giving up after `timeoutMs` for the connection and each query. */
export async function checkPgStore(url: string, timeoutMs = 5000): Promise<PgHealth> {
  const health: PgHealth = { location: maskStoreLocation(url), reachable: false, supportedSchemaVersion: SCHEMA_VERSION };
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs, statement_timeout: timeoutMs, query_timeout: timeoutMs });
  // A connection that breaks after connect is reported by the query that meets it.
  client.on('error', () => undefined);
  const started = performance.now();
  try {
    await client.connect();
  } catch (error) {
    health.error = `cannot connect: ${maskIn(describe(error), url)}`;
    return health;
  }
  try {
    health.reachable = true;
    health.connectMs = round(performance.now() - started);
    const before = performance.now();
    await client.query('SELECT 1');
    health.latencyMs = round(performance.now() - before);
    health.serverVersion = (await client.query<{ server_version: string }>('SHOW server_version')).rows[0]?.server_version;
    const judged = judgeSchema(await readSchemaVersions(client));
    health.schemaVersion = judged.state === 'none' ? null : judged.version;
    if (judged.state === 'none') {
      health.note = 'the database has no itip-agent schema yet; the first agent that opens it creates it (its user must own the database or may create tables in it)';
    } else if (judged.state === 'refused') {
      health.error = judged.problem;
    } else if (judged.state === 'older') {
      health.note = `the database has schema version ${judged.version}; the first agent of this version that opens it moves it to version ${SCHEMA_VERSION} (older agents on the same database then refuse it)`;
    }
    return health;
  } catch (error) {
    health.error = `the server answered the check with an error: ${maskIn(describe(error), url)}`;
    return health;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** An error's text with its code, also for an error whose message is empty (a connect to several addresses). */
function describe(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  let text = error instanceof Error ? error.message : String(error);
  if (!text && error instanceof AggregateError) text = [...new Set(error.errors.map((inner: unknown) => (inner instanceof Error ? inner.message : String(inner))))].join('; ');
  return typeof code === 'string' && !text.includes(code) ? `${text} (${code})` : text || String(code ?? 'unknown error');
}

// The PostgreSQL store's schema, its versions and the check made on open.
//
// Every string that came from mail (addresses, UIDs, recurrence ids, ids,
// Message-IDs, message keys, names, preference names) is kept as its
// JSON.stringify form: PostgreSQL text holds neither NUL nor a lone
// surrogate, and the JSON form of a string is ASCII-safe for both and
// injective, so keys stay distinct and come back exactly. Whole values
// (objects, entries, items) are JSON text for the same reason (jsonb refuses
// \u0000). Listings are sorted in JavaScript (UTF-16 order), never by a
// collation of the server.
//
// Times that queries compare are numbers (milliseconds since the epoch).

import type pg from 'pg';

/** The schema this version writes; a database at a later version is refused. */
export const SCHEMA_VERSION = 1;

/**
 * Key of the advisory lock held while the schema is created or migrated:
 * several agents starting at once must not both create the tables.
 * ("itip" in ASCII.)
 */
const SCHEMA_LOCK = 0x69746970;

/** Migrations by the version they lead to; each runs in the opening transaction. */
const MIGRATIONS: ReadonlyArray<{ version: number; statements: readonly string[] }> = [
  {
    version: 1,
    statements: [
      `CREATE TABLE users (
         id bigserial PRIMARY KEY,
         address text NOT NULL UNIQUE,
         role text CHECK (role IN ('person', 'resource')),
         prefs text NOT NULL DEFAULT '[]',
         version bigint NOT NULL DEFAULT 0,
         change_floor bigint NOT NULL DEFAULT 0
       )`,
      `CREATE TABLE objects (
         user_id bigint NOT NULL REFERENCES users (id),
         uid text NOT NULL,
         name text NOT NULL,
         data text NOT NULL,
         PRIMARY KEY (user_id, uid),
         UNIQUE (user_id, name)
       )`,
      // Own periods: equal periods count once (the key). A range query asks for
      // start < to and end > from; periods up to a week ("short") are found
      // from start >= from - 1 week, the rare longer ones by start alone, so
      // the time index is on (user, long, start).
      `CREATE TABLE own_periods (
         user_id bigint NOT NULL REFERENCES users (id),
         uid text NOT NULL,
         start_ms bigint NOT NULL,
         end_ms bigint NOT NULL,
         recurrence_id text NOT NULL,
         fbtype text NOT NULL,
         long boolean NOT NULL,
         PRIMARY KEY (user_id, uid, start_ms, end_ms, recurrence_id, fbtype)
       )`,
      `CREATE INDEX own_periods_time ON own_periods (user_id, long, start_ms) INCLUDE (end_ms, fbtype)`,
      // Busy time per UTC day (pg-rows.ts): the day's short own periods joined
      // per type, as parallel arrays in start order.
      `CREATE TABLE own_busy_days (
         user_id bigint NOT NULL REFERENCES users (id),
         day integer NOT NULL,
         fbtypes text[] NOT NULL,
         starts bigint[] NOT NULL,
         ends bigint[] NOT NULL,
         PRIMARY KEY (user_id, day)
       )`,
      `CREATE TABLE others_periods (
         user_id bigint NOT NULL REFERENCES users (id),
         uid text NOT NULL,
         participant text NOT NULL,
         start_ms bigint NOT NULL,
         end_ms bigint NOT NULL,
         recurrence_id text NOT NULL,
         fbtype text NOT NULL,
         long boolean NOT NULL,
         PRIMARY KEY (user_id, uid, participant, start_ms, end_ms, recurrence_id, fbtype)
       )`,
      `CREATE INDEX others_periods_time ON others_periods (user_id, long, start_ms)`,
      `CREATE TABLE requests (
         user_id bigint NOT NULL REFERENCES users (id),
         uid text NOT NULL,
         recurrence_id text NOT NULL,
         data text NOT NULL,
         PRIMARY KEY (user_id, uid, recurrence_id)
       )`,
      `CREATE TABLE counters (
         user_id bigint NOT NULL REFERENCES users (id),
         uid text NOT NULL,
         recurrence_id text NOT NULL,
         attendee text NOT NULL,
         data text NOT NULL,
         PRIMARY KEY (user_id, uid, recurrence_id, attendee)
       )`,
      `CREATE TABLE inbox (
         user_id bigint NOT NULL REFERENCES users (id),
         id text NOT NULL,
         data text NOT NULL,
         PRIMARY KEY (user_id, id)
       )`,
      // next_attempt is kept apart from the rest of the item so that a claim
      // is one UPDATE (claimDueOutbox); due_ms is its instant, 0 when it has
      // none or it does not parse (due at once).
      `CREATE TABLE outbox (
         id text PRIMARY KEY,
         user_id bigint NOT NULL REFERENCES users (id),
         state text NOT NULL,
         created_ms bigint NOT NULL,
         due_ms bigint NOT NULL,
         next_attempt text,
         data text NOT NULL
       )`,
      `CREATE INDEX outbox_user ON outbox (user_id)`,
      `CREATE INDEX outbox_due ON outbox (due_ms) WHERE state = 'unprocessed'`,
      `CREATE TABLE journal (
         seq bigserial PRIMARY KEY,
         user_id bigint NOT NULL REFERENCES users (id),
         data text NOT NULL
       )`,
      `CREATE INDEX journal_user ON journal (user_id, seq)`,
      `CREATE TABLE seen (
         user_id bigint NOT NULL REFERENCES users (id),
         key text NOT NULL,
         at text NOT NULL,
         PRIMARY KEY (user_id, key)
       )`,
      `CREATE TABLE sent (
         user_id bigint NOT NULL REFERENCES users (id),
         message_id text NOT NULL,
         data text NOT NULL,
         PRIMARY KEY (user_id, message_id)
       )`,
      // The object change log (CalDAV sync-collection, RFC 6578): one row per
      // name at its latest change; seq from one sequence for all users.
      `CREATE SEQUENCE object_change_seq`,
      `CREATE TABLE object_changes (
         seq bigint PRIMARY KEY DEFAULT nextval('object_change_seq'),
         user_id bigint NOT NULL REFERENCES users (id),
         name text NOT NULL,
         uid text NOT NULL,
         deleted boolean NOT NULL,
         UNIQUE (user_id, name)
       )`,
      `CREATE INDEX object_changes_user ON object_changes (user_id, seq)`,
      `CREATE INDEX object_tombstones ON object_changes (user_id, seq) WHERE deleted`,
    ],
  },
];

/** A database this version cannot use: written by a newer version, or not ours. */
export class PgSchemaError extends Error {
  override name = 'StoreFormatError';
}

/** What the rows of itip_schema say of a database: judged alike when a store opens and by `config check`. */
export type SchemaState =
  /** No itip_schema table: the first agent that opens the database creates the schema. */
  | { state: 'none' }
  | { state: 'current'; version: number }
  /** Written by an older version: the next open moves it to SCHEMA_VERSION. */
  | { state: 'older'; version: number }
  /** Changed by hand (version null), or written by a newer version: this version must not use it. */
  | { state: 'refused'; version: number | null; problem: string };

/** The versions in itip_schema, one per row; undefined when the table is not there. */
export async function readSchemaVersions(client: pg.ClientBase): Promise<number[] | undefined> {
  const { rows } = await client.query<{ present: boolean }>(`SELECT to_regclass('itip_schema') IS NOT NULL AS present`);
  if (!rows[0]?.present) return undefined;
  return (await client.query<{ version: number }>('SELECT version FROM itip_schema')).rows.map((row) => row.version);
}

/**
 * Judges the versions read by readSchemaVersions. `where` names the database
 * in the problem (its URL, password masked); without it, "the database".
 */
export function judgeSchema(versions: readonly number[] | undefined, where?: string): SchemaState {
  if (versions === undefined) return { state: 'none' };
  const database = where ? `the database ${where}` : 'the database';
  if (versions.length !== 1) {
    return {
      state: 'refused',
      version: null,
      problem: `${database} holds ${versions.length} rows in its table itip_schema instead of one: it was changed by hand; restore it from a backup`,
    };
  }
  const version = versions[0]!;
  if (version > SCHEMA_VERSION) {
    return {
      state: 'refused',
      version,
      problem:
        `${database} has schema version ${version}, and this version of itip-agent reads version ${SCHEMA_VERSION}: ` +
        'a newer itip-agent wrote it, and nothing in it was changed; install that newer version of itip-agent here too and run that version again ' +
        '(every agent on one database must run a version that reads its schema)',
    };
  }
  return version < SCHEMA_VERSION ? { state: 'older', version } : { state: 'current', version };
}

/**
 * Creates the schema in an empty database, moves an older one to
 * SCHEMA_VERSION, and refuses a newer one: all in one transaction under an
 * advisory lock, so agents starting together wait for the first.
 */
export async function prepareSchema(client: pg.PoolClient, where: string): Promise<void> {
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1)', [SCHEMA_LOCK]);
    const judged = judgeSchema(await readSchemaVersions(client), where);
    if (judged.state === 'refused') throw new PgSchemaError(judged.problem);
    if (judged.state === 'none') await client.query('CREATE TABLE itip_schema (version integer NOT NULL)');
    const version = judged.state === 'none' ? 0 : judged.version;
    for (const migration of MIGRATIONS) {
      if (migration.version <= version) continue;
      for (const statement of migration.statements) await client.query(statement);
    }
    if (judged.state === 'none') await client.query('INSERT INTO itip_schema (version) VALUES ($1)', [SCHEMA_VERSION]);
    else if (version !== SCHEMA_VERSION) await client.query('UPDATE itip_schema SET version = $1', [SCHEMA_VERSION]);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

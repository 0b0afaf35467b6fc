// The PostgreSQL store: one database shared by any number of agents (several
// MX or LMTP hosts, several `serve` and `process` runs at once).
//
// Writes for one user are serialised by a lock on the user's row: a write
// transaction (transact, commitIf) first takes the row FOR NO KEY UPDATE
// (creating it if absent), so a second agent's transaction for the same user
// waits, while other users' transactions run beside it on other connections.
// (NO KEY: a foreign key check of another user's transaction takes KEY SHARE
// on the row, which this lock lets through.) commitIf compares the user's
// version under that lock. The callback runs over fetched rows and may run
// more than once (pg-user-tx.ts); its writes are sent after the last run, and
// COMMIT makes them durable together (synchronous_commit as the server has it).
//
// A server that is down, a lost connection or a statement over its time limit
// rejects the call with a StoreCommitError (the mail is then deferred, 4xx or
// exit 75); the pool drops the broken connection and opens new ones once the
// server answers again.

import pg from 'pg';
import type {
  CounterEntry,
  InboxItem,
  JournalEntry,
  OthersPeriod,
  OutboxItem,
  Period,
  Preferences,
  RequestEntry,
  Role,
  SentMessage,
  StoredObject,
} from '../itip/model.js';
import { StoreCommitError, type BusyTime, type FreeBusyQuery, type ObjectChanges, type Store, type TimeRange, type UserRead, type UserTx, type UserView, type VersionedCommit } from './store.js';
import { instant } from './lmdb-keys.js';
import { prepareSchema } from './pg-schema.js';
import { key, type Queryable } from './pg-rows.js';
import { PgUserTx } from './pg-user-tx.js';
import { Fetched } from './pg-fetched.js';
import * as reads from './pg-reads.js';
import { combine, outboxColumns, outboxFromRow, type OutboxRow } from './pg-writes.js';

export interface PgStoreOptions {
  /** Connections at most (default 10). */
  maxConnections?: number;
  /** How long to wait for a connection, in ms (default 10,000). */
  connectTimeoutMs?: number;
  /** The server cancels a statement running longer than this, in ms (default 30,000). */
  statementTimeoutMs?: number;
}

/** Runs of one write transaction's callback at most: each fetches something new, so a callback normally needs a few. */
const MAX_RUNS = 1000;

/** int8 (bigint) and numeric as numbers: the store's numbers (ids, versions, ms) stay below 2^53. */
const INT8_OID = 20;
const TYPES = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

interface UserRow {
  id: number;
  role: Role | null;
  prefs: string;
  version: number;
}

export class PgStore implements Store {
  private readonly pending = new Set<Promise<unknown>>();
  private inCallback = false;
  /** Per user, the settling of the latest write asked for (see write). */
  private readonly userWrites = new Map<string, Promise<void>>();
  private closing?: Promise<void>;

  private constructor(
    private readonly pool: pg.Pool,
    /** The database without credentials, for messages. */
    readonly where: string,
  ) {}

  /** Connects, then creates or moves the schema (refusing a newer one, PgSchemaError). */
  static async open(url: string, options: PgStoreOptions = {}): Promise<PgStore> {
    const where = describeUrl(url);
    const pool = new pg.Pool({
      connectionString: url,
      max: options.maxConnections ?? 10,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
      statement_timeout: options.statementTimeoutMs ?? 30_000,
      // Beyond the server's own limit: a server that stopped answering (a
      // network cut without a reset) ends the call too, and the connection.
      query_timeout: (options.statementTimeoutMs ?? 30_000) + 5_000,
      keepAlive: true,
      types: TYPES,
    });
    // An idle connection that breaks (the server restarted) is dropped from the
    // pool, and the pool reports it here: no one waits for it, and unhandled it would end the process.
    pool.on('error', () => undefined);
    // A connection in use that breaks (57P01 when the server restarts) reports
    // on the client itself, where the pool listens only while it is idle; the
    // call that was running rejects on its own, so the event needs no more.
    pool.on('connect', (client) => client.on('error', () => undefined));
    const store = new PgStore(pool, where);
    try {
      const client = await store.connect();
      try {
        await prepareSchema(client, where);
      } finally {
        client.release();
      }
    } catch (error) {
      await pool.end().catch(() => undefined);
      if ((error as Error)?.name === 'StoreFormatError') throw error;
      throw store.failure(error, 'open');
    }
    return store;
  }

  transact<T>(user: string, fn: (tx: UserTx) => T): Promise<T> {
    if (typeof user !== 'string' || user === '') return Promise.reject(new TypeError('transact needs a user address'));
    return this.write(user, async () => {
      const outcome = await this.userTransaction(user, undefined, fn);
      return (outcome as { committed: true; value: T }).value;
    });
  }

  commitIf<T>(user: string, version: number, fn: (tx: UserTx) => T): Promise<VersionedCommit<T>> {
    if (typeof user !== 'string' || user === '') return Promise.reject(new TypeError('commitIf needs a user address'));
    return this.write(user, () => this.userTransaction(user, version, fn));
  }

  async readUser<T>(user: string, fn: (view: UserView) => T | Promise<T>): Promise<UserRead<T>> {
    if (typeof user !== 'string' || user === '') throw new TypeError('readUser needs a user address');
    if (this.closing) throw new Error('the store is closed');
    // No transaction: each read sees the latest commit, as in LMDB. The version
    // is read first, so a commit landing before a later read makes it stale
    // (commitIf then refuses), never the reads older than it. This spares a
    // mail two round trips (BEGIN, ROLLBACK), and reads run in parallel.
    const db = this.failing('read');
    const { rows } = await db.query<UserRow>('SELECT id, role, prefs, version FROM users WHERE address = $1', [key(user)]);
    const row = rows[0];
    const view = new reads.PgUserView(user, db, row?.id, row?.role ?? undefined, row?.prefs ?? '[]');
    try {
      return { version: row?.version ?? 0, value: await fn(view) };
    } finally {
      view.end();
    }
  }

  /** The pool, with the failures of the server or the connection as StoreCommitErrors. */
  private failing(what: 'read' | 'write'): Queryable {
    return {
      query: ((text: string, values?: unknown[]) =>
        this.pool.query(text, values).catch((error: unknown) => {
          throw this.failure(error, what);
        })) as Queryable['query'],
    };
  }

  listUsers(): Promise<string[]> {
    return this.read((db) => reads.listUsers(db));
  }

  getRole(user: string): Promise<Role | undefined> {
    return this.read((db) => reads.getRole(db, user));
  }

  getPrefs(user: string): Promise<Preferences> {
    return this.read((db) => reads.getPrefs(db, user));
  }

  listObjects(user: string): Promise<StoredObject[]> {
    return this.read((db) => reads.listObjects(db, user));
  }

  getObject(user: string, uid: string): Promise<StoredObject | undefined> {
    return this.read((db) => reads.getObject(db, user, uid));
  }

  objectChanges(user: string, since: number): Promise<ObjectChanges> {
    // Two queries, one snapshot: the latest seq and the changes must agree.
    return this.snapshot((db) => reads.objectChanges(db, user, since));
  }

  objectName(user: string, uid: string): Promise<string | undefined> {
    return this.read((db) => reads.objectName(db, user, uid));
  }

  objectNamed(user: string, name: string): Promise<string | undefined> {
    return this.read((db) => reads.objectNamed(db, user, name));
  }

  listObjectNames(user: string): Promise<Map<string, string>> {
    return this.read((db) => reads.listObjectNames(db, user));
  }

  freeBusy(user: string, query: FreeBusyQuery = {}): Promise<Array<Period | OthersPeriod>> {
    return this.read((db) => reads.freeBusy(db, user, query));
  }

  busyTime(user: string, range: TimeRange): Promise<BusyTime[]> {
    return this.read((db) => reads.busyTime(db, user, range));
  }

  listRequests(user: string): Promise<RequestEntry[]> {
    return this.read((db) => reads.listRequests(db, user));
  }

  listCounters(user: string): Promise<CounterEntry[]> {
    return this.read((db) => reads.listCounters(db, user));
  }

  listInbox(user: string): Promise<InboxItem[]> {
    return this.read((db) => reads.listInbox(db, user));
  }

  listOutbox(user?: string): Promise<OutboxItem[]> {
    return this.read((db) => reads.listOutbox(db, user));
  }

  listDueOutbox(at: string): Promise<OutboxItem[]> {
    return this.read((db) => reads.listDueOutbox(db, instant(at, 'at')));
  }

  getOutbox(id: string): Promise<OutboxItem | undefined> {
    return this.read((db) => reads.getOutbox(db, id));
  }

  listJournal(user?: string): Promise<JournalEntry[]> {
    return this.read((db) => reads.listJournal(db, user));
  }

  listSeen(user: string): Promise<Array<{ key: string; at: string }>> {
    return this.read((db) => reads.listSeen(db, user));
  }

  listSent(user: string): Promise<SentMessage[]> {
    return this.read((db) => reads.listSent(db, user));
  }

  updateOutbox(item: OutboxItem): Promise<void> {
    return this.write(undefined, async () => {
      const columns = outboxColumns(item);
      let updated: number | null;
      try {
        // The item may move to another user (as LMDB allows); one who has no row yet keeps the old owner's.
        ({ rowCount: updated } = await this.pool.query(
          `UPDATE outbox SET user_id = COALESCE((SELECT id FROM users WHERE address = $2), user_id), state = $3, created_ms = $4,
             due_ms = $5, next_attempt = $6, data = $7 WHERE id = $1`,
          [key(item.id), key(item.user), item.state, columns.createdMs, columns.dueMs, columns.nextAttempt, columns.data],
        ));
      } catch (error) {
        throw this.failure(error, 'write');
      }
      if (!updated) throw new Error(`no outbox item with id ${JSON.stringify(item.id)}`);
    });
  }

  claimDueOutbox(at: string, until: string, limit?: number): Promise<OutboxItem[]> {
    return this.write(undefined, async () => {
      const atMs = instant(at, 'at');
      const untilMs = instant(until, 'until');
      // One statement: the rows another claim holds are skipped, not waited
      // for, so two claims at once never return the same item.
      const { rows } = await this.pool
        .query<OutboxRow>(
          `UPDATE outbox SET due_ms = $2, next_attempt = $3
           WHERE id IN (
             SELECT id FROM outbox WHERE state = 'unprocessed' AND due_ms <= $1
             ORDER BY created_ms, id LIMIT $4 FOR UPDATE SKIP LOCKED)
           RETURNING data, next_attempt`,
          [atMs, untilMs, JSON.stringify(until), limit ?? null],
        )
        .catch((error: unknown) => {
          throw this.failure(error, 'write');
        });
      return reads.sortOutbox(rows.map(outboxFromRow));
    });
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      // Let running transactions finish: ending the pool under them would lose writes the caller waits for.
      await Promise.allSettled([...this.pending]);
      await this.pool.end();
    })();
    return this.closing;
  }

  // -------------------------------------------------------------------------

  /**
   * One write transaction for the user: lock the user's row, check the
   * version (commitIf), run the callback until it needs nothing more, send its
   * writes and commit.
   */
  private async userTransaction<T>(user: string, version: number | undefined, fn: (tx: UserTx) => T): Promise<VersionedCommit<T>> {
    const client = await this.connect();
    let broken: Error | undefined;
    let open = false;
    const query = async (text: string, values?: unknown[]) => {
      try {
        return await client.query(text, values);
      } catch (error) {
        broken = error instanceof Error ? error : new Error(String(error));
        throw this.failure(error, 'write');
      }
    };
    try {
      await query('BEGIN');
      open = true;
      const row = await lockUser(query, user);
      if (version !== undefined && row.version !== version) return { committed: false, version: row.version };
      const fetched = new Fetched(row.id, row.role ?? undefined, JSON.parse(row.prefs) as Array<[string, string]>);
      for (let run = 1; ; run++) {
        const tx = new PgUserTx(user, fetched);
        let result: T | undefined;
        let thrown: { error: unknown } | undefined;
        this.inCallback = true;
        try {
          result = fn(tx);
        } catch (error) {
          thrown = { error };
        } finally {
          this.inCallback = false;
          tx.end();
        }
        if (!thrown && isThenable(result)) {
          // An async callback: whatever it does after its first await fails on
          // the ended view, with no one to hear it; unhandled, it would end the process.
          Promise.resolve(result).catch(() => undefined);
          if (tx.needs.length === 0) throw new TypeError('the transact callback must be synchronous');
        }
        if (tx.needs.length > 0) {
          // Also when the callback caught the signal or threw something else because of it.
          if (run >= MAX_RUNS) throw new Error(`a transaction for ${user} still needed data after ${run} runs`);
          await reads.fetchNeeds({ query } as Queryable, fetched, tx.needs);
          continue;
        }
        if (thrown) throw thrown.error;
        for (const statement of combine(tx.finish())) {
          const { rows } = await query(statement.text, statement.values);
          statement.collect?.(rows);
        }
        const busyDays = tx.busyDaysRewrite();
        if (busyDays) await query(busyDays.text, busyDays.values);
        await query('COMMIT');
        open = false;
        return { committed: true, value: result as T };
      }
    } finally {
      if (open && !broken) await client.query('ROLLBACK').catch((error: unknown) => (broken = error as Error));
      client.release(broken);
    }
  }

  /** A connection from the pool; a server that cannot be reached is a StoreCommitError. */
  private async connect(): Promise<pg.PoolClient> {
    try {
      return await this.pool.connect();
    } catch (error) {
      throw this.failure(error, 'connect');
    }
  }

  private async read<T>(fn: (db: Queryable) => Promise<T>): Promise<T> {
    if (this.closing) throw new Error('the store is closed');
    try {
      return await fn(this.pool);
    } catch (error) {
      throw isDatabaseError(error) ? this.failure(error, 'read') : error;
    }
  }

  private async snapshot<T>(fn: (db: Queryable) => Promise<T>): Promise<T> {
    if (this.closing) throw new Error('the store is closed');
    const client = await this.connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      return await fn(client);
    } catch (error) {
      if (isDatabaseError(error)) {
        broken = error as Error;
        throw this.failure(error, 'read');
      }
      throw error;
    } finally {
      if (!broken) await client.query('ROLLBACK').catch((error: unknown) => (broken = error as Error));
      client.release(broken);
    }
  }

  /**
   * Starts a write; those of one user run one after the other in the order
   * they were asked for. (The row lock orders them across agents; here it
   * also keeps them from holding a pooled connection each while they wait
   * for it, which would starve other users' writes.)
   */
  private write<T>(user: string | undefined, body: () => Promise<T>): Promise<T> {
    if (this.closing) return Promise.reject(new Error('the store is closed'));
    if (this.inCallback) {
      // The callback cannot await a write it starts: it would commit apart from
      // the transaction it was meant to be part of. Refuse instead.
      return Promise.reject(new Error('the store cannot be written from inside a transact callback'));
    }
    let run: Promise<T>;
    if (user === undefined) run = body();
    else {
      const before = this.userWrites.get(user);
      run = before ? before.then(body, body) : body();
      const settled = run.then(
        () => undefined,
        () => undefined,
      );
      this.userWrites.set(user, settled);
      void settled.then(() => {
        if (this.userWrites.get(user) === settled) this.userWrites.delete(user);
      });
    }
    this.pending.add(run);
    const forget = (): void => {
      this.pending.delete(run);
    };
    run.then(forget, forget);
    return run;
  }

  /** A failure of the server or the connection, as the caller reports it: what happened and what to do. */
  private failure(error: unknown, what: 'open' | 'connect' | 'read' | 'write'): Error {
    if (error instanceof StoreCommitError) return error;
    const detail = (error as Error)?.message ?? String(error);
    const code = (error as { code?: string })?.code;
    const doing = { open: 'open', connect: 'connect to', read: 'read from', write: 'write to' }[what];
    const advice =
      code === '57014'
        ? 'the server was too slow or another transaction held the data too long (statement timeout); it may work when tried again'
        : 'check that the server runs and accepts connections (the mail is deferred and comes again)';
    return new StoreCommitError(
      `could not ${doing} the PostgreSQL database ${this.where}: ${detail}; nothing was written by this call; ${advice}`,
      code,
      { cause: error },
    );
  }
}

/** Takes the user's row for this transaction (creating it if absent): the lock that serialises the user's writes. */
async function lockUser(query: (text: string, values?: unknown[]) => Promise<pg.QueryResult>, user: string): Promise<UserRow> {
  const select = 'SELECT id, role, prefs, version FROM users WHERE address = $1 FOR NO KEY UPDATE';
  let { rows } = await query(select, [key(user)]);
  if (rows.length === 0) {
    await query('INSERT INTO users (address) VALUES ($1) ON CONFLICT (address) DO NOTHING', [key(user)]);
    ({ rows } = await query(select, [key(user)]));
  }
  return rows[0] as UserRow;
}

/** The URL without its password, for messages and logs. */
function describeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.password = '';
    return parsed.href;
  } catch {
    return 'given by the store URL';
  }
}

/** Errors of the server or the connection (not of a callback or of bad input). */
function isDatabaseError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  return error instanceof pg.DatabaseError || typeof code === 'string' || /connect|terminat|timeout|Connection/i.test(error.message);
}

function isThenable(value: unknown): boolean {
  return (typeof value === 'object' || typeof value === 'function') && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

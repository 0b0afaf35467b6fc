// Reads of the PostgreSQL store: the store-level listings, the fetches a
// write transaction's runs ask for (pg-user-tx.ts), and the read view of
// Store.readUser. Every listing is sorted here, in UTF-16 order, never by
// the server's collation.

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
import type { BusyTime, ObjectChanges, TimeRange, UserView } from './store.js';
import { defaultObjectName, digestName } from './lmdb-names.js';
import { compareText, compareTime } from './lmdb-keys.js';
import {
  busyTimeIn,
  compareCounters,
  compareOthers,
  compareOwn,
  compareRequests,
  key,
  othersPeriodsIn,
  ownPeriodsIn,
  prefsFrom,
  rangeOf,
  unkey,
  type Queryable,
} from './pg-rows.js';
import { rangeKey, type Fetched, type Need } from './pg-fetched.js';
import { outboxFromRow, type OutboxRow } from './pg-writes.js';

/** The user's row id, undefined when nothing was ever written for the user. */
export async function userIdOf(db: Queryable, user: string): Promise<number | undefined> {
  const { rows } = await db.query<{ id: number }>('SELECT id FROM users WHERE address = $1', [key(user)]);
  return rows[0]?.id;
}

const texts = async (db: Queryable, text: string, values: unknown[]): Promise<string[]> =>
  (await db.query<{ data: string }>(text, values)).rows.map((row) => row.data);

const USER = '(SELECT id FROM users WHERE address = $1)';

export async function listUsers(db: Queryable): Promise<string[]> {
  const { rows } = await db.query<{ address: string }>('SELECT address FROM users WHERE role IS NOT NULL');
  return rows.map((row) => unkey(row.address)).sort(compareText);
}

export async function getRole(db: Queryable, user: string): Promise<Role | undefined> {
  const { rows } = await db.query<{ role: Role | null }>('SELECT role FROM users WHERE address = $1', [key(user)]);
  return rows[0]?.role ?? undefined;
}

export async function getPrefs(db: Queryable, user: string): Promise<Preferences> {
  const { rows } = await db.query<{ prefs: string }>('SELECT prefs FROM users WHERE address = $1', [key(user)]);
  return prefsFrom(rows[0]?.prefs ?? '[]');
}

export async function listObjects(db: Queryable, user: string): Promise<StoredObject[]> {
  const objects = (await texts(db, `SELECT data FROM objects WHERE user_id = ${USER}`, [key(user)])).map((data) => JSON.parse(data) as StoredObject);
  return objects.sort((a, b) => compareText(a.uid, b.uid));
}

export async function getObject(db: Queryable, user: string, uid: string): Promise<StoredObject | undefined> {
  const [data] = await texts(db, `SELECT data FROM objects WHERE user_id = ${USER} AND uid = $2`, [key(user), key(uid)]);
  return data === undefined ? undefined : (JSON.parse(data) as StoredObject);
}

export async function objectName(db: Queryable, user: string, uid: string): Promise<string | undefined> {
  const { rows } = await db.query<{ name: string }>(`SELECT name FROM objects WHERE user_id = ${USER} AND uid = $2`, [key(user), key(uid)]);
  return rows[0] === undefined ? undefined : unkey(rows[0].name);
}

export async function objectNamed(db: Queryable, user: string, name: string): Promise<string | undefined> {
  const { rows } = await db.query<{ uid: string }>(`SELECT uid FROM objects WHERE user_id = ${USER} AND name = $2`, [key(user), key(name)]);
  return rows[0] === undefined ? undefined : unkey(rows[0].uid);
}

export async function listObjectNames(db: Queryable, user: string): Promise<Map<string, string>> {
  const { rows } = await db.query<{ uid: string; name: string }>(`SELECT uid, name FROM objects WHERE user_id = ${USER}`, [key(user)]);
  return new Map(rows.map((row) => [unkey(row.uid), unkey(row.name)]));
}

export async function objectChanges(db: Queryable, user: string, since: number): Promise<ObjectChanges> {
  const { rows } = await db.query<{ id: number; floor: number; latest: number | null }>(
    'SELECT id, change_floor AS floor, (SELECT MAX(seq) FROM object_changes c WHERE c.user_id = u.id) AS latest FROM users u WHERE address = $1',
    [key(user)],
  );
  const row = rows[0];
  if (!row) return { latest: 0, floor: 0, changes: [] };
  const latest = Math.max(row.latest ?? 0, row.floor);
  if (since < row.floor) return { latest, floor: row.floor, changes: [] };
  const changes = await db.query<{ seq: number; uid: string; name: string; deleted: boolean }>(
    'SELECT seq, uid, name, deleted FROM object_changes WHERE user_id = $1 AND seq > $2 ORDER BY seq',
    [row.id, since],
  );
  return {
    latest,
    floor: row.floor,
    changes: changes.rows.map((c) => ({ seq: c.seq, uid: unkey(c.uid), name: unkey(c.name), deleted: c.deleted })),
  };
}

export async function freeBusy(db: Queryable, user: string, query: { from?: string; to?: string; others?: boolean }): Promise<Array<Period | OthersPeriod>> {
  const { fromMs, toMs } = rangeOf(query);
  if (fromMs >= toMs) return [];
  const id = await userIdOf(db, user);
  if (id === undefined) return [];
  if (query.others) return (await othersPeriodsIn(db, id, fromMs, toMs)).sort(compareOthers).map((p) => p.period);
  return (await ownPeriodsIn(db, id, fromMs, toMs)).sort(compareOwn).map((p) => p.period);
}

export async function busyTime(db: Queryable, user: string, range: TimeRange): Promise<BusyTime[]> {
  const { fromMs, toMs } = rangeOf(range);
  if (fromMs >= toMs) return [];
  const id = await userIdOf(db, user);
  return id === undefined ? [] : busyTimeIn(db, id, fromMs, toMs);
}

export async function listRequests(db: Queryable, user: string): Promise<RequestEntry[]> {
  return (await texts(db, `SELECT data FROM requests WHERE user_id = ${USER}`, [key(user)])).map((d) => JSON.parse(d) as RequestEntry).sort(compareRequests);
}

export async function listCounters(db: Queryable, user: string): Promise<CounterEntry[]> {
  return (await texts(db, `SELECT data FROM counters WHERE user_id = ${USER}`, [key(user)])).map((d) => JSON.parse(d) as CounterEntry).sort(compareCounters);
}

export async function listInbox(db: Queryable, user: string): Promise<InboxItem[]> {
  const items = (await texts(db, `SELECT data FROM inbox WHERE user_id = ${USER}`, [key(user)])).map((d) => JSON.parse(d) as InboxItem);
  return items.sort((a, b) => compareTime(a.received, b.received) || compareText(a.id, b.id));
}

/** Oldest first, as Store.listOutbox lists them. */
export function sortOutbox(items: OutboxItem[]): OutboxItem[] {
  return items.sort((a, b) => compareTime(a.created, b.created) || compareText(a.id, b.id));
}

export async function listOutbox(db: Queryable, user?: string): Promise<OutboxItem[]> {
  const { rows } =
    user === undefined
      ? await db.query<OutboxRow>('SELECT data, next_attempt FROM outbox')
      : await db.query<OutboxRow>(`SELECT data, next_attempt FROM outbox WHERE user_id = ${USER}`, [key(user)]);
  return sortOutbox(rows.map(outboxFromRow));
}

export async function listDueOutbox(db: Queryable, atMs: number): Promise<OutboxItem[]> {
  const { rows } = await db.query<OutboxRow>("SELECT data, next_attempt FROM outbox WHERE state = 'unprocessed' AND due_ms <= $1", [atMs]);
  return sortOutbox(rows.map(outboxFromRow));
}

export async function getOutbox(db: Queryable, id: string): Promise<OutboxItem | undefined> {
  const { rows } = await db.query<OutboxRow>('SELECT data, next_attempt FROM outbox WHERE id = $1', [key(id)]);
  return rows[0] === undefined ? undefined : outboxFromRow(rows[0]);
}

export async function listJournal(db: Queryable, user?: string): Promise<JournalEntry[]> {
  const data =
    user === undefined
      ? await texts(db, 'SELECT data FROM journal ORDER BY seq', [])
      : await texts(db, `SELECT data FROM journal WHERE user_id = ${USER} ORDER BY seq`, [key(user)]);
  return data.map((d) => JSON.parse(d) as JournalEntry);
}

export async function listSeen(db: Queryable, user: string): Promise<Array<{ key: string; at: string }>> {
  const { rows } = await db.query<{ key: string; at: string }>(`SELECT key, at FROM seen WHERE user_id = ${USER}`, [key(user)]);
  return rows.map((row) => ({ key: unkey(row.key), at: unkey(row.at) })).sort((a, b) => compareText(a.key, b.key));
}

export async function listSent(db: Queryable, user: string): Promise<SentMessage[]> {
  const sent = (await texts(db, `SELECT data FROM sent WHERE user_id = ${USER}`, [key(user)])).map((d) => JSON.parse(d) as SentMessage);
  return sent.sort((a, b) => compareText(a.messageId, b.messageId));
}

// ---------------------------------------------------------------------------
// Fetches for write transactions.

/**
 * Everything of one UID a mail's transaction is likely to read, in one round
 * trip: the object and its name, its requests and counters, and whether the
 * names a new object of the UID would take are free.
 */
const UID_BUNDLE = `
  SELECT
    (SELECT data FROM objects WHERE user_id = $1 AND uid = $2) AS object,
    (SELECT name FROM objects WHERE user_id = $1 AND uid = $2) AS name,
    (SELECT array_agg(data) FROM requests WHERE user_id = $1 AND uid = $2) AS requests,
    (SELECT array_agg(data) FROM counters WHERE user_id = $1 AND uid = $2) AS counters,
    (SELECT array_agg(name || ' ' || uid) FROM objects WHERE user_id = $1 AND name = ANY($3::text[])) AS holders`;

/** Fetches what a run of a write transaction needed into `fetched`. */
export async function fetchNeeds(db: Queryable, fetched: Fetched, needs: readonly Need[]): Promise<void> {
  const id = fetched.userId;
  const uids = needs.flatMap((need) => (need.kind === 'uid' ? [need.uid] : []));
  // Many objects at once (a bulk write): four queries for all of them, not one per object.
  if (uids.length > 1) await fetchUids(db, fetched, uids);
  // The marks a mail asks about (its own, its correspondents'): one query.
  const marks = needs.flatMap((need) => (need.kind === 'seen' ? [need.messageKey] : []));
  if (marks.length > 1) {
    for (const mark of marks) fetched.seen.set(mark, false);
    const { rows } = await db.query<{ key: string }>('SELECT key FROM seen WHERE user_id = $1 AND key = ANY($2::text[])', [id, marks.map(key)]);
    for (const row of rows) fetched.seen.set(unkey(row.key), true);
  }
  // The names a bulk write gives its new objects (nameNewObject, store copy): one query.
  const names = needs.flatMap((need) => (need.kind === 'name' ? [need.name] : []));
  if (names.length > 1) {
    for (const name of names) fetched.names.set(name, null);
    const { rows } = await db.query<{ uid: string; name: string }>('SELECT uid, name FROM objects WHERE user_id = $1 AND name = ANY($2::text[])', [id, names.map(key)]);
    for (const row of rows) fetched.names.set(unkey(row.name), unkey(row.uid));
  }
  const batched = (need: Need): boolean =>
    (need.kind === 'uid' && uids.length > 1) || (need.kind === 'seen' && marks.length > 1) || (need.kind === 'name' && names.length > 1);
  for (const need of needs) {
    if (batched(need)) continue;
    switch (need.kind) {
      case 'uid': {
        const candidates = [defaultObjectName(need.uid), digestName(need.uid)];
        const { rows } = await db.query<{ object: string | null; name: string | null; requests: string[] | null; counters: string[] | null; holders: string[] | null }>(
          UID_BUNDLE,
          [id, key(need.uid), candidates.map(key)],
        );
        const row = rows[0]!;
        const name = row.name === null ? undefined : unkey(row.name);
        fetched.objects.set(need.uid, { data: row.object ?? undefined, name });
        if (name !== undefined) fetched.names.set(name, need.uid);
        for (const candidate of candidates) if (!fetched.names.has(candidate)) fetched.names.set(candidate, null);
        // A key is JSON text, which holds no raw space: the first space ends the name.
        for (const holder of row.holders ?? []) {
          const cut = holder.indexOf(' ');
          fetched.names.set(unkey(holder.slice(0, cut)), unkey(holder.slice(cut + 1)));
        }
        fetched.requests.set(need.uid, row.requests ?? []);
        fetched.counters.set(need.uid, row.counters ?? []);
        break;
      }
      case 'name': {
        const { rows } = await db.query<{ uid: string }>('SELECT uid FROM objects WHERE user_id = $1 AND name = $2', [id, key(need.name)]);
        fetched.names.set(need.name, rows[0] === undefined ? null : unkey(rows[0].uid));
        break;
      }
      case 'periods':
        fetched.periods.set(rangeKey(need.fromMs, need.toMs), await ownPeriodsIn(db, id, need.fromMs, need.toMs));
        break;
      case 'inbox': {
        const { rowCount } = await db.query('SELECT 1 FROM inbox WHERE user_id = $1 AND id = $2', [id, key(need.id)]);
        fetched.inbox.set(need.id, (rowCount ?? 0) > 0);
        break;
      }
      case 'sent': {
        const [data] = await texts(db, 'SELECT data FROM sent WHERE user_id = $1 AND message_id = $2', [id, key(need.messageId)]);
        fetched.sent.set(need.messageId, data ?? null);
        break;
      }
      case 'seen': {
        const { rowCount } = await db.query('SELECT 1 FROM seen WHERE user_id = $1 AND key = $2', [id, key(need.messageKey)]);
        fetched.seen.set(need.messageKey, (rowCount ?? 0) > 0);
        break;
      }
    }
  }
}

/** What the UID bundle gives, for many UIDs at once. */
async function fetchUids(db: Queryable, fetched: Fetched, uids: string[]): Promise<void> {
  const id = fetched.userId;
  const keys = uids.map(key);
  const candidates = uids.flatMap((uid) => [defaultObjectName(uid), digestName(uid)]);
  for (const uid of uids) fetched.objects.set(uid, { data: undefined, name: undefined });
  for (const name of candidates) if (!fetched.names.has(name)) fetched.names.set(name, null);
  const objects = await db.query<{ uid: string; name: string; data: string }>('SELECT uid, name, data FROM objects WHERE user_id = $1 AND uid = ANY($2::text[])', [id, keys]);
  for (const row of objects.rows) {
    const uid = unkey(row.uid);
    const name = unkey(row.name);
    fetched.objects.set(uid, { data: row.data, name });
    fetched.names.set(name, uid);
  }
  const holders = await db.query<{ uid: string; name: string }>('SELECT uid, name FROM objects WHERE user_id = $1 AND name = ANY($2::text[])', [id, candidates.map(key)]);
  for (const row of holders.rows) fetched.names.set(unkey(row.name), unkey(row.uid));
  for (const [table, into] of [['requests', fetched.requests], ['counters', fetched.counters]] as const) {
    for (const uid of uids) into.set(uid, []);
    // The table name is one of two constants here, never data.
    const { rows } = await db.query<{ uid: string; data: string }>(`SELECT uid, data FROM ${table} WHERE user_id = $1 AND uid = ANY($2::text[])`, [id, keys]);
    for (const row of rows) into.get(unkey(row.uid))!.push(row.data);
  }
}

// ---------------------------------------------------------------------------
// The read view (Store.readUser): every read a query in the view's REPEATABLE
// READ transaction, so all of them see one snapshot.

export class PgUserView implements UserView {
  private active = true;

  constructor(
    readonly user: string,
    private readonly db: Queryable,
    /** undefined: nothing was ever written for the user */
    private readonly userId: number | undefined,
    private readonly role: Role | undefined,
    private readonly prefs: string,
  ) {}

  end(): void {
    this.active = false;
  }

  getRole(): Promise<Role | undefined> {
    return this.read(async () => this.role);
  }

  getPrefs(): Promise<Preferences> {
    return this.read(async () => prefsFrom(this.prefs));
  }

  getObject(uid: string): Promise<StoredObject | undefined> {
    return this.read(async (id) => {
      const [data] = await texts(this.db, 'SELECT data FROM objects WHERE user_id = $1 AND uid = $2', [id, key(uid)]);
      return data === undefined ? undefined : (JSON.parse(data) as StoredObject);
    });
  }

  freeBusy(query: Partial<TimeRange> = {}): Promise<Period[]> {
    return this.read(async (id) => {
      const { fromMs, toMs } = rangeOf(query);
      if (fromMs >= toMs || id === undefined) return [];
      return (await ownPeriodsIn(this.db, id, fromMs, toMs)).sort(compareOwn).map((p) => p.period);
    });
  }

  busyTime(range: TimeRange): Promise<BusyTime[]> {
    return this.read(async (id) => {
      const { fromMs, toMs } = rangeOf(range);
      if (fromMs >= toMs || id === undefined) return [];
      return busyTimeIn(this.db, id, fromMs, toMs);
    });
  }

  listRequests(uid: string): Promise<RequestEntry[]> {
    return this.read(async (id) =>
      (await texts(this.db, 'SELECT data FROM requests WHERE user_id = $1 AND uid = $2', [id, key(uid)])).map((d) => JSON.parse(d) as RequestEntry).sort(compareRequests),
    );
  }

  listCounters(uid: string): Promise<CounterEntry[]> {
    return this.read(async (id) =>
      (await texts(this.db, 'SELECT data FROM counters WHERE user_id = $1 AND uid = $2', [id, key(uid)])).map((d) => JSON.parse(d) as CounterEntry).sort(compareCounters),
    );
  }

  hasSeen(messageKey: string): Promise<boolean> {
    return this.read(async (id) => ((await this.db.query('SELECT 1 FROM seen WHERE user_id = $1 AND key = $2', [id, key(messageKey)])).rowCount ?? 0) > 0);
  }

  private read<T>(fn: (userId: number | undefined) => Promise<T>): Promise<T> {
    if (!this.active) return Promise.reject(new Error(`the view of ${this.user} has ended`));
    try {
      return fn(this.userId);
    } catch (error) {
      return Promise.reject(error);
    }
  }
}

// The writes of one PostgreSQL write transaction, kept as their net effect per
// table and sent as a few multi-row statements at commit (pg-user-tx.ts
// collects them, pg-store.ts sends them).
//
// A transaction holds its user's row lock (pg-store.ts), so nothing else
// writes the user's rows between its statements, and what a sequence of
// writes leaves in a table is known without running them one by one:
// - a row stored by key (an object, a request, an inbox item...) ends as the
//   last value put under its key, unless a removal after that put matched it;
// - a row that was in the table before the transaction ends removed when any
//   removal of the transaction matched it, else as the last put on its key.
// So every table gets one DELETE, of everything any removal matched, then
// one INSERT of the puts still standing (ON CONFLICT updating rows that were
// there before); a bulk write gets a few of each (ROWS_PER_STATEMENT). That
// is the state the writes in their order would leave: a key removed and then
// put again is deleted and inserted anew (an object made again under another
// name gets that name), a key put and then removed is only deleted.
//
// Two things depend on the order of writes, and keep it:
// - the journal: entries are inserted in the order they were added, so their
//   sequence numbers (bigserial) follow it;
// - the change log (object_changes, RFC 6578 sync tokens): one row per name,
//   given a new sequence number when it changes; names are written in the
//   order of their last change in the transaction, so the latest change holds
//   the highest number, as one statement per change would leave it.
//
// Values are parameters only, as arrays (one per column, unnest(...)), so a
// statement has a fixed number of parameters however many rows it writes.

import type { OutboxItem } from '../itip/model.js';
import { key, periodArrays, type TimedPeriod } from './pg-rows.js';
import { outboxColumns, type Statement } from './pg-writes.js';

/** A removal: the key columns it matches, null where it matches any value (a removal of all of a UID's requests). */
type Pattern = ReadonlyArray<string | null>;

/**
 * The puts standing and the removals made on one table whose key is
 * (user_id, ...keys). Puts are grouped by their first key column (a UID or an
 * id), so that a removal of all of a UID's rows finds its puts at once.
 */
class KeyedWrites {
  private readonly puts = new Map<string, Map<string, unknown[]>>();
  private readonly removals = new Map<string, Pattern>();

  constructor(readonly keyCount: number) {}

  /** Row: its key columns first, then the others. */
  put(row: unknown[]): void {
    const first = row[0] as string;
    const rest = JSON.stringify(row.slice(1, this.keyCount));
    let group = this.puts.get(first);
    if (!group) this.puts.set(first, (group = new Map()));
    group.set(rest, row);
  }

  remove(pattern: Pattern): void {
    this.removals.set(JSON.stringify(pattern), pattern);
    const group = this.puts.get(pattern[0]!);
    if (!group) return;
    for (const [rest, row] of group) {
      if (pattern.every((value, i) => value === null || value === row[i])) group.delete(rest);
    }
  }

  rows(): unknown[][] {
    return [...this.puts.values()].flatMap((group) => [...group.values()]);
  }

  patterns(): Pattern[] {
    return [...this.removals.values()];
  }
}

/** Columns of rows as arrays, one per column (for unnest). */
function columnsOf(rows: readonly unknown[][], width: number): unknown[][] {
  return Array.from({ length: width }, (_, i) => rows.map((row) => row[i]));
}

interface TableSpec {
  table: string;
  /** Key columns after user_id, then the other columns. */
  keys: readonly string[];
  columns: readonly string[];
  /** The SQL type of each key column and column, in order. */
  types: readonly string[];
  /** Columns an existing row takes from the put (ON CONFLICT ... DO UPDATE). */
  update: readonly string[];
}

const OBJECTS: TableSpec = { table: 'objects', keys: ['uid'], columns: ['name', 'data'], types: ['text', 'text', 'text'], update: ['data'] };
const REQUESTS: TableSpec = { table: 'requests', keys: ['uid', 'recurrence_id'], columns: ['data'], types: ['text', 'text', 'text'], update: ['data'] };
const COUNTERS: TableSpec = {
  table: 'counters',
  keys: ['uid', 'recurrence_id', 'attendee'],
  columns: ['data'],
  types: ['text', 'text', 'text', 'text'],
  update: ['data'],
};
const INBOX: TableSpec = { table: 'inbox', keys: ['id'], columns: ['data'], types: ['text', 'text'], update: ['data'] };
const SEEN: TableSpec = { table: 'seen', keys: ['key'], columns: ['at'], types: ['text', 'text'], update: ['at'] };
const SENT: TableSpec = { table: 'sent', keys: ['message_id'], columns: ['data'], types: ['text', 'text'], update: ['data'] };

const unnestOf = (types: readonly string[], from: number): string => `unnest(${types.map((type, i) => `$${from + i}::${type}[]`).join(', ')})`;

/** One INSERT of the rows, existing rows updated (ON CONFLICT on the key). */
function upsert(spec: TableSpec, userId: number, rows: readonly unknown[][]): Statement {
  const all = [...spec.keys, ...spec.columns];
  const set = spec.update.map((column) => `${column} = EXCLUDED.${column}`).join(', ');
  return {
    text: `INSERT INTO ${spec.table} (user_id, ${all.join(', ')}) SELECT $1, * FROM ${unnestOf(spec.types, 2)}
           ON CONFLICT (user_id, ${spec.keys.join(', ')}) DO UPDATE SET ${set}`,
    values: [userId, ...columnsOf(rows, all.length)],
  };
}

/**
 * One DELETE of every row any of the patterns matches: by the first key
 * column alone when every pattern gives only that, else joined with the
 * patterns (a null in a pattern matches any value).
 */
function removal(table: string, keys: readonly string[], userId: number, patterns: readonly Pattern[], returning = ''): Statement {
  const used = Math.max(...patterns.map((pattern) => pattern.length));
  if (used === 1) {
    return {
      text: `DELETE FROM ${table} WHERE user_id = $1 AND ${keys[0]} = ANY($2::text[])${returning}`,
      values: [userId, patterns.map((pattern) => pattern[0])],
    };
  }
  const columns = keys.slice(0, used);
  const match = columns.map((column, i) => (i === 0 ? `t.${column} = p.${column}` : `(p.${column} IS NULL OR t.${column} = p.${column})`));
  return {
    text: `DELETE FROM ${table} AS t USING ${unnestOf(columns.map(() => 'text'), 2)} AS p(${columns.join(', ')})
           WHERE t.user_id = $1 AND ${match.join(' AND ')}${returning}`,
    values: [userId, ...columns.map((_, i) => patterns.map((pattern) => pattern[i] ?? null))],
  };
}

export class WriteSet {
  private readonly objects = new KeyedWrites(1);
  private readonly requests = new KeyedWrites(2);
  private readonly counters = new KeyedWrites(3);
  private readonly inbox = new KeyedWrites(1);
  private readonly seen = new KeyedWrites(1);
  private readonly sent = new KeyedWrites(1);
  /** name -> [name, uid, deleted], in the order of the latest change (see the top of the file). */
  private readonly changes = new Map<string, [string, string, boolean]>();
  /** UID -> the own periods that replace all of the UID's. */
  private readonly ownPeriods = new Map<string, TimedPeriod[]>();
  /** UID -> participant -> their periods, replacing what the removals before them matched. */
  private readonly othersPeriods = new Map<string, Map<string, TimedPeriod[]>>();
  private readonly othersRemovals = new Map<string, Pattern>();
  /** Outbox id -> the item (an id is global: the sender finds items by id alone). */
  private readonly outbox = new Map<string, OutboxItem>();
  private readonly journal: string[] = [];

  constructor(private readonly userId: number) {}

  putObject(uid: string, name: string, data: string): void {
    this.objects.put([key(uid), key(name), data]);
  }

  deleteObject(uid: string): void {
    this.objects.remove([key(uid)]);
  }

  noteChange(uid: string, name: string, deleted: boolean): void {
    const stored = key(name);
    this.changes.delete(stored);
    this.changes.set(stored, [stored, key(uid), deleted]);
  }

  setOwnPeriods(uid: string, rows: TimedPeriod[]): void {
    this.ownPeriods.set(uid, rows);
  }

  /** Removes the UID's others' periods, of one participant or of all. */
  removeOthersPeriods(uid: string, participant?: string): void {
    this.othersRemovals.set(JSON.stringify([uid, participant ?? null]), [key(uid), participant === undefined ? null : key(participant)]);
    if (participant === undefined) this.othersPeriods.delete(uid);
    else this.othersPeriods.get(uid)?.delete(participant);
  }

  /** The participant's periods for the UID, after a removal of what they had. */
  addOthersPeriods(uid: string, participant: string, rows: TimedPeriod[]): void {
    let byParticipant = this.othersPeriods.get(uid);
    if (!byParticipant) this.othersPeriods.set(uid, (byParticipant = new Map()));
    byParticipant.set(participant, [...(byParticipant.get(participant) ?? []), ...rows]);
  }

  putRequest(uid: string, rid: string, data: string): void {
    this.requests.put([key(uid), rid, data]);
  }

  /** rid null: all of the UID's. */
  removeRequests(uid: string, rid: string | null): void {
    this.requests.remove([key(uid), rid]);
  }

  putCounter(uid: string, rid: string, attendee: string, data: string): void {
    this.counters.put([key(uid), rid, key(attendee), data]);
  }

  removeCounters(uid: string, rid: string | null, attendee: string | undefined): void {
    this.counters.remove([key(uid), rid, attendee === undefined ? null : key(attendee)]);
  }

  putInbox(id: string, data: string): void {
    this.inbox.put([key(id), data]);
  }

  removeInbox(id: string): void {
    this.inbox.remove([key(id)]);
  }

  putOutbox(item: OutboxItem): void {
    this.outbox.set(item.id, item);
  }

  addJournal(data: string): void {
    this.journal.push(data);
  }

  markSeen(messageKey: string, at: string): void {
    this.seen.put([key(messageKey), JSON.stringify(at)]);
  }

  putSent(messageId: string, data: string): void {
    this.sent.put([key(messageId), data]);
  }

  /**
   * The removals, each table's in one DELETE; the own periods' last, as it
   * gives the periods it removed (their days' busy records are written again).
   */
  removalStatements(onRemovedOwn: (rows: Array<Record<string, unknown>>) => void): Statement[] {
    const out: Statement[] = [];
    const keyed: Array<[KeyedWrites, TableSpec]> = [
      [this.objects, OBJECTS],
      [this.requests, REQUESTS],
      [this.counters, COUNTERS],
      [this.inbox, INBOX],
    ];
    for (const [writes, spec] of keyed) {
      for (const patterns of chunks(writes.patterns())) out.push(removal(spec.table, spec.keys, this.userId, patterns));
    }
    for (const patterns of chunks([...this.othersRemovals.values()])) out.push(removal('others_periods', ['uid', 'participant'], this.userId, patterns));
    for (const uids of chunks([...this.ownPeriods.keys()].map((uid) => [key(uid)]))) {
      out.push({ ...removal('own_periods', ['uid'], this.userId, uids, ' RETURNING start_ms, end_ms, long'), collect: onRemovedOwn });
    }
    return out;
  }

  /** The rows standing, each table's in one INSERT (or a few, ROWS_PER_STATEMENT each). */
  insertStatements(): Statement[] {
    const out: Statement[] = [];
    for (const rows of chunks(this.objects.rows())) out.push(upsert(OBJECTS, this.userId, rows));
    for (const rows of chunks([...this.changes.values()])) out.push(changeStatement(this.userId, rows));
    const own = [...this.ownPeriods].flatMap(([uid, rows]) => rows.map((row) => [uid, row] as const));
    for (const rows of chunks(own)) {
      out.push({
        text: `INSERT INTO own_periods (user_id, uid, start_ms, end_ms, recurrence_id, fbtype, long)
               SELECT $1, * FROM unnest($2::text[], $3::bigint[], $4::bigint[], $5::text[], $6::text[], $7::boolean[])`,
        values: [this.userId, rows.map(([uid]) => key(uid)), ...periodArrays(rows.map(([, row]) => row))],
      });
    }
    const others = [...this.othersPeriods].flatMap(([uid, byParticipant]) =>
      [...byParticipant].flatMap(([participant, rows]) => rows.map((row) => [uid, participant, row] as const)),
    );
    for (const rows of chunks(others)) {
      out.push({
        text: `INSERT INTO others_periods (user_id, uid, participant, start_ms, end_ms, recurrence_id, fbtype, long)
               SELECT $1, * FROM unnest($2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::text[], $7::text[], $8::boolean[])`,
        values: [this.userId, rows.map(([uid]) => key(uid)), rows.map(([, participant]) => key(participant)), ...periodArrays(rows.map(([, , row]) => row))],
      });
    }
    for (const [writes, spec] of [
      [this.requests, REQUESTS],
      [this.counters, COUNTERS],
      [this.inbox, INBOX],
      [this.seen, SEEN],
      [this.sent, SENT],
    ] as const) {
      for (const rows of chunks(writes.rows())) out.push(upsert(spec, this.userId, rows));
    }
    for (const items of chunks([...this.outbox.values()])) out.push(outboxStatement(this.userId, items));
    for (const entries of chunks(this.journal)) {
      out.push({
        // In the order added: the rows come in ordinality order, and seq is drawn for each as it is inserted.
        text: 'INSERT INTO journal (user_id, data) SELECT $1, data FROM unnest($2::text[]) WITH ORDINALITY AS j(data, n) ORDER BY n',
        values: [this.userId, entries],
      });
    }
    return out;
  }
}

/**
 * Rows one statement writes at most. A bulk write (a big user copied in one
 * commit) then sends a few statements per table, each well inside the
 * statement time limit (pg-store.ts) also on a loaded server; the chunks of
 * one table go in order, so the journal's and the change log's order holds.
 */
const ROWS_PER_STATEMENT = 10_000;

function chunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += ROWS_PER_STATEMENT) out.push(items.slice(i, i + ROWS_PER_STATEMENT));
  return out;
}

function changeStatement(userId: number, rows: ReadonlyArray<[string, string, boolean]>): Statement {
  return {
    text: `INSERT INTO object_changes (user_id, name, uid, deleted)
           SELECT $1, name, uid, deleted FROM unnest($2::text[], $3::text[], $4::boolean[]) WITH ORDINALITY AS c(name, uid, deleted, n) ORDER BY n
           ON CONFLICT (user_id, name) DO UPDATE SET seq = nextval('object_change_seq'), uid = EXCLUDED.uid, deleted = EXCLUDED.deleted`,
    values: [userId, ...columnsOf(rows as unknown as unknown[][], 3)],
  };
}

function outboxStatement(userId: number, items: readonly OutboxItem[]): Statement {
  const columns = items.map(outboxColumns);
  return {
    text: `INSERT INTO outbox (id, user_id, state, created_ms, due_ms, next_attempt, data)
           SELECT id, $1, state, created_ms, due_ms, next_attempt, data
           FROM unnest($2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::text[], $7::text[]) AS o(id, state, created_ms, due_ms, next_attempt, data)
           ON CONFLICT (id) DO UPDATE SET user_id = EXCLUDED.user_id, state = EXCLUDED.state, created_ms = EXCLUDED.created_ms,
             due_ms = EXCLUDED.due_ms, next_attempt = EXCLUDED.next_attempt, data = EXCLUDED.data`,
    values: [
      userId,
      items.map((item) => key(item.id)),
      items.map((item) => item.state),
      columns.map((c) => c.createdMs),
      columns.map((c) => c.dueMs),
      columns.map((c) => c.nextAttempt),
      columns.map((c) => c.data),
    ],
  };
}

// The embedded Store: one LMDB environment per store directory, shared by
// every process the MTA starts (LMDB's lock file coordinates them; nothing here
// is process-global).
//
// Durability: each `transact` runs as an lmdb-js child transaction. lmdb-js
// queues the child transactions of one event turn into one write transaction
// and commits them together (group commit). A plain `transaction` would keep
// the writes of a callback that throws; a child transaction is aborted on a
// throw, so a failed message leaves nothing behind while its neighbours in the
// same batch still commit. The returned promise settles only after the batch
// is committed and flushed to disk (see `write`). A batch that cannot commit
// (disk full) rejects each of its writes with a StoreCommitError and leaves the
// environment usable: the next batch commits once there is space again
// (lmdb-commit-failure.ts).

import { open, type Database, type Key, type RootDatabase } from 'lmdb';
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
import type { BusyTime, FreeBusyQuery, ObjectChanges, Store, TimeRange, UserRead, UserTx, UserView, VersionedCommit } from './store.js';
import { LmdbUserView, bumpVersion, userVersion } from './lmdb-versions.js';
import { BUSY_DAYS_BUILT, buildBusyDays } from './lmdb-busy-days.js';
import { busyTimeOf, queryPeriods } from './lmdb-freebusy.js';
import { commitFailure, observeCommits } from './lmdb-commit-failure.js';
import { MIGRATABLE_FORMATS, migrate } from './lmdb-migrate.js';
import { changesSince } from './lmdb-changes.js';
import { nameOf, uidNamed } from './lmdb-names.js';
import { queryOthers } from './lmdb-others.js';
import { compareText, compareTime, instant, keyPart, valuesWithPrefix } from './lmdb-keys.js';
import {
  LmdbUserTx,
  compareCounters,
  compareRequests,
  putOutboxItem,
  sortedPrefs,
  type SeenMark,
  type StoreDbs,
} from './lmdb-user-tx.js';

/**
 * Bumped when the key layout or the value encoding changes; a store written in
 * another format is refused. 2: values are JSON (format 1 stored msgpack).
 * 3: one per-UID index record lists the time keys of its periods.
 * 4: others' periods are one record per UID and participant, with an extent
 * index; own periods are keyed by numbers (UID number, recurrence instant, type).
 * 5: others' records hold their periods in compact form; the journal, its
 * per-user index and the marks of mails seen are one database.
 * 6: outbox items still to send are indexed by due time ('outbox-due').
 * 7: objects have names ('object-names'), and their changes are logged per
 * name, with a bounded number of removals ('object-log', 'object-tombstones').
 * Stores of formats 3 to 6 are moved to format 7 when opened (lmdb-migrate.ts).
 */
const FORMAT = 7;

/** The initial map (address space, not disk) on POSIX; lmdb-js grows it when full. */
const INITIAL_MAP_SIZE = 256 * 1024 * 1024;

export interface LmdbStoreOptions {
  /** Initial map size in bytes (address space). lmdb-js grows the map as needed. */
  mapSize?: number;
}

export class LmdbStore implements Store {
  private readonly root: RootDatabase;
  private readonly dbs: StoreDbs;
  private readonly pending = new Set<Promise<unknown>>();
  private inTransaction = false;
  private closing?: Promise<void>;

  constructor(readonly dir: string, options: LmdbStoreOptions = {}) {
    const mapSize = options.mapSize ?? (process.platform === 'win32' ? undefined : INITIAL_MAP_SIZE);
    this.root = open({
      path: dir,
      maxDbs: 32,
      // Commit with a synchronous fsync (classic LMDB durability), so a commit
      // promise means "on disk". `write` also awaits `flushed`, which covers an
      // environment some other program opened with overlapping sync.
      overlappingSync: false,
      // The store is always a directory: lmdb-js would otherwise take a path
      // with a dot in its last part (/var/lib/itip-agent.d) for a file name.
      noSubdir: false,
      ...(mapSize === undefined ? {} : { mapSize }),
    });
    // Before any write: a failed commit must not leave a rejection unhandled.
    observeCommits(this.root);
    try {
      // Values are stored as JSON, not lmdb-js's default msgpack: msgpack writes
      // strings as UTF-8 and turns a lone surrogate (possible in a UID or an
      // address decoded from a broken message) into U+FFFD, so two distinct
      // UIDs would read back alike. JSON.stringify escapes lone surrogates
      // (\ud800), so every string round-trips exactly.
      const db = <V>(name: string): Database<V, Key> => this.root.openDB<V, Key>(name, { encoding: 'json' });
      // The format number keeps the encoding of every format so far, so that an
      // older store is refused with a clear message rather than a parse error.
      const meta = this.root.openDB<number, Key>('meta', {});
      this.dbs = {
        users: db('users'),
        prefs: db('prefs'),
        objects: db('objects'),
        own: {
          byTime: db('own-periods'),
          byUid: db('own-periods-by-uid'),
          uidNames: db('own-period-uids'),
          meta,
          names: new Map(),
          days: { raw: db('own-busy-raw'), merged: db('own-busy-days') },
        },
        others: { records: db('others-records'), extents: db('others-extents') },
        requests: db('requests'),
        counters: db('counters'),
        inbox: db('inbox'),
        outbox: db('outbox'),
        outboxByUser: db('outbox-by-user'),
        outboxDue: db('outbox-due'),
        journal: db('user-journal'),
        changes: db('object-log'),
        tombstones: db('object-tombstones'),
        names: db('object-names'),
        sent: db('sent-messages'),
        versions: db('user-versions'),
        meta,
      };
      this.checkFormat();
      this.checkBusyDays();
    } catch (error) {
      void this.root.close();
      throw error;
    }
  }

  transact<T>(user: string, fn: (tx: UserTx) => T): Promise<T> {
    if (typeof user !== 'string' || user === '') {
      return Promise.reject(new TypeError('transact needs a user address'));
    }
    return this.write(() => this.runUserTx(user, fn));
  }

  async readUser<T>(user: string, fn: (view: UserView) => T | Promise<T>): Promise<UserRead<T>> {
    if (typeof user !== 'string' || user === '') throw new TypeError('readUser needs a user address');
    if (this.closing) throw new Error('the store is closed');
    // The version first: a commit that lands between it and a later read
    // makes the version stale, never the reads older than the version.
    const version = userVersion(this.dbs.versions, keyPart(user));
    const view = new LmdbUserView(new LmdbUserTx(this.dbs, user, true));
    try {
      return { version, value: await fn(view) };
    } finally {
      view.end();
    }
  }

  commitIf<T>(user: string, version: number, fn: (tx: UserTx) => T): Promise<VersionedCommit<T>> {
    if (typeof user !== 'string' || user === '') {
      return Promise.reject(new TypeError('commitIf needs a user address'));
    }
    return this.write((): VersionedCommit<T> => {
      // Inside the write transaction: LMDB's one writer orders every commit.
      const current = userVersion(this.dbs.versions, keyPart(user));
      if (current !== version) return { committed: false, version: current };
      return { committed: true, value: this.runUserTx(user, fn) };
    });
  }

  /** Runs fn on the user's view of the current write transaction, and counts the user's version up. */
  private runUserTx<T>(user: string, fn: (tx: UserTx) => T): T {
    const tx = new LmdbUserTx(this.dbs, user);
    this.inTransaction = true;
    try {
      const result = fn(tx);
      if (isThenable(result)) {
        // An async fn would hold the write lock across awaits and let other
        // writes slip into this transaction. Whatever it does after its first
        // await fails on the ended view; that failure has no one to go to
        // (this TypeError reports the mistake), and left unhandled it would
        // end the process.
        Promise.resolve(result).catch(() => undefined);
        throw new TypeError('the transact callback must be synchronous');
      }
      tx.finish();
      bumpVersion(this.dbs.versions, keyPart(user));
      return result;
    } finally {
      this.inTransaction = false;
      tx.end();
    }
  }

  async listUsers(): Promise<string[]> {
    const users: string[] = [];
    for (const { value } of this.dbs.users.getRange()) users.push(value.user);
    return users.sort(compareText);
  }

  async getRole(user: string): Promise<Role | undefined> {
    return this.dbs.users.get(keyPart(user))?.role;
  }

  async getPrefs(user: string): Promise<Preferences> {
    return sortedPrefs(this.dbs.prefs.get(keyPart(user)));
  }

  async listObjects(user: string): Promise<StoredObject[]> {
    return valuesWithPrefix(this.dbs.objects, [keyPart(user)]).sort((a, b) => compareText(a.uid, b.uid));
  }

  async getObject(user: string, uid: string): Promise<StoredObject | undefined> {
    return this.dbs.objects.get([keyPart(user), keyPart(uid)]);
  }

  async objectChanges(user: string, since: number): Promise<ObjectChanges> {
    return changesSince(this.dbs, keyPart(user), since);
  }

  async objectName(user: string, uid: string): Promise<string | undefined> {
    return nameOf(this.dbs.names, keyPart(user), uid);
  }

  async objectNamed(user: string, name: string): Promise<string | undefined> {
    return uidNamed(this.dbs.names, keyPart(user), name);
  }

  async freeBusy(user: string, query: FreeBusyQuery = {}): Promise<Array<Period | OthersPeriod>> {
    const fromMs = query.from === undefined ? undefined : instant(query.from, 'from');
    const toMs = query.to === undefined ? undefined : instant(query.to, 'to');
    if (fromMs !== undefined && toMs !== undefined && fromMs >= toMs) return [];
    if (query.others) return queryOthers(this.dbs.others, keyPart(user), fromMs, toMs);
    // Inside a transact callback, reads see that transaction's writes, which
    // may still be undone: only committed UID names are remembered.
    return queryPeriods(this.dbs.own, keyPart(user), fromMs, toMs, !this.inTransaction);
  }

  async busyTime(user: string, range: TimeRange): Promise<BusyTime[]> {
    return busyTimeOf(this.dbs.own, keyPart(user), range);
  }

  async listRequests(user: string): Promise<RequestEntry[]> {
    return valuesWithPrefix(this.dbs.requests, [keyPart(user)]).sort(compareRequests);
  }

  async listCounters(user: string): Promise<CounterEntry[]> {
    return valuesWithPrefix(this.dbs.counters, [keyPart(user)]).sort(compareCounters);
  }

  async listInbox(user: string): Promise<InboxItem[]> {
    return valuesWithPrefix(this.dbs.inbox, [keyPart(user)]).sort(
      (a, b) => compareTime(a.received, b.received) || compareText(a.id, b.id),
    );
  }

  async listOutbox(user?: string): Promise<OutboxItem[]> {
    const items: OutboxItem[] = [];
    if (user === undefined) {
      for (const { value } of this.dbs.outbox.getRange()) items.push(value);
    } else {
      for (const key of this.dbs.outboxByUser.getKeys({ start: [keyPart(user)] })) {
        if (!Array.isArray(key) || key[0] !== keyPart(user)) break;
        const item = this.dbs.outbox.get(key[1] as string);
        if (item) items.push(item);
      }
    }
    return items.sort((a, b) => compareTime(a.created, b.created) || compareText(a.id, b.id));
  }

  async listDueOutbox(at: string): Promise<OutboxItem[]> {
    return this.dueOutbox(instant(at, 'at'));
  }

  /** The items still to send that are due at atMs, oldest first (see listDueOutbox). */
  private dueOutbox(atMs: number): OutboxItem[] {
    const items: OutboxItem[] = [];
    // Keys [dueMs, idK]: every key of a due time up to atMs sorts before [atMs + 1].
    for (const key of this.dbs.outboxDue.getKeys({ end: [atMs + 1] })) {
      const item = this.dbs.outbox.get((key as Key[])[1] as string);
      if (item?.state === 'unprocessed') items.push(item);
    }
    return items.sort((a, b) => compareTime(a.created, b.created) || compareText(a.id, b.id));
  }

  claimDueOutbox(at: string, until: string, limit?: number): Promise<OutboxItem[]> {
    let atMs: number;
    try {
      atMs = instant(at, 'at');
      instant(until, 'until');
      if (limit !== undefined && !(Number.isInteger(limit) && limit >= 0)) throw new RangeError(`limit is not a count: ${limit}`);
    } catch (error) {
      return Promise.reject(error);
    }
    // One write: LMDB's single writer orders the claims of every process, and
    // the due index is read inside it, so an item claimed by a write that
    // committed first is no longer due here (its next attempt is `until`).
    return this.write(() => {
      const due = this.dueOutbox(atMs);
      return due.slice(0, limit ?? due.length).map((item) => {
        const claimed: OutboxItem = { ...item, nextAttempt: until };
        putOutboxItem(this.dbs, claimed);
        return claimed;
      });
    });
  }

  async getOutbox(id: string): Promise<OutboxItem | undefined> {
    return this.dbs.outbox.get(keyPart(id));
  }

  updateOutbox(item: OutboxItem): Promise<void> {
    return this.write(() => {
      if (this.dbs.outbox.get(keyPart(item.id)) === undefined) {
        throw new Error(`no outbox item with id ${JSON.stringify(item.id)}`);
      }
      putOutboxItem(this.dbs, item);
    });
  }

  async listJournal(user?: string): Promise<JournalEntry[]> {
    if (user !== undefined) {
      // [userK] sorts before the user's entries, [userK, ''] after them and before the mails seen.
      const userK = keyPart(user);
      const entries: JournalEntry[] = [];
      for (const { value } of this.dbs.journal.getRange({ start: [userK], end: [userK, ''] })) entries.push(value as JournalEntry);
      return entries;
    }
    // Every user's entries, in the order they were written.
    const numbered: Array<[number, JournalEntry]> = [];
    for (const { key, value } of this.dbs.journal.getRange()) {
      const seq = (key as Key[])[1];
      if (typeof seq === 'number') numbered.push([seq, value as JournalEntry]);
    }
    return numbered.sort((a, b) => a[0] - b[0]).map(([, entry]) => entry);
  }

  /**
   * The marks of mails seen. A mark written by this version keeps its message
   * key whole (SeenMark). A mark written before that is the bare time under
   * the key's keyPart: for a key of at most 128 plain characters that is the
   * key itself, for a longer or unusual one (most message keys: they end in
   * a digest) it is its hashed form, returned as it is; a copy of such a mark
   * then guards against nothing, so a mail seen long ago and delivered again
   * after a copy is processed again.
   */
  async listSeen(user: string): Promise<Array<{ key: string; at: string }>> {
    const userK = keyPart(user);
    const marks: Array<{ key: string; at: string }> = [];
    // [userK, ''] sorts after the user's numbered entries and before the marks; they end at the next user.
    for (const { key, value } of this.dbs.journal.getRange({ start: [userK, ''] })) {
      const k = key as Key[];
      if (k[0] !== userK) break;
      if (typeof value === 'string') marks.push({ key: k[1] as string, at: value });
      else if (isSeenMark(value)) marks.push({ key: value.key, at: value.at });
    }
    return marks.sort((a, b) => compareText(a.key, b.key));
  }

  async listSent(user: string): Promise<SentMessage[]> {
    return valuesWithPrefix(this.dbs.sent, [keyPart(user)]).sort((a, b) => compareText(a.messageId, b.messageId));
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      // Let queued transactions finish: closing under them would lose writes
      // the caller is still waiting for.
      await Promise.allSettled([...this.pending]);
      await this.root.close();
    })();
    return this.closing;
  }

  /**
   * Runs `body` in a child transaction of the next write batch and resolves
   * with its result once the batch is durable; a throw aborts only this child.
   */
  private write<T>(body: () => T): Promise<T> {
    if (this.closing) return Promise.reject(new Error('the store is closed'));
    if (this.inTransaction) {
      // A write started inside a transact callback (transact or updateOutbox)
      // would run as part of the outer transaction, whose callback cannot await
      // it: it would commit or vanish with the outer one. Refuse instead.
      return Promise.reject(new Error('the store cannot be written from inside a transact callback'));
    }
    const run = (async () => {
      try {
        const result = await this.root.childTransaction(body);
        await this.root.flushed;
        return result;
      } catch (error) {
        // A failed commit (disk full) becomes a StoreCommitError; an error
        // thrown by body comes back unchanged.
        throw await commitFailure(error, this.dir);
      }
    })();
    this.pending.add(run);
    const forget = (): void => {
      this.pending.delete(run);
    };
    run.then(forget, forget);
    return run;
  }

  /** Builds the busy day records of a store written before they existed (lmdb-busy-days.ts). */
  private checkBusyDays(): void {
    if (this.dbs.meta.get(BUSY_DAYS_BUILT) === 1) return;
    this.root.transactionSync(() => {
      // Checked again inside the write lock: another process may have built them.
      if (this.dbs.meta.get(BUSY_DAYS_BUILT) === 1) return;
      const shortKeys = (function* (byTime: LmdbStore['dbs']['own']['byTime']) {
        for (const key of byTime.getKeys()) if ((key as Key[])[1] === 0) yield key as Key[];
      })(this.dbs.own.byTime);
      buildBusyDays(this.dbs.own.days, [...shortKeys]);
      this.dbs.meta.putSync(BUSY_DAYS_BUILT, 1);
    });
  }

  private checkFormat(): void {
    const format = this.dbs.meta.get('format');
    if (format === undefined) {
      // Several processes may do this at once; they all write the same value.
      this.dbs.meta.putSync('format', FORMAT);
    } else if (MIGRATABLE_FORMATS.includes(format)) {
      migrate(this.root, this.dbs, FORMAT);
    } else if (format !== FORMAT) {
      const older = MIGRATABLE_FORMATS.slice(0, -1).join(', ') + ' and ' + MIGRATABLE_FORMATS[MIGRATABLE_FORMATS.length - 1];
      const newer = typeof format === 'number' && format > FORMAT;
      throw new StoreFormatError(
        `the store at ${this.dir} has format ${format}, and this version reads format ${FORMAT} (and moves formats ${older} to it); ` +
          (newer ? 'a newer version of itip-agent wrote it, and nothing in it was changed: run that version again' : 'run the version of itip-agent that wrote the store') +
          ', or move the store aside and build a new one from saved mail with `itip-agent replay`',
      );
    }
  }
}

/** A store in a layout this version cannot read: no fault of the folder or its permissions. */
export class StoreFormatError extends Error {
  override name = 'StoreFormatError';
}

function isSeenMark(value: unknown): value is SeenMark {
  return typeof value === 'object' && value !== null && typeof (value as SeenMark).key === 'string' && typeof (value as SeenMark).at === 'string';
}

function isThenable(value: unknown): boolean {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

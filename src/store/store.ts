// The Store contract. Every implementation (LMDB now, PostgreSQL later) passes
// the same contract test suite (test/store/store-contract.ts).
//
// Writes happen only inside `transact` or `commitIf`, one transaction per
// message and user: everything a message causes for that user commits together
// and durably (fsync) before the returned promise resolves, or not at all.
// A mail is handled optimistically: `readUser` reads what the core needs
// outside any write transaction, the core computes, and `commitIf` writes the
// effects only if nothing was committed for the user since that read. So the
// write transaction holds no computing, and the commits of concurrent mails
// share one durable commit (one fsync in LMDB, one round of WAL flush in
// PostgreSQL).
//
// Strings (UIDs, recurrence ids, addresses, ids, message keys, preference
// names) come from mail and may hold anything: NUL and other control
// characters, lone surrogates, thousands of characters. They are stored and
// returned exactly, and listings sorted "by text" use UTF-16 code-unit order.

import type {
  CounterEntry,
  FbType,
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

/** A half-open time range [from, to) in UTC, ISO 8601. */
export interface TimeRange {
  from: string;
  to: string;
}

/**
 * The view of one user's data inside a write transaction. All calls are
 * synchronous; reads see the writes made earlier in the same transaction.
 */
export interface UserTx extends UserReads {
  readonly user: string;

  getRole(): Role | undefined;
  setRole(role: Role): void;
  getPrefs(): Preferences;
  setPref(key: string, value: string | null): void;

  getObject(uid: string): StoredObject | undefined;
  /**
   * Stores the object. An object new to the user gets a name (its CalDAV
   * resource name): the one nameNewObject asked for, else one made from its
   * UID ("UID.ics" when the UID is plain enough for a URL). An existing object
   * keeps its name.
   */
  putObject(object: StoredObject): void;
  /** Removes the object and frees its name. */
  deleteObject(uid: string): void;
  /** The name of the UID's object; undefined when there is none. */
  objectName(uid: string): string | undefined;
  /** The UID of the object of that name; undefined when no object has it. */
  objectNamed(name: string): string | undefined;
  /**
   * The name the UID's object gets if this transaction creates it (a CalDAV
   * PUT to a new name, RFC 4791 section 5.3.2). Throws when another object
   * has the name; no effect on an object that exists already.
   */
  nameNewObject(uid: string, name: string): void;

  /** Replaces all own periods of the UID. An empty list removes them. */
  setOwnPeriods(uid: string, periods: Period[]): void;
  /** Replaces the periods of one participant for the UID. An empty list removes them. */
  setOthersPeriods(uid: string, participant: string, periods: OthersPeriod[]): void;
  /**
   * Replaces every participant's periods for the UID with these, each under
   * its own participant; whoever has none here loses theirs.
   */
  replaceOthersPeriods(uid: string, periods: OthersPeriod[]): void;
  /** Removes others' periods for the UID: of one participant, or of everyone. */
  removeOthersPeriods(uid: string, participant?: string): void;
  /**
   * Own periods overlapping [from, to), sorted as Store.freeBusy sorts them, with
   * this transaction's writes. A resource reads its other bookings with it.
   */
  freeBusy(query?: Partial<TimeRange>): Period[];

  /** Adds the entry, replacing one with the same uid and recurrenceId. */
  putRequest(entry: RequestEntry): void;
  /** Removes entries of the UID: of one instance (null: the master) or, if undefined, all. */
  removeRequests(uid: string, recurrenceId?: string | null): void;
  /** The entries of the UID, sorted as Store.listRequests sorts them (the master first). */
  listRequests(uid: string): RequestEntry[];

  /** Adds the entry, replacing one with the same uid, recurrenceId and attendee. */
  putCounter(entry: CounterEntry): void;
  removeCounters(uid: string, recurrenceId?: string | null, attendee?: string): void;
  listCounters(uid: string): CounterEntry[];

  addInbox(item: InboxItem): void;
  /** Removes an inbox item (a CalDAV client's DELETE in the scheduling inbox); false when there was none. */
  removeInbox(id: string): boolean;
  addOutbox(item: OutboxItem): void;
  addJournal(entry: JournalEntry): void;

  /**
   * Records an iTIP message the user sent (the outgoing rule), replacing one
   * with the same Message-ID, so that a bounce can be matched to it.
   */
  putSent(record: SentMessage): void;
  /** The user's sent message with this Message-ID (without angle brackets), if recorded. */
  getSent(messageId: string): SentMessage | undefined;

  /** Redelivery guard: was a message with this key (Message-ID plus digest) processed? */
  hasSeen(messageKey: string): boolean;
  markSeen(messageKey: string, at: string): void;
}

/**
 * A write that could not be made durable (disk full, quota, I/O error): nothing
 * of it was written, and the same write may work later. Its message says what
 * happened and what to do, for the log and for the MTA's deferral reason.
 */
export class StoreCommitError extends Error {
  override name = 'StoreCommitError';
  constructor(
    message: string,
    /** The system's error name when known (ENOSPC, EDQUOT, EIO, ...). */
    readonly code?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The removals each user's change log remembers at least (see Store.objectChanges). */
export const KEPT_REMOVALS = 1000;

/** One entry of a user's object change log: the latest change under one name. */
export interface ObjectChange {
  seq: number;
  uid: string;
  /** The object's name (see UserTx.putObject); a removal keeps the name it had. */
  name: string;
  /** The object was removed (a tombstone). */
  deleted: boolean;
}

export interface ObjectChanges {
  /** The seq of the user's latest change, or the floor when that is later (0: none): the token of "now". */
  latest: number;
  /**
   * The oldest seq still answered: removals before it were forgotten (the log
   * keeps a bounded number of them), so a `since` below it gets no changes
   * and its holder must start again (RFC 6578 section 3.7).
   */
  floor: number;
  /** Changes after the asked seq, oldest first, one per name (its latest). */
  changes: ObjectChange[];
}

/** Busy time as a free/busy answer gives it (RFC 5545 section 3.2.6): no events, only when and how busy. */
export interface BusyTime {
  start: string;
  end: string;
  fbtype: FbType;
}

export interface FreeBusyQuery extends Partial<TimeRange> {
  others?: boolean;
}

export interface Store {
  /**
   * Runs fn in one write transaction for the user; resolves with fn's result
   * after a durable commit. If fn throws, nothing is written and the promise
   * rejects with that error. fn must be synchronous: a returned promise is
   * refused with a TypeError and nothing is written. No write (transact,
   * updateOutbox) may start inside fn; such a call is rejected. A commit that
   * fails rejects with a StoreCommitError, and the store stays usable: a later
   * transaction commits once the cause (a full disk) is gone.
   *
   * fn may run more than once (a store that fetches on demand runs it again
   * after fetching); it must act only through tx and return what it computed.
   */
  transact<T>(user: string, fn: (tx: UserTx) => T): Promise<T>;

  listUsers(): Promise<string[]>;
  getRole(user: string): Promise<Role | undefined>;
  getPrefs(user: string): Promise<Preferences>;

  /** All objects of the user, sorted by UID. */
  listObjects(user: string): Promise<StoredObject[]>;
  getObject(user: string, uid: string): Promise<StoredObject | undefined>;
  /**
   * The user's object changes after `since` (a seq from an earlier answer; 0:
   * all that are logged), read from the change log alone (CalDAV
   * sync-collection, RFC 6578). Every putObject and deleteObject of a UID
   * that existed logs one, in the same transaction; a name changed twice is
   * listed once, at its latest change. Each user's log keeps at least the
   * latest KEPT_REMOVALS removals; forgetting older ones raises the floor.
   */
  objectChanges(user: string, since: number): Promise<ObjectChanges>;
  /** The name of the UID's object (see UserTx.putObject); undefined when there is none. */
  objectName(user: string, uid: string): Promise<string | undefined>;
  /** The UID of the user's object of that name; undefined when no object has it. */
  objectNamed(user: string, name: string): Promise<string | undefined>;
  /**
   * Optional: the names of all of the user's objects (UID -> name) in one
   * read, as objectName gives them one by one; a store on another host
   * answers a big user's names in one round trip instead of one per object.
   */
  listObjectNames?(user: string): Promise<Map<string, string>>;

  /** Own periods (or, with `others`, others' periods) overlapping the range, sorted by start. */
  freeBusy(user: string, query?: FreeBusyQuery): Promise<Array<Period | OthersPeriod>>;
  /**
   * The user's busy time over the range, as a free/busy answer gives it: the
   * own periods per FBTYPE with overlapping or touching ones joined, cut to
   * the range, sorted by start, end, fbtype. Its cost follows the range's
   * length, not the number of events in it.
   */
  busyTime(user: string, range: TimeRange): Promise<BusyTime[]>;

  listRequests(user: string): Promise<RequestEntry[]>;
  listCounters(user: string): Promise<CounterEntry[]>;
  listInbox(user: string): Promise<InboxItem[]>;
  /** Outbox items of one user or of all users, oldest first. */
  listOutbox(user?: string): Promise<OutboxItem[]>;
  /**
   * The items still to send (state 'unprocessed') whose next attempt is not
   * after `at` (or that have none), oldest first; read without the items
   * already sent or given up.
   */
  listDueOutbox(at: string): Promise<OutboxItem[]>;
  getOutbox(id: string): Promise<OutboxItem | undefined>;
  /** Replaces an outbox item (state, attempts, status), durably. */
  updateOutbox(item: OutboxItem): Promise<void>;
  /**
   * Claims the due items (as listDueOutbox finds them, at most `limit`) for
   * one sender, in one write: each claimed item's next attempt becomes
   * `until`, so no other sender (another process or host running `queue run`
   * or `serve`) finds it due before then. The sender then records the outcome
   * with updateOutbox. A sender that dies leaves its items to be claimed again
   * at `until`. Two claims running at once never return the same item.
   * Resolves with the claimed items as they now are, oldest first.
   */
  claimDueOutbox(at: string, until: string, limit?: number): Promise<OutboxItem[]>;
  /**
   * Journal entries of one user or all, in the order they were written. One
   * user's commits are serialised, so theirs is commit order; across users,
   * entries of commits that ran at the same time (on PostgreSQL, in other
   * sessions) may come in either order.
   */
  listJournal(user?: string): Promise<JournalEntry[]>;

  /** The marks of mails seen (UserTx.markSeen) of the user, sorted by key: for copying a store. */
  listSeen(user: string): Promise<Array<{ key: string; at: string }>>;
  /** The sent messages recorded for the user (UserTx.putSent), sorted by Message-ID: for copying a store. */
  listSent(user: string): Promise<SentMessage[]>;

  close(): Promise<void>;

  /**
   * Runs fn over a view of the user's committed data, outside any write
   * transaction, and resolves with fn's result and the user's version as the
   * view began (see commitIf). The view may not be used once fn has settled.
   * A store may answer reads from one snapshot (PostgreSQL: one REPEATABLE
   * READ, READ ONLY transaction) or from the latest commit at each read
   * (LMDB): either way a view's reads count only if commitIf then finds the
   * version unchanged, since any commit in between counts it up.
   */
  readUser<T>(user: string, fn: (view: UserView) => T | Promise<T>): Promise<UserRead<T>>;

  /**
   * Runs fn in one write transaction for the user if the user's version is
   * still `version` (no transact or commitIf committed for the user since the
   * readUser that gave it), and counts the version up; otherwise runs nothing,
   * writes nothing and resolves `{committed: false}` with the version now.
   * Durability, errors and the rules for fn are those of transact. Concurrent
   * calls (of one user or many) may share one durable commit; of two calls
   * with the same version for one user, at most one commits.
   *
   * fn may run more than once (a store that fetches on demand runs it again
   * after fetching); it must act only through tx and return what it computed.
   */
  commitIf<T>(user: string, version: number, fn: (tx: UserTx) => T): Promise<VersionedCommit<T>>;
}

// ---------------------------------------------------------------------------
// Optimistic commits: read, compute, then commit if nothing changed.

/** The reads of one user's data that the scheduling core's input needs. */
export interface UserReads {
  readonly user: string;
  getRole(): Role | undefined;
  getPrefs(): Preferences;
  getObject(uid: string): StoredObject | undefined;
  /** Own periods overlapping the range, sorted as Store.freeBusy sorts them. */
  freeBusy(query?: Partial<TimeRange>): Period[];
  /** Busy time over the range, as Store.busyTime gives it. */
  busyTime(range: TimeRange): BusyTime[];
  /** The entries of the UID, sorted as Store.listRequests sorts them. */
  listRequests(uid: string): RequestEntry[];
  listCounters(uid: string): CounterEntry[];
  /** Redelivery guard: was a message with this key (Message-ID plus digest) processed? */
  hasSeen(messageKey: string): boolean;
}

/**
 * UserReads outside a write transaction: every answer a promise, since a
 * store on another host answers later.
 */
export type UserView = { readonly user: string } & {
  [K in Exclude<keyof UserReads, 'user'>]: (...args: Parameters<UserReads[K]>) => Promise<ReturnType<UserReads[K]>>;
};

export interface UserRead<T> {
  /** The user's version when the view began: 0 for a user nothing was committed for. */
  version: number;
  value: T;
}

export type VersionedCommit<T> = { committed: true; value: T } | { committed: false; version: number };

// One user's view of the LMDB store inside a write transaction, and the
// database layout it shares with LmdbStore.
//
// Every method runs synchronously inside the current lmdb-js write transaction,
// so reads see this transaction's earlier writes. After the transaction's
// callback returns, the object refuses further use: a late call would
// otherwise run outside the transaction and commit on its own.

import type { Database, Key } from 'lmdb';
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
import type { BusyTime, TimeRange, UserTx } from './store.js';
import { parseInstant } from '../ical/times.js';
import { busyTimeOf, queryPeriods, replacePeriods, type PeriodDbs } from './lmdb-freebusy.js';
import { removeOthers, replaceOthers, setOthers, type OthersDbs } from './lmdb-others.js';
import { noteChange, type ChangeRecord } from './lmdb-changes.js';
import { bindName, freeName, nameOf, uidNamed, unbindName, type NameRecord } from './lmdb-names.js';
import type { VersionDb } from './lmdb-versions.js';
import { BusyDayChanges } from './lmdb-busy-days.js';
import { compareRid, compareText, instant, keyPart, keysWithPrefix, ridKey, valuesWithPrefix } from './lmdb-keys.js';

export interface UserRecord {
  user: string;
  role: Role;
}

/** The named databases of the environment and their key layouts (userK = keyPart(user), and so on). */
export interface StoreDbs {
  /** userK -> {user, role} */
  users: Database<UserRecord, Key>;
  /** userK -> preferences */
  prefs: Database<Preferences, Key>;
  /** [userK, uidK] -> object */
  objects: Database<StoredObject, Key>;
  /** see lmdb-freebusy.ts */
  own: PeriodDbs;
  /** see lmdb-others.ts */
  others: OthersDbs;
  /** [userK, uidK, rid] -> entry */
  requests: Database<RequestEntry, Key>;
  /** [userK, uidK, rid, attendeeK] -> entry */
  counters: Database<CounterEntry, Key>;
  /** [userK, idK] -> item */
  inbox: Database<InboxItem, Key>;
  /** idK -> item (ids are global: the outbox sender finds items by id alone) */
  outbox: Database<OutboxItem, Key>;
  /** [userK, idK] -> true */
  outboxByUser: Database<true, Key>;
  /**
   * [dueMs, idK] -> true for each item still to send (state 'unprocessed'):
   * dueMs is its next attempt's instant, 0 when it has none. `serve` runs the
   * sender after every mail that may have queued something, so it must find
   * what is due without reading the items already sent, which stay for
   * `itip-agent outbox`.
   */
  outboxDue: Database<true, Key>;
  /**
   * The journal, per user: [userK, seq] -> entry, where seq is meta
   * 'journal-seq', counted up in the writing transaction (its order across
   * users is the order of writing); and [userK, messageKeyK] -> the mark of
   * a mail seen, which makes a redelivery a no-op. Numbers sort before text,
   * so a user's entries come first, then the mails seen. Both are written for
   * every mail: one database keeps that to one tree. A mark is a SeenMark,
   * which keeps the message key as given (keyPart may have hashed it in the
   * key, and copying a store needs it whole); marks written before SeenMark
   * existed are the bare time, see Store.listSeen in lmdb-store.ts.
   */
  journal: Database<JournalEntry | SeenMark | string, Key>;
  /** see lmdb-changes.ts */
  changes: Database<ChangeRecord, Key>;
  /** see lmdb-changes.ts */
  tombstones: Database<true, Key>;
  /** see lmdb-names.ts */
  names: Database<NameRecord, Key>;
  /**
   * [userK, messageIdK] -> the iTIP messages a user sent through the outgoing
   * rule, for matching bounces. A store of an earlier format has no such
   * database, which reads as "nothing recorded", so the migration to format 7
   * needs no step for it.
   */
  sent: Database<SentMessage, Key>;
  /** see lmdb-versions.ts */
  versions: VersionDb;
  /** 'format', 'journal-seq', 'period-uid-seq', 'change-seq', and per user ['change-floor', userK], ['tombstones', userK] */
  meta: Database<number, Key>;
}

/** A mail seen (UserTx.markSeen): its message key as given, and when it was first seen. */
export interface SeenMark {
  key: string;
  at: string;
}

const ROLES: readonly Role[] = ['person', 'resource'];

export class LmdbUserTx implements UserTx {
  private readonly userK: string;
  private active = true;
  /** Names asked for objects this transaction may create (nameNewObject). */
  private readonly wishedNames = new Map<string, string>();

  constructor(
    private readonly dbs: StoreDbs,
    readonly user: string,
    /** Reads outside a write transaction (a read view): they see committed data only. */
    private readonly committedReads = false,
  ) {
    this.userK = keyPart(user);
  }

  /** Busy day records to write at the end of the transaction (lmdb-busy-days.ts). */
  private readonly busyDays = new BusyDayChanges();

  /** Called when the transaction callback has returned, before the commit: writes what was gathered. */
  finish(): void {
    this.busyDays.flush(this.dbs.own.days);
  }

  /** Called when the transaction callback has returned or thrown. */
  end(): void {
    this.active = false;
  }

  getRole(): Role | undefined {
    this.check();
    return this.dbs.users.get(this.userK)?.role;
  }

  setRole(role: Role): void {
    this.check();
    if (!ROLES.includes(role)) throw new TypeError(`unknown role ${JSON.stringify(role)}`);
    this.dbs.users.putSync(this.userK, { user: this.user, role });
  }

  getPrefs(): Preferences {
    this.check();
    return sortedPrefs(this.dbs.prefs.get(this.userK));
  }

  setPref(key: string, value: string | null): void {
    this.check();
    if (typeof key !== 'string' || key === '') throw new TypeError('a preference needs a name');
    if (value !== null && typeof value !== 'string') throw new TypeError(`preference ${key} must be a string`);
    // Built from entries, not by assignment: `prefs[key] = value` with the key
    // "__proto__" would set the object's prototype and lose the preference.
    const entries = Object.entries(this.dbs.prefs.get(this.userK) ?? {}).filter(([name]) => name !== key);
    if (value !== null) entries.push([key, value]);
    if (entries.length === 0) this.dbs.prefs.removeSync(this.userK);
    else this.dbs.prefs.putSync(this.userK, Object.fromEntries(entries));
  }

  getObject(uid: string): StoredObject | undefined {
    this.check();
    return this.dbs.objects.get([this.userK, keyPart(uid)]);
  }

  putObject(object: StoredObject): void {
    this.check();
    this.dbs.objects.putSync([this.userK, keyPart(object.uid)], object);
    let name = nameOf(this.dbs.names, this.userK, object.uid);
    if (name === undefined) {
      name = freeName(this.dbs.names, this.userK, object.uid, this.wishedNames.get(object.uid));
      bindName(this.dbs.names, this.userK, object.uid, name);
    }
    noteChange(this.dbs, this.userK, { uid: object.uid, name, deleted: false });
  }

  deleteObject(uid: string): void {
    this.check();
    const key = [this.userK, keyPart(uid)];
    if (this.dbs.objects.get(key) === undefined) return;
    this.dbs.objects.removeSync(key);
    const name = unbindName(this.dbs.names, this.userK, uid);
    if (name !== undefined) noteChange(this.dbs, this.userK, { uid, name, deleted: true });
  }

  objectName(uid: string): string | undefined {
    this.check();
    return nameOf(this.dbs.names, this.userK, uid);
  }

  objectNamed(name: string): string | undefined {
    this.check();
    return uidNamed(this.dbs.names, this.userK, name);
  }

  nameNewObject(uid: string, name: string): void {
    this.check();
    if (typeof name !== 'string' || name === '') throw new TypeError('an object name must not be empty');
    const holder = uidNamed(this.dbs.names, this.userK, name);
    if (holder !== undefined && holder !== uid) throw new Error(`the name ${JSON.stringify(name)} belongs to the object ${JSON.stringify(holder)}`);
    this.wishedNames.set(uid, name);
  }

  setOwnPeriods(uid: string, periods: Period[]): void {
    this.check();
    replacePeriods(this.dbs.own, this.userK, uid, periods, this.busyDays);
  }

  setOthersPeriods(uid: string, participant: string, periods: OthersPeriod[]): void {
    this.check();
    setOthers(this.dbs.others, this.userK, uid, participant, periods);
  }

  replaceOthersPeriods(uid: string, periods: OthersPeriod[]): void {
    this.check();
    replaceOthers(this.dbs.others, this.userK, uid, periods);
  }

  removeOthersPeriods(uid: string, participant?: string): void {
    this.check();
    removeOthers(this.dbs.others, this.userK, uid, participant);
  }

  freeBusy(query: Partial<TimeRange> = {}): Period[] {
    this.check();
    const fromMs = query.from === undefined ? undefined : instant(query.from, 'from');
    const toMs = query.to === undefined ? undefined : instant(query.to, 'to');
    if (fromMs !== undefined && toMs !== undefined && fromMs >= toMs) return [];
    return queryPeriods(this.dbs.own, this.userK, fromMs, toMs, this.committedReads);
  }

  busyTime(range: TimeRange): BusyTime[] {
    this.check();
    this.busyDays.flush(this.dbs.own.days);
    return busyTimeOf(this.dbs.own, this.userK, range);
  }

  putRequest(entry: RequestEntry): void {
    this.check();
    this.dbs.requests.putSync([this.userK, keyPart(entry.uid), ridKey(entry.recurrenceId)], entry);
  }

  removeRequests(uid: string, recurrenceId?: string | null): void {
    this.check();
    if (recurrenceId !== undefined) {
      this.dbs.requests.removeSync([this.userK, keyPart(uid), ridKey(recurrenceId)]);
      return;
    }
    for (const key of keysWithPrefix(this.dbs.requests, [this.userK, keyPart(uid)])) {
      this.dbs.requests.removeSync(key);
    }
  }

  listRequests(uid: string): RequestEntry[] {
    this.check();
    return valuesWithPrefix(this.dbs.requests, [this.userK, keyPart(uid)]).sort(compareRequests);
  }

  putCounter(entry: CounterEntry): void {
    this.check();
    const key = [this.userK, keyPart(entry.uid), ridKey(entry.recurrenceId), keyPart(entry.attendee)];
    this.dbs.counters.putSync(key, entry);
  }

  /** Removes the UID's counters: undefined recurrenceId or attendee matches any. */
  removeCounters(uid: string, recurrenceId?: string | null, attendee?: string): void {
    this.check();
    const prefix: Key[] = [this.userK, keyPart(uid)];
    if (recurrenceId !== undefined) prefix.push(ridKey(recurrenceId));
    const attendeeK = attendee === undefined ? undefined : keyPart(attendee);
    for (const key of keysWithPrefix(this.dbs.counters, prefix)) {
      if (attendeeK === undefined || key[3] === attendeeK) this.dbs.counters.removeSync(key);
    }
  }

  listCounters(uid: string): CounterEntry[] {
    this.check();
    return valuesWithPrefix(this.dbs.counters, [this.userK, keyPart(uid)]).sort(compareCounters);
  }

  addInbox(item: InboxItem): void {
    this.check();
    this.dbs.inbox.putSync([this.userK, keyPart(item.id)], item);
  }

  removeInbox(id: string): boolean {
    this.check();
    const key = [this.userK, keyPart(id)];
    if (this.dbs.inbox.get(key) === undefined) return false;
    this.dbs.inbox.removeSync(key);
    return true;
  }

  addOutbox(item: OutboxItem): void {
    this.check();
    if (item.user !== this.user) {
      throw new Error(`outbox item ${item.id} belongs to ${item.user}, not to ${this.user}`);
    }
    putOutboxItem(this.dbs, item);
  }

  addJournal(entry: JournalEntry): void {
    this.check();
    // The counter lives in the same transaction: concurrent writers (threads
    // or processes) are serialised by LMDB's write lock, so numbers never repeat.
    const seq = (this.dbs.meta.get('journal-seq') ?? 0) + 1;
    this.dbs.meta.putSync('journal-seq', seq);
    this.dbs.journal.putSync([this.userK, seq], entry);
  }

  putSent(record: SentMessage): void {
    this.check();
    if (typeof record?.messageId !== 'string' || record.messageId === '') throw new TypeError('a sent message needs its Message-ID');
    this.dbs.sent.putSync([this.userK, keyPart(record.messageId)], record);
  }

  getSent(messageId: string): SentMessage | undefined {
    this.check();
    if (typeof messageId !== 'string' || messageId === '') return undefined;
    return this.dbs.sent.get([this.userK, keyPart(messageId)]);
  }

  hasSeen(messageKey: string): boolean {
    this.check();
    return this.dbs.journal.get([this.userK, keyPart(messageKey)]) !== undefined;
  }

  markSeen(messageKey: string, at: string): void {
    this.check();
    const mark: SeenMark = { key: messageKey, at };
    this.dbs.journal.putSync([this.userK, keyPart(messageKey)], mark);
  }

  private check(): void {
    if (!this.active) throw new Error(`the transaction for ${this.user} has ended`);
  }
}

/**
 * Stores an outbox item and keeps its indexes right: per user (also when an
 * existing id moves to another user) and by due time. Used by addOutbox and
 * Store.updateOutbox.
 */
export function putOutboxItem(dbs: StoreDbs, item: OutboxItem): void {
  const idK = keyPart(item.id);
  const previous = dbs.outbox.get(idK);
  if (previous && previous.user !== item.user) dbs.outboxByUser.removeSync([keyPart(previous.user), idK]);
  if (previous?.state === 'unprocessed') dbs.outboxDue.removeSync(outboxDueKey(previous, idK));
  dbs.outbox.putSync(idK, item);
  dbs.outboxByUser.putSync([keyPart(item.user), idK], true);
  if (item.state === 'unprocessed') dbs.outboxDue.putSync(outboxDueKey(item, idK), true);
}

/** An item's key in the due index: a next attempt that is missing or does not parse is due at once. */
export function outboxDueKey(item: OutboxItem, idK: string): Key[] {
  const at = item.nextAttempt ? parseInstant(item.nextAttempt) : NaN;
  return [Number.isNaN(at) ? 0 : at, idK];
}

/** A copy with keys in sorted order, so that JSON output is stable. */
export function sortedPrefs(prefs: Preferences | undefined): Preferences {
  // Object.fromEntries defines own properties, so a key such as "__proto__" survives.
  return Object.fromEntries(Object.entries(prefs ?? {}).sort(([a], [b]) => compareText(a, b)));
}

export function compareRequests(a: RequestEntry, b: RequestEntry): number {
  return compareText(a.uid, b.uid) || compareRid(a.recurrenceId, b.recurrenceId);
}

export function compareCounters(a: CounterEntry, b: CounterEntry): number {
  return (
    compareText(a.uid, b.uid) ||
    compareRid(a.recurrenceId, b.recurrenceId) ||
    compareText(a.attendee, b.attendee)
  );
}

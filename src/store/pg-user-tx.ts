// One user's view inside a PostgreSQL write transaction.
//
// UserTx is synchronous, and a query is not. So a run of the callback answers
// reads from rows fetched earlier in the same SQL transaction (Fetched) plus
// the run's own writes. A read of something not fetched yet records what it
// needs and answers as an empty store would, so that the run goes on and
// gathers everything it needs (see guess); past a bound it throws
// MissingData. A run that needed anything is thrown away: the store fetches
// what was recorded and runs the callback again from the start, with the
// user's row still locked, until a run needs nothing new (pg-store.ts). The
// needs are recorded on the view, so a callback that catches the signal (or
// wraps it in an error of its own) is found out all the same.
//
// Writes are collected as their net effect per table (pg-write-set.ts) and
// sent as a few multi-row statements once the last run has returned; a run
// that is thrown away leaves nothing behind.

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
import { defaultObjectName, digestName } from './lmdb-names.js';
import { compareText } from './lmdb-keys.js';
import { BUSY_DAYS_REWRITE, LONG_PERIOD_MS, compareCounters, daysOf, compareOwn, compareRequests, joinBusy, periodRows, rangeOf, ridKey, type TimedPeriod } from './pg-rows.js';
import { pruneTombstones, type Statement } from './pg-writes.js';
import { WriteSet } from './pg-write-set.js';
import { MissingData, rangeKey, type Fetched, type Need, type ObjectState } from './pg-fetched.js';

const ROLES: readonly Role[] = ['person', 'resource'];

/** Needs one run may gather by answering as an empty store (see guess). */
const MAX_GUESSES = 10_000;

type Entries = Map<string, string>;

export class PgUserTx implements UserTx {
  readonly needs: Need[] = [];
  private readonly needKeys = new Set<string>();
  private readonly writes: WriteSet;
  private active = true;
  private role: Role | undefined;
  private readonly prefs: Map<string, string>;
  private readonly objects = new Map<string, ObjectState>();
  private readonly names = new Map<string, string | null>();
  private readonly wishedNames = new Map<string, string>();
  /** UID -> the entries as this run left them (key: recurrence id, or recurrence id and attendee) */
  private readonly requests = new Map<string, Entries>();
  private readonly counters = new Map<string, Entries>();
  private readonly ownPeriods = new Map<string, TimedPeriod[]>();
  private readonly inbox = new Map<string, boolean>();
  private readonly sent = new Map<string, string>();
  private readonly seen = new Set<string>();
  private removals = false;
  /** UTC days whose busy record must be written again (pg-rows.ts). */
  private readonly busyDays = new Set<number>();
  private readonly userId: number;

  constructor(
    readonly user: string,
    private readonly fetched: Fetched,
  ) {
    this.userId = fetched.userId;
    this.writes = new WriteSet(fetched.userId);
    this.role = fetched.role;
    this.prefs = new Map(fetched.prefs);
  }

  /** Called when the run has returned or thrown. */
  end(): void {
    this.active = false;
  }

  /**
   * The run's writes: every table's removals, then every table's rows, then
   * the user's row with its version counted up. (The removals come first: a
   * key removed and put again in the run is deleted, then inserted anew.)
   */
  finish(): Statement[] {
    const removedOwn = (removed: Array<Record<string, unknown>>): void => {
      // The days of the periods removed get their busy records written again (busyDaysRewrite).
      for (const row of removed) if (!row.long) for (const day of daysOf(row.start_ms as number, row.end_ms as number)) this.busyDays.add(day);
    };
    const out = [...this.writes.removalStatements(removedOwn), ...this.writes.insertStatements()];
    out.push({
      text: 'UPDATE users SET role = $2, prefs = $3, version = version + 1 WHERE id = $1',
      values: [this.userId, this.role ?? null, JSON.stringify([...this.prefs])],
    });
    if (this.removals) {
      // Keep the latest KEPT_REMOVALS removals; forgetting older ones raises the floor (Store.objectChanges).
      // After the change log's rows are written: it reads them.
      out.push(pruneTombstones(this.userId));
    }
    return out;
  }

  /** After the run's writes were sent: the statement that writes the touched days' busy records again. */
  busyDaysRewrite(): Statement | undefined {
    if (this.busyDays.size === 0) return undefined;
    return { text: BUSY_DAYS_REWRITE, values: [this.userId, [...this.busyDays]] };
  }

  getRole(): Role | undefined {
    this.check();
    return this.role;
  }

  setRole(role: Role): void {
    this.check();
    if (!ROLES.includes(role)) throw new TypeError(`unknown role ${JSON.stringify(role)}`);
    this.role = role;
  }

  getPrefs(): Preferences {
    this.check();
    return Object.fromEntries([...this.prefs].sort(([a], [b]) => compareText(a, b)));
  }

  setPref(name: string, value: string | null): void {
    this.check();
    if (typeof name !== 'string' || name === '') throw new TypeError('a preference needs a name');
    if (value !== null && typeof value !== 'string') throw new TypeError(`preference ${name} must be a string`);
    if (value === null) this.prefs.delete(name);
    else this.prefs.set(name, value);
  }

  getObject(uid: string): StoredObject | undefined {
    this.check();
    const { data } = this.objectState(uid);
    return data === undefined ? undefined : (JSON.parse(data) as StoredObject);
  }

  putObject(object: StoredObject): void {
    this.check();
    const uid = object.uid;
    const state = this.objectStateOrNote(uid);
    if (state === undefined) {
      // Not fetched: the run goes on (a bulk write then needs one more run, not
      // one per object), and is run again once the object is fetched.
      this.objects.set(uid, { data: JSON.stringify(object), name: defaultObjectName(uid) });
      return;
    }
    let name = state.name;
    if (name === undefined) {
      name = this.freeName(uid);
      this.names.set(name, uid);
    }
    const data = JSON.stringify(object);
    this.objects.set(uid, { data, name });
    this.writes.putObject(uid, name, data);
    this.noteChange(uid, name, false);
  }

  deleteObject(uid: string): void {
    this.check();
    const state = this.objectStateOrNote(uid);
    this.objects.set(uid, { data: undefined, name: undefined });
    if (state?.data === undefined) return;
    this.writes.deleteObject(uid);
    if (state.name !== undefined) {
      this.names.set(state.name, null);
      this.noteChange(uid, state.name, true);
    }
  }

  objectName(uid: string): string | undefined {
    this.check();
    return this.objectState(uid).name;
  }

  objectNamed(name: string): string | undefined {
    this.check();
    return this.uidNamed(name);
  }

  nameNewObject(uid: string, name: string): void {
    this.check();
    if (typeof name !== 'string' || name === '') throw new TypeError('an object name must not be empty');
    const holder = this.uidNamed(name);
    if (holder !== undefined && holder !== uid) throw new Error(`the name ${JSON.stringify(name)} belongs to the object ${JSON.stringify(holder)}`);
    this.wishedNames.set(uid, name);
  }

  setOwnPeriods(uid: string, periods: Period[]): void {
    this.check();
    const rows = periodRows(uid, periods);
    this.ownPeriods.set(uid, rows);
    this.writes.setOwnPeriods(uid, rows);
    // The days of the periods added get their busy records written again (busyDaysRewrite), as do those of the ones removed (finish).
    for (const row of rows) {
      if (row.endMs - row.startMs <= LONG_PERIOD_MS) for (const day of daysOf(row.startMs, row.endMs)) this.busyDays.add(day);
    }
  }

  setOthersPeriods(uid: string, participant: string, periods: OthersPeriod[]): void {
    this.check();
    const rows = periodRows(uid, periods);
    this.writes.removeOthersPeriods(uid, participant);
    this.writes.addOthersPeriods(uid, participant, rows);
  }

  replaceOthersPeriods(uid: string, periods: OthersPeriod[]): void {
    this.check();
    const byParticipant = new Map<string, OthersPeriod[]>();
    for (const period of periods) {
      const list = byParticipant.get(period.participant) ?? [];
      list.push(period);
      byParticipant.set(period.participant, list);
    }
    const checked = [...byParticipant].map(([participant, theirs]) => [participant, periodRows(uid, theirs)] as const);
    this.writes.removeOthersPeriods(uid);
    for (const [participant, rows] of checked) this.writes.addOthersPeriods(uid, participant, rows);
  }

  removeOthersPeriods(uid: string, participant?: string): void {
    this.check();
    this.writes.removeOthersPeriods(uid, participant);
  }

  freeBusy(query: Partial<TimeRange> = {}): Period[] {
    this.check();
    const { fromMs, toMs } = rangeOf(query);
    if (fromMs >= toMs) return [];
    return this.periodsIn(fromMs, toMs).map((p) => p.period);
  }

  busyTime(range: TimeRange): BusyTime[] {
    this.check();
    const { fromMs, toMs } = rangeOf(range);
    if (fromMs >= toMs) return [];
    return joinBusy(this.periodsIn(fromMs, toMs), fromMs, toMs);
  }

  putRequest(entry: RequestEntry): void {
    this.check();
    const rid = ridKey(entry.recurrenceId);
    const data = JSON.stringify(entry);
    this.writes.putRequest(entry.uid, rid, data);
    this.entries(this.requests, this.fetched.requests, entry.uid, ridOfRequest)?.set(rid, data);
  }

  removeRequests(uid: string, recurrenceId?: string | null): void {
    this.check();
    const rid = recurrenceId === undefined ? null : ridKey(recurrenceId);
    this.writes.removeRequests(uid, rid);
    const entries = this.entries(this.requests, this.fetched.requests, uid, ridOfRequest);
    if (rid === null) entries?.clear();
    else entries?.delete(rid);
  }

  listRequests(uid: string): RequestEntry[] {
    this.check();
    return this.list<RequestEntry>(this.requests, this.fetched.requests, uid, ridOfRequest).sort(compareRequests);
  }

  putCounter(entry: CounterEntry): void {
    this.check();
    const rid = ridKey(entry.recurrenceId);
    const data = JSON.stringify(entry);
    this.writes.putCounter(entry.uid, rid, entry.attendee, data);
    this.entries(this.counters, this.fetched.counters, entry.uid, counterKey)?.set(counterKey(entry), data);
  }

  removeCounters(uid: string, recurrenceId?: string | null, attendee?: string): void {
    this.check();
    const rid = recurrenceId === undefined ? null : ridKey(recurrenceId);
    this.writes.removeCounters(uid, rid, attendee);
    const entries = this.entries(this.counters, this.fetched.counters, uid, counterKey);
    if (!entries) return;
    for (const [entryKey, data] of [...entries]) {
      const entry = JSON.parse(data) as CounterEntry;
      if ((rid === null || ridKey(entry.recurrenceId) === rid) && (attendee === undefined || entry.attendee === attendee)) entries.delete(entryKey);
    }
  }

  listCounters(uid: string): CounterEntry[] {
    this.check();
    return this.list<CounterEntry>(this.counters, this.fetched.counters, uid, counterKey).sort(compareCounters);
  }

  addInbox(item: InboxItem): void {
    this.check();
    this.writes.putInbox(item.id, JSON.stringify(item));
    this.inbox.set(item.id, true);
  }

  removeInbox(id: string): boolean {
    this.check();
    const there = this.inbox.get(id) ?? this.known(this.fetched.inbox, id, { kind: 'inbox', id }, false);
    if (!there) return false;
    this.writes.removeInbox(id);
    this.inbox.set(id, false);
    return true;
  }

  addOutbox(item: OutboxItem): void {
    this.check();
    if (item.user !== this.user) throw new Error(`outbox item ${item.id} belongs to ${item.user}, not to ${this.user}`);
    this.writes.putOutbox(item);
  }

  addJournal(entry: JournalEntry): void {
    this.check();
    this.writes.addJournal(JSON.stringify(entry));
  }

  putSent(record: SentMessage): void {
    this.check();
    if (typeof record?.messageId !== 'string' || record.messageId === '') throw new TypeError('a sent message needs its Message-ID');
    const data = JSON.stringify(record);
    this.writes.putSent(record.messageId, data);
    this.sent.set(record.messageId, data);
  }

  getSent(messageId: string): SentMessage | undefined {
    this.check();
    if (typeof messageId !== 'string' || messageId === '') return undefined;
    const data = this.sent.get(messageId) ?? this.known(this.fetched.sent, messageId, { kind: 'sent', messageId }, null);
    return data === null ? undefined : (JSON.parse(data) as SentMessage);
  }

  hasSeen(messageKey: string): boolean {
    this.check();
    if (this.seen.has(messageKey)) return true;
    return this.known(this.fetched.seen, messageKey, { kind: 'seen', messageKey }, false);
  }

  markSeen(messageKey: string, at: string): void {
    this.check();
    this.writes.markSeen(messageKey, at);
    this.seen.add(messageKey);
  }

  // -------------------------------------------------------------------------

  private check(): void {
    if (!this.active) throw new Error(`the transaction for ${this.user} has ended`);
  }

  /** Records the need and stops the run. */
  private need(need: Need): never {
    this.note(need);
    throw new MissingData(`${need.kind} not fetched yet`);
  }

  /**
   * Records the need and answers as an empty store would: the run goes on and
   * gathers what else it needs, so that one fetch serves all of it (a mail's
   * reads then take one round, not one each). The run is thrown away, so what
   * it did with the guess does not count. Past MAX_GUESSES the run stops.
   */
  private guess<V>(need: Need, value: V): V {
    this.note(need);
    if (this.needs.length > MAX_GUESSES) this.need(need);
    return value;
  }

  /** Records the need; the run goes on, and is thrown away once it ends. */
  private note(need: Need): void {
    const text = JSON.stringify(need);
    if (!this.needKeys.has(text)) {
      this.needKeys.add(text);
      this.needs.push(need);
    }
  }

  /** The object's state for a write: undefined (the need noted) when it was not fetched. */
  private objectStateOrNote(uid: string): ObjectState | undefined {
    if (typeof uid !== 'string') throw new TypeError('a UID must be a string');
    const state = this.objects.get(uid) ?? this.fetched.objects.get(uid);
    if (state === undefined) this.note({ kind: 'uid', uid });
    return state;
  }

  private known<V>(map: Map<string, V>, at: string, need: Need, guess: V): V {
    if (map.has(at)) return map.get(at)!;
    return this.guess(need, guess);
  }

  private objectState(uid: string): ObjectState {
    if (typeof uid !== 'string') throw new TypeError('a UID must be a string');
    return this.objects.get(uid) ?? this.known(this.fetched.objects, uid, { kind: 'uid', uid }, { data: undefined, name: undefined });
  }

  private uidNamed(name: string): string | undefined {
    const holder = this.names.has(name) ? this.names.get(name) : this.known(this.fetched.names, name, { kind: 'name', name }, null);
    return holder ?? undefined;
  }

  /** A free name for a new object (as lmdb-names.ts freeName chooses). */
  private freeName(uid: string): string {
    const candidates = [this.wishedNames.get(uid), defaultObjectName(uid), digestName(uid)];
    for (const name of candidates) if (name !== undefined && this.uidNamed(name) === undefined) return name;
    for (let n = 2; ; n++) {
      const name = digestName(uid).replace(/\.ics$/, `-${n}.ics`);
      if (this.uidNamed(name) === undefined) return name;
    }
  }

  private noteChange(uid: string, name: string, deleted: boolean): void {
    this.writes.noteChange(uid, name, deleted);
    if (deleted) this.removals = true;
  }

  /** The UID's entries as this run has them; undefined when they were not fetched (writes then need no copy). */
  private entries(mine: Map<string, Entries>, fetched: Map<string, string[]>, uid: string, keyOf: (entry: never) => string): Entries | undefined {
    let entries = mine.get(uid);
    if (entries) return entries;
    const rows = fetched.get(uid);
    if (!rows) return undefined;
    entries = new Map(rows.map((data) => [keyOf(JSON.parse(data) as never), data]));
    mine.set(uid, entries);
    return entries;
  }

  private list<E>(mine: Map<string, Entries>, fetched: Map<string, string[]>, uid: string, keyOf: (entry: never) => string): E[] {
    const entries = this.entries(mine, fetched, uid, keyOf);
    // A write to entries not fetched left no copy: the fetch and the next run see it in order.
    if (!entries) return this.guess({ kind: 'uid', uid }, []);
    return [...entries.values()].map((data) => JSON.parse(data) as E);
  }

  /** Own periods overlapping [fromMs, toMs), with this run's replacements, sorted. */
  private periodsIn(fromMs: number, toMs: number): TimedPeriod[] {
    const stored = this.known(this.fetched.periods, rangeKey(fromMs, toMs), { kind: 'periods', fromMs, toMs }, []);
    const out = stored.filter((p) => !this.ownPeriods.has(p.period.uid));
    for (const rows of this.ownPeriods.values()) {
      for (const row of rows) if (row.startMs < toMs && row.endMs > fromMs) out.push(row);
    }
    return out.sort(compareOwn);
  }
}

const ridOfRequest = (entry: RequestEntry): string => ridKey(entry.recurrenceId);
const counterKey = (entry: CounterEntry): string => JSON.stringify([entry.recurrenceId ?? null, entry.attendee]);

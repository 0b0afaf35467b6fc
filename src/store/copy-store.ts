// Copying every user's data from one store to another (`itip-agent store copy`),
// so that a site can move between LMDB and PostgreSQL. It works through the
// Store interface alone, so any two implementations can be source and target.
//
// Per user: a consistent read of the source and of the target, a plan of the
// writes that make the target equal to the source, and one commitIf on the
// target with the version its read saw. A user whose target already equals the
// source gets no write at all, so a second run changes nothing (not even the
// CalDAV change log). The change log itself and its sync tokens are not copied:
// the target makes its own as it writes, and CalDAV clients resync (RFC 6578
// section 3.7: a token the server does not know starts a full sync).

import { isDeepStrictEqual } from 'node:util';
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
import type { Store, UserTx } from './store.js';

/** One user's data as the Store interface reads it. */
export interface UserData {
  role: Role | undefined;
  prefs: Preferences;
  objects: Array<{ object: StoredObject; name: string | undefined }>;
  own: Period[];
  others: OthersPeriod[];
  requests: RequestEntry[];
  counters: CounterEntry[];
  inbox: InboxItem[];
  outbox: OutboxItem[];
  journal: JournalEntry[];
  seen: Array<{ key: string; at: string }>;
  sent: SentMessage[];
}

/** The kinds of data counted in the summary. */
export const COPY_KINDS = ['objects', 'ownPeriods', 'othersPeriods', 'requests', 'counters', 'inbox', 'outbox', 'journal', 'seen', 'sent', 'prefs'] as const;
export type CopyKind = (typeof COPY_KINDS)[number];
export type KindCounts = Record<CopyKind, number>;

export type UserOutcome = 'copied' | 'unchanged' | 'refused';

export interface UserReport {
  user: string;
  outcome: UserOutcome;
  /** Why a user was refused: what differs, and what to do. */
  reason?: string;
  /** What the source holds for the user, per kind. */
  counts: KindCounts;
  /**
   * Target data the source does not have and the Store interface cannot
   * remove (outbox items, seen marks, sent records): kept as they are.
   */
  kept: { outbox: number; seen: number; sent: number };
}

export interface CopySummary {
  users: number;
  copied: number;
  unchanged: number;
  refused: Array<{ user: string; reason: string }>;
  objects: number;
  /** Per kind, what the source holds for the users copied or found equal. */
  counts: KindCounts;
}

export interface CopyOptions {
  /** Called after each user, in order. */
  onUser?: (report: UserReport, done: number, total: number) => void;
}

/** How often a user's read is retried when a commit lands in the middle of it. */
const READ_ATTEMPTS = 10;
/** How often a user's commit is retried when the target changed since it was read. */
const COMMIT_ATTEMPTS = 10;
/** Name lookups in flight at once: a store on another host answers them in parallel. */
const NAME_BATCH = 64;

/** Something the copy cannot do for a user; the user is refused and the copy goes on. */
export class CopyRefusal extends Error {
  override name = 'CopyRefusal';
}

export function emptyCounts(): KindCounts {
  return Object.fromEntries(COPY_KINDS.map((kind) => [kind, 0])) as KindCounts;
}

/** Reads everything of the user through the Store interface (the names in one read when the store can). */
async function readAll(store: Store, user: string): Promise<UserData> {
  const [role, prefs, objects, own, others, requests, counters, inbox, outbox, journal, seen, sent] = await Promise.all([
    store.getRole(user),
    store.getPrefs(user),
    store.listObjects(user),
    store.freeBusy(user) as Promise<Period[]>,
    store.freeBusy(user, { others: true }) as Promise<OthersPeriod[]>,
    store.listRequests(user),
    store.listCounters(user),
    store.listInbox(user),
    store.listOutbox(user),
    store.listJournal(user),
    store.listSeen(user),
    store.listSent(user),
  ]);
  if (store.listObjectNames) {
    const names = await store.listObjectNames(user);
    return { role, prefs, objects: objects.map((object) => ({ object, name: names.get(object.uid) })), own, others, requests, counters, inbox, outbox, journal, seen, sent };
  }
  const named: UserData['objects'] = [];
  for (let i = 0; i < objects.length; i += NAME_BATCH) {
    const batch = objects.slice(i, i + NAME_BATCH);
    const names = await Promise.all(batch.map((object) => store.objectName(user, object.uid)));
    batch.forEach((object, j) => named.push({ object, name: names[j] }));
  }
  return { role, prefs, objects: named, own, others, requests, counters, inbox, outbox, journal, seen, sent };
}

/**
 * A consistent read of one user: the reads count only if the user's version
 * is the same before and after them (every transact and commitIf counts it
 * up). Resolves with that version, which a commitIf on the same store then
 * checks again.
 */
export async function readUserData(store: Store, user: string): Promise<{ version: number; data: UserData }> {
  for (let attempt = 1; ; attempt++) {
    const before = (await store.readUser(user, () => undefined)).version;
    const data = await readAll(store, user);
    const after = (await store.readUser(user, () => undefined)).version;
    if (before === after) return { version: before, data };
    if (attempt >= READ_ATTEMPTS) {
      throw new CopyRefusal(`${user} changed during each of ${READ_ATTEMPTS} reads; stop the agents that write to the stores and run the copy again`);
    }
  }
}

/** The value as JSON would carry it: properties that are undefined do not count as a difference. */
function plain(value: unknown): unknown {
  return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
}

function same(a: unknown, b: unknown): boolean {
  return isDeepStrictEqual(plain(a), plain(b));
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A fixed order for the periods of one UID, so that two stores' listings compare equal when they hold the same. */
function comparePeriods(a: Period | OthersPeriod, b: Period | OthersPeriod): number {
  return (
    compareText(a.start, b.start) ||
    compareText(a.end, b.end) ||
    compareText(a.recurrenceId ?? '', b.recurrenceId ?? '') ||
    compareText(a.fbtype, b.fbtype) ||
    compareText('participant' in a ? a.participant : '', 'participant' in b ? b.participant : '')
  );
}

function groupBy<T>(items: T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}

function byKey<T>(items: T[], key: (item: T) => string): Map<string, T> {
  return new Map(items.map((item) => [key(item), item]));
}

function unionKeys<A, B>(a: Map<string, A>, b: Map<string, B>): string[] {
  return [...new Set([...a.keys(), ...b.keys()])];
}

export function countsOf(data: UserData): KindCounts {
  return {
    objects: data.objects.length,
    ownPeriods: data.own.length,
    othersPeriods: data.others.length,
    requests: data.requests.length,
    counters: data.counters.length,
    inbox: data.inbox.length,
    outbox: data.outbox.length,
    journal: data.journal.length,
    seen: data.seen.length,
    sent: data.sent.length,
    prefs: Object.keys(data.prefs).length,
  };
}

export interface CopyPlan {
  /** The writes that make the target equal to the source, in order; empty when it is already. */
  writes: Array<(tx: UserTx) => void>;
  kept: UserReport['kept'];
}

/**
 * The writes that make the target's data of the user equal to the source's.
 * Throws CopyRefusal when the target's journal is not a prefix of the
 * source's: the journal is only ever appended to, so such a target holds a
 * history the source does not, and copying over it would lose it.
 */
export function planCopy(user: string, source: UserData, target: UserData): CopyPlan {
  const writes: CopyPlan['writes'] = [];

  const diverges = target.journal.findIndex((entry, i) => i >= source.journal.length || !same(entry, source.journal[i]));
  if (diverges >= 0) {
    throw new CopyRefusal(
      `the target's journal of ${user} is not a beginning of the source's (entry ${diverges + 1} of ${target.journal.length} differs or is missing from the source's ${source.journal.length}); ` +
        'the target has a history of its own: copy this user into an empty store, or remove the user from the target first',
    );
  }

  if (source.role !== undefined && source.role !== target.role) writes.push((tx) => tx.setRole(source.role!));

  for (const key of unionKeys(new Map(Object.entries(source.prefs)), new Map(Object.entries(target.prefs)))) {
    const value = Object.hasOwn(source.prefs, key) ? source.prefs[key]! : null;
    const current = Object.hasOwn(target.prefs, key) ? target.prefs[key]! : null;
    if (value !== current) writes.push((tx) => tx.setPref(key, value));
  }

  planObjects(source, target, writes);
  planPeriods(source, target, writes);

  planByUid(source.requests, target.requests, writes, (tx, uid, entries) => {
    tx.removeRequests(uid);
    for (const entry of entries) tx.putRequest(entry);
  });
  planByUid(source.counters, target.counters, writes, (tx, uid, entries) => {
    tx.removeCounters(uid);
    for (const entry of entries) tx.putCounter(entry);
  });

  const sourceInbox = byKey(source.inbox, (item) => item.id);
  const targetInbox = byKey(target.inbox, (item) => item.id);
  for (const id of unionKeys(sourceInbox, targetInbox)) {
    const item = sourceInbox.get(id);
    const current = targetInbox.get(id);
    if (same(item, current)) continue;
    writes.push((tx) => {
      if (current) tx.removeInbox(id);
      if (item) tx.addInbox(item);
    });
  }

  // Outbox items, seen marks and sent records are replaced or added; the
  // Store interface has no way to remove them, so the target's own extra
  // ones stay (and are reported).
  const targetOutbox = byKey(target.outbox, (item) => item.id);
  for (const item of source.outbox) {
    if (!same(item, targetOutbox.get(item.id))) writes.push((tx) => tx.addOutbox(item));
  }
  const targetSeen = byKey(target.seen, (mark) => mark.key);
  for (const mark of source.seen) {
    if (targetSeen.get(mark.key)?.at !== mark.at) writes.push((tx) => tx.markSeen(mark.key, mark.at));
  }
  const targetSent = byKey(target.sent, (record) => record.messageId);
  for (const record of source.sent) {
    if (!same(record, targetSent.get(record.messageId))) writes.push((tx) => tx.putSent(record));
  }

  for (const entry of source.journal.slice(target.journal.length)) writes.push((tx) => tx.addJournal(entry));

  const sourceOutboxIds = new Set(source.outbox.map((item) => item.id));
  const sourceSeenKeys = new Set(source.seen.map((mark) => mark.key));
  const sourceSentIds = new Set(source.sent.map((record) => record.messageId));
  return {
    writes,
    kept: {
      outbox: target.outbox.filter((item) => !sourceOutboxIds.has(item.id)).length,
      seen: target.seen.filter((mark) => !sourceSeenKeys.has(mark.key)).length,
      sent: target.sent.filter((record) => !sourceSentIds.has(record.messageId)).length,
    },
  };
}

/**
 * Objects keep their names (the CalDAV resource names a client PUT them
 * under, RFC 4791 section 5.3.2): an object new to the target is named with
 * nameNewObject before putObject. An object the target holds under another
 * name is removed and made again under the source's name. The removals come
 * first, so that every name the source uses is free when it is given.
 */
/** Per UID: where the source's entries differ from the target's, a write that replaces the target's with them. */
function planByUid<T extends { uid: string }>(
  source: T[],
  target: T[],
  writes: CopyPlan['writes'],
  replace: (tx: UserTx, uid: string, entries: T[]) => void,
): void {
  const sourceByUid = groupBy(source, (entry) => entry.uid);
  const targetByUid = groupBy(target, (entry) => entry.uid);
  for (const uid of unionKeys(sourceByUid, targetByUid)) {
    const entries = sourceByUid.get(uid) ?? [];
    if (!same(entries, targetByUid.get(uid) ?? [])) writes.push((tx) => replace(tx, uid, entries));
  }
}

function planObjects(source: UserData, target: UserData, writes: CopyPlan['writes']): void {
  const targetObjects = byKey(target.objects, (entry) => entry.object.uid);
  const sourceUids = new Set(source.objects.map((entry) => entry.object.uid));
  const renamed = new Set<string>();
  for (const { object } of target.objects) {
    if (!sourceUids.has(object.uid)) writes.push((tx) => tx.deleteObject(object.uid));
  }
  for (const { object, name } of source.objects) {
    const current = targetObjects.get(object.uid);
    if (current && name !== undefined && current.name !== name) {
      renamed.add(object.uid);
      writes.push((tx) => tx.deleteObject(object.uid));
    }
  }
  for (const { object, name } of source.objects) {
    const current = renamed.has(object.uid) ? undefined : targetObjects.get(object.uid);
    if (current && same(current.object, object)) continue;
    writes.push((tx) => {
      if (!current && name !== undefined) tx.nameNewObject(object.uid, name);
      tx.putObject(object);
    });
  }
}

/** Own periods per UID (setOwnPeriods), others' periods per UID with every participant (replaceOthersPeriods). */
function planPeriods(source: UserData, target: UserData, writes: CopyPlan['writes']): void {
  const sourceOwn = groupBy([...source.own].sort(comparePeriods), (p) => p.uid);
  const targetOwn = groupBy([...target.own].sort(comparePeriods), (p) => p.uid);
  for (const uid of unionKeys(sourceOwn, targetOwn)) {
    const periods = sourceOwn.get(uid) ?? [];
    if (!same(periods, targetOwn.get(uid) ?? [])) writes.push((tx) => tx.setOwnPeriods(uid, periods));
  }
  const sourceOthers = groupBy([...source.others].sort(comparePeriods), (p) => p.uid);
  const targetOthers = groupBy([...target.others].sort(comparePeriods), (p) => p.uid);
  for (const uid of unionKeys(sourceOthers, targetOthers)) {
    const periods = sourceOthers.get(uid);
    if (same(periods ?? [], targetOthers.get(uid) ?? [])) continue;
    writes.push((tx) => (periods ? tx.replaceOthersPeriods(uid, periods) : tx.removeOthersPeriods(uid)));
  }
}

/**
 * Makes the target's data of one user equal to the source's, in one commit.
 * A target changed between its read and the commit (an agent still writing)
 * is read again and planned again.
 */
export async function copyUser(from: Store, to: Store, user: string): Promise<UserReport> {
  const source = (await readUserData(from, user)).data;
  const counts = countsOf(source);
  for (let attempt = 1; attempt <= COMMIT_ATTEMPTS; attempt++) {
    const { version, data: target } = await readUserData(to, user);
    let plan: CopyPlan;
    try {
      plan = planCopy(user, source, target);
    } catch (error) {
      if (error instanceof CopyRefusal) return { user, outcome: 'refused', reason: error.message, counts, kept: { outbox: 0, seen: 0, sent: 0 } };
      throw error;
    }
    if (plan.writes.length === 0) return { user, outcome: 'unchanged', counts, kept: plan.kept };
    const result = await to.commitIf(user, version, (tx) => {
      for (const write of plan.writes) write(tx);
    });
    if (result.committed) return { user, outcome: 'copied', counts, kept: plan.kept };
  }
  return {
    user,
    outcome: 'refused',
    reason: `the target's data of ${user} changed during each of ${COMMIT_ATTEMPTS} attempts to copy it; stop the agents that write to the target and run the copy again`,
    counts,
    kept: { outbox: 0, seen: 0, sent: 0 },
  };
}

/**
 * Copies every user of `from` (listUsers) into `to`, one user at a time.
 * A refused user is reported and the copy goes on; errors of the stores
 * (a commit that fails) end it, and running it again resumes where it
 * stopped, since users already equal are left alone.
 */
export async function copyStore(from: Store, to: Store, options: CopyOptions = {}): Promise<CopySummary> {
  const users = await from.listUsers();
  const summary: CopySummary = { users: users.length, copied: 0, unchanged: 0, refused: [], objects: 0, counts: emptyCounts() };
  let done = 0;
  for (const user of users) {
    let report: UserReport;
    try {
      report = await copyUser(from, to, user);
    } catch (error) {
      if (!(error instanceof CopyRefusal)) throw error;
      report = { user, outcome: 'refused', reason: error.message, counts: emptyCounts(), kept: { outbox: 0, seen: 0, sent: 0 } };
    }
    done += 1;
    if (report.outcome === 'refused') {
      summary.refused.push({ user, reason: report.reason ?? 'refused' });
    } else {
      summary[report.outcome] += 1;
      for (const kind of COPY_KINDS) summary.counts[kind] += report.counts[kind];
    }
    options.onUser?.(report, done, users.length);
  }
  summary.objects = summary.counts.objects;
  return summary;
}

// Per-user versions for optimistic commits (Store.readUser, Store.commitIf),
// and the view a mail's read phase gets of one user's data.
//
// A version is a number per user, counted up by every commit of that user
// (transact and commitIf), inside the commit's own write transaction: LMDB's
// single writer orders all commits, of this process and of others, so a
// commitIf that finds the version it read knows that nothing of the user
// changed since. A store written before versions existed has none: every user
// reads as version 0 until its first commit here, and an older version of the
// agent writing the same store counts nothing up (run one version at a time).

import type { Database, Key } from 'lmdb';
import type { CounterEntry, Period, Preferences, RequestEntry, Role, StoredObject } from '../itip/model.js';
import type { BusyTime, TimeRange, UserReads, UserView } from './store.js';

/** userK -> the user's version */
export type VersionDb = Database<number, Key>;

export function userVersion(db: VersionDb, userK: string): number {
  return db.get(userK) ?? 0;
}

/** Counts the user's version up; call inside the commit's write transaction. */
export function bumpVersion(db: VersionDb, userK: string): void {
  db.putSync(userK, userVersion(db, userK) + 1);
}

/**
 * The async view over synchronous reads of committed data. Each read sees the
 * latest commit at that moment; the version check in commitIf makes a view
 * that straddled a commit count for nothing.
 */
export class LmdbUserView implements UserView {
  private active = true;

  constructor(private readonly reads: UserReads) {}

  get user(): string {
    return this.reads.user;
  }

  /** Called once the read phase has settled. */
  end(): void {
    this.active = false;
  }

  getRole(): Promise<Role | undefined> {
    return this.read(() => this.reads.getRole());
  }

  getPrefs(): Promise<Preferences> {
    return this.read(() => this.reads.getPrefs());
  }

  getObject(uid: string): Promise<StoredObject | undefined> {
    return this.read(() => this.reads.getObject(uid));
  }

  freeBusy(query?: Partial<TimeRange>): Promise<Period[]> {
    return this.read(() => this.reads.freeBusy(query));
  }

  busyTime(range: TimeRange): Promise<BusyTime[]> {
    return this.read(() => this.reads.busyTime(range));
  }

  listRequests(uid: string): Promise<RequestEntry[]> {
    return this.read(() => this.reads.listRequests(uid));
  }

  listCounters(uid: string): Promise<CounterEntry[]> {
    return this.read(() => this.reads.listCounters(uid));
  }

  hasSeen(messageKey: string): Promise<boolean> {
    return this.read(() => this.reads.hasSeen(messageKey));
  }

  private read<T>(fn: () => T): Promise<T> {
    if (!this.active) return Promise.reject(new Error(`the view of ${this.reads.user} has ended`));
    try {
      return Promise.resolve(fn());
    } catch (error) {
      return Promise.reject(error);
    }
  }
}

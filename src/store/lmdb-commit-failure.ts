// What a failed LMDB commit (disk full, quota, I/O error) turns into, and the
// promises lmdb-js leaves behind when one fails.
//
// lmdb-js (3.5) reports a failed commit in three places:
// - every write of the batch rejects with "Commit failed (see commitError for
//   details)"; the writer (LmdbStore.write) gets its own one;
// - that error's `commitError` is a second promise, rejected with the real
//   cause (an Error whose `code` is the errno, e.g. 28 for ENOSPC);
// - the batch's own commit promise (the one `root.committed` returns) rejects
//   too, and nothing in lmdb-js listens to it (lmdb-js issue 368).
// Node ends the process on a rejection that nobody handles, so one full disk
// would drop every connection of `serve`. Each of these promises gets a
// handler here; the writer turns the failure into a StoreCommitError, which the
// transports answer with a temporary failure (4xx, exit 75).

import { statfs } from 'node:fs/promises';
import { constants } from 'node:os';
import type { RootDatabase } from 'lmdb';
import { StoreCommitError } from './store.js';

const ignore = (): void => undefined;

/**
 * Handles the commit promise of every batch. lmdb-js emits 'beforecommit' in
 * the task that closes a batch, just before it makes that batch's commit
 * promise; a microtask queued here runs right after that task, when
 * `root.committed` is exactly that promise.
 */
export function observeCommits(root: RootDatabase): void {
  root.on('beforecommit', () => {
    queueMicrotask(() => {
      // Both callbacks: lmdb-js calls the first one itself on some paths.
      void root.committed.then(ignore, ignore);
    });
  });
}

/** errno number -> name (28 -> ENOSPC), from the running system's table. */
const ERRNO_NAMES = new Map(Object.entries(constants.errno).map(([name, value]) => [value, name]));

/** What to tell a person for the causes a store meets in practice. */
const ADVICE: Record<string, (dir: string) => string> = {
  ENOSPC: (dir) => `no space left on device (ENOSPC) in ${dir}; free space there`,
  EDQUOT: (dir) => `disk quota exceeded (EDQUOT) in ${dir}; raise the quota of the user the agent runs as, or free space`,
  EIO: (dir) => `input/output error (EIO) writing ${dir}; check the disk (kernel log)`,
  EROFS: (dir) => `the file system of ${dir} is read-only (EROFS); remount it read-write`,
};

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (typeof value === 'object' || typeof value === 'function') && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

/** The real cause behind lmdb-js's "Commit failed", if it is known yet. */
async function settledCause(commitError: PromiseLike<unknown>): Promise<unknown> {
  const pending = Symbol('pending');
  try {
    // lmdb-js usually rejects commitError in the same turn as the writes, so it
    // is settled by now, and an already settled promise wins the race. When it
    // is not (lmdb-js noticed the failure outside its writer's callback), it
    // settles only with some later failure: nobody waits for it, and the
    // race's own handler keeps that rejection from being unhandled.
    const value = await Promise.race([commitError, Promise.resolve(pending)]);
    return value === pending ? undefined : value;
  } catch (cause) {
    return cause;
  }
}

function errnoName(cause: unknown): string | undefined {
  const code = (cause as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string' && code.startsWith('E')) return code;
  if (typeof code === 'number' && code > 0) return ERRNO_NAMES.get(code);
  return undefined;
}

/** ENOSPC when the file system of dir has no block left for us, as a guess at an unknown cause. */
async function fullFileSystem(dir: string): Promise<string | undefined> {
  try {
    const stats = await statfs(dir);
    return stats.bavail === 0 ? 'ENOSPC' : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The error a writer reports for `error`: a failed commit becomes a
 * StoreCommitError that names the cause; anything else (an error thrown by
 * the transaction's own callback) is returned as it is.
 */
export async function commitFailure(error: unknown, dir: string): Promise<unknown> {
  if (error instanceof StoreCommitError) return error;
  const commitError = (error as { commitError?: unknown } | undefined)?.commitError;
  if (!isThenable(commitError)) return error;
  const cause = await settledCause(commitError);
  const code = errnoName(cause) ?? (await fullFileSystem(dir));
  const advice = code ? ADVICE[code] : undefined;
  if (advice) return new StoreCommitError(advice(dir), code, { cause: cause ?? error });
  const detail = cause instanceof Error ? cause.message : 'LMDB gave no reason';
  return new StoreCommitError(`the write to ${dir} failed (${code ? `${code}: ` : ''}${detail})`, code, { cause: cause ?? error });
}

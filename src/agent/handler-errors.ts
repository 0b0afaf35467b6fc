// Telling a fault in the handlers apart from the store failing to commit.
//
// Both surface as a rejected store.transact() (or readUser, commitIf). The difference matters to every
// transport: a store that could not commit is worth a retry (exit 75, LMTP 4xx),
// while a fault in the handler code would fail again on every retry, so the mail
// must flow on untouched (DESIGN: bad input never loses mail).

import { isTemporaryPgError } from '../store/pg-errors.js';
import { StoreCommitError, type Store } from '../store/store.js';

/** Something went wrong inside the handlers (not the store): a bug or a limit, not worth a retry. */
export class HandlerError extends Error {
  override name = 'HandlerError';
  constructor(override readonly cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause));
  }
}

/**
 * What a handler's failure becomes: a HandlerError, unless it is the store
 * failing under the handler (a read of a database store whose server went away
 * in the middle, a commit that could not be made): that one stays the store's,
 * and is worth a retry.
 */
function handlerFailure(error: unknown): unknown {
  if (error instanceof HandlerError || error instanceof StoreCommitError || isTemporaryPgError(error)) return error;
  return new HandlerError(error);
}

/**
 * The store as the handlers see it, with errors thrown by the handler code inside
 * a transaction marked as HandlerError. Anything else that rejects came from the
 * store itself.
 */
export function markHandlerErrors(store: Store): Store {
  const transact: Store['transact'] = (user, fn) =>
    store.transact(user, (tx) => {
      try {
        return fn(tx);
      } catch (error) {
        throw handlerFailure(error);
      }
    });
  const marked = <A extends unknown[], R>(fn: (...args: A) => R) => (...args: A): R => {
    try {
      return fn(...args);
    } catch (error) {
      throw handlerFailure(error);
    }
  };
  const readUser: Store['readUser'] = (user, fn) =>
    store.readUser(user, async (view) => {
      try {
        return await fn(view);
      } catch (error) {
        throw handlerFailure(error);
      }
    });
  const commitIf: Store['commitIf'] = (user, version, fn) => store.commitIf(user, version, marked(fn));
  return new Proxy(store, {
    get(target, property) {
      if (property === 'transact') return transact;
      if (property === 'readUser') return readUser;
      if (property === 'commitIf') return commitIf;
      const value = Reflect.get(target, property, target) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

// The open and close hooks that every Store contract suite shares: each test
// gets a new, empty store, closed after it, and may reopen it to see what
// survives a restart.

import { afterAll, afterEach, beforeEach } from 'vitest';
import type { Store } from '../../src/store/store.js';

export interface StoreContractFactory {
  /** A new, empty store (each test gets its own). */
  open(): Promise<Store> | Store;
  /** Closes the store and opens the same data again, as a restarted process would. */
  reopen?(store: Store): Promise<Store>;
  /** Runs once after the whole suite (drop folders, schemas, ...). */
  cleanup?(): Promise<void>;
}

export interface StorePerTest {
  /**
   * The store of the running test. It stays the same name across reopen(): every
   * use goes to the store open at that moment, so tests never reassign it.
   */
  readonly store: Store;
  /** Whether the factory can reopen a store (some contract tests only run then). */
  readonly canReopen: boolean;
  /** Closes the test's store and opens its data again; `store` then stands for the new one. */
  reopen(): Promise<void>;
}

/** Registers the hooks of one contract suite; call it inside the suite's describe. */
export function openStorePerTest(factory: StoreContractFactory): StorePerTest {
  let current: Store | undefined;

  beforeEach(async () => {
    current = await factory.open();
  });
  afterEach(async () => {
    await current?.close();
    current = undefined;
  });
  afterAll(async () => {
    await factory.cleanup?.();
  });

  const openNow = (): Store => {
    if (!current) throw new Error('The contract store is open only while a test runs: use it inside it() or a hook.');
    return current;
  };
  // Methods are bound to the real store, so that its private fields work
  // and a reopen in the middle of a test is followed at once.
  const store = new Proxy({} as Store, {
    get(_target, key) {
      const open = openNow();
      const value: unknown = Reflect.get(open, key);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(open) : value;
    },
  });

  return {
    store,
    canReopen: factory.reopen !== undefined,
    async reopen() {
      if (!factory.reopen) throw new Error('This store factory cannot reopen a store: guard the test with canReopen.');
      current = await factory.reopen(openNow());
    },
  };
}

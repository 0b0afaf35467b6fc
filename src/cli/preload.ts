// What `process` loads on first use, loaded ahead: see preload() below.

/**
 * Loads the modules `process` needs besides the store, without running
 * anything: the start-up snapshot of the pipe-mode trial
 * (bench/snapshot-entry.cjs) calls it at build time so that a run finds them
 * evaluated. The store stays out (lmdb loads a native addon, which a snapshot
 * cannot hold), and so does every command's work: nothing here reads the
 * clock, the environment or a file.
 */
export async function preload(): Promise<void> {
  await Promise.all([
    import('./commands/process.js'),
    import('../agent/transaction-service.js'),
    import('../agent/policy.js'),
    import('./notices.js'),
    import('./store-failure.js'),
  ]);
}

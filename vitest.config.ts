import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    testTimeout: 30_000,
    pool: 'forks',
    projects: [
      // Unit, command-line and scenario tests: files in parallel.
      // (`include` lives in each project: with `extends: true` a root `include`
      // would be added to the integration project's and run every file twice.)
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, 'test/integration/**', 'test/e2e/**'],
          // A folder for the PostgreSQL servers the tests start on first use (test/support/postgres.ts); stopped when the run ends.
          globalSetup: ['test/support/postgres-global-setup.ts'],
          // A hook that starts a PostgreSQL server (copy of the template, pg_ctl start) on a loaded machine.
          hookTimeout: 60_000,
        },
      },
      // End to end: the built program and Debian's Chromium (test/e2e/support.ts;
      // the host's, else the tests' own Debian root's, test/integration/tools.ts),
      // one file at a time after the unit tests: each starts a browser and a server.
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          fileParallelism: false,
          testTimeout: 60_000,
          // A first run without the host's Chromium builds the tools root (debootstrap, apt-get inside it).
          hookTimeout: 1_800_000,
          sequence: { groupOrder: 1 },
        },
      },
      // Real Postfix, Exim and Dovecot, each MTA in a Debian root and a network
      // namespace of its own, with the agent installed from the package this run
      // builds (test/integration/global-setup.ts, sandbox.ts): nothing on the host
      // is installed or changed. One file at a time, after the unit tests: the
      // daemons are heavy for a 2-core machine.
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          // The agent's package and the MTA roots; a folder for PostgreSQL servers (test/support/postgres.ts).
          globalSetup: ['test/integration/global-setup.ts', 'test/support/postgres-global-setup.ts'],
          fileParallelism: false,
          testTimeout: 60_000,
          hookTimeout: 300_000,
          sequence: { groupOrder: 2 },
        },
      },
    ],
  },
});

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
        test: { name: 'unit', include: ['test/**/*.test.ts'], exclude: [...configDefaults.exclude, 'test/integration/**', 'test/e2e/**'] },
      },
      // End to end: the built program and Debian's Chromium (test/e2e/support.ts),
      // one file at a time after the unit tests: each starts a browser and a server.
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          fileParallelism: false,
          testTimeout: 60_000,
          // A first run may install Chromium with apt-get (support.ts).
          hookTimeout: 600_000,
          sequence: { groupOrder: 1 },
        },
      },
      // Real Postfix, Exim and Dovecot (test/integration/servers.ts): one file at a
      // time, after the unit tests, because Postfix and Exim cannot be installed
      // together and each file installs the one it needs.
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          fileParallelism: false,
          testTimeout: 60_000,
          hookTimeout: 300_000,
          sequence: { groupOrder: 2 },
        },
      },
    ],
  },
});

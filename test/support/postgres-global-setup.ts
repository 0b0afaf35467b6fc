// Once per test run (globalSetup of the unit project): a folder for the run's
// PostgreSQL servers, handed to the test files (`inject('pgRunDir')`), where
// test/support/postgres.ts makes them on first use; no server is started here,
// only the template data folder they copy is made (initdb, a few seconds). Where the server programs
// are is found here: on a host without them, the first run builds the tests'
// Debian root with PostgreSQL (minutes), outside any test's timeout. When the run ends, on
// success and on failure alike, every server started in the folder is stopped
// and the folder removed. Folders of earlier runs that crashed (their owner
// process gone) are cleaned up first.

import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { alive } from '../integration/host.js';
import { findPgPrograms, pgTemplate, stopServer, type PgPrograms } from './postgres-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The folder of this run's PostgreSQL servers (test/support/postgres.ts). */
    pgRunDir: string;
    /** Where the server programs are (the host's, or the tests' Debian root's). */
    pgPrograms: PgPrograms;
  }
}

export const RUN_DIR_PREFIX = 'itip-agent-test-pg-';

/** The data folders of the servers made in a run folder (one per test process that asked for a database). */
export function serverDataDirs(runDir: string): string[] {
  if (!existsSync(runDir)) return [];
  return readdirSync(runDir)
    .filter((entry) => entry.startsWith('server-'))
    .map((entry) => join(runDir, entry, 'data'))
    .filter((data) => existsSync(data));
}

/** Stops every server of a run folder and removes the folder. */
async function removeRunDir(runDir: string): Promise<void> {
  const running = serverDataDirs(runDir).filter((data) => existsSync(join(data, 'postmaster.pid')));
  if (running.length) {
    const programs = await findPgPrograms();
    const failures: string[] = [];
    for (const data of running) await stopServer(programs, data, runDir).catch((error: Error) => failures.push(error.message));
    // A server that did not stop must not lose its folder under it: report it and keep the folder for a look.
    if (failures.length) throw new Error(`could not stop the test PostgreSQL servers in ${runDir}:\n${failures.join('\n')}`);
  }
  rmSync(runDir, { recursive: true, force: true });
}

async function cleanCrashedRuns(): Promise<void> {
  for (const entry of readdirSync(tmpdir()).filter((e) => e.startsWith(RUN_DIR_PREFIX))) {
    const dir = join(tmpdir(), entry);
    const ownerFile = join(dir, 'owner');
    const owner = existsSync(ownerFile) ? Number(readFileSync(ownerFile, 'utf8')) : NaN;
    if (Number.isInteger(owner) && owner > 0 && !alive(owner)) await removeRunDir(dir);
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  await cleanCrashedRuns();
  const runDir = mkdtempSync(join(tmpdir(), RUN_DIR_PREFIX));
  writeFileSync(join(runDir, 'owner'), String(process.pid));
  project.provide('pgRunDir', runDir);
  try {
    const programs = await findPgPrograms();
    project.provide('pgPrograms', programs);
    // initdb here, once: in a test or a hook it would count against their timeouts on a loaded machine.
    await pgTemplate(programs, runDir);
  } catch (error) {
    rmSync(runDir, { recursive: true, force: true });
    throw error;
  }
  return () => removeRunDir(runDir);
}

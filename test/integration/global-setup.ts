// Once per run of the integration project, before its files: the agent's
// Debian package from this checkout (npm run deb), and the cached roots the
// files need, so that a first run's long root builds (debootstrap, apt-get in
// the roots; minutes) happen here, outside any test's timeout. What crashed
// runs left behind (namespaces, mounts, processes) is cleaned up first.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { buildAgentDeb } from './agent.js';
import { eximRoot, postfixRoot } from './roots.js';
import { cleanLeftovers } from './sandbox.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The agent's .deb built for this run. */
    agentDeb: string;
    postfixRoot: string;
    eximRoot: string;
  }
}

export default async function setup(project: TestProject): Promise<() => void> {
  await cleanLeftovers();
  const out = mkdtempSync(join(tmpdir(), 'itip-agent-deb-'));
  const started = Date.now();
  // ITIP_AGENT_TEST_DEB: a package made already (while working on the tests themselves); npm test always builds its own.
  project.provide('agentDeb', process.env.ITIP_AGENT_TEST_DEB ?? buildAgentDeb(out));
  project.provide('postfixRoot', await postfixRoot());
  project.provide('eximRoot', await eximRoot());
  process.stderr.write(`integration: the agent's package and the test roots ready in ${Math.round((Date.now() - started) / 1000)}s\n`);
  return () => rmSync(out, { recursive: true, force: true });
}

// Chromium (end-to-end tests) and python3-caldav (CalDAV tests): the host's
// when it has them, else from the tests' "tools" Debian root (roots.ts),
// through a small wrapper that runs the program chrooted in a mount namespace
// of its own, with the host's /tmp at /tmp inside (the browser profile and
// other files the caller names are there). It stays in the host's network
// namespace, so loopback servers of the tests are reachable. Nothing is ever
// installed on the host.

import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from './host.js';
import { CACHE, MOUNT_AND_CHROOT, RECIPE, toolsRoot } from './roots.js';

/** A script at a stable path in the cache that runs `program` inside the tools root with the arguments it is given. */
async function wrapper(name: string, program: string): Promise<string> {
  const root = await toolsRoot();
  const dir = join(CACHE, RECIPE, 'bin');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, name);
  const script = [
    '#!/bin/sh',
    `# Runs ${program} from the itip-agent tests' Debian root (${root}).`,
    `export ITIP_BIND=/tmp`,
    `exec unshare --mount --propagation private sh -c '${MOUNT_AND_CHROOT.replace(/'/g, `'\\''`)}' sh '${root}' ${program} "$@"`,
    '',
  ].join('\n');
  const tmp = `${file}.${process.pid}`;
  writeFileSync(tmp, script, { mode: 0o755 });
  renameSync(tmp, file);
  return file;
}

/** ITIP_AGENT_TEST_TOOLS=root: the tools root's programs even when the host has its own (to test that path on such a host). */
const hostTools = process.env.ITIP_AGENT_TEST_TOOLS !== 'root';

/** Chromium for playwright-core's executablePath: $CHROMIUM, the host's /usr/bin/chromium, or the tools root's. */
export async function chromiumPath(): Promise<string> {
  if (process.env.CHROMIUM) return process.env.CHROMIUM;
  if (hostTools && existsSync('/usr/bin/chromium')) return '/usr/bin/chromium';
  return wrapper('chromium', '/usr/bin/chromium');
}

/** A python3 that can import caldav: the host's when it can, else the tools root's. */
export async function caldavPython(): Promise<string> {
  const host = '/usr/bin/python3';
  if (hostTools && existsSync(host) && run(host, ['-c', 'import caldav'], { allowFail: true }).status === 0) return host;
  return wrapper('python3', '/usr/bin/python3');
}

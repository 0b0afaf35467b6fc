// The agent inside a sandbox: installed from the Debian package this run
// built, and run as the root's `itip` user from /usr/bin/itip-agent, the way
// the MTA and the service manager run it on a real mail host.

import type { SpawnSyncReturns } from 'node:child_process';
import { cpSync, existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run, waitFor, sleep } from './host.js';
import type { Sandbox } from './sandbox.js';

export const CHECKOUT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** Where the package puts things, inside the root. */
export const INSTALLED = {
  bin: '/usr/bin/itip-agent',
  store: '/var/lib/itip-agent',
  config: '/etc/itip-agent/config.json',
} as const;

/** The system user the package makes. */
export const AGENT_USER = 'itip';

/**
 * The agent's .deb for this run, made from this checkout by the script behind
 * `npm run deb` (packaging/deb/build.mjs, which prints the package's path as
 * its last line). The tests run after `npm run build`, so the script is
 * called without npm run deb's own build, and with gzip: xz takes about three
 * times as long and the package is only unpacked once, here.
 */
export function buildAgentDeb(outDir: string): string {
  const result = run(process.execPath, ['packaging/deb/build.mjs', '--out', outDir, '--compress', 'gzip'], { cwd: CHECKOUT, timeoutMs: 900_000 });
  const deb = result.stdout.trim().split('\n').pop()?.trim() ?? '';
  if (!deb.endsWith('.deb') || !existsSync(deb)) throw new Error(`packaging/deb/build.mjs did not name a .deb it made on its last line:\n${result.stdout}\n${result.stderr}`);
  return deb;
}

/** Installs the package into the sandbox's root with dpkg, as an administrator would. */
export function installAgent(box: Sandbox, deb: string): void {
  cpSync(deb, box.at('/tmp/itip-agent.deb'));
  const result = box.run(['dpkg', '--force-unsafe-io', '-i', '/tmp/itip-agent.deb'], { allowFail: true, env: { DEBIAN_FRONTEND: 'noninteractive' } });
  if (result.status !== 0) throw new Error(`the agent's package (${deb}) does not install in the test root (dpkg -i exited ${result.status}):\n${result.stdout}\n${result.stderr}`);
  if (!existsSync(box.at(INSTALLED.bin))) throw new Error(`the agent's package installed no ${INSTALLED.bin}`);
}

/** `itip-agent --store STORE ARGS`, as the root's itip user, in the sandbox. */
export function agent(box: Sandbox, store: string, args: string[], input?: string | Buffer): SpawnSyncReturns<string> {
  // Run as the agent's user: an LMDB lock file made by root would lock the agent out.
  return box.run([INSTALLED.bin, '--store', store, ...args], { input, allowFail: true, user: box.user(AGENT_USER), timeoutMs: 60_000 });
}

export function agentJson<T = unknown>(box: Sandbox, store: string, args: string[]): T {
  const result = agent(box, store, [...args, '--json']);
  if (result.status !== 0) throw new Error(`itip-agent ${args.join(' ')} exited ${result.status}: ${result.stderr}`);
  return JSON.parse(result.stdout) as T;
}

export interface StoredObject {
  uid: string;
  recurrenceId: string | null;
  summary?: string;
  organizer?: string;
  attendees: Array<{ address: string; partstat?: string }>;
}

/** `itip-agent serve --lmtp`, as its own user inside the sandbox, the way a service manager runs it. */
export interface Serve {
  /** host:port inside the sandbox. */
  address: string;
  output(): string;
  stop(): Promise<void>;
}

export async function startServe(box: Sandbox, store: string, deliver: string, listen = '127.0.0.1:10024'): Promise<Serve> {
  const port = Number(listen.split(':')[1]);
  const child = box.spawn([INSTALLED.bin, '--store', store, 'serve', '--lmtp', listen, '--deliver', deliver], { user: box.user(AGENT_USER) });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  await waitFor('itip-agent serve to listen', () => (child.exitCode !== null ? Promise.reject(new Error(`itip-agent serve exited ${child.exitCode}: ${output}`)) : box.listening(port)), () => output, 30_000);
  return {
    address: listen,
    output: () => output,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await Promise.race([exited, sleep(15_000)]);
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      }
      // The port is free again once serve has gone: a restart on the same address must not race it.
      await waitFor('serve to close its port', () => !box.listening(port), () => output, 15_000);
    },
  };
}

// The agent inside a sandbox: installed from the Debian package this run
// built, and run as the root's `itip` user from /usr/bin/itip-agent, the way
// the MTA and the service manager run it on a real mail host.

import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
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
 * The agent's .deb for this run: `npm run deb` of the checkout when the
 * project has that script, else a package made here from the built program
 * (dist/, bin/ and the production node_modules) with the same layout.
 */
export function buildAgentDeb(outDir: string): string {
  const pkg = JSON.parse(readFileSync(join(CHECKOUT, 'package.json'), 'utf8')) as { version: string; scripts?: Record<string, string> };
  if (pkg.scripts?.deb) {
    const before = Date.now();
    const result = run('npm', ['run', '--silent', 'deb'], { env: { ...process.env, ITIP_AGENT_DEB_DIR: outDir }, timeoutMs: 900_000 });
    const named = /(\S+\.deb)\b/.exec(result.stdout.split('\n').reverse().join('\n'))?.[1];
    const candidates = [named && resolve(CHECKOUT, named), ...[outDir, CHECKOUT, join(CHECKOUT, 'dist')].flatMap((d) => (existsSync(d) ? readdirSync(d).filter((f) => f.endsWith('.deb')).map((f) => join(d, f)) : []))];
    const fresh = candidates.filter((f): f is string => !!f && existsSync(f) && statSync(f).mtimeMs >= before - 1000);
    if (!fresh.length) throw new Error(`npm run deb made no .deb that the tests can find:\n${result.stdout}\n${result.stderr}`);
    return fresh[0];
  }
  return standInDeb(pkg.version, outDir);
}

function standInDeb(version: string, outDir: string): string {
  const stage = join(tmpdir(), `itip-agent-deb-${process.pid}`);
  rmSync(stage, { recursive: true, force: true });
  const lib = join(stage, 'usr/lib/itip-agent');
  mkdirSync(join(stage, 'DEBIAN'), { recursive: true });
  mkdirSync(join(stage, 'usr/bin'), { recursive: true });
  for (const part of ['bin', 'dist', 'package.json']) cpSync(join(CHECKOUT, part), join(lib, part), { recursive: true, dereference: true });
  const modules = run('npm', ['ls', '--omit=dev', '--all', '--parseable'], { allowFail: true }).stdout.split('\n').filter((p) => p.includes('/node_modules/'));
  for (const path of modules) cpSync(path, join(lib, 'node_modules', relative(join(CHECKOUT, 'node_modules'), path)), { recursive: true, dereference: true });
  run('ln', ['-s', '../lib/itip-agent/bin/itip-agent', join(stage, 'usr/bin/itip-agent')]);
  writeFileSync(join(stage, 'DEBIAN/control'), `Package: itip-agent\nVersion: ${version}\nArchitecture: all\nMaintainer: itip-agent <root@localhost>\nDepends: nodejs (>= 20), adduser\nDescription: itip-agent (made by the tests)\n`);
  writeFileSync(
    join(stage, 'DEBIAN/postinst'),
    '#!/bin/sh\nset -e\ngetent passwd itip >/dev/null || adduser --system --group --home /var/lib/itip-agent --no-create-home itip\n' +
      'mkdir -p /var/lib/itip-agent /etc/itip-agent\nchown itip:itip /var/lib/itip-agent\n[ -e /etc/itip-agent/config.json ] || echo "{}" > /etc/itip-agent/config.json\n',
  );
  chmodSync(join(stage, 'DEBIAN/postinst'), 0o755);
  mkdirSync(outDir, { recursive: true });
  const out = join(outDir, `itip-agent_${version}_all.deb`);
  run('dpkg-deb', ['-Zgzip', '-z1', '--root-owner-group', '--build', stage, out]);
  rmSync(stage, { recursive: true, force: true });
  return out;
}

/** Installs the package into the sandbox's root with dpkg, as an administrator would. */
export function installAgent(box: Sandbox, deb: string): void {
  cpSync(deb, box.at('/tmp/itip-agent.deb'));
  const result = box.run(['dpkg', '-i', '/tmp/itip-agent.deb'], { allowFail: true, env: { DEBIAN_FRONTEND: 'noninteractive' } });
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

export { spawnSync };

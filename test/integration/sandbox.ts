// One test run's mail host: a cached Debian root (roots.ts) seen through an
// overlay, so the run writes only to its own layer and the cached root stays
// as built, and a network namespace of its own joined to the host by a veth
// pair in a private /30. Daemons run as `ip netns exec NS chroot ROOT ...`:
// inside, they have the whole loopback and the usual ports to themselves; the
// tests reach them from the host at `address`, and the daemons reach the
// tests' own servers (the "Internet" sink) at `hostAddress`.
//
// stop() kills every process of the sandbox, deletes the namespace, undoes the
// overlay and removes the run's folder. A run that crashed before stop() is
// cleaned up by the next one (cleanLeftovers), found by the pid in the names.

import { spawn, type ChildProcess, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { alive, run, sleep, type RunOptions } from './host.js';
import { CACHE, MOUNT_AND_CHROOT } from './roots.js';

const RUNS = join(CACHE, 'runs');
const NS_PREFIX = 'itiptest-';

export interface Sandbox {
  /** The root as the host sees it (the overlay's merged folder). */
  root: string;
  /** The network namespace's name. */
  ns: string;
  /** The sandbox's address on the veth pair: the host's tests connect here. */
  address: string;
  /** The host's address on the veth pair: the sandbox's daemons connect here to reach the tests' servers. */
  hostAddress: string;
  /** Where a path inside the root is on the host. */
  at(inside: string): string;
  /** Runs a command inside (namespace and chroot), as root unless `user` is given. */
  run(args: string[], options?: RunOptions & { user?: { uid: number; gid: number } }): SpawnSyncReturns<string>;
  /** Starts a long-running command inside; its pid is a process in the namespace. */
  spawn(args: string[], options: { user?: { uid: number; gid: number }; env?: Record<string, string> }): ChildProcess;
  /** The uid and gid of a user of the root (from its /etc/passwd). */
  user(name: string): { uid: number; gid: number };
  /** Whether something in the namespace listens on TCP `port` (read from /proc/PID/net/tcp of a process inside). */
  listening(port: number): boolean;
  stop(): Promise<void>;
}

/** The processes whose root folder is `root` or below it, and those in network namespace `ns`. */
function processesOf(root: string, ns?: string): number[] {
  const pids = new Set<number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const link = readlinkSync(`/proc/${entry}/root`);
      if (link === root || link.startsWith(`${root}/`)) pids.add(Number(entry));
    } catch {
      // Gone meanwhile, or not ours to read.
    }
  }
  if (ns) {
    const listed = run('ip', ['netns', 'pids', ns], { allowFail: true });
    for (const pid of listed.stdout.split('\n').filter(Boolean)) pids.add(Number(pid));
  }
  pids.delete(process.pid);
  return [...pids];
}

async function killAll(root: string, ns?: string): Promise<void> {
  for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
    const pids = processesOf(root, ns);
    for (const pid of pids) {
      try {
        process.kill(pid, signal);
      } catch {
        // Already gone.
      }
    }
    const end = Date.now() + 10_000;
    while (processesOf(root, ns).length && Date.now() < end) await sleep(100);
  }
}

/** Unmounts everything at or below `folder` in the host's mount table, deepest first. */
function unmountBelow(folder: string): void {
  const mounts = readFileSync('/proc/mounts', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[1]?.replace(/\\040/g, ' '))
    .filter((point): point is string => !!point && (point === folder || point.startsWith(`${folder}/`)))
    .sort((a, b) => b.length - a.length);
  for (const point of mounts) run('umount', ['-l', point], { allowFail: true });
}

async function teardown(dir: string, ns: string): Promise<void> {
  await killAll(join(dir, 'root'), existsSync(`/run/netns/${ns}`) ? ns : undefined);
  if (existsSync(`/run/netns/${ns}`)) run('ip', ['netns', 'delete', ns], { allowFail: true });
  unmountBelow(dir);
  rmSync(dir, { recursive: true, force: true });
}

/** Removes what runs that are gone left behind: their processes, namespaces, mounts and folders. */
export async function cleanLeftovers(): Promise<void> {
  const gone = (name: string) => {
    const pid = Number(/-(\d+)$/.exec(name)?.[1]);
    return Number.isInteger(pid) && pid > 0 && !alive(pid);
  };
  if (existsSync(RUNS)) {
    for (const entry of readdirSync(RUNS)) {
      if (gone(entry)) await teardown(join(RUNS, entry), `${NS_PREFIX}${entry}`);
    }
  }
  for (const line of run('ip', ['netns', 'list'], { allowFail: true }).stdout.split('\n')) {
    const ns = line.split(' ')[0];
    if (ns.startsWith(NS_PREFIX) && gone(ns)) {
      const listed = run('ip', ['netns', 'pids', ns], { allowFail: true }).stdout.split('\n').filter(Boolean);
      for (const pid of listed) run('kill', ['-9', pid], { allowFail: true });
      run('ip', ['netns', 'delete', ns], { allowFail: true });
    }
  }
}

let sandboxes = 0;

/**
 * A sandbox over the cached root `lower`, called `name` (a short word: it
 * names the namespace, with this process's pid). One process may have a few
 * at a time; each gets its own /30 in 10.213.0.0/16, picked from the pid.
 */
export async function startSandbox(name: string, lower: string): Promise<Sandbox> {
  await cleanLeftovers();
  const id = `${name}-${process.pid}`;
  const dir = join(RUNS, id);
  const ns = `${NS_PREFIX}${id}`;
  const root = join(dir, 'root');
  const index = (process.pid * 4 + sandboxes++) % 16384;
  const [hostAddress, address] = [1, 2].map((n) => `10.213.${Math.floor(index / 64)}.${(index % 64) * 4 + n}`);
  // Interface names have at most 15 characters.
  const [hostLink, nsLink] = [`itp${process.pid % 1e6}x${sandboxes}`, `itn${process.pid % 1e6}x${sandboxes}`];
  try {
    for (const sub of ['upper', 'work', 'root']) mkdirSync(join(dir, sub), { recursive: true });
    run('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${lower},upperdir=${join(dir, 'upper')},workdir=${join(dir, 'work')}`, root]);
    run('ip', ['netns', 'add', ns]);
    run('ip', ['link', 'add', hostLink, 'type', 'veth', 'peer', 'name', nsLink]);
    run('ip', ['link', 'set', nsLink, 'netns', ns]);
    run('ip', ['addr', 'add', `${hostAddress}/30`, 'dev', hostLink]);
    run('ip', ['link', 'set', hostLink, 'up']);
    const inNs = (args: string[]) => run('ip', ['netns', 'exec', ns, ...args]);
    inNs(['ip', 'addr', 'add', `${address}/30`, 'dev', nsLink]);
    inNs(['ip', 'link', 'set', nsLink, 'up']);
    inNs(['ip', 'link', 'set', 'lo', 'up']);
  } catch (error) {
    await teardown(dir, ns);
    throw error;
  }

  const command = (args: string[], user?: { uid: number; gid: number }) => {
    const chrooted = user ? ['setpriv', `--reuid=${user.uid}`, `--regid=${user.gid}`, '--clear-groups', '--', ...args] : args;
    return ['netns', 'exec', ns, 'sh', '-c', MOUNT_AND_CHROOT, 'sh', root, ...chrooted];
  };
  const cleanEnv = (env: Record<string, string> = {}) => ({ PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C.UTF-8', ...env });
  let anchor: ChildProcess | undefined;

  const sandbox: Sandbox = {
    root,
    ns,
    address,
    hostAddress,
    at: (inside) => join(root, inside),
    run: (args, options = {}) => run('ip', command(args, options.user), { ...options, env: cleanEnv(options.env as Record<string, string>) }),
    spawn: (args, options) => spawn('ip', command(args, options.user), { env: cleanEnv(options.env), stdio: ['ignore', 'pipe', 'pipe'] }),
    user(userName) {
      const line = readFileSync(join(root, 'etc/passwd'), 'utf8')
        .split('\n')
        .find((l) => l.startsWith(`${userName}:`));
      if (!line) throw new Error(`the test root has no user ${userName}`);
      const [, , uid, gid] = line.split(':');
      return { uid: Number(uid), gid: Number(gid) };
    },
    listening(port) {
      // A process inside shows the namespace's sockets; the anchor is one that lives as long as the sandbox.
      anchor ??= spawn('ip', ['netns', 'exec', ns, 'sleep', 'infinity'], { stdio: 'ignore' });
      // Until `ip netns exec` has entered the namespace, the anchor still shows the host's sockets.
      const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
      try {
        if (!anchor.pid || readlinkSync(`/proc/${anchor.pid}/ns/net`) === readlinkSync('/proc/self/ns/net')) return false;
        return readFileSync(`/proc/${anchor.pid}/net/tcp`, 'utf8')
          .split('\n')
          .some((line) => {
            const fields = line.trim().split(/\s+/);
            return fields[1]?.endsWith(`:${hexPort}`) && fields[3] === '0A';
          });
      } catch {
        return false;
      }
    },
    async stop() {
      anchor?.kill('SIGKILL');
      await teardown(dir, ns);
    },
  };
  return sandbox;
}

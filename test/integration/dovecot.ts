// Dovecot inside a sandbox: LMTP for the MTA suites (every user accepted,
// maildirs under /srv/itip-test/mail), or the auth service alone for the web
// sign-in test. Its socket is at /run/dovecot/lmtp inside the root, where the
// shipped configurations look for it.

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AGENT_USER } from './agent.js';
import { alive, tail, waitFor } from './host.js';
import type { Sandbox } from './sandbox.js';

export interface Dovecot {
  /** The LMTP socket, inside the root. */
  socket: string;
  /** A user's maildir, as the host sees it. */
  maildir(address: string): string;
  log(): string;
  stop(): Promise<void>;
}

interface Instance {
  log(): string;
  stop(): Promise<void>;
}

/** Starts `dovecot -c CONF` inside with configuration `text`, waits for `socket` (inside path); the base_dir is `baseDir`. */
async function startInstance(box: Sandbox, dir: string, baseDir: string, text: string, socket: string): Promise<Instance> {
  mkdirSync(box.at(join(dir, 'state')), { recursive: true });
  const conf = join(dir, 'dovecot.conf');
  const out = box.at(join(dir, 'dovecot.out'));
  writeFileSync(box.at(conf), text);
  const log = () => `${tail(box.at(join(dir, 'dovecot.log')))}\n${tail(out)}`;
  const started = box.run(['dovecot', '-c', conf], { daemonLog: out, allowFail: true });
  if (started.status !== 0) throw new Error(`dovecot -c ${conf} exited ${started.status}:\n${log()}`);
  await waitFor(`Dovecot's socket ${socket}`, () => existsSync(box.at(socket)), log, 15_000);
  let stopped = false;
  return {
    log,
    async stop() {
      if (stopped) return;
      stopped = true;
      const pidFile = box.at(join(baseDir, 'master.pid'));
      const pid = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').trim()) : undefined;
      box.run(['dovecot', '-c', conf, 'stop'], { allowFail: true, daemonLog: out });
      if (pid) await waitFor('Dovecot to stop', () => !alive(pid), log, 15_000);
    },
  };
}

/** Dovecot with LMTP on its socket; mail is stored as the agent's user (in the pipe variant with a maildir target the agent writes there itself; a real site uses its vmail user). */
export async function startDovecot(box: Sandbox): Promise<Dovecot> {
  const dir = '/srv/itip-test/dovecot';
  const mail = '/srv/itip-test/mail';
  mkdirSync(box.at(mail), { recursive: true });
  const owner = box.user(AGENT_USER);
  box.run(['chown', `${owner.uid}:${owner.gid}`, mail]);
  const instance = await startInstance(
    box,
    dir,
    '/run/dovecot',
    `# Dovecot for the itip-agent integration tests: LMTP on its socket.
protocols = lmtp
listen = 127.0.0.1
base_dir = /run/dovecot
state_dir = ${dir}/state
log_path = ${dir}/dovecot.log
ssl = no
mail_location = maildir:${mail}/%d/%n/Maildir
mail_uid = ${AGENT_USER}
mail_gid = ${AGENT_USER}
first_valid_uid = 1
passdb {
  driver = static
  args = nopassword=y
}
userdb {
  driver = static
  args = allow_all_users=yes
}
service lmtp {
  unix_listener lmtp {
    mode = 0666
  }
}
`,
    '/run/dovecot/lmtp',
  );
  return {
    socket: '/run/dovecot/lmtp',
    maildir: (address: string) => {
      const [local, domain] = address.toLowerCase().split('@');
      return box.at(join(mail, domain, local, 'Maildir'));
    },
    ...instance,
  };
}

/**
 * Dovecot's auth service alone, with a passwd-file passdb named after the
 * service (%s), so a sign-in that does not say service=itip-agent finds no
 * user at all. `socket` is the auth client socket as the host sees it (a unix
 * socket reaches across the namespace).
 */
export async function startDovecotAuth(box: Sandbox, users: string): Promise<Instance & { socket: string; logFile: string }> {
  const dir = '/srv/itip-test/dovecot-auth';
  mkdirSync(box.at(dir), { recursive: true });
  writeFileSync(box.at(join(dir, 'users-itip-agent')), users);
  const instance = await startInstance(
    box,
    dir,
    '/run/dovecot',
    `# Dovecot for the itip-agent web sign-in test: the auth service only.
protocols =
base_dir = /run/dovecot
state_dir = ${dir}/state
log_path = ${dir}/dovecot.log
ssl = no
auth_mechanisms = plain
auth_verbose = yes
passdb {
  driver = passwd-file
  args = ${dir}/users-%s
}
userdb {
  driver = static
  args = uid=nobody gid=nogroup home=/nonexistent
}
service auth {
  unix_listener auth-client {
    mode = 0666
  }
}
`,
    '/run/dovecot/auth-client',
  );
  return { ...instance, socket: box.at('/run/dovecot/auth-client'), logFile: box.at(join(dir, 'dovecot.log')) };
}

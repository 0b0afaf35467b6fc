// Web sign-in with mail passwords, against a real Dovecot: its own instance
// (own base_dir, state and log in a temporary folder, no mail protocols), a
// passwd-file passdb, and the auth client socket the agent talks to. The host's
// /etc/dovecot is never read.
//
// The passdb file is named after the service (%s), so a sign-in that does not
// say service=itip-agent finds no user at all.

import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkDovecotLogin } from '../../src/http/dovecot-auth.js';
import { startServeChild } from '../http/serve-child.js';
import { Browser } from '../http/web-client.js';
import { ensurePackages, tail, waitFor, workDir } from './servers.js';

interface Dovecot {
  socket: string;
  log(): string;
  stop(): Promise<void>;
}

function dovecotCommand(args: string[], outFile: string): void {
  // Output to a file, not a pipe: the daemon keeps what it inherits open, and a pipe would keep us waiting.
  const fd = openSync(outFile, 'a');
  try {
    const result = spawnSync('dovecot', args, { stdio: ['ignore', fd, fd], timeout: 60_000 });
    if (result.error) throw result.error;
    if (result.status !== 0) throw new Error(`dovecot ${args.join(' ')} exited ${result.status}:\n${readFileSync(outFile, 'utf8')}`);
  } finally {
    closeSync(fd);
  }
}

async function startDovecotAuth(dir: string, users: string): Promise<Dovecot> {
  ensurePackages(['dovecot-core']);
  const conf = join(dir, 'dovecot.conf');
  const logFile = join(dir, 'dovecot.log');
  const out = join(dir, 'dovecot.out');
  writeFileSync(join(dir, 'users-itip-agent'), users);
  writeFileSync(
    conf,
    `# Dovecot for the itip-agent web sign-in test: the auth service only.
protocols =
base_dir = ${dir}/run
state_dir = ${dir}/state
instance_name = itip-agent-login-test-${process.pid}
log_path = ${logFile}
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
  );
  dovecotCommand(['-c', conf], out);
  const socket = join(dir, 'run/auth-client');
  const log = () => `${tail(logFile)}\n${tail(out)}`;
  await waitFor("Dovecot's auth client socket", () => existsSync(socket), log, 15_000);
  let stopped = false;
  return {
    socket,
    log,
    async stop() {
      if (stopped) return;
      stopped = true;
      const pidFile = join(dir, 'run/master.pid');
      const pid = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').trim()) : undefined;
      dovecotCommand(['-c', conf, 'stop'], out);
      if (pid) {
        await waitFor(
          'Dovecot to stop',
          () => {
            try {
              process.kill(pid, 0);
              return false;
            } catch {
              return true;
            }
          },
          log,
          15_000,
        );
      }
    },
  };
}

describe('web sign-in with Dovecot', () => {
  const dir = workDir('itip-agent-dovecot-login-');
  let dovecot: Dovecot;
  beforeAll(async () => {
    dovecot = await startDovecotAuth(dir, 'alice@example.com:{PLAIN}mail-secret\nbob:{PLAIN}bobs-mail\n');
  });
  afterAll(async () => {
    await dovecot?.stop();
    spawnSync('rm', ['-rf', dir]);
  });

  it('speaks the auth protocol: a right password is OK with the user name, a wrong one a FAIL', async () => {
    const check = (login: string, password: string) => checkDovecotLogin({ socket: dovecot.socket }, { login, password, clientAddress: '192.0.2.9', secured: true });
    expect(await check('alice@example.com', 'mail-secret')).toEqual({ ok: true, user: 'alice@example.com' });
    expect(await check('bob', 'bobs-mail')).toEqual({ ok: true, user: 'bob' });
    expect(await check('alice@example.com', 'wrong')).toMatchObject({ ok: false, temporary: false });
    expect(await check('nobody@example.com', 'mail-secret')).toMatchObject({ ok: false, temporary: false });
    // The client's address reached Dovecot (rip), for its own logs and penalties.
    await waitFor('the failure in Dovecot\'s log', () => /passwd-file\(alice@example\.com,192\.0\.2\.9/.test(readFileSync(join(dir, 'dovecot.log'), 'utf8')), dovecot.log, 10_000);
    // Another service name finds no passdb file of its own.
    expect(await checkDovecotLogin({ socket: dovecot.socket, service: 'imap' }, { login: 'alice@example.com', password: 'mail-secret', secured: true })).toMatchObject({ ok: false });
  });

  it('signs in through serve --http with the mail password, a bare login in the local domain', async () => {
    const store = join(dir, 'store');
    const server = await startServeChild(store, ['serve', '--http', '127.0.0.1:0'], {
      ITIP_AGENT_HTTP_DOVECOT_AUTH: dovecot.socket,
      ITIP_AGENT_HTTP_PASSWORD_LOGINS: 'false',
      ITIP_AGENT_LOCAL_DOMAINS: 'example.com',
    });
    try {
      const port = server.httpPort();
      const alice = new Browser({ port });
      expect((await alice.signIn('alice@example.com', 'wrong')).status).toBe(401);
      expect((await alice.signIn('alice@example.com', 'mail-secret')).status).toBe(303);
      expect((await alice.get('/')).body).toContain('Signed in as <strong class="address">alice@example.com</strong>');
      const bob = new Browser({ port });
      expect((await bob.signIn('bob', 'bobs-mail')).status).toBe(303);
      expect((await bob.get('/')).body).toContain('Signed in as <strong class="address">bob@example.com</strong>');
      await server.waitForLogs('a sign-in by Dovecot', (logs) => logs.some((r) => r.msg === 'signed in' && r.via === 'dovecot' && r.user === 'mailto:bob@example.com'));
    } finally {
      await server.stop();
    }
    expect(await server.exited).toBe(0);
  });

  it('tells the person to try later, and the log why, when Dovecot is down', async () => {
    await dovecot.stop();
    const store = join(dir, 'store-down');
    const server = await startServeChild(store, ['serve', '--http', '127.0.0.1:0'], { ITIP_AGENT_HTTP_DOVECOT_AUTH: dovecot.socket, ITIP_AGENT_HTTP_PASSWORD_LOGINS: 'false' });
    try {
      const answer = await new Browser({ port: server.httpPort() }).signIn('alice@example.com', 'mail-secret');
      expect(answer.status).toBe(503);
      expect(answer.body).toContain('Your password cannot be checked right now');
      await server.waitForLogs('why', (logs) => logs.some((r) => r.level === 'error' && String(r.msg).includes(dovecot.socket)));
    } finally {
      await server.stop();
    }
  });
});

// Web sign-in with mail passwords, against a real Dovecot: the auth service
// alone, in a Debian root of the tests' own (dovecot.ts, sandbox.ts), a
// passwd-file passdb, and the auth client socket the agent talks to (a unix
// socket reaches across the sandbox's namespace). The host's /etc/dovecot is
// never read.
//
// The passdb file is named after the service (%s), so a sign-in that does not
// say service=itip-agent finds no user at all.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { checkDovecotLogin } from '../../src/http/dovecot-auth.js';
import { tempDir } from '../cli/run-cli.js';
import { startServeChild } from '../http/serve-child.js';
import { Browser } from '../http/web-client.js';
import { startDovecotAuth } from './dovecot.js';
import { waitFor } from './host.js';
import { startSandbox, type Sandbox } from './sandbox.js';

describe('web sign-in with Dovecot', () => {
  const tmp = tempDir('itip-agent-dovecot-login-');
  const dir = tmp.path;
  let box: Sandbox;
  let dovecot: Awaited<ReturnType<typeof startDovecotAuth>>;
  beforeAll(async () => {
    box = await startSandbox('login', inject('postfixRoot'));
    dovecot = await startDovecotAuth(box, 'alice@example.com:{PLAIN}mail-secret\nbob:{PLAIN}bobs-mail\n');
  }, 120_000);
  afterAll(async () => {
    try {
      await dovecot?.stop();
    } finally {
      await box?.stop();
      tmp.remove();
    }
  }, 60_000);

  it('speaks the auth protocol: a right password is OK with the user name, a wrong one a FAIL', async () => {
    const check = (login: string, password: string) => checkDovecotLogin({ socket: dovecot.socket }, { login, password, clientAddress: '192.0.2.9', secured: true });
    expect(await check('alice@example.com', 'mail-secret')).toEqual({ ok: true, user: 'alice@example.com' });
    expect(await check('bob', 'bobs-mail')).toEqual({ ok: true, user: 'bob' });
    expect(await check('alice@example.com', 'wrong')).toMatchObject({ ok: false, temporary: false });
    expect(await check('nobody@example.com', 'mail-secret')).toMatchObject({ ok: false, temporary: false });
    // The client's address reached Dovecot (rip), for its own logs and penalties.
    await waitFor('the failure in Dovecot\'s log', () => /passwd-file\(alice@example\.com,192\.0\.2\.9/.test(readFileSync(dovecot.logFile, 'utf8')), dovecot.log, 10_000);
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

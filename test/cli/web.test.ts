// The web sign-in through the real command line: `itip-agent user passwd`
// writes the password file, `itip-agent serve --http` (a child process) signs
// people in with it, and stops cleanly on SIGTERM.

import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Browser, csrfOf } from '../http/web-client.js';
import { startServeChild as serve } from '../http/serve-child.js';
import { tempDir } from './run-cli.js';
import { cli, errors, ok } from './helpers.js';

function passwd(store: string, address: string, password: string, extra: string[] = []) {
  return cli(['--store', store, 'user', 'passwd', address, ...extra], { input: password, env: { ITIP_AGENT_CONFIG: undefined } });
}

describe('itip-agent user passwd', () => {
  const dir = tempDir();
  const store = join(dir.path, 'store');
  const file = join(store, 'passwords');
  afterAll(() => dir.remove());

  it('writes the password file in the store: one line per user, lower-case mailto:, mode 0600', () => {
    expect(passwd(store, 'Alice@Example.COM', 'wonderland\n').stdout).toBe('set the web password of mailto:alice@example.com\n');
    expect(passwd(store, 'bob@example.com', 'builder\r\n').code).toBe(0);
    const first = readFileSync(file, 'utf8');
    expect(first).toMatch(/^mailto:alice@example\.com \$scrypt\$ln=15,r=8,p=1\$\S+\nmailto:bob@example\.com \$scrypt\$\S+\n$/);
    expect(statSync(file).mode & 0o777).toBe(0o600);

    expect(passwd(store, 'alice@example.com', 'looking-glass').stdout).toBe('replaced the web password of mailto:alice@example.com\n');
    const second = readFileSync(file, 'utf8').split('\n');
    expect(second).toHaveLength(3);
    expect(second[0]).not.toBe(first.split('\n')[0]);
    expect(second[1]).toBe(first.split('\n')[1]);
  });

  it('refuses an empty password (exit 65) and changes nothing', () => {
    const before = readFileSync(file, 'utf8');
    for (const input of ['', '\n', '\r\nsecond line']) {
      const result = passwd(store, 'alice@example.com', input);
      expect(result.code).toBe(65);
      expect(errors(result)[0]!.msg).toContain('an empty password is refused');
    }
    expect(readFileSync(file, 'utf8')).toBe(before);
  });

  it('refuses what is no mail address (exit 64), and removes a password with --remove', () => {
    expect(passwd(store, 'not an address', 'x').code).toBe(64);
    expect(passwd(store, 'bob@example.com', '', ['--remove']).stdout).toBe('removed the web password of mailto:bob@example.com\n');
    expect(passwd(store, 'bob@example.com', '', ['--remove']).stdout).toBe('mailto:bob@example.com had no web password; nothing changed\n');
    expect(readFileSync(file, 'utf8')).not.toContain('bob@');
  });

  it('writes where http.passwordFile says', () => {
    const other = join(dir.path, 'web-passwords');
    const config = join(dir.path, 'config.json');
    writeFileSync(config, JSON.stringify({ http: { passwordFile: other } }));
    ok(['--config', config, '--store', store, 'user', 'passwd', 'carol@example.com'], { input: 'pw\n' });
    expect(readFileSync(other, 'utf8')).toMatch(/^mailto:carol@example\.com /);
    expect(readFileSync(file, 'utf8')).not.toContain('carol@');
  });
});

describe('itip-agent serve --http', () => {
  const dir = tempDir();
  const store = join(dir.path, 'store');
  afterAll(() => dir.remove());

  it('signs in with the password from user passwd, refuses a wrong one, signs out, and stops on SIGTERM', async () => {
    expect(passwd(store, 'alice@example.com', 'wonderland\n').code).toBe(0);
    const server = await serve(store, ['serve', '--http', '127.0.0.1:0'], { ITIP_AGENT_HTTP_MAX_FAILURES_PER_ACCOUNT: '3' });
    try {
      const port = server.httpPort();
      expect(server.logs).toContainEqual(expect.objectContaining({ msg: 'listening for HTTP', address: `127.0.0.1:${port}` }));
      const browser = new Browser({ port });

      expect((await browser.signIn('alice@example.com', 'wrong')).status).toBe(401);
      const signedIn = await browser.signIn('alice@example.com', 'wonderland');
      expect(signedIn.status).toBe(303);
      const home = await browser.get('/');
      expect(home.status).toBe(200);
      expect(home.body).toContain('Signed in as <strong class="address">alice@example.com</strong>');

      // A new password takes effect at once: serve reads the file at each sign-in.
      expect(passwd(store, 'alice@example.com', 'looking-glass\n').code).toBe(0);
      expect((await new Browser({ port }).signIn('alice@example.com', 'wonderland')).status).toBe(401);
      expect((await new Browser({ port }).signIn('alice@example.com', 'looking-glass')).status).toBe(303);

      const out = await browser.post('/logout', { _csrf: csrfOf(home.body) });
      expect(out.status).toBe(303);
      expect((await browser.get('/')).status).toBe(303);

      // ITIP_AGENT_HTTP_MAX_FAILURES_PER_ACCOUNT=3: after the third failure in a row the account waits.
      const guesser = new Browser({ port });
      for (let i = 0; i < 3; i++) expect((await guesser.signIn('alice@example.com', `guess-${i}`)).status).toBe(401);
      const limited = await guesser.signIn('alice@example.com', 'looking-glass');
      expect(limited.status).toBe(429);
      expect(limited.body).toContain('Try again after');
      const expected = ['signed in', 'signed out', 'sign-in failed: wrong login or password', 'sign-in refused: too many failed sign-ins'];
      await server.waitForLogs(expected.join(', '), (logs) => expected.every((msg) => logs.some((r) => r.msg === msg)));
      // The password itself is in no log line.
      expect(JSON.stringify(server.logs)).not.toMatch(/wonderland|looking-glass/);
    } finally {
      await server.stop();
    }
    expect(await server.exited).toBe(0);
    expect(server.logs.at(-1)!.msg).toBe('stopped; closing the store');
    expect(server.stray).toEqual([]);
  });

  it('listens on the unix socket of listen.http with listen.socketMode, beside LMTP', async () => {
    const socket = join(dir.path, 'web.sock');
    const config = join(dir.path, 'config.json');
    writeFileSync(config, JSON.stringify({ listen: { http: socket, lmtp: join(dir.path, 'lmtp.sock'), socketMode: '0600' } }));
    const server = await serve(store, ['serve'], { ITIP_AGENT_CONFIG: config });
    try {
      expect(server.logs).toContainEqual(expect.objectContaining({ msg: 'listening for HTTP', path: socket }));
      expect(statSync(socket).mode & 0o777).toBe(0o600);
      const browser = new Browser({ socketPath: socket });
      expect((await browser.signIn('alice@example.com', 'looking-glass')).status).toBe(303);
      expect((await browser.get('/')).body).toContain('alice@example.com');
    } finally {
      await server.stop();
    }
    expect(await server.exited).toBe(0);
  });

  it('says how to start a listener when none is given', () => {
    const result = cli(['--store', store, 'serve'], { env: { ITIP_AGENT_CONFIG: undefined } });
    expect(result.code).toBe(64);
    expect(errors(result)[0]!.msg).toContain('--http HOST:PORT|PATH');
  });
});

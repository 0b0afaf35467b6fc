// Sign-in by a reverse proxy's header, trusted only from the proxies named in
// http.trustedProxies; Secure __Host- cookies over TLS (ours or the proxy's);
// the web listener on a unix socket.

import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSetCookie } from './web-client.js';
import { startWeb, tempDir, type Web } from './web-support.js';

const HEADER = 'X-Remote-User';

describe('the proxy user header', () => {
  let untrusted: Web;
  let trusted: Web;
  beforeAll(async () => {
    // The test connects from 127.0.0.1: a peer outside 192.0.2.0/24, inside 127.0.0.0/8.
    untrusted = await startWeb({ settings: { proxyUserHeader: HEADER, trustedProxies: ['192.0.2.0/24'] } });
    trusted = await startWeb({ settings: { proxyUserHeader: HEADER, trustedProxies: ['127.0.0.0/8'] }, localDomains: ['example.com'] });
  });
  afterAll(async () => {
    await untrusted.stop();
    await trusted.stop();
  });

  it('is ignored from a peer that is not a trusted proxy, and the administrator is told once', async () => {
    for (let i = 0; i < 3; i++) {
      const answer = await untrusted.browser({ [HEADER]: 'alice@example.com' }).get('/');
      expect(answer.status).toBe(303);
      expect(answer.headers.location).toBe('/login');
    }
    const warnings = untrusted.logs.filter((r) => r.msg.includes('header from 127.0.0.1 is ignored'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.msg).toContain('http.trustedProxies');
    // Nor does it help a browser that has a session of its own: the session decides.
    const browser = untrusted.browser({ [HEADER]: 'bob@example.com' });
    await browser.signIn('alice@example.com', 'wonderland');
    expect((await browser.get('/')).body).toContain('Signed in as <strong class="address">alice@example.com</strong>');
  });

  it('signs in the named user from a trusted proxy, with a bare name in the first local domain', async () => {
    const browser = trusted.browser({ [HEADER]: 'Alice' });
    const home = await browser.get('/');
    expect(home.status).toBe(200);
    expect(home.body).toContain('Signed in as <strong class="address">alice@example.com</strong>');
    expect(home.body).toContain('signed in by the web server in front of this site');
    // Signing out here would not sign out of the proxy: no button that pretends to.
    expect(home.body).not.toContain('action="/logout"');
    expect(trusted.logs).toContainEqual(expect.objectContaining({ msg: 'signed in', fields: expect.objectContaining({ user: 'mailto:alice@example.com', via: 'proxy' }) }));
    // One session for the proxy's visits (it carries the CSRF token of later forms), not one per request.
    expect((await browser.get('/')).status).toBe(200);
    expect(trusted.logs.filter((r) => r.msg === 'signed in' && r.fields?.via === 'proxy')).toHaveLength(1);
  });

  it('follows the header when the proxy names someone else on the same browser', async () => {
    const browser = trusted.browser({ [HEADER]: 'alice@example.com' });
    await browser.get('/');
    const bob = await browser.get('/', { [HEADER]: 'bob@example.com' });
    expect(bob.body).toContain('Signed in as <strong class="address">bob@example.com</strong>');
  });

  it('names no one when the header holds no mail address and there is no local domain', async () => {
    const noDomain = await startWeb({ settings: { proxyUserHeader: HEADER, trustedProxies: ['127.0.0.1'] } });
    try {
      const bare = await noDomain.browser({ [HEADER]: 'alice' }).get('/');
      expect(bare.status).toBe(303);
      expect(noDomain.logs).toContainEqual(expect.objectContaining({ level: 'warn', msg: expect.stringContaining('"alice", which is no mail address') }));
    } finally {
      await noDomain.stop();
    }
  });

  it('makes the cookie Secure and __Host- when the trusted proxy says the client used https', async () => {
    const browser = trusted.browser({ [HEADER]: 'alice@example.com', 'x-forwarded-proto': 'https' });
    const answer = await browser.get('/');
    const cookie = parseSetCookie(answer.setCookies.find((line) => line.includes('session'))!);
    expect(cookie.name).toBe('__Host-itip-agent-session');
    expect(cookie.attributes.has('secure')).toBe(true);
    expect(cookie.attributes.has('httponly')).toBe(true);
    expect(cookie.attributes.get('samesite')).toBe('Strict');
    expect(cookie.attributes.get('path')).toBe('/');
    // From a peer that is not trusted, the same claim is ignored.
    const direct = untrusted.browser({ 'x-forwarded-proto': 'https' });
    const form = await direct.get('/login');
    const loginCookie = parseSetCookie(form.setCookies[0]!);
    expect(loginCookie.name).toBe('itip-agent-login');
    expect(loginCookie.attributes.has('secure')).toBe(false);
  });
});

describe('HTTPS on the web listener (http.tls)', () => {
  const dir = tempDir();
  let web: Web;
  beforeAll(async () => {
    const key = join(dir.path, 'key.pem');
    const cert = join(dir.path, 'cert.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=localhost'], { stdio: 'ignore' });
    web = await startWeb({ tls: { key: readFileSync(key), cert: readFileSync(cert) } });
  });
  afterAll(async () => {
    await web.stop();
    dir.remove();
  });

  it('signs in with a Secure __Host- session cookie', async () => {
    const browser = web.browser();
    const answer = await browser.signIn('alice@example.com', 'wonderland');
    expect(answer.status).toBe(303);
    const cookies = answer.setCookies.map(parseSetCookie);
    const session = cookies.find((c) => c.name.includes('session'))!;
    expect(session.name).toBe('__Host-itip-agent-session');
    expect(session.attributes.has('secure')).toBe(true);
    expect(session.attributes.get('path')).toBe('/');
    expect(session.attributes.has('domain')).toBe(false);
    expect((await browser.get('/')).body).toContain('alice@example.com');
    // A cookie without the prefix (one a plain-HTTP page could have set) is not read over TLS.
    const planted = web.browser();
    planted.cookies.set('itip-agent-session', browser.cookies.get('__Host-itip-agent-session')!);
    expect((await planted.get('/')).status).toBe(303);
  });
});

describe('the web listener on a unix socket', () => {
  it('gets the socket mode, and trusts the proxy header there only with "unix" among the trusted proxies', async () => {
    for (const trustedProxies of [[], ['unix']]) {
      const dir = tempDir();
      const path = join(dir.path, 'web.sock');
      const web = await startWeb({ listen: path, socketMode: 0o600, settings: { proxyUserHeader: HEADER, trustedProxies } });
      try {
        expect(statSync(path).mode & 0o777).toBe(0o600);
        const answer = await web.browser({ [HEADER]: 'alice@example.com' }).get('/');
        expect(answer.status, JSON.stringify(trustedProxies)).toBe(trustedProxies.length ? 200 : 303);
        // Signing in with a password works there too (the client counts as on this host).
        const browser = web.browser();
        expect((await browser.signIn('bob@example.com', 'builder')).status).toBe(303);
        expect((await browser.get('/')).body).toContain('bob@example.com');
      } finally {
        await web.stop();
        dir.remove();
      }
    }
  });
});

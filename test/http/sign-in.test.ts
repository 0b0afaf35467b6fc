// Signing in to the web pages over real HTTP on loopback: the password file,
// sessions and their cookies, CSRF tokens, the sign-in limits, and what the
// pages say.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTENT_SECURITY_POLICY } from '../../src/http/respond.js';
import { Browser, csrfOf, parseSetCookie, send } from './web-client.js';
import { startWeb, type Web } from './web-support.js';

describe('sign-in with the password file', () => {
  let web: Web;
  beforeAll(async () => {
    web = await startWeb();
  });
  afterAll(() => web.stop());

  it('sends a visitor to the sign-in page, signs in, shows the address, signs out', async () => {
    const browser = web.browser();
    const before = await browser.get('/');
    expect(before.status).toBe(303);
    expect(before.headers.location).toBe('/login');

    const signedIn = await browser.signIn('Alice@Example.com', 'wonderland');
    expect(signedIn.status).toBe(303);
    expect(signedIn.headers.location).toBe('/');
    const home = await browser.get('/');
    expect(home.status).toBe(200);
    expect(home.body).toContain('Signed in as <strong class="address">alice@example.com</strong>');
    expect(web.logs).toContainEqual(expect.objectContaining({ msg: 'signed in', fields: expect.objectContaining({ user: 'mailto:alice@example.com', via: 'password' }) }));

    const sessionId = browser.cookies.get('itip-agent-session');
    const out = await browser.post('/logout', { _csrf: csrfOf(home.body) });
    expect(out.status).toBe(303);
    expect(out.headers.location).toBe('/login?signedout=1');
    expect((await browser.get('/login?signedout=1')).body).toContain('You are signed out.');
    expect((await browser.get('/')).status).toBe(303);
    // The old id is dead on the server, not only forgotten by the browser.
    const replay = await send(browser.target, '/', { cookie: `itip-agent-session=${sessionId}` });
    expect(replay.status).toBe(303);
  });

  it('gives a new session id at sign-in, whatever id the browser had', async () => {
    const first = web.browser();
    await first.signIn('alice@example.com', 'wonderland');
    const planted = first.cookies.get('itip-agent-session')!;
    const second = web.browser();
    second.cookies.set('itip-agent-session', planted);
    const form = await second.get('/login');
    expect(form.status).toBe(303); // already signed in with the planted id: sent on
    const victim = web.browser();
    victim.cookies.set('itip-agent-session', 'chosen-by-an-attacker');
    await victim.signIn('bob@example.com', 'builder');
    expect(victim.cookies.get('itip-agent-session')).not.toBe('chosen-by-an-attacker');
    expect((await victim.get('/')).body).toContain('bob@example.com');
  });

  it('refuses a wrong password with 401 and the form again, the typed address escaped', async () => {
    const browser = web.browser();
    const wrong = await browser.signIn('alice@example.com', 'not-the-password');
    expect(wrong.status).toBe(401);
    expect(wrong.body).toContain('The mail address or the password is wrong');
    expect(wrong.body).toContain('value="alice@example.com"');
    expect(browser.cookies.has('itip-agent-session')).toBe(false);

    const hostile = '"><script>alert(1)</script>@example.com';
    const page = await browser.signIn(hostile, 'x');
    expect(page.status).toBe(401);
    expect(page.body).not.toContain('<script>');
    expect(page.body).toContain('value="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;@example.com"');
  });

  it('refuses an unknown user the same way as a wrong password', async () => {
    const answer = await web.browser().signIn('nobody@example.com', 'wonderland');
    expect(answer.status).toBe(401);
    expect(answer.body).toContain('The mail address or the password is wrong');
  });

  it('sets the session cookie HttpOnly, SameSite=Strict, Path=/, and not Secure over plain HTTP', async () => {
    const browser = web.browser();
    const answer = await browser.signIn('alice@example.com', 'wonderland');
    const cookie = answer.setCookies.map(parseSetCookie).find((c) => c.name.includes('session'))!;
    expect(cookie.name).toBe('itip-agent-session');
    expect(cookie.value).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(cookie.attributes.has('httponly')).toBe(true);
    expect(cookie.attributes.get('samesite')).toBe('Strict');
    expect(cookie.attributes.get('path')).toBe('/');
    expect(cookie.attributes.has('secure')).toBe(false);
    expect(cookie.attributes.has('domain')).toBe(false);
  });

  it('goes on to a path of this site after sign-in, never to another site', async () => {
    for (const [next, expected] of [
      ['/calendar?week=2026-W48', '/calendar?week=2026-W48'],
      ['//evil.example/', '/'],
      ['/\\evil.example/', '/'],
      ['https://evil.example/', '/'],
    ] as const) {
      const browser = web.browser();
      const form = await browser.get(`/login?next=${encodeURIComponent(next)}`);
      const answer = await browser.post('/login', { _csrf: csrfOf(form.body), login: 'alice@example.com', password: 'wonderland', next });
      expect(answer.headers.location, next).toBe(expected);
    }
  });
});

describe('CSRF tokens', () => {
  let web: Web;
  beforeAll(async () => {
    web = await startWeb();
  });
  afterAll(() => web.stop());

  it('refuses a sign-in form without a token, with a wrong one, or with another browser\'s', async () => {
    const browser = web.browser();
    await browser.get('/login');
    const missing = await browser.post('/login', { login: 'alice@example.com', password: 'wonderland' });
    expect(missing.status).toBe(403);
    expect(missing.body).toContain('security token');
    expect(missing.body).toContain('reload the page');
    const wrong = await browser.post('/login', { _csrf: 'x'.repeat(43), login: 'alice@example.com', password: 'wonderland' });
    expect(wrong.status).toBe(403);
    const other = web.browser();
    const token = csrfOf((await other.get('/login')).body);
    const borrowed = await browser.post('/login', { _csrf: token, login: 'alice@example.com', password: 'wonderland' });
    expect(borrowed.status).toBe(403);
    expect(browser.cookies.has('itip-agent-session')).toBe(false);
    // A sign-in refused for its token is no failed password: it is not counted.
    expect(web.logs.filter((r) => r.msg.startsWith('sign-in failed'))).toEqual([]);
  });

  it('refuses a signed-in POST without the session\'s token and changes nothing', async () => {
    const browser = web.browser();
    const loginForm = await browser.get('/login');
    const loginToken = csrfOf(loginForm.body);
    await browser.post('/login', { _csrf: loginToken, login: 'alice@example.com', password: 'wonderland' });
    const home = await browser.get('/');
    const token = csrfOf(home.body);
    const altered = token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A');
    const forms: Array<Record<string, string>> = [{}, { _csrf: '' }, { _csrf: loginToken }, { _csrf: altered }, { _csrf: token.slice(0, -1) }];
    for (const form of forms) {
      const answer = await browser.post('/logout', form);
      expect(answer.status, JSON.stringify(form)).toBe(403);
    }
    // Still signed in: the refused sign-outs did nothing.
    expect((await browser.get('/')).status).toBe(200);
    const text = await browser.request('/logout', { method: 'POST', headers: { 'content-type': 'text/plain' } });
    expect(text.status).toBe(403);
  });

  it('takes the sign-in form of a second tab after the first signed in, with a new session', async () => {
    const browser = web.browser();
    const firstTab = csrfOf((await browser.get('/login')).body);
    const secondTab = csrfOf((await browser.get('/login')).body);
    expect(secondTab).toBe(firstTab);
    await browser.post('/login', { _csrf: firstTab, login: 'alice@example.com', password: 'wonderland' });
    const firstSession = browser.cookies.get('itip-agent-session');
    const again = await browser.post('/login', { _csrf: secondTab, login: 'bob@example.com', password: 'builder' });
    expect(again.status).toBe(303);
    expect(browser.cookies.get('itip-agent-session')).not.toBe(firstSession);
    expect((await browser.get('/')).body).toContain('bob@example.com');
    expect((await send(browser.target, '/', { cookie: `itip-agent-session=${firstSession}` })).status).toBe(303);
  });

  it('binds the token to the session: another session\'s token does not sign this one out', async () => {
    const alice = web.browser();
    await alice.signIn('alice@example.com', 'wonderland');
    const bob = web.browser();
    await bob.signIn('bob@example.com', 'builder');
    const bobsToken = csrfOf((await bob.get('/')).body);
    expect((await alice.post('/logout', { _csrf: bobsToken })).status).toBe(403);
    expect((await alice.get('/')).status).toBe(200);
  });
});

describe('sign-in limits', () => {
  it('pauses an account after its failures, with 429, Retry-After and the time to try again', async () => {
    const web = await startWeb({ settings: { loginLimits: { perAddress: 100, perAccount: 3, windowMinutes: 15 } } });
    try {
      const browser = web.browser();
      for (let i = 0; i < 3; i++) expect((await browser.signIn('alice@example.com', `guess-${i}`)).status).toBe(401);
      const limited = await browser.signIn('alice@example.com', 'wonderland');
      expect(limited.status).toBe(429);
      expect(Number(limited.headers['retry-after'])).toBe(15 * 60);
      expect(limited.body).toContain('too many failed sign-ins for this account');
      expect(limited.body).toContain('Try again after 12:15 UTC (in about 15 minutes)');
      expect(browser.cookies.has('itip-agent-session')).toBe(false);
      // Another account from the same client is not paused.
      expect((await browser.signIn('bob@example.com', 'builder')).status).toBe(303);

      web.clock.now += 10 * 60_000;
      const later = await web.browser().signIn('alice@example.com', 'wonderland');
      expect(later.status).toBe(429);
      expect(Number(later.headers['retry-after'])).toBe(5 * 60);
      web.clock.now += 5 * 60_000;
      expect((await web.browser().signIn('alice@example.com', 'wonderland')).status).toBe(303);
    } finally {
      await web.stop();
    }
  });

  it('pauses a client address after its failures over many accounts', async () => {
    const web = await startWeb({ settings: { loginLimits: { perAddress: 3, perAccount: 100, windowMinutes: 15 } } });
    try {
      const browser = web.browser();
      for (const user of ['a@example.com', 'b@example.com', 'c@example.com']) expect((await browser.signIn(user, 'x')).status).toBe(401);
      const limited = await browser.signIn('alice@example.com', 'wonderland');
      expect(limited.status).toBe(429);
      expect(limited.body).toContain('from your network address');
      expect(web.logs).toContainEqual(expect.objectContaining({ msg: 'sign-in refused: too many failed sign-ins', fields: expect.objectContaining({ by: 'address' }) }));
    } finally {
      await web.stop();
    }
  });

  it('counts the client a trusted proxy forwards, and ignores X-Forwarded-For from anyone else', async () => {
    const limits = { perAddress: 2, perAccount: 100, windowMinutes: 15 };
    const behind = await startWeb({ settings: { trustedProxies: ['127.0.0.0/8'], loginLimits: limits } });
    const direct = await startWeb({ settings: { trustedProxies: ['192.0.2.0/24'], loginLimits: limits } });
    try {
      const from = (web: Web, client: string) => web.browser({ 'x-forwarded-for': client });
      for (const web of [behind, direct]) {
        for (let i = 0; i < 2; i++) await from(web, '198.51.100.7').signIn(`u${i}@example.com`, 'x');
      }
      // Behind the trusted proxy, another client is another count; directly, the header changes nothing.
      expect((await from(behind, '198.51.100.8').signIn('alice@example.com', 'wonderland')).status).toBe(303);
      expect((await from(behind, '198.51.100.7').signIn('alice@example.com', 'wonderland')).status).toBe(429);
      expect((await from(direct, '198.51.100.8').signIn('alice@example.com', 'wonderland')).status).toBe(429);
    } finally {
      await behind.stop();
      await direct.stop();
    }
  });
});

describe('sessions end', () => {
  it('after the idle time, and then the sign-in page says why', async () => {
    const web = await startWeb({ settings: { sessionIdleMinutes: 30 } });
    try {
      const browser = web.browser();
      await browser.signIn('alice@example.com', 'wonderland');
      web.clock.now += 29 * 60_000;
      expect((await browser.get('/')).status).toBe(200);
      web.clock.now += 29 * 60_000; // used a minute ago: still alive
      expect((await browser.get('/')).status).toBe(200);
      web.clock.now += 30 * 60_000;
      const ended = await browser.get('/');
      expect(ended.status).toBe(303);
      expect(ended.headers.location).toBe('/login?ended=idle');
      expect((await browser.get(ended.headers.location!)).body).toContain('signed out because the page was not used for a while');
    } finally {
      await web.stop();
    }
  });

  it('at the longest lifetime, however busy', async () => {
    const web = await startWeb({ settings: { sessionIdleMinutes: 30, sessionMaxHours: 1 } });
    try {
      const browser = web.browser();
      await browser.signIn('alice@example.com', 'wonderland');
      for (let i = 0; i < 3; i++) {
        web.clock.now += 20 * 60_000;
        expect((await browser.get('/')).status).toBe(i < 2 ? 200 : 303);
      }
    } finally {
      await web.stop();
    }
  });
});

describe('every answer', () => {
  let web: Web;
  beforeAll(async () => {
    web = await startWeb({ settings: { loginLimits: { perAddress: 100, perAccount: 1, windowMinutes: 15 } } });
  });
  afterAll(() => web.stop());

  it('carries the Content-Security-Policy and the other security headers', async () => {
    const browser = web.browser();
    const answers = [
      await browser.get('/'),
      await browser.get('/login'),
      await browser.request('/login', { method: 'HEAD' }),
      await browser.get('/static/style.css'),
      await browser.get('/no-such-page'),
      await browser.post('/login', { login: 'alice@example.com', password: 'x' }),
      await browser.signIn('bob@example.com', 'wrong'),
      await browser.signIn('bob@example.com', 'builder'),
      await browser.request('/login', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, form: { big: 'x'.repeat(100_000) } }),
      await browser.get('/'),
      await browser.request('/login', { method: 'POST', headers: { 'content-type': 'application/xml' } }),
    ];
    expect(answers.map((a) => a.status)).toEqual([303, 200, 200, 200, 404, 403, 401, 429, 413, 303, 415]);
    for (const answer of answers) {
      expect(answer.headers['content-security-policy'], String(answer.status)).toBe(CONTENT_SECURITY_POLICY);
      expect(answer.headers['x-content-type-options']).toBe('nosniff');
      expect(answer.headers['referrer-policy']).toBe('no-referrer');
      expect(answer.headers['x-frame-options']).toBe('DENY');
    }
    expect(CONTENT_SECURITY_POLICY).toBe("default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
  });

  it('is a page without inline script or style, fit for a phone and a keyboard', async () => {
    const browser = web.browser();
    const login = await browser.get('/login');
    for (const page of [login.body, (await browser.get('/no-such-page')).body]) {
      expect(page).not.toMatch(/<script|<style|\sstyle=|\son[a-z]+=/i);
      expect(page).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
      expect(page).toContain('<link rel="stylesheet" href="/static/style.css">');
      expect(page).toContain('<html lang="en">');
    }
    expect(login.body).toMatch(/<label for="login">[^<]*<input type="text" id="login"/);
    expect(login.body).toMatch(/<label for="password">[^<]*<input type="password" id="password"/);
    expect(login.headers['content-type']).toBe('text/html; charset=utf-8');
    const css = await browser.get('/static/style.css');
    expect(css.headers['content-type']).toBe('text/css; charset=utf-8');
    expect(css.body).toContain(':focus-visible');
    const missing = await browser.get('/no-such-page');
    expect(missing.body).toContain('There is no page here');
    expect(missing.body).toContain('Go to the start page');
  });
});

describe('without password sign-in', () => {
  it('says that signing in with a password is not set up, and what turns it on', async () => {
    const web = await startWeb({ settings: { passwordLogins: false } });
    try {
      const page = await web.browser().get('/login');
      expect(page.status).toBe(503);
      expect(page.body).toContain('Signing in with a password is not set up on this site.');
      expect(page.body).toContain('http.dovecotAuth');
    } finally {
      await web.stop();
    }
  });

  it('says a password cannot be checked when Dovecot cannot be reached, and logs why', async () => {
    const web = await startWeb({ settings: { passwordLogins: false, dovecotAuth: '/nonexistent/auth-client' } });
    try {
      const browser: Browser = web.browser();
      const answer = await browser.signIn('alice@example.com', 'wonderland');
      expect(answer.status).toBe(503);
      expect(answer.body).toContain('Your password cannot be checked right now');
      expect(web.logs).toContainEqual(expect.objectContaining({ level: 'error', msg: expect.stringContaining('/nonexistent/auth-client cannot be reached') }));
      // Nobody's failure: the account is not paused by it.
      expect(web.logs.filter((r) => r.msg.startsWith('sign-in failed'))).toEqual([]);
    } finally {
      await web.stop();
    }
  });
});

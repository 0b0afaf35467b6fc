// The web listener in a real browser: sign in, the start page, sign out, a
// wrong password; published free/busy; a signed answer link from the notice
// mail, opened without a sign-in. The built `itip-agent serve --http` over a
// store seeded through the command line; Debian's Chromium (support.ts).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { fixture } from '../cli/run-cli.js';
import { launchChromium, localPart, newContext, shot, signIn, startAgent, USERS, type Agent } from './support.js';

let agent: Agent;
let browser: Browser;
/** The answer links of the notice alice got for her invitation. */
let links: { accept: string; decline: string };

beforeAll(async () => {
  agent = await startAgent((run) => {
    run(['prefs', USERS.alice.address, 'notify_requests', 'yes']);
    run(['prefs', USERS.alice.address, 'freebusy_sharing', 'share']);
    run(['prefs', USERS.alice.address, 'freebusy_publishing', 'publish']);
    // Boss invites alice: the request waits for her, her notice in the outbox.
    run(['process', '--recipient', USERS.alice.address, '--deliver', 'none'], fixture('request-alice.eml'));
  });
  const outbox = JSON.parse(agent.run(['outbox', '--user', USERS.alice.address, '--json']).stdout) as Array<{ notice?: { text: string } }>;
  const text = outbox.find((item) => item.notice)?.notice?.text ?? '';
  const link = (name: string) => new RegExp(`^ {2}${name}: +(\\S+)$`, 'm').exec(text)?.[1];
  links = { accept: link('Accept')!, decline: link('Decline')! };
  expect(links.accept).toMatch(/\/answer\//);
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await agent?.stop();
});

describe('signing in', () => {
  it('sends a visitor to the sign-in page, signs in, shows the start page, and signs out', async () => {
    const context = await newContext(browser, agent.baseURL);
    const page = await context.newPage();
    await page.goto('/');
    expect(new URL(page.url()).pathname).toBe('/login');
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Sign in');
    await shot(page, 'sign-in');

    await signIn(page, USERS.alice);
    await page.waitForURL((url) => url.pathname === '/');
    expect(await page.locator('header .account').textContent()).toContain('Signed in as alice@example.com');
    await shot(page, 'home');

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL((url) => url.pathname === '/login');
    expect(await page.getByRole('status').textContent()).toContain('You are signed out.');
    await shot(page, 'signed-out');
    // Signed out means signed out: the start page sends to the sign-in again.
    await page.goto('/');
    expect(new URL(page.url()).pathname).toBe('/login');
    await context.close();
  });

  it('says that the address or the password is wrong, and stays on the sign-in page', async () => {
    const context = await newContext(browser, agent.baseURL);
    const page = await context.newPage();
    await signIn(page, { address: USERS.alice.address, password: 'not her password' });
    const alert = page.getByRole('alert');
    expect(await alert.textContent()).toContain('The mail address or the password is wrong');
    expect(await page.getByLabel('Mail address').inputValue()).toBe(USERS.alice.address);
    await shot(page, 'sign-in-wrong-password');
    await page.goto('/');
    expect(new URL(page.url()).pathname).toBe('/login');
    await context.close();
  });
});

describe('published free/busy', () => {
  it('is fetched without a sign-in for a user who publishes, and not for one who does not', async () => {
    const context = await newContext(browser, agent.baseURL);
    const published = await context.request.get(`/freebusy/${USERS.alice.address}.ifb`);
    expect(published.status()).toBe(200);
    expect(published.headers()['content-type']).toBe('text/calendar; charset=utf-8; method=PUBLISH');
    const body = await published.text();
    expect(body).toContain('METHOD:PUBLISH');
    expect(body).toContain('ORGANIZER:mailto:alice@example.com');
    const hidden = await context.request.get(`/freebusy/${USERS.bob.address}.ifb`);
    expect(hidden.status()).toBe(404);
    const page = await context.newPage();
    await page.goto(`/freebusy/${USERS.bob.address}.ifb`);
    await shot(page, 'freebusy-not-published');
    await context.close();
  });
});

describe('a signed answer link', () => {
  it('opens the invitation without a sign-in, with its three answers', async () => {
    const context = await newContext(browser, agent.baseURL);
    const page = await context.newPage();
    const response = await page.goto(localPart(links.accept));
    expect(response?.status()).toBe(200);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Invitation: Planning');
    expect(await page.locator('main').textContent()).toContain('2026-12-01 09:00 - 10:00 UTC');
    for (const name of ['Accept', 'Tentative', 'Decline']) expect(await page.getByRole('button', { name }).count()).toBe(1);
    // The link named Accept: that button has the focus, so Enter answers with it.
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Accept');
    expect(await page.locator('header .account').count()).toBe(0);
    await shot(page, 'answer-link');
    await context.close();
  });

  it('that was changed opens nothing', async () => {
    const context = await newContext(browser, agent.baseURL);
    const page = await context.newPage();
    // One character of the signature changed.
    const response = await page.goto(localPart(links.decline).replace(/(.)\?/, (_, last: string) => `${last === 'A' ? 'B' : 'A'}?`));
    expect(response?.status()).toBe(404);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('This link is not valid');
    expect(await page.locator('main').textContent()).not.toContain('Planning');
    await shot(page, 'answer-link-not-valid');
    await context.close();
  });
});

// End-to-end tests: the built program (`itip-agent serve --http`) on loopback
// over a store seeded through the command line, and Debian's Chromium driven
// by playwright-core, as a person would use the pages. Playwright's own browser
// download does not work here, so the browser is Debian's Chromium: the host's
// /usr/bin/chromium, else the one in the tests' own Debian root
// (test/integration/tools.ts; nothing is installed on the host), or $CHROMIUM. Screenshots of each page
// go to $E2E_SCREENSHOTS, default /tmp/itip-e2e-shots, outside the repository.

import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { chromiumPath } from '../integration/tools.js';
import { cli } from '../cli/helpers.js';
import { tempDir } from '../cli/run-cli.js';
import { startServeChild, type ServeChild } from '../http/serve-child.js';

export const SCREENSHOTS = process.env.E2E_SCREENSHOTS ?? '/tmp/itip-e2e-shots';

/** The flags the brief of these tests names: no sandbox (root in CI), nothing that phones home. */
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export async function launchChromium(): Promise<Browser> {
  // A first run without the host's Chromium builds the tools root (minutes; the e2e hooks allow for it).
  return chromium.launch({ executablePath: await chromiumPath(), headless: true, args: CHROMIUM_ARGS, timeout: 60_000 });
}

/** A fresh browser profile (no cookies), its pages failing fast rather than waiting 30 s for what is not there. */
export async function newContext(browser: Browser, baseURL: string): Promise<BrowserContext> {
  const context = await browser.newContext({ baseURL, viewport: { width: 1000, height: 800 } });
  context.setDefaultTimeout(15_000);
  return context;
}

/** A full-page screenshot as SCREENSHOTS/NAME.png; its path. */
export async function shot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const path = join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** Users of every e2e store, with their web passwords. */
export const USERS = {
  alice: { address: 'alice@example.com', password: 'wonderland' },
  bob: { address: 'bob@example.com', password: 'builder' },
} as const;

/** The public address links in the agent's mail start with; the tests open their paths on the real listener. */
export const PUBLIC_URL = 'https://calendar.example.com';

export interface Agent {
  store: string;
  serve: ServeChild;
  baseURL: string;
  /** Runs the command line on the same store (read-only inspection, or mail as the MTA hands it over). */
  run(args: string[], input?: string | Buffer, env?: Record<string, string | undefined>): ReturnType<typeof cli>;
  stop(): Promise<void>;
}

const ENV = { ITIP_AGENT_CONFIG: undefined, ITIP_AGENT_HTTP_PUBLIC_URL: PUBLIC_URL, ITIP_AGENT_LOCAL_DOMAINS: 'example.com' };

/** A store with alice and bob (web passwords set), seeded by `seed`, and `serve --http` over it. */
export async function startAgent(seed: (run: Agent['run']) => void = () => undefined, serveArgs: string[] = [], env: Record<string, string> = {}): Promise<Agent> {
  const dir = tempDir('itip-agent-e2e-');
  const store = join(dir.path, 'store');
  const run: Agent['run'] = (args, input, extra) => {
    const result = cli(['--store', store, ...args], { env: { ...ENV, ...env, ...extra }, ...(input !== undefined ? { input } : {}) });
    if (result.code !== 0) throw new Error(`itip-agent ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
    return result;
  };
  for (const user of Object.values(USERS)) {
    run(['user', 'add', user.address]);
    run(['user', 'passwd', user.address], `${user.password}\n`);
  }
  seed(run);
  const serve = await startServeChild(store, ['serve', '--http', '127.0.0.1:0', ...serveArgs], { ...ENV, ...env });
  return {
    store,
    serve,
    baseURL: `http://127.0.0.1:${serve.httpPort()}`,
    run,
    async stop() {
      await serve.stop();
      dir.remove();
    },
  };
}

/** A TCP port free on loopback now (for a listener whose address must be known before it starts). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (address && typeof address === 'object' ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** Signs in through the sign-in form, as a person types it. */
export async function signIn(page: Page, user: { address: string; password: string }): Promise<void> {
  await page.goto('/login');
  await page.getByLabel('Mail address').fill(user.address);
  await page.getByLabel('Password').fill(user.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** The path and query of a link in the agent's mail, to open on the listener under test. */
export function localPart(url: string): string {
  const parsed = new URL(url);
  return `${parsed.pathname}${parsed.search}`;
}

/** An iMIP mail as an organizer's program sends it. */
export function invitation(options: { from: string; to: string; uid: string; summary: string; sequence?: number; messageId: string; method?: string; attendees?: string[]; extra?: string[] }): string {
  const method = options.method ?? 'REQUEST';
  const attendees = options.attendees ?? [`ATTENDEE;CN=Alice;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:${options.to}`];
  const ics = [
    'BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//Example//Calendar//EN', `METHOD:${method}`, 'BEGIN:VEVENT', `UID:${options.uid}`,
    'DTSTAMP:20261101T080000Z', 'DTSTART:20261201T090000Z', 'DTEND:20261201T100000Z', `SEQUENCE:${options.sequence ?? 0}`,
    `SUMMARY:${options.summary}`, 'LOCATION:Room 1', `ORGANIZER;CN=Bob:mailto:${options.from}`, ...attendees, ...(options.extra ?? []),
    'END:VEVENT', 'END:VCALENDAR', '',
  ].join('\r\n');
  return [
    `From: <${options.from}>`, `To: <${options.to}>`, `Subject: Invitation: ${options.summary}`, `Message-ID: <${options.messageId}>`,
    'Date: Sun, 01 Nov 2026 08:00:00 +0000', 'MIME-Version: 1.0', `Content-Type: text/calendar; charset=utf-8; method=${method}`, '', ics,
  ].join('\r\n');
}

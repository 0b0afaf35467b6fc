// The scheduling flows through the web pages, end to end: an attendee accepts
// an invitation on the requests page, the REPLY leaves through the outbox and
// reaches the organizer (a second local user of the same agent: the relay is
// the agent's own SMTP listener), the organizer answers a counter-proposal, an
// invitation is answered through a signed link without a sign-in, and one
// user cannot read another's page.
//
// These need the web manager's pages (src/http/pages/) and the agent's action
// runner wired into serve: routes and button names as WEB.md describes them
// (the requests page at /; buttons Accept, Tentative, Decline; an
// organizer's counter-proposals with Accept/Decline buttons; an event's page
// at /event/UID).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { freePort, invitation, launchChromium, localPart, newContext, shot, signIn, startAgent, USERS, type Agent } from './support.js';

const ALICE = USERS.alice.address;
const BOB = USERS.bob.address;
const CAROL = 'carol@example.org';
const PLANNING = 'planning-e2e@example.com';
const REVIEW = 'review-e2e@example.com';

interface OutboxRow {
  method: string;
  uid: string;
  to: string[];
  ics: string;
  notice?: { text: string };
}

interface ObjectRow {
  uid: string;
  attendees: Array<{ address: string; partstat: string }>;
}

let agent: Agent;
let browser: Browser;

beforeAll(async () => {
  // The outbox's relay is the agent's own SMTP listener: mail between the two
  // local users goes the whole way, as it would through the MTA.
  const smtp = await freePort();
  agent = await startAgent(
    (run) => {
      run(['prefs', ALICE, 'notify_requests', 'yes']);
      // Bob invites alice (her request waits; his own copy is stored by the outgoing rule, as his
      // submission through the MTA would store it)...
      const planning = invitation({ from: BOB, to: ALICE, uid: PLANNING, summary: 'Planning', messageId: 'planning@e2e' });
      run(['process', '--recipient', ALICE, '--sender', BOB, '--deliver', 'none'], planning);
      run(['process', '--outgoing', '--recipient', ALICE, '--sender', BOB, '--deliver', 'none'], planning);
      // ... and to a review, with alice and carol (outside), who proposes another time.
      const attendees = [`ATTENDEE;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:${ALICE}`, `ATTENDEE;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:${CAROL}`];
      const review = invitation({ from: BOB, to: ALICE, uid: REVIEW, summary: 'Review', messageId: 'review@e2e', attendees });
      run(['process', '--recipient', ALICE, '--recipient', CAROL, '--sender', BOB, '--deliver', 'none'], review);
      run(['process', '--outgoing', '--recipient', ALICE, '--recipient', CAROL, '--sender', BOB, '--deliver', 'none'], review);
      const counter = invitation({ from: BOB, to: BOB, uid: REVIEW, summary: 'Review', messageId: 'counter@e2e', method: 'COUNTER', attendees: [`ATTENDEE;PARTSTAT=TENTATIVE:mailto:${CAROL}`] })
        .replace(`From: <${BOB}>`, `From: <${CAROL}>`)
        .replace('DTSTART:20261201T090000Z', 'DTSTART:20261202T090000Z')
        .replace('DTEND:20261201T100000Z', 'DTEND:20261202T100000Z');
      run(['process', '--recipient', BOB, '--sender', CAROL, '--deliver', 'none'], counter);
    },
    ['--smtp', `127.0.0.1:${smtp}`],
    { ITIP_AGENT_RELAY_HOST: '127.0.0.1', ITIP_AGENT_RELAY_PORT: String(smtp) },
  );
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await agent?.stop();
});

function outbox(user: string): OutboxRow[] {
  return JSON.parse(agent.run(['outbox', '--user', user, '--json']).stdout) as OutboxRow[];
}

function partstat(user: string, uid: string, attendee: string): string | undefined {
  const objects = JSON.parse(agent.run(['objects', '--user', user, '--json']).stdout) as ObjectRow[];
  return objects.find((o) => o.uid === uid)?.attendees.find((a) => a.address === `mailto:${attendee}`)?.partstat;
}

/** Polls a condition of the store (the outbox sender and the SMTP listener work on their own time). */
async function until(what: string, check: () => boolean, ms = 45_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function signedIn(user: { address: string; password: string }): Promise<Page> {
  const context = await newContext(browser, agent.baseURL);
  const page = await context.newPage();
  await signIn(page, user);
  await page.waitForURL((url) => url.pathname !== '/login');
  return page;
}

describe('an invitation accepted on the requests page', () => {
  it('sends the REPLY, which reaches the organizer, who sees the answer on the event\'s page', async () => {
    const page = await signedIn(USERS.alice);
    await page.goto('/');
    const item = page.locator('main article.card').filter({ hasText: 'Planning' }).first();
    await shot(page, 'requests');
    await item.getByRole('button', { name: 'Accept', exact: true }).click();
    await page.waitForLoadState();
    await shot(page, 'requests-after-accept');
    expect(await page.locator('main').textContent()).toMatch(/accepted|sent/i);

    const reply = outbox(ALICE).find((item) => item.method === 'REPLY' && item.uid === PLANNING);
    expect(reply?.to).toEqual([`mailto:${BOB}`]);
    expect(reply?.ics).toContain('PARTSTAT=ACCEPTED');
    await until('the REPLY at the organizer', () => partstat(BOB, PLANNING, ALICE) === 'ACCEPTED');

    const organizer = await signedIn(USERS.bob);
    await organizer.goto(`/event/${encodeURIComponent(PLANNING)}`);
    const detail = (await organizer.locator('main').textContent()) ?? '';
    expect(detail).toContain(ALICE);
    expect(detail).toMatch(/accepted/i);
    await shot(organizer, 'event-detail-organizer');
    await page.context().close();
    await organizer.context().close();
  });
});

describe('a counter-proposal', () => {
  it('is declined by the organizer on the requests page: a DECLINECOUNTER goes to the attendee', async () => {
    const page = await signedIn(USERS.bob);
    await page.goto('/');
    const item = page.locator('main article.card').filter({ hasText: CAROL }).first();
    await shot(page, 'requests-counter');
    await item.getByRole('button', { name: 'Decline the proposal' }).click();
    await page.waitForLoadState();
    await shot(page, 'requests-counter-declined');
    const sent = outbox(BOB).find((row) => row.method === 'DECLINECOUNTER' && row.uid === REVIEW);
    expect(sent?.to).toEqual([`mailto:${CAROL}`]);
    await page.context().close();
  });
});

describe('a signed answer link', () => {
  it('answers the invitation without a sign-in, and then no longer opens it', async () => {
    const notice = outbox(ALICE).find((row) => row.notice && row.uid === REVIEW)?.notice?.text ?? '';
    const decline = /^ {2}Decline: +(\S+)$/m.exec(notice)?.[1];
    expect(decline).toBeDefined();
    const context = await newContext(browser, agent.baseURL);
    const page = await context.newPage();
    await page.goto(localPart(decline!));
    await page.getByRole('button', { name: 'Decline' }).click();
    await page.waitForLoadState();
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Answer sent');
    await shot(page, 'answer-link-answered');
    const reply = outbox(ALICE).find((row) => row.method === 'REPLY' && row.uid === REVIEW);
    expect(reply?.ics).toContain('PARTSTAT=DECLINED');
    const again = await page.goto(localPart(decline!));
    expect(again?.status()).toBe(410);
    await shot(page, 'answer-link-used');
    await context.close();
  });
});

describe('another user\'s page', () => {
  it('cannot be read', async () => {
    const page = await signedIn(USERS.bob);
    for (const path of [`/?user=${ALICE}`, `/calendar?user=${ALICE}`, `/free-busy?user=${ALICE}`]) {
      const response = await page.goto(path);
      expect([403, 404], path).toContain(response?.status());
      expect(await page.locator('main').textContent(), path).not.toContain('Review');
    }
    await shot(page, 'other-user-refused');
    await page.context().close();
  });
});

// The page a signed answer link opens: the one invitation, read-only, without
// a sign-in; answering through the action runner with the page's form token;
// links that were changed, expired, or whose invitation was answered or
// updated, show nothing of any calendar; failures are limited per address.
// Real LMDB store, real core, real listener on loopback.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { processMail } from '../../src/agent/process-message.js';
import { linksFromFile, requestKey } from '../../src/http/signed-links.js';
import { etagOf } from '../../src/itip/actions/action.js';
import { LmdbStore } from '../../src/store/lmdb-store.js';
import { MAIL_FIXTURES } from '../cli/helpers.js';
import { coreRunner, startStoreWeb, type RunnerCall, type StoreWeb } from './store-web.js';

const NOW = Date.parse('2026-11-15T12:00:00Z');
const ALICE = 'mailto:alice@example.com';
const UID = 'planning-2026-12-01@example.com';
const REQUEST = readFileSync(join(MAIL_FIXTURES, '../cli/request-alice.eml'));

const base = mkdtempSync(join(tmpdir(), 'itip-agent-answer-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));
let stores = 0;
let store: LmdbStore;
let web: StoreWeb;
let calls: RunnerCall[];

async function open(options: { runner?: boolean; perAddress?: number } = {}): Promise<void> {
  store = new LmdbStore(join(base, `store-${++stores}`));
  await processMail(store, REQUEST, { recipients: [ALICE], sender: 'boss@example.com' }, NOW);
  calls = [];
  web = await startStoreWeb({
    store,
    now: NOW,
    ...(options.runner === false ? {} : { runAction: coreRunner(store, NOW, calls) }),
    ...(options.perAddress ? { loginLimits: { perAddress: options.perAddress } } : {}),
  });
}

beforeEach(async () => open());
afterEach(async () => {
  await web.stop();
  await store.close();
});

/** A link as the agent makes it, for alice's waiting request as stored now. */
async function token(overrides: { expires?: number; uid?: string; user?: string } = {}): Promise<string> {
  const stored = (await store.getObject(ALICE, UID))!;
  return linksFromFile(web.linkSecretFile).make({
    user: overrides.user ?? ALICE,
    request: requestKey(overrides.uid ?? UID, null),
    etag: etagOf(stored),
    expires: overrides.expires ?? NOW + 86_400_000,
  });
}

function mail(method: string, from: string, lines: string[], id: string): Buffer {
  const ics = ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//t//EN', `METHOD:${method}`, 'BEGIN:VEVENT', `UID:${UID}`, ...lines, 'END:VEVENT', 'END:VCALENDAR', ''].join('\r\n');
  return Buffer.from(`From: ${from}\r\nTo: alice@example.com\r\nSubject: s\r\nMessage-ID: <${id}@t>\r\nContent-Type: text/calendar; method=${method}\r\n\r\n${ics}`);
}

const EVENT = ['DTSTART:20261201T090000Z', 'DTEND:20261201T100000Z', 'ORGANIZER;CN=Boss:mailto:boss@example.com'];

function formTokenOf(page: string): string {
  return /name="_csrf" value="([^"]+)"/.exec(page)![1]!;
}

/** Nothing of the calendar is on the page. */
function expectNoCalendar(body: string): void {
  expect(body).not.toContain('Planning');
  expect(body).not.toContain('boss@example.com');
  expect(body).not.toContain('alice@example.com');
}

describe('GET /answer/TOKEN', () => {
  it('opens the invitation without a sign-in, read-only, with the three answers as one form', async () => {
    const link = await token();
    const page = await web.browser().get(`/answer/${link}`);
    expect(page.status).toBe(200);
    expect(page.body).toContain('<title>Invitation: Planning - itip-agent</title>');
    expect(page.body).toContain('2026-12-01 09:00 - 10:00 UTC');
    expect(page.body).toContain('Boss &lt;boss@example.com&gt;');
    expect(page.body).toContain(`<form method="post" action="/answer/${link}"`);
    for (const [value, label] of [['accept', 'Accept'], ['tentative', 'Tentative'], ['decline', 'Decline']]) {
      expect(page.body).toContain(`<button type="submit" name="answer" value="${value}">${label}</button>`);
    }
    expect(formTokenOf(page.body)).toBe(linksFromFile(web.linkSecretFile).formToken(link));
    // No session, no cookie: the link is the only credential, and a GET changes nothing.
    expect(page.setCookies).toEqual([]);
    expect(page.headers['cache-control']).toBe('no-store');
    expect(await store.listRequests(ALICE)).toHaveLength(1);
    expect(calls).toEqual([]);
  });

  it('puts the focus on the answer the mail\'s link named', async () => {
    const page = await web.browser().get(`/answer/${await token()}?answer=decline`);
    expect(page.body).toContain('<button type="submit" name="answer" value="decline" autofocus>Decline</button>');
    expect(page.body).toContain('<button type="submit" name="answer" value="accept">Accept</button>');
  });

  it('shows calendar text as text', async () => {
    const hostile = mail('REQUEST', 'boss@example.com', [...EVENT, 'DTSTAMP:20261102T080000Z', 'SEQUENCE:1', 'SUMMARY:<script>alert(1)</script>', 'LOCATION:"><img src=x onerror=alert(2)>', 'ATTENDEE;PARTSTAT=NEEDS-ACTION:mailto:alice@example.com'], 'hostile');
    await processMail(store, hostile, { recipients: [ALICE], sender: 'boss@example.com' }, NOW);
    const page = await web.browser().get(`/answer/${await token()}`);
    expect(page.status).toBe(200);
    expect(page.body).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(page.body).toContain('&quot;&gt;&lt;img src=x onerror=alert(2)&gt;');
    expect(page.body).not.toContain('<script>');
    expect(page.body).not.toContain('<img');
  });

  it('refuses a changed link with 404 and shows nothing of any calendar', async () => {
    const link = await token();
    const parts = link.split('.');
    const bob = (await token({ user: 'mailto:bob@example.com' })).split('.');
    for (const changed of [[bob[0], ...parts.slice(1)].join('.'), `${link.slice(0, -2)}AA`, 'not-a-token', `${link}.x`]) {
      const page = await web.browser().get(`/answer/${changed}`);
      expect(page.status, changed).toBe(404);
      expect(page.body).toContain('This link is not valid');
      expectNoCalendar(page.body);
    }
    expect(web.logs.filter((l) => l.msg === 'an answer link that is not valid was refused')).toHaveLength(4);
  });

  it('says an expired link has expired (410), and sends to the sign-in', async () => {
    const page = await web.browser().get(`/answer/${await token({ expires: NOW })}`);
    expect(page.status).toBe(410);
    expect(page.body).toContain('This link has expired');
    expect(page.body).toContain('href="/login?next=%2F"');
    expectNoCalendar(page.body);
  });

  it('stops working once the invitation is answered (here in the calendar program: the REPLY alice sent)', async () => {
    const link = await token();
    const reply = mail('REPLY', 'alice@example.com', [...EVENT, 'DTSTAMP:20261115T110000Z', 'SEQUENCE:0', 'ATTENDEE;PARTSTAT=ACCEPTED:mailto:alice@example.com'], 'reply');
    await processMail(store, reply, { recipients: ['boss@example.com'], sender: 'alice@example.com', outgoing: true }, NOW);
    expect(await store.listRequests(ALICE)).toEqual([]);
    const page = await web.browser().get(`/answer/${link}`);
    expect(page.status).toBe(410);
    expect(page.body).toContain('the invitation was answered or changed since the link was made');
    expectNoCalendar(page.body);
  });

  it('stops working once the organizer updates the invitation', async () => {
    const link = await token();
    const update = mail('REQUEST', 'boss@example.com', ['DTSTART:20261201T110000Z', 'DTEND:20261201T120000Z', EVENT[2]!, 'DTSTAMP:20261102T080000Z', 'SEQUENCE:1', 'SUMMARY:Planning', 'ATTENDEE;PARTSTAT=NEEDS-ACTION:mailto:alice@example.com'], 'update');
    await processMail(store, update, { recipients: [ALICE], sender: 'boss@example.com' }, NOW);
    expect(await store.listRequests(ALICE)).toHaveLength(1);
    expect((await web.browser().get(`/answer/${link}`)).status).toBe(410);
    // A link to the new version works.
    expect((await web.browser().get(`/answer/${await token()}`)).status).toBe(200);
  });
});

describe('POST /answer/TOKEN', () => {
  it('answers as the link\'s user through the action runner, with the version shown, and shows what came of it', async () => {
    const link = await token();
    const browser = web.browser();
    const page = await browser.get(`/answer/${link}`);
    const etag = etagOf((await store.getObject(ALICE, UID))!);
    const answered = await browser.post(`/answer/${link}`, { _csrf: formTokenOf(page.body), answer: 'tentative', comment: ' maybe later ' });
    expect(calls.map(({ user, action, ifMatch }) => ({ user, action, ifMatch }))).toEqual([
      { user: ALICE, action: { kind: 'respond', uid: UID, partstat: 'TENTATIVE', comment: 'maybe later' }, ifMatch: etag },
    ]);
    const { result } = calls[0]!;
    // What the page says is what the runner answered, whatever the core does with a respond.
    expect(answered.status).toBe(result.outcome === 'applied' ? 200 : result.outcome === 'stale' ? 409 : 422);
    expect(answered.body).toContain(result.outcome === 'applied' ? 'Answer sent' : 'The answer was not sent');
    expect(answered.body).toContain(result.reason.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;'));
  });

  it('refuses an answer without the form token of the link\'s own page (403), and runs nothing', async () => {
    const link = await token();
    const other = linksFromFile(web.linkSecretFile).formToken(await token({ uid: 'other' }));
    const forms: Array<Record<string, string>> = [{ answer: 'accept' }, { answer: 'accept', _csrf: other }, { answer: 'accept', _csrf: '' }];
    for (const form of forms) {
      const response = await web.browser().post(`/answer/${link}`, form);
      expect(response.status).toBe(403);
      expect(response.body).toContain('nothing was sent');
    }
    expect(calls).toEqual([]);
  });

  it('asks for one of the three answers', async () => {
    const link = await token();
    for (const answer of ['delegate', '__proto__', 'constructor', '']) {
      const response = await web.browser().post(`/answer/${link}`, { _csrf: linksFromFile(web.linkSecretFile).formToken(link), answer });
      expect(response.status, answer).toBe(400);
    }
    expect(calls).toEqual([]);
  });

  it('refuses a changed link as the GET does', async () => {
    const link = await token();
    const changed = `${link.slice(0, -2)}AA`;
    const response = await web.browser().post(`/answer/${changed}`, { _csrf: linksFromFile(web.linkSecretFile).formToken(changed), answer: 'accept' });
    expect(response.status).toBe(404);
    expect(calls).toEqual([]);
  });
});

describe('without an action runner', () => {
  beforeEach(async () => {
    await web.stop();
    await store.close();
    await open({ runner: false });
  });

  it('says that answers cannot be sent here (503), and sends nothing', async () => {
    const link = await token();
    const response = await web.browser().post(`/answer/${link}`, { _csrf: linksFromFile(web.linkSecretFile).formToken(link), answer: 'accept' });
    expect(response.status).toBe(503);
    expect(response.body).toContain('Nothing was sent');
    expect(await store.listRequests(ALICE)).toHaveLength(1);
  });
});

describe('failed links per address', () => {
  beforeEach(async () => {
    await web.stop();
    await store.close();
    await open({ perAddress: 3 });
  });

  it('pause answer links for that address after the limit (429 with Retry-After), until the window has passed', async () => {
    const link = await token();
    for (let i = 0; i < 3; i++) expect((await web.browser().get(`/answer/${link.slice(0, -2)}A${i}`)).status).toBe(404);
    const paused = await web.browser().get(`/answer/${link}`);
    expect(paused.status).toBe(429);
    expect(Number(paused.headers['retry-after'])).toBe(15 * 60);
    expectNoCalendar(paused.body);
    // Expired and answered links are no guesses: only links that are not ours count.
    web.clock.now += 15 * 60_000;
    expect((await web.browser().get(`/answer/${link}`)).status).toBe(200);
    for (let i = 0; i < 5; i++) expect((await web.browser().get(`/answer/${await token({ expires: NOW })}`)).status).toBe(410);
    expect((await web.browser().get(`/answer/${link}`)).status).toBe(200);
  });
});

// notify_requests: when an invitation waits for the user's answer, the agent
// queues one short notice mail to the user with signed answer links, in the
// same transaction; none when the preference is off, none on a redelivery, and
// a notice that cannot be made never fails the mail. Real mail reader, core,
// LMDB, listener and SMTP server.

import { mkdtempSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_AGENT_POLICY, type AgentPolicy } from '../../src/agent/policy.js';
import { processMail } from '../../src/agent/process-message.js';
import type { RequestNotices } from '../../src/agent/request-notice.js';
import { linksFromFile, noticeLinks, requestKey } from '../../src/http/signed-links.js';
import { etagOf } from '../../src/itip/actions/action.js';
import { LmdbStore } from '../../src/store/lmdb-store.js';
import { runOutboxOnce } from '../../src/transport/outbox-sender.js';
import { startStoreWeb } from '../http/store-web.js';
import { startSmtpServer, type TestSmtpServer } from '../transport/smtp-test-server.js';

const NOW = Date.parse('2026-11-15T12:00:00Z');
const ALICE = 'mailto:alice@example.com';
const UID = 'planning-2026-12-01@example.com';
const REQUEST = readFileSync(join(import.meta.dirname, '../fixtures/cli/request-alice.eml'));
const PUBLIC_URL = 'https://calendar.example.com';

const base = mkdtempSync(join(tmpdir(), 'itip-agent-notice-'));
let smtp: TestSmtpServer;
beforeAll(async () => {
  smtp = await startSmtpServer();
});
afterAll(async () => {
  await smtp.close();
  rmSync(base, { recursive: true, force: true });
});

let stores = 0;
let dir: string;
let store: LmdbStore;
let warnings: Array<{ msg: string; fields?: Record<string, unknown> }>;
beforeEach(() => {
  dir = join(base, `store-${++stores}`);
  store = new LmdbStore(dir);
  warnings = [];
  smtp.reset();
});
afterEach(async () => {
  await store.close();
});

function policy(notices: Partial<RequestNotices> = {}, secretFile = join(dir, 'link-secret')): AgentPolicy {
  const links = noticeLinks({ secretFile, publicUrl: PUBLIC_URL });
  return {
    ...DEFAULT_AGENT_POLICY,
    notices: { links, log: (_level, msg, fields) => warnings.push({ msg, ...(fields ? { fields } : {}) }), ...notices },
  };
}

async function prefs(values: Record<string, string>): Promise<void> {
  await store.transact(ALICE, (tx) => {
    tx.setRole('person');
    for (const [key, value] of Object.entries(values)) tx.setPref(key, value);
  });
}

const deliver = (raw: Buffer, agentPolicy: AgentPolicy) => processMail(store, raw, { recipients: [ALICE], sender: 'boss@example.com' }, NOW, agentPolicy);

const notices = async () => (await store.listOutbox(ALICE)).filter((item) => item.notice);

describe('a REQUEST that waits, for a user with notify_requests=yes', () => {
  it('queues one notice to the user, whose links open that request and nothing else', async () => {
    await prefs({ notify_requests: 'yes' });
    await deliver(REQUEST, policy());
    expect((await store.listRequests(ALICE)).map((r) => r.uid)).toEqual([UID]);
    const outbox = await store.listOutbox(ALICE);
    expect(outbox).toHaveLength(1);
    const [item] = outbox;
    expect(item).toMatchObject({ user: ALICE, from: ALICE, to: [ALICE], method: 'REQUEST', uid: UID, state: 'unprocessed', ics: '' });
    expect(item!.notice!.subject).toBe('Waiting for your answer: Planning');
    const text = item!.notice!.text;
    expect(text).toContain('Boss <boss@example.com> invites you');
    expect(text).toContain('When:       2026-12-01 09:00 - 10:00 UTC');
    expect(text).toContain(`All invitations waiting for you: ${PUBLIC_URL}/`);
    expect(text).toContain('The links work until 2026-11-29 12:00 UTC');

    const found = [...text.matchAll(/^ {2}(Accept|Tentative|Decline): +(\S+)$/gm)].map((m) => [m[1], m[2]!]);
    expect(found.map(([name]) => name)).toEqual(['Accept', 'Tentative', 'Decline']);
    const tokens = new Set(found.map(([, url]) => new URL(url).pathname.replace('/answer/', '')));
    expect(tokens.size).toBe(1);
    const [token] = tokens;
    expect(found.map(([, url]) => new URL(url).search)).toEqual(['?answer=accept', '?answer=tentative', '?answer=decline']);
    expect(linksFromFile(join(dir, 'link-secret')).check(token!, NOW)).toEqual({
      ok: true,
      claims: { user: ALICE, request: requestKey(UID, null), etag: etagOf((await store.getObject(ALICE, UID))!), expires: NOW + 14 * 86_400_000 },
    });

    // The link opens the invitation on the web pages, without a sign-in.
    const web = await startStoreWeb({ store, now: NOW, linkSecretFile: join(dir, 'link-secret') });
    try {
      const page = await web.browser().get(new URL(found[0]![1]).pathname + new URL(found[0]![1]).search);
      expect(page.status).toBe(200);
      expect(page.body).toContain('Invitation: Planning');
    } finally {
      await web.stop();
    }
  });

  it('writes the notice in the user\'s LANG', async () => {
    await prefs({ notify_requests: 'yes', LANG: 'fr' });
    await deliver(REQUEST, policy());
    const [item] = await notices();
    expect(item!.notice!.subject).toBe('En attente de votre réponse : Planning');
    expect(item!.notice!.text).toContain('Boss <boss@example.com> vous invite, et l’invitation attend votre réponse.');
    expect(item!.notice!.text).toContain('Quand:      2026-12-01 09:00 - 10:00 UTC');
    expect(item!.notice!.text).toMatch(/^ {2}Accepter: +https:/m);
  });

  it('queues it from notify.from when that is set', async () => {
    await prefs({ notify_requests: 'yes' });
    await deliver(REQUEST, policy({ from: 'calendar@example.com' }));
    expect((await notices()).map((n) => [n.from, n.to])).toEqual([['calendar@example.com', [ALICE]]]);
  });

  it('queues none a second time when the same mail comes again', async () => {
    await prefs({ notify_requests: 'yes' });
    await deliver(REQUEST, policy());
    await deliver(REQUEST, policy());
    expect(await notices()).toHaveLength(1);
  });

  it('without a public address of the web pages, says to answer in the calendar program and carries no links', async () => {
    await prefs({ notify_requests: 'yes' });
    await deliver(REQUEST, { ...DEFAULT_AGENT_POLICY, notices: {} });
    const [notice] = await notices();
    expect(notice!.notice!.text).toContain('Answer it in your calendar program, or sign in to the calendar web pages.');
    expect(notice!.notice!.text).not.toContain('http');
  });

  it('that cannot be made (the link secret cannot be read) is left out and logged; the request waits all the same', async () => {
    await prefs({ notify_requests: 'yes' });
    const notAFile = join(dir, 'secret-dir');
    mkdirSync(notAFile);
    const result = await deliver(REQUEST, policy({}, notAFile));
    expect(result.users[0]!.entries.map((e) => e.outcome)).toEqual(['applied']);
    expect(await store.listRequests(ALICE)).toHaveLength(1);
    expect(await notices()).toEqual([]);
    expect(warnings).toEqual([expect.objectContaining({ msg: 'no notice was queued for a waiting request; the request itself waits as always', fields: expect.objectContaining({ user: ALICE, uid: UID }) })]);
  });

  it('goes out as a plain-text mail, with no calendar part, marked auto-generated', async () => {
    await prefs({ notify_requests: 'yes' });
    await deliver(REQUEST, policy());
    const before = (await store.getObject(ALICE, UID))!.ics;
    const summary = await runOutboxOnce(store, { relay: { host: '127.0.0.1', port: smtp.port }, now: () => NOW });
    expect(summary.sent).toBe(1);
    expect(smtp.received).toHaveLength(1);
    const [mail] = smtp.received;
    expect(mail!.to).toEqual(['alice@example.com']);
    const raw = mail!.raw.toString('utf8');
    expect(raw).toMatch(/^Subject: Waiting for your answer: Planning$/m);
    expect(raw).toMatch(/^Auto-Submitted: auto-generated$/m);
    expect(raw).toMatch(/^Content-Type: text\/plain/m);
    expect(raw).not.toContain('text/calendar');
    expect(raw).not.toContain('BEGIN:VCALENDAR');
    // A notice records no delivery status on the calendar.
    expect((await store.getObject(ALICE, UID))!.ics).toBe(before);
    expect((await store.listOutbox(ALICE))[0]!.state).toBe('processed');
  });
});

describe('calendar text in a notice', () => {
  it('stays on its line: a SUMMARY with line breaks starts no header and no line of its own', async () => {
    await prefs({ notify_requests: 'yes' });
    const hostile = Buffer.from(REQUEST.toString('utf8').replace('SUMMARY:Planning', 'SUMMARY:Planning\\nBcc: mallory@example.net\\n\\nClick: https://evil.example').replace('ORGANIZER;CN=Boss:', 'ORGANIZER;CN="Boss^nTo: mallory@example.net":'));
    await deliver(hostile, policy());
    const [notice] = await notices();
    expect(notice!.notice!.subject).toBe('Waiting for your answer: Planning Bcc: mallory@example.net Click: https://evil.example');
    expect(notice!.notice!.text).not.toMatch(/^(Bcc|To|Click):/m);
    await runOutboxOnce(store, { relay: { host: '127.0.0.1', port: smtp.port }, now: () => NOW });
    const raw = smtp.received[0]!.raw.toString('utf8');
    expect(smtp.received[0]!.to).toEqual(['alice@example.com']);
    expect(raw).not.toMatch(/^(Bcc|Click):/im);
    expect(raw.match(/^To:/gm)).toHaveLength(1);
  });
});

describe('no notice', () => {
  it('for a user without notify_requests, or with it set to no', async () => {
    await deliver(REQUEST, policy());
    expect(await store.listRequests(ALICE)).toHaveLength(1);
    expect(await store.listOutbox()).toEqual([]);
    await prefs({ notify_requests: 'no' });
    const update = Buffer.from(REQUEST.toString('utf8').replace('SEQUENCE:0', 'SEQUENCE:1').replace('planning-request-1@', 'planning-request-2@').replace('DTSTAMP:20261101T080000Z', 'DTSTAMP:20261102T080000Z'));
    await deliver(update, policy());
    expect(await store.listOutbox()).toEqual([]);
  });

  it('for a door that gives no notices (replay)', async () => {
    await prefs({ notify_requests: 'yes' });
    await deliver(REQUEST, DEFAULT_AGENT_POLICY);
    expect(await store.listRequests(ALICE)).toHaveLength(1);
    expect(await store.listOutbox()).toEqual([]);
  });
});

// The agent's side of a user's action: one transaction for the acting user
// with one journal entry, nothing written when the store cannot commit, no
// store made for an unknown user, and the local recipients' copies processed
// through the mail path as mail from the acting user. Real core, mail reader
// and LMDB.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_AGENT_POLICY } from '../../src/agent/policy.js';
import { processMail } from '../../src/agent/process-message.js';
import { TransactionService } from '../../src/agent/transaction-service.js';
import { actionUid, handToLocalRecipients, type ActionContext } from '../../src/agent/user-action.js';
import { etagOf } from '../../src/itip/actions/action.js';
import type { OutboxItem } from '../../src/itip/model.js';
import { LmdbStore } from '../../src/store/lmdb-store.js';
import type { Store } from '../../src/store/store.js';

const NOW = Date.parse('2026-11-15T12:00:00Z');
const ALICE = 'mailto:alice@example.com';
const BOB = 'mailto:bob@example.com';
const CAROL = 'mailto:carol@example.org';

function calendar(method: string, lines: string[]): string {
  return [
    'BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//t//EN', `METHOD:${method}`,
    'BEGIN:VEVENT', 'UID:m1@example.com', 'DTSTART:20261201T090000Z', 'DTEND:20261201T100000Z', 'SUMMARY:Planning',
    'ORGANIZER;CN=Alice:mailto:alice@example.com', ...lines, 'END:VEVENT', 'END:VCALENDAR', '',
  ].join('\r\n');
}

const INVITATION = calendar('REQUEST', [
  'DTSTAMP:20261101T080000Z',
  'SEQUENCE:0',
  'ATTENDEE;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:bob@example.com',
  'ATTENDEE;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:carol@example.org',
]);

function mail(from: string, to: string, messageId: string, ics: string): Buffer {
  const method = /^METHOD:(\S+)/m.exec(ics)![1];
  return Buffer.from(`From: ${from}\r\nTo: ${to}\r\nSubject: s\r\nMessage-ID: <${messageId}>\r\nContent-Type: text/calendar; method=${method}\r\n\r\n${ics}`);
}

/** The REPLY bob's answer makes, as an outbox item of bob's. */
function replyItem(to: string[]): OutboxItem {
  return {
    id: '20261115T120000Z-reply',
    user: BOB,
    method: 'REPLY',
    uid: 'm1@example.com',
    from: BOB,
    to,
    state: 'unprocessed',
    attempts: 0,
    created: '2026-11-15T12:00:00Z',
    ics: calendar('REPLY', ['DTSTAMP:20261115T120000Z', 'SEQUENCE:0', 'ATTENDEE;PARTSTAT=ACCEPTED:mailto:bob@example.com']),
  };
}

let dir: string;
let store: LmdbStore;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'itip-user-action-'));
  store = new LmdbStore(dir);
  // Alice's own copy (the outgoing rule) and bob's invitation.
  await processMail(store, mail('alice@example.com', 'bob@example.com', 'inv@example.com', INVITATION), { recipients: [], sender: 'alice@example.com', outgoing: true }, NOW);
  await processMail(store, mail('alice@example.com', 'bob@example.com', 'inv@example.com', INVITATION), { recipients: ['bob@example.com'], sender: 'alice@example.com' }, NOW);
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

function context(over: Partial<ActionContext> = {}): ActionContext {
  return { store, now: NOW, policy: DEFAULT_AGENT_POLICY, localDomains: new Set(), log: () => undefined, ...over };
}

/** The store, with every transaction (and commit) for one user rejected as a full disk would reject it. */
function failingFor(target: Store, user: string): Store {
  return new Proxy(target, {
    get(inner, property) {
      if (property === 'transact') {
        return (who: string, fn: never) => (who === user ? Promise.reject(new Error(`MDB_MAP_FULL: no space left for ${who}`)) : inner.transact(who, fn));
      }
      if (property === 'commitIf') {
        return (who: string, version: number, fn: never) =>
          who === user ? Promise.reject(new Error(`MDB_MAP_FULL: no space left for ${who}`)) : inner.commitIf(who, version, fn);
      }
      const value = Reflect.get(inner, property, inner) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(inner) : value;
    },
  });
}

function partstatsOf(ics: string): string[] {
  return [...ics.replace(/\r\n[ \t]/g, '').matchAll(/^ATTENDEE[^:]*PARTSTAT=([A-Z-]+)[^:]*:(\S+)$/gm)].map((m) => `${m[2]}=${m[1]}`).sort();
}

describe('local recipients of an action', () => {
  it('get the queued message processed as incoming mail from the acting user: alice has bob\'s answer at once', async () => {
    const outcomes = await handToLocalRecipients(BOB, [replyItem([ALICE])], context());
    expect(outcomes.map((o) => [o.user, o.entries.map((e) => [e.method, e.outcome])])).toEqual([[ALICE, [['REPLY', 'applied']]]]);
    expect(partstatsOf((await store.getObject(ALICE, 'm1@example.com'))!.ics)).toContain('mailto:bob@example.com=ACCEPTED');
    // The same Message-ID the outbox sender gives the mail it sends.
    expect(outcomes[0].entries[0].messageId).toBe('itip-20261115T120000Z-reply@example.com');
    // The outbox item itself is left to the outbox sender: the mailbox gets the mail too.
    expect(await store.listOutbox()).toEqual([]);
  });

  it('are only users with a store, and only in localDomains when that is set', async () => {
    // carol has no store here: she is reached by mail alone.
    expect(await handToLocalRecipients(BOB, [replyItem([CAROL])], context())).toEqual([]);
    expect(await store.listUsers()).not.toContain(CAROL);
    // alice has a store, but example.com is not among the configured domains.
    expect(await handToLocalRecipients(BOB, [replyItem([ALICE])], context({ localDomains: new Set(['example.org']) }))).toEqual([]);
    expect(partstatsOf((await store.getObject(ALICE, 'm1@example.com'))!.ics)).toContain('mailto:bob@example.com=NEEDS-ACTION');
    const inDomain = await handToLocalRecipients(BOB, [replyItem([ALICE, CAROL])], context({ localDomains: new Set(['example.com']) }));
    expect(inDomain.map((o) => o.user)).toEqual([ALICE]);
  });

  it('a copy that comes again (the outbox mail, back through the MTA) changes nothing', async () => {
    await handToLocalRecipients(BOB, [replyItem([ALICE])], context());
    const before = await store.getObject(ALICE, 'm1@example.com');
    const again = await handToLocalRecipients(BOB, [replyItem([ALICE])], context());
    expect(again[0].entries.map((e) => e.outcome)).toEqual(['duplicate']);
    expect(await store.getObject(ALICE, 'm1@example.com')).toEqual(before);
  });

  it('a local store that cannot commit costs the action nothing: that copy is left to the mail, the others are processed', async () => {
    await store.transact('mailto:dave@example.com', (tx) => tx.setRole('person'));
    const logged: Array<[string, string]> = [];
    const outcomes = await handToLocalRecipients(BOB, [replyItem([ALICE, 'mailto:dave@example.com'])], {
      ...context({ store: failingFor(store, ALICE) }),
      log: (level, msg) => void logged.push([level, msg]),
    });
    expect(outcomes.map((o) => o.user)).toEqual(['mailto:dave@example.com']);
    expect(logged).toContainEqual(['warn', 'the copy for mailto:alice@example.com could not be processed now; it arrives by mail from the outbox']);
    expect(partstatsOf((await store.getObject(ALICE, 'm1@example.com'))!.ics)).toContain('mailto:bob@example.com=NEEDS-ACTION');
  });
});

describe('running an action', () => {
  const service = (over: { store?: Store } = {}) => new TransactionService({ store: over.store ?? store, onward: { deliver: async () => [] }, now: () => NOW });

  it('journals every action under a Message-ID of its own: a second identical action is no duplicate', async () => {
    const stored = (await store.getObject(BOB, 'm1@example.com'))!;
    const first = await service().run({ kind: 'action', user: BOB, action: { kind: 'respond', uid: 'm1@example.com', partstat: 'ACCEPTED' }, ifMatch: '"old"' });
    const second = await service().run({ kind: 'action', user: BOB, action: { kind: 'respond', uid: 'm1@example.com', partstat: 'ACCEPTED' }, ifMatch: '"old"' });
    expect([first.outcome, second.outcome]).toEqual(['stale', 'stale']);
    const entries = (await store.listJournal(BOB)).filter((e) => e.messageId.startsWith('action-'));
    expect(entries.map((e) => [e.method, e.uid, e.outcome])).toEqual([
      ['respond', 'm1@example.com', 'stale'],
      ['respond', 'm1@example.com', 'stale'],
    ]);
    expect(entries[0].messageId).not.toBe(entries[1].messageId);
    expect(entries[0].messageId).toMatch(/^action-respond-20261115T120000Z-[0-9a-f]+@example\.com$/);
    expect(first.entry).toEqual(entries[0]);
    // Stale: nothing else changed.
    expect(await store.getObject(BOB, 'm1@example.com')).toEqual(stored);
    expect(await store.listRequests(BOB)).toHaveLength(1);
    expect(await store.listOutbox(BOB)).toEqual([]);
    expect(etagOf(stored)).not.toBe('"old"');
  });

  it('refuses the action of someone with no store, and makes none', async () => {
    const result = await service().run({ kind: 'action', user: 'mailto:nobody@example.com', action: { kind: 'delete', uid: 'm1@example.com' } });
    expect(result).toMatchObject({ outcome: 'refused', queued: [], local: [] });
    expect(result.reason).toMatch(/no calendar user of this installation/);
    expect(await store.listUsers()).not.toContain('mailto:nobody@example.com');
    expect(await store.listJournal('mailto:nobody@example.com')).toEqual([]);
  });

  it('a store that cannot commit is a failure to retry, with nothing written', async () => {
    const journal = await store.listJournal(BOB);
    const result = await service({ store: failingFor(store, BOB) }).run({ kind: 'action', user: BOB, action: { kind: 'respond', uid: 'm1@example.com', partstat: 'DECLINED' } });
    expect(result.failure).toMatchObject({ recipient: BOB, kind: 'store-failed' });
    expect(result.failure!.reason).toMatch(/could not commit, try again later: MDB_MAP_FULL/);
    expect(result.queued).toEqual([]);
    expect(result.entry).toBeUndefined();
    expect(await store.listJournal(BOB)).toEqual(journal);
  });

  it('takes the UID of a PUT from its calendar', () => {
    expect(actionUid({ kind: 'put', ics: INVITATION.replace('METHOD:REQUEST\r\n', '') })).toBe('m1@example.com');
    expect(actionUid({ kind: 'put', ics: 'not a calendar' })).toBe('');
    expect(actionUid({ kind: 'delete', uid: 'x' })).toBe('x');
  });
});

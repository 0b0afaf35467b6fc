// `itip-agent replay`: stored mail (.eml, mbox, maildir) run through the agent
// again, in order. Replaying twice must leave the store as it was.

import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES, NOW, tempDir } from './run-cli.js';
import { MAIL_FIXTURES, cli, errors, imipMail, json, jsonAsync, ok, plainMail, sortedKeys } from './helpers.js';

interface Summary {
  messages: number;
  skipped: number;
  outcomes: Record<string, number>;
}

const OUTCOME_KEYS = ['applied', 'duplicate', 'error', 'ignored', 'queued', 'refused', 'stale'];

function outcomes(counts: Partial<Record<string, number>>): Record<string, number> {
  return Object.fromEntries(OUTCOME_KEYS.map((key) => [key, counts[key] ?? 0]));
}

/** What a user's store holds, as the inspection commands show it. */
async function contents(store: string, user: string) {
  const [objects, freebusy, others, requests, inbox, users] = await Promise.all([
    jsonAsync(['objects', '--user', user], { store }),
    jsonAsync(['freebusy', '--user', user], { store }),
    jsonAsync(['freebusy', '--user', user, '--others'], { store }),
    jsonAsync(['requests', '--user', user], { store }),
    jsonAsync<unknown[]>(['inbox', '--user', user], { store }),
    jsonAsync(['user', 'list'], { store }),
  ]);
  return { objects, freebusy, others, requests, inbox: inbox.length, users };
}

describe('replay an mbox', () => {
  const dir = tempDir();
  const store = join(dir.path, 'store');
  const mbox = join(FIXTURES, 'replay.mbox');
  afterAll(() => dir.remove());

  let first: Summary;
  let before: Awaited<ReturnType<typeof contents>>;
  beforeAll(async () => {
    first = json<Summary>(['replay', mbox], { store });
    before = await contents(store, 'alice@example.com');
  });

  it('counts the messages and their outcomes: {messages, skipped, outcomes}', () => {
    expect(sortedKeys(first)).toEqual(['messages', 'outcomes', 'skipped']);
    expect(sortedKeys(first.outcomes)).toEqual(OUTCOME_KEYS);
    // Two invitations and a plain mail between them.
    expect(first).toEqual({ messages: 3, skipped: 0, outcomes: outcomes({ applied: 2 }) });
  });

  it('takes the recipient from Delivered-To: alice gets the update, carol (only in To) gets no store', () => {
    expect(before.users).toEqual([{ address: 'mailto:alice@example.com', role: 'person' }]);
    expect(before.objects).toMatchObject([
      { uid: 'standup@example.com', sequence: 1, start: '2026-12-03T09:00:00Z', end: '2026-12-03T09:15:00Z', organizer: 'mailto:boss@example.com' },
    ]);
    expect(before.requests).toEqual([{ uid: 'standup@example.com', recurrenceId: null, method: 'REQUEST', from: 'mailto:boss@example.com', received: NOW }]);
    const journal = json<Array<Record<string, unknown>>>(['journal'], { store });
    expect(journal.map((e) => [e.messageId, e.outcome])).toEqual([
      ['standup-request-0@example.com', 'applied'],
      ['standup-request-1@example.com', 'applied'],
    ]);
  });

  it('replayed again, gives duplicates and leaves the store as it was', async () => {
    const second = json<Summary>(['replay', mbox], { store });
    expect(second.messages).toBe(3);
    expect(second.skipped).toBe(0);
    expect(second.outcomes.applied).toBe(0);
    expect(second.outcomes.duplicate).toBeGreaterThanOrEqual(2);
    expect(await contents(store, 'alice@example.com')).toEqual(before);
  });

  it('prints a readable summary without --json', () => {
    const result = ok(['replay', mbox], { store });
    expect(result.stdout).toContain('replayed 3 messages');
    expect(result.stdout).toContain('duplicate');
  });
});

describe('replay .eml files', () => {
  const dir = tempDir();
  const store = join(dir.path, 'store');
  afterAll(() => dir.remove());

  const plain = join(FIXTURES, 'plain.eml');
  const request = join(FIXTURES, 'request-alice.eml');

  it('skips and counts mail with no recipient: no Delivered-To, and To: names no known user', () => {
    const summary = json<Summary>(['replay', plain, request], { store });
    expect(summary).toEqual({ messages: 2, skipped: 2, outcomes: outcomes({}) });
    expect(json(['user', 'list'], { store })).toEqual([]);
  });

  it('--recipient addresses every mail to that user', () => {
    const summary = json<Summary>(['replay', request, '--recipient', 'Alice@Example.com'], { store });
    expect(summary).toEqual({ messages: 1, skipped: 0, outcomes: outcomes({ applied: 1 }) });
    expect(json<Array<{ uid: string }>>(['objects', '--user', 'alice@example.com'], { store }).map((o) => o.uid)).toEqual([
      'planning-2026-12-01@example.com',
    ]);
  });

  it('takes the recipient from X-Original-To, and then To: names a known user', () => {
    const path = join(dir.path, 'for-carol.eml');
    writeFileSync(
      path,
      imipMail({
        headers: ['X-Original-To: Carol@Example.com'],
        from: 'Boss <boss@example.com>',
        to: ['Team <team@example.com>'],
        subject: 'Invitation: Lunch',
        messageId: 'lunch-request-1@example.com',
        ics: [
          'BEGIN:VCALENDAR',
          'VERSION:2.0',
          'PRODID:-//Example Corp//Calendar//EN',
          'METHOD:REQUEST',
          'BEGIN:VEVENT',
          'UID:lunch-2026-12-05@example.com',
          'DTSTAMP:20261101T080000Z',
          'DTSTART:20261205T120000Z',
          'DTEND:20261205T130000Z',
          'SUMMARY:Lunch',
          'ORGANIZER:mailto:boss@example.com',
          'ATTENDEE;PARTSTAT=NEEDS-ACTION:mailto:carol@example.com',
          'END:VEVENT',
          'END:VCALENDAR',
          '',
        ].join('\n'),
      }),
    );
    const summary = json<Summary>(['replay', path], { store });
    expect(summary).toEqual({ messages: 1, skipped: 0, outcomes: outcomes({ applied: 1 }) });
    expect(json<Array<{ address: string }>>(['user', 'list'], { store }).map((u) => u.address)).toEqual([
      'mailto:alice@example.com',
      'mailto:carol@example.com',
    ]);
    expect(json<Array<{ uid: string }>>(['objects', '--user', 'carol@example.com'], { store }).map((o) => o.uid)).toEqual(['lunch-2026-12-05@example.com']);

    // The request To: alice, now a known user, is hers; nobody else's store is made.
    const again = json<Summary>(['replay', plain, request], { store });
    expect(again).toEqual({ messages: 2, skipped: 0, outcomes: outcomes({ duplicate: again.outcomes.duplicate }) });
    expect(again.outcomes.duplicate).toBeGreaterThanOrEqual(1);
  });

  it('exits 66 for a path that does not exist or a folder that is no maildir', () => {
    const missing = cli(['replay', join(dir.path, 'nothing-here.mbox')], { store });
    expect(missing.code).toBe(66);
    expect(missing.stdout).toBe('');
    expect(errors(missing)).toHaveLength(1);
    mkdirSync(join(dir.path, 'empty-folder'));
    const folder = cli(['replay', join(dir.path, 'empty-folder')], { store });
    expect(folder.code).toBe(66);
    expect(String(errors(folder)[0].msg)).toContain('maildir');
  });
});

describe('replay a maildir', () => {
  const dir = tempDir();
  const store = join(dir.path, 'store');
  const maildir = join(dir.path, 'Maildir');
  afterAll(() => dir.remove());

  beforeAll(() => {
    for (const sub of ['cur', 'new', 'tmp']) mkdirSync(join(maildir, sub), { recursive: true });
    // Names sort in delivery order: the invitation (read, in cur/) before the cancellation (new/).
    copyFileSync(join(MAIL_FIXTURES, 'thunderbird-request.eml'), join(maildir, 'cur', '1790000000.M1P1.host:2,S'));
    copyFileSync(join(MAIL_FIXTURES, 'thunderbird-cancel.eml'), join(maildir, 'new', '1790000100.M2P2.host'));
    writeFileSync(
      join(maildir, 'new', '1790000050.M3P3.host'),
      plainMail({ from: 'Alice <alice@example.com>', to: ['Bob <bob@example.org>'], subject: 'Agenda', messageId: 'agenda-1@example.com', text: 'Agenda attached.' }),
    );
    // A mail still being written (tmp/) and a hidden file are no messages.
    writeFileSync(join(maildir, 'tmp', '1790000200.M4P4.host'), 'From: half\r\n');
    writeFileSync(join(maildir, 'cur', '.hidden'), 'not a mail\n');
  });

  it('reads cur/ and new/ in name order, ignoring tmp/ and hidden files', () => {
    const summary = json<Summary>(['replay', maildir, '--recipient', 'bob@example.org'], { store });
    expect(summary).toEqual({ messages: 3, skipped: 0, outcomes: outcomes({ applied: 2 }) });
    const objects = json<Array<Record<string, unknown>>>(['objects', '--user', 'bob@example.org'], { store });
    expect(objects).toMatchObject([{ uid: 'b7c3f2d4-6a1e-4c8b-9f0d-2e5a7c1b3d9f', status: 'CANCELLED', sequence: 1 }]);
    const journal = json<Array<Record<string, unknown>>>(['journal', '--user', 'bob@example.org'], { store });
    expect(journal.map((e) => [e.method, e.outcome])).toEqual([
      ['REQUEST', 'applied'],
      ['CANCEL', 'applied'],
    ]);
    expect(json(['freebusy', '--user', 'bob@example.org', '--others'], { store })).toEqual([]);
  });

  it('replayed twice, changes nothing', async () => {
    const before = await contents(store, 'bob@example.org');
    const summary = json<Summary>(['replay', maildir, '--recipient', 'bob@example.org'], { store });
    expect(summary.messages).toBe(3);
    expect(summary.outcomes.applied).toBe(0);
    expect(summary.outcomes.duplicate).toBeGreaterThanOrEqual(2);
    expect(await contents(store, 'bob@example.org')).toEqual(before);
    expect(existsSync(join(maildir, 'tmp', '1790000200.M4P4.host'))).toBe(true);
  });

  it('takes several inputs at once, in the order given', () => {
    const other = join(dir.path, 'other-store');
    const summary = json<Summary>(['replay', join(FIXTURES, 'replay.mbox'), maildir, '--recipient', 'carol@example.com'], { store: other });
    expect(summary.messages).toBe(6);
    expect(summary.outcomes.applied).toBeGreaterThanOrEqual(2);
    expect(json<Array<{ uid: string }>>(['objects', '--user', 'carol@example.com'], { store: other }).map((o) => o.uid)).toContain('standup@example.com');
  });
});

describe('replay progress when stderr is no terminal', () => {
  const dir = tempDir();
  const store = join(dir.path, 'store');
  const maildir = join(dir.path, 'Maildir');
  afterAll(() => dir.remove());

  it('writes JSON progress lines that only move forward, and a last one with the counts', () => {
    mkdirSync(join(maildir, 'cur'), { recursive: true });
    const total = 120;
    for (let n = 0; n < total; n++) {
      const ics = [
        'BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//t//EN', 'METHOD:REQUEST', 'BEGIN:VEVENT', `UID:progress-${n}@example.com`,
        'DTSTAMP:20261101T080000Z', 'DTSTART:20261201T090000Z', 'DTEND:20261201T100000Z', 'SEQUENCE:0',
        'ORGANIZER:mailto:boss@example.com', 'ATTENDEE:mailto:alice@example.com', 'END:VEVENT', 'END:VCALENDAR', '',
      ].join('\r\n');
      const mail = imipMail({ from: 'boss@example.com', to: ['alice@example.com'], subject: `Meeting ${n}`, messageId: `progress-${n}@example.com`, headers: ['Delivered-To: alice@example.com'], ics });
      writeFileSync(join(maildir, 'cur', `${String(n).padStart(4, '0')}.eml`), mail);
    }
    // runCli gives the program a pipe for stderr, as a log collector or systemd would.
    const result = ok(['replay', maildir, '--json'], { store });
    const progress = result.logs.filter((r) => r.msg === 'replay progress');
    let last = 0;
    for (const line of progress) {
      expect(line.total).toBe(total);
      expect(Number(line.done)).toBeGreaterThanOrEqual(last);
      last = Number(line.done);
    }
    const end = result.logs.filter((r) => r.msg === 'replay finished');
    expect(end).toHaveLength(1);
    expect(end[0]).toMatchObject({ level: 'info', done: total, total, skipped: 0, outcomes: { applied: total } });
    expect(result.logs.indexOf(end[0]!)).toBe(result.logs.length - 1);
    expect(JSON.parse(result.stdout)).toMatchObject({ messages: total, skipped: 0 });
  }, 120_000);
});

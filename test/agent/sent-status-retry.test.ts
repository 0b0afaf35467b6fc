// An invitation the user sent (the outgoing rule) whose local attendee's store
// could not commit while the sender's did: the sender's copy recorded 1.1
// (sent) for that attendee, the MTA got a temporary failure and brings the
// mail again. On the retry the sender's part is a redelivery, yet the
// attendee's store takes the mail now, so the organizer's stored copy must end
// as a clean run leaves it: 1.2 (delivered) for the attendee (RFC 6638 section
// 3.2.9). Real LMDB stores; the one failed commit is a StoreCommitError, as a
// full disk gives (test/store/lmdb-full-disk.test.ts), met before LMDB is asked.

import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TransactionService, type MailWork } from '../../src/agent/transaction-service.js';
import { openLmdbStore } from '../../src/store/open-store.js';
import { StoreCommitError, type Store } from '../../src/store/store.js';
import { onwardTo, parseTarget } from '../../src/transport/deliver.js';
import { NOW, tempDir } from '../transport/support.js';

const ICS = [
  'BEGIN:VCALENDAR',
  'VERSION:2.0',
  'PRODID:-//Example Corp//Calendar//EN',
  'METHOD:REQUEST',
  'BEGIN:VEVENT',
  'UID:retro@example.com',
  'DTSTAMP:20261115T110000Z',
  'DTSTART:20261202T090000Z',
  'DTEND:20261202T100000Z',
  'SEQUENCE:0',
  'SUMMARY:Retro',
  'ORGANIZER:mailto:alice@example.com',
  'ATTENDEE;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:bob@example.com',
  'ATTENDEE;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:carol@example.net',
  'END:VEVENT',
  'END:VCALENDAR',
  '',
].join('\r\n');

const MAIL = Buffer.from(
  [
    'From: Alice <alice@example.com>',
    'To: bob@example.com, carol@example.net',
    'Subject: Invitation: Retro',
    'Message-ID: <retro-invite@example.com>',
    'MIME-Version: 1.0',
    'Content-Type: text/calendar; charset=utf-8; method=REQUEST',
    '',
    ICS,
  ].join('\r\n'),
);

const ALICE = 'mailto:alice@example.com';
const BOB = 'mailto:bob@example.com';
const UID = 'retro@example.com';
const RECIPIENTS = ['bob@example.com', 'carol@example.net'];

/** The store, with the next `failures.left` commits for `user` failing as a full disk fails them. */
function storeFailingFor(store: Store, user: string, failures: { left: number }): Store {
  const commitIf: Store['commitIf'] = (who, version, fn) => {
    if (who === user && failures.left > 0) {
      failures.left--;
      return Promise.reject(new StoreCommitError('no space left on device (ENOSPC); free space there', 'ENOSPC'));
    }
    return store.commitIf(who, version, fn);
  };
  return new Proxy(store, {
    get(target, property) {
      if (property === 'commitIf') return commitIf;
      const value = Reflect.get(target, property, target) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

function serviceOn(store: Store, mailDir: string): TransactionService {
  return new TransactionService({ store, onward: onwardTo(parseTarget(`maildir:${mailDir}/{local}`)), now: () => NOW, localDomains: ['example.com'] });
}

const work = (recipients: string[], replies: MailWork['replies']): MailWork => ({ kind: 'mail', raw: MAIL, sender: 'alice@example.com', recipients, replies });

describe('SCHEDULE-STATUS of a sent invitation retried after the local attendee failed', () => {
  const dir = tempDir();
  afterAll(() => dir.remove());

  it.each([
    // A content filter answering once: the whole mail comes again.
    { replies: 'once' as const, retried: RECIPIENTS },
    // A door answering each recipient: only the failed one comes again.
    { replies: 'each' as const, retried: ['bob@example.com'] },
  ])('ends as a clean run does (replies $replies)', async ({ replies, retried }) => {
    const clean = openLmdbStore(join(dir.path, `clean-${replies}`, 'store'));
    const lmdb = openLmdbStore(join(dir.path, `retried-${replies}`, 'store'));
    try {
      await serviceOn(clean, join(dir.path, `clean-${replies}`, 'mail')).run(work(RECIPIENTS, replies));
      const expected = await clean.getObject(ALICE, UID);
      expect(expected!.ics.replace(/\r\n[ \t]/g, '')).toContain('SCHEDULE-STATUS=1.2:mailto:bob@example.com');

      const failures = { left: 1 };
      const service = serviceOn(storeFailingFor(lmdb, BOB, failures), join(dir.path, `retried-${replies}`, 'mail'));
      const first = await service.run(work(RECIPIENTS, replies));
      expect(first.verdicts.find((v) => v.recipient === 'bob@example.com')!.kind).toBe('store-failed');
      // The sender's store committed without Bob's: sent, not delivered.
      expect((await lmdb.getObject(ALICE, UID))!.ics.replace(/\r\n[ \t]/g, '')).toContain('SCHEDULE-STATUS=1.1:mailto:bob@example.com');

      const retry = await service.run(work(retried, replies));
      expect(retry.verdicts.map((v) => v.kind)).toEqual(retried.map(() => 'done'));
      expect((await lmdb.listRequests(BOB)).map((r) => r.uid)).toEqual([UID]);
      expect(await lmdb.getObject(ALICE, UID)).toEqual(expected);
      const alices = retry.users.find((u) => u.user === ALICE)!.entries;
      expect(alices.map((e) => [e.outcome, e.reason])).toEqual([
        ['duplicate', 'this mail was processed before (same Message-ID and content); SCHEDULE-STATUS 1.2 (delivered) for mailto:bob@example.com'],
      ]);

      // Once more: nothing left to raise, nothing changes.
      const again = await service.run(work(retried, replies));
      expect(await lmdb.getObject(ALICE, UID)).toEqual(expected);
      expect(again.users.find((u) => u.user === ALICE)!.entries.map((e) => e.reason)).toEqual([
        'this mail was processed before (same Message-ID and content); nothing changed',
      ]);
    } finally {
      await clean.close();
      await lmdb.close();
    }
  });
});

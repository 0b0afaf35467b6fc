// SCHEDULE-STATUS for invitations the user's own client sent (the outgoing
// rule), through the transaction service as a content filter runs it: a local
// calendar user whose store took the invitation in the same delivery is 1.2
// (delivered), a recipient elsewhere 1.1 (sent), as the outbox sender records
// for the agent's own messages (RFC 6638 section 3.2.9). Real LMDB store, real
// maildir delivery.

import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TransactionService } from '../../src/agent/transaction-service.js';
import { openStore } from '../../src/store/open-store.js';
import { onwardTo, parseTarget } from '../../src/transport/deliver.js';
import { NOW, tempDir } from '../transport/support.js';

const ICS = [
  'BEGIN:VCALENDAR',
  'VERSION:2.0',
  'PRODID:-//Example Corp//Calendar//EN',
  'METHOD:REQUEST',
  'BEGIN:VEVENT',
  'UID:review@example.com',
  'DTSTAMP:20261115T110000Z',
  'DTSTART:20261201T090000Z',
  'DTEND:20261201T100000Z',
  'SEQUENCE:0',
  'SUMMARY:Review',
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
    'Subject: Invitation: Review',
    'Message-ID: <review-invite@example.com>',
    'MIME-Version: 1.0',
    'Content-Type: text/calendar; charset=utf-8; method=REQUEST',
    '',
    ICS,
  ].join('\r\n'),
);

describe('SCHEDULE-STATUS of an invitation the user sent', () => {
  const dir = tempDir();
  afterAll(() => dir.remove());

  it('is 1.2 for the local calendar user whose store took it, 1.1 for the recipient elsewhere', async () => {
    const store = openStore(join(dir.path, 'store'));
    try {
      const service = new TransactionService({
        store,
        onward: onwardTo(parseTarget(`maildir:${dir.path}/mail/{local}`)),
        now: () => NOW,
        localDomains: ['example.com'],
      });
      const result = await service.run({ kind: 'mail', raw: MAIL, sender: 'alice@example.com', recipients: ['bob@example.com', 'carol@example.net'], replies: 'each' });
      expect(result.verdicts.map((v) => v.kind)).toEqual(['done', 'done']);
      // Bob's store took the invitation; the mail went on to both mailboxes.
      expect((await store.listRequests('mailto:bob@example.com')).map((r) => r.uid)).toEqual(['review@example.com']);
      expect(readdirSync(join(dir.path, 'mail')).sort()).toEqual(['bob', 'carol']);
      const text = (await store.getObject('mailto:alice@example.com', 'review@example.com'))!.ics.replace(/\r\n[ \t]/g, '');
      expect(text).toContain('SCHEDULE-STATUS=1.2:mailto:bob@example.com');
      expect(text).toContain('SCHEDULE-STATUS=1.1:mailto:carol@example.net');
      const alices = result.users.find((u) => u.user === 'mailto:alice@example.com')!.entries;
      expect(alices.map((e) => e.reason)).toEqual([
        'stored the event as sent (master); SCHEDULE-STATUS 1.2 (delivered) for mailto:bob@example.com; 1.1 (sent) for mailto:carol@example.net',
      ]);
    } finally {
      await store.close();
    }
  });
});

// Delivery status notifications (RFC 3464) as real MTAs wrote them: the
// integration suite's Postfix (smtp(8) refused at RCPT, then bounce(8)) and
// Exim (a :fail: router) returned alice's invitation to nobody@nowhere.test,
// and test/integration/bounce-journey.ts kept each DSN as it arrived in her
// mailbox (Dovecot's Return-Path, Delivered-To and Received on top). The
// hand-written reports under test/fixtures/scenarios/bounce follow the same
// format; these two are the real thing. Each is read here, and then run
// through `processMail` after the invitation it returns was processed as
// sent by alice (the outgoing rule), as the MTA's journey did.

import { mkdtemp, rm } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { processMail } from '../../src/agent/process-message.js';
import { readMail } from '../../src/mail/read-mail.js';
import { openStore } from '../../src/store/open-store.js';

const MAIL = join(import.meta.dirname, '..', 'fixtures', 'mail');
const ALICE = 'alice@example.com';
const NOWHERE = 'nobody@nowhere.test';

interface Captured {
  mta: string;
  file: string;
  /** The Message-ID and UID of the invitation the DSN returns (the suite's ids for that MTA). */
  messageId: string;
  uid: string;
  status: string;
  /** What the journal quotes after the status: the Diagnostic-Code, where the MTA wrote one. */
  diagnostic?: string;
}

const CAPTURED: Captured[] = [
  {
    mta: 'Postfix',
    file: 'dsn-postfix-captured.eml',
    messageId: 'pf-bounced-invite@example.com',
    uid: 'pf-bounced-meeting@example.com',
    status: '5.1.1',
    diagnostic: 'smtp; 550 5.1.1 <nobody@nowhere.test>: Recipient address rejected: mailbox unknown',
  },
  {
    mta: 'Exim',
    file: 'dsn-exim-captured.eml',
    messageId: 'ex-bounced-invite@example.com',
    uid: 'ex-bounced-meeting@example.com',
    status: '5.0.0',
  },
];

/** The message/rfc822 part of a DSN: the invitation as the MTA had it (its own Received line on top). */
function returnedMessage(dsn: string): Buffer {
  const part = dsn.search(/^Content-Type: message\/rfc822$/im);
  const start = dsn.indexOf('\n\n', part) + 2;
  const end = dsn.lastIndexOf('\n--');
  return Buffer.from(dsn.slice(start, end));
}

describe.each(CAPTURED)('a DSN as $mta wrote it', (captured) => {
  const raw = readFileSync(join(MAIL, captured.file));

  it('is read as a report on the invitation it returns, whose calendar is not taken for the DSN\'s own', async () => {
    const mail = await readMail(raw);
    expect(mail.calendars).toEqual([]);
    const recipient = {
      finalRecipient: `mailto:${NOWHERE}`,
      action: 'failed',
      status: captured.status,
      // Postfix keeps the address as given (Original-Recipient) and the remote server's answer.
      ...(captured.diagnostic ? { originalRecipient: `mailto:${NOWHERE}`, diagnostic: captured.diagnostic } : {}),
    };
    expect(mail.report).toEqual({ reportingMta: 'mx.example.com', originalMessageIds: [captured.messageId], recipients: [recipient] });
  });

  it('gives the attendee SCHEDULE-STATUS 5.1 on alice\'s copy of the invitation she sent, with a journal entry', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'itip-captured-dsn-'));
    const store = openStore(dir);
    try {
      const sentAt = Date.parse('2026-12-07T18:51:54Z');
      const sent = await processMail(store, returnedMessage(raw.toString('utf8')), { recipients: [NOWHERE], sender: ALICE, outgoing: true }, sentAt);
      expect(sent.users.flatMap((u) => u.entries).map((e) => e.outcome)).toEqual(['applied']);
      expect((await store.getObject(`mailto:${ALICE}`, captured.uid))?.ics.replace(/\r\n[ \t]/g, '')).toContain(`SCHEDULE-STATUS=1.1:mailto:${NOWHERE}`);

      const bounced = await processMail(store, raw, { recipients: [ALICE], sender: '' }, sentAt + 5_000);
      const detail = `status ${captured.status}${captured.diagnostic ? `: ${captured.diagnostic}` : ''}`;
      expect(bounced.users.flatMap((u) => u.entries).map(({ method, uid, outcome, reason }) => ({ method, uid, outcome, reason }))).toEqual([
        {
          method: 'REQUEST',
          uid: captured.uid,
          outcome: 'applied',
          reason: `SCHEDULE-STATUS 5.1 (could not be delivered) for ATTENDEE mailto:${NOWHERE}: the mail system returned the REQUEST <${captured.messageId}> (sent by the user) (${detail}) (RFC 3464; RFC 6638 section 3.2.9)`,
        },
      ]);
      const stored = (await store.getObject(`mailto:${ALICE}`, captured.uid))?.ics.replace(/\r\n[ \t]/g, '') ?? '';
      expect(stored).toContain(`SCHEDULE-STATUS=5.1:mailto:${NOWHERE}`);
      expect(stored).not.toContain(`SCHEDULE-STATUS=1.1:mailto:${NOWHERE}`);
      expect((await store.listJournal(`mailto:${ALICE}`)).filter((e) => e.uid === captured.uid).map((e) => e.outcome)).toEqual(['applied', 'applied']);
    } finally {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

// A bounce as the MTA itself writes it: alice sends an invitation through
// the MTA (the outgoing rule records it), its one attendee's domain fails
// permanently inside the MTA (Postfix's error(8) transport, Exim's :fail:
// router), and the MTA's own bounce machinery returns a delivery status
// notification (RFC 3464) to alice through the agent. The agent must match
// it to the invitation and record SCHEDULE-STATUS 5.1 on that attendee
// (RFC 6638 section 3.2.9), and deliver the DSN to her mailbox unchanged.
//
// With CAPTURE_DSN_FIXTURES=1 the DSN, as it arrived in the mailbox, is
// written to test/fixtures/mail/dsn-<mta>-captured.eml: the unit tests read
// those real DSNs (test/mail/read-dsn-captured.test.ts).

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { agent, agentJson, CHECKOUT } from './agent.js';
import { waitFor } from './host.js';
import { imip, maildirMessages } from './mail.js';
import type { MtaSuite, RunningMta } from './mta-suite.js';

const ALICE = 'alice@example.com';
const NOWHERE = 'nobody@nowhere.test';

interface JournalLine {
  uid: string;
  method: string;
  outcome: string;
  reason: string;
}

/** The stored VCALENDAR text of alice's event, unfolded (RFC 5545 section 3.1), or undefined while there is none. */
function storedText<M extends RunningMta>(suite: MtaSuite<M>, uid: string): string | undefined {
  const result = agent(suite.box, suite.store, ['object', uid, '--user', ALICE]);
  return result.status === 0 ? result.stdout.replace(/\r?\n[ \t]/g, '') : undefined;
}

export async function bounceJourney<M extends RunningMta>(suite: MtaSuite<M>): Promise<void> {
  const { mta, adapter } = suite;
  const uid = suite.id('bounced-meeting@example.com');
  const messageId = suite.id('bounced-invite@example.com');
  const invitation = imip({
    method: 'REQUEST',
    uid,
    messageId,
    from: ALICE,
    to: NOWHERE,
    organizer: ALICE,
    summary: 'Review',
    attendees: [[NOWHERE, 'NEEDS-ACTION']],
  });
  const logs = () => suite.logs();

  // Held until the outgoing rule has recorded the invitation: a bounce that
  // overtook the copy for the agent would find no sent message to match.
  mta.routeNowhere('defer');
  try {
    const response = await adapter.submit(mta, ALICE, [NOWHERE], invitation);
    expect(response).toMatch(/^250 /);
    await waitFor(
      'alice\'s stored invitation with SCHEDULE-STATUS 1.1 (sent)',
      () => storedText(suite, uid)?.includes(`SCHEDULE-STATUS=1.1:mailto:${NOWHERE}`),
      () => `${logs()}\n--- stored\n${storedText(suite, uid)}`,
      60_000,
    );
  } finally {
    mta.routeNowhere('fail');
  }
  mta.flush();

  const isDsn = (m: Buffer) => /^Content-Type: multipart\/report;/im.test(m.toString()) && m.includes(`<${messageId}>`);
  const dsn = await waitFor('the DSN in alice\'s maildir', () => maildirMessages(suite.dovecot.maildir(ALICE)).find(isDsn), logs, 90_000);
  const journal = () => agentJson<JournalLine[]>(suite.box, suite.store, ['journal', '--user', ALICE]).filter((e) => e.uid === uid);
  const entry = await waitFor('alice\'s journal entry for the DSN', () => journal().find((e) => /^SCHEDULE-STATUS 5\./.test(e.reason)), () => `${logs()}\n--- journal\n${JSON.stringify(journal(), null, 2)}`, 30_000);

  if (process.env.CAPTURE_DSN_FIXTURES === '1') {
    writeFileSync(join(CHECKOUT, 'test', 'fixtures', 'mail', `dsn-${adapter.name.toLowerCase()}-captured.eml`), dsn);
  }

  expect([entry.method, entry.outcome]).toEqual(['REQUEST', 'applied']);
  expect(entry.reason).toContain(`SCHEDULE-STATUS 5.1 (could not be delivered) for ATTENDEE mailto:${NOWHERE}`);
  expect(entry.reason).toContain(`<${messageId}> (sent by the user)`);
  const stored = storedText(suite, uid) ?? '';
  expect(stored).toContain(`SCHEDULE-STATUS=5.1:mailto:${NOWHERE}`);
  expect(stored).not.toContain(`SCHEDULE-STATUS=1.1:mailto:${NOWHERE}`);

  // The DSN reached the mailbox as the MTA wrote it: a report about nowhere.test, the
  // returned invitation whole inside it, and no header line of the agent's.
  const text = dsn.toString('utf8').replace(/\r\n/g, '\n');
  expect(text).toMatch(/^Return-Path: <>$/m);
  expect(text).toMatch(/report-type=("?)delivery-status\1/i);
  expect(text).toMatch(/^Content-Type: message\/delivery-status$/im);
  expect(text).toMatch(new RegExp(`^Final-Recipient: rfc822; ?${NOWHERE.replace(/\./g, '\\.')}$`, 'im'));
  expect(text).toMatch(/^Action: failed$/im);
  expect(text).toContain(invitation.replace(/\r\n/g, '\n').split('\n\n')[1]);
  expect(text).not.toMatch(/^X-Itip-Agent/im);
}

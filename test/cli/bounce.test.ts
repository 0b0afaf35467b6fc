// Bounces of invitations through the built program: a delivery status
// notification (RFC 3464) reaching the organizer marks the ATTENDEE the
// invitation did not reach, for invitations the user's client sent (the
// outgoing rule) and for those the agent queued itself (a `put`), and the
// report still reaches the mailbox byte for byte. The reports follow the
// format Postfix's bounce(8) and Exim write (test/fixtures/scenarios/bounce,
// written by hand; test/fixtures/mail/dsn-*-captured.eml are the real thing,
// read by test/mail/read-dsn-captured.test.ts).

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { OutboxJson } from '../../src/cli/commands/inspect.js';
import { outboxMessageId } from '../../src/mail/compose-outbox-item.js';
import type { OutboxItem } from '../../src/itip/model.js';
import { tempDir } from './run-cli.js';
import { SCENARIOS, imipMail, json, ok } from './helpers.js';

const ALICE = 'alice@example.com';
const UID = 'board-2026-12@example.com';

interface ProcessJson {
  messageId: string | null;
  users: Array<{ user: string; entries: Array<{ method: string; uid: string; outcome: string; reason: string }> }>;
}

function fixture(path: string): Buffer {
  return readFileSync(join(SCENARIOS, 'bounce', path));
}

/** The ATTENDEE lines of the stored copy, unfolded. */
function attendeeLines(store: string, user: string, uid: string): string[] {
  const text = ok(['object', '--user', user, uid], { store }).stdout.replace(/\r?\n[ \t]/g, '');
  return text.split(/\r?\n/).filter((l) => l.startsWith('ATTENDEE'));
}

function statusOf(lines: string[], address: string): string | undefined {
  const line = lines.find((l) => l.toLowerCase().endsWith(`:mailto:${address}`));
  return line ? (/;SCHEDULE-STATUS=([\d.]+)/i.exec(line)?.[1] ?? '') : undefined;
}

describe('a bounce of an invitation the user sent', () => {
  const dir = tempDir();
  const store = join(dir.path, 'store');
  afterAll(() => dir.remove());

  it('the outgoing rule marks the invitation sent (1.1) for each attendee it went to', () => {
    const invitation = imipMail({
      from: 'Alice <alice@example.com>',
      to: ['bob@example.org', 'carol@example.net'],
      subject: 'Invitation: Board meeting',
      messageId: 'invite-1@example.com',
      ics: readFileSync(join(SCENARIOS, 'bounce/postfix-user-unknown/01-request-sent.ics'), 'utf8'),
    });
    ok(['process', '--outgoing', '--sender', ALICE, '--recipient', 'bob@example.org', '--recipient', 'carol@example.net'], { store, input: invitation });
    const lines = attendeeLines(store, ALICE, UID);
    expect(statusOf(lines, 'bob@example.org')).toBe('1.1');
    expect(statusOf(lines, 'carol@example.net')).toBe('1.1');
  });

  it('a Postfix bounce sets 5.1 on the attendee it names, journals why, and is delivered unchanged', () => {
    const report = fixture('postfix-user-unknown/02-postfix-bounce.eml');
    const result = ok(['process', '--recipient', ALICE, '--deliver', 'stdout'], { store, input: report });
    expect(result.stdoutBytes.equals(report)).toBe(true);
    const journal = json<Array<{ messageId: string; method: string; uid: string; outcome: string; reason: string }>>(['journal', '--user', ALICE], { store });
    const last = journal.at(-1)!;
    expect(last).toMatchObject({ messageId: '20261201080003.4ZK3Q3Fh2cz9sWp@mail.example.com', method: 'REQUEST', uid: UID, outcome: 'applied' });
    expect(last.reason).toContain('SCHEDULE-STATUS 5.1');
    expect(last.reason).toContain('mailto:bob@example.org');
    expect(last.reason).toContain('5.1.1');
    const lines = attendeeLines(store, ALICE, UID);
    expect(statusOf(lines, 'bob@example.org')).toBe('5.1');
    expect(statusOf(lines, 'carol@example.net')).toBe('1.1');
  });

  it('an Exim bounce of the same invitation for the other attendee is matched too', () => {
    const report = fixture('exim-user-unknown/02-exim-bounce.eml').toString('utf8').replace(/bob@example\.org/g, 'carol@example.net');
    const printed = json<ProcessJson>(['process', '--recipient', ALICE], { store, input: report });
    expect(printed.users).toEqual([{ user: `mailto:${ALICE}`, entries: [expect.objectContaining({ method: 'REQUEST', uid: UID, outcome: 'applied' })] }]);
    expect(statusOf(attendeeLines(store, ALICE, UID), 'carol@example.net')).toBe('5.1');
  });

  it('a report about a mail the agent never saw leave changes nothing', () => {
    const before = attendeeLines(store, ALICE, UID);
    const printed = json<ProcessJson>(['process', '--recipient', ALICE], { store, input: fixture('unmatched-report-ignored/02-postfix-bounce.eml') });
    expect(printed.users[0].entries).toEqual([expect.objectContaining({ method: '', uid: '', outcome: 'ignored' })]);
    expect(printed.users[0].entries[0].reason).toContain('newsletter-7@example.com');
    expect(attendeeLines(store, ALICE, UID)).toEqual(before);
  });
});

describe('a bounce of an invitation the agent sent from its outbox', () => {
  const dir = tempDir();
  const store = join(dir.path, 'store');
  afterAll(() => dir.remove());

  it('is matched by the Message-ID the outbox item goes out with', () => {
    const event = readFileSync(join(SCENARIOS, 'bounce/postfix-user-unknown/01-request-sent.ics'), 'utf8').replace('METHOD:REQUEST\n', '');
    ok(['user', 'add', ALICE], { store });
    const put = json<{ outcome: string; queued: OutboxJson[] }>(['put', '--user', ALICE], { store, input: event });
    expect(put.outcome).toBe('applied');
    const item = put.queued.find((q) => q.method === 'REQUEST' && q.to.includes('mailto:bob@example.org'));
    expect(item).toBeDefined();
    const messageId = outboxMessageId({ ...item!, user: `mailto:${ALICE}` } as unknown as OutboxItem);
    // The Postfix report as it returns the agent's mail: only the Message-ID differs.
    const report = fixture('postfix-message-too-big/02-postfix-bounce.eml').toString('utf8').replace('<invite-1@example.com>', `<${messageId}>`);
    const printed = json<ProcessJson>(['process', '--recipient', ALICE], { store, input: report });
    expect(printed.users[0].entries).toEqual([expect.objectContaining({ method: 'REQUEST', uid: UID, outcome: 'applied' })]);
    expect(printed.users[0].entries[0].reason).toContain('(sent by the agent)');
    expect(statusOf(attendeeLines(store, ALICE, UID), 'bob@example.org')).toBe('5.3');
  });
});

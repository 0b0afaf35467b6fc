// Sender authentication through the command line, as an MTA drives it: the
// client facts on the pipe (--client-address, --authenticated-user), trusted
// Authentication-Results, and the settings that switch them on (SECURITY.md).

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cli, imipMail, json, ok } from './helpers.js';
import { tempDir } from './run-cli.js';

interface JournalRow {
  recipient: string;
  outcome: string;
  reason: string;
}

function request(organizer: string, headers: string[] = [], uid = 'board@example.com'): Buffer {
  const ics = [
    'BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//t//EN', 'METHOD:REQUEST', 'BEGIN:VEVENT',
    `UID:${uid}`, 'DTSTAMP:20261101T080000Z', 'DTSTART:20261201T090000Z', 'DTEND:20261201T100000Z',
    'SEQUENCE:0', 'SUMMARY:Board', `ORGANIZER:mailto:${organizer}`,
    'ATTENDEE;PARTSTAT=NEEDS-ACTION:mailto:alice@example.com', 'END:VEVENT', 'END:VCALENDAR', '',
  ].join('\r\n');
  return imipMail({ from: organizer, to: ['alice@example.com'], subject: 'Board', messageId: `${uid}-${organizer}-${headers.length}`, headers, ics });
}

const LOCAL = { ITIP_AGENT_LOCAL_DOMAINS: 'example.com' };

let dir: ReturnType<typeof tempDir>;
let store: string;
beforeEach(() => {
  dir = tempDir();
  store = `${dir.path}/store`;
});
afterEach(() => dir.remove());

function lastOutcome(env: Record<string, string> = {}): JournalRow {
  const rows = json<JournalRow[]>(['journal', '--user', 'alice@example.com'], { store, env });
  return rows[rows.length - 1]!;
}

describe('sender authentication on the command line', () => {
  it('refuses a local organizer that the MTA says came from outside, and still hands the mail on', () => {
    const mail = request('boss@example.com');
    const result = ok(
      ['process', '--recipient', 'alice@example.com', '--sender', 'boss@example.com', '--client-address', '203.0.113.9', '--deliver', 'stdout'],
      { store, input: mail, env: LOCAL },
    );
    expect(result.stdoutBytes.equals(mail)).toBe(true);
    expect(lastOutcome()).toMatchObject({
      outcome: 'refused',
      reason: 'the mail claims to come from the local address mailto:boss@example.com but arrived from outside without authentication',
    });
    expect(json<unknown[]>(['objects', '--user', 'alice@example.com'], { store })).toEqual([]);
  });

  it('accepts the same mail from a trusted network, from local submission, or after a login', () => {
    const runs: Array<[string[], string]> = [
      [['--client-address', '127.0.0.1'], 'a@example.com'],
      [['--client-address', ''], 'b@example.com'],
      [['--client-address', '203.0.113.9', '--authenticated-user', 'boss'], 'c@example.com'],
    ];
    for (const [flags, uid] of runs) {
      ok(['process', '--recipient', 'alice@example.com', '--sender', 'boss@example.com', ...flags], {
        store,
        input: request('boss@example.com', [], uid),
        env: LOCAL,
      });
      expect(lastOutcome()).toMatchObject({ outcome: 'applied' });
    }
  });

  it('refuses on a DMARC fail written by the trusted authserv-id, and ignores the same verdict from anyone else', () => {
    const env = { ITIP_AGENT_TRUSTED_AUTHSERV_IDS: 'mx.example.com' };
    const failing = 'Authentication-Results: mx.example.com; spf=fail smtp.mailfrom=example.org; dmarc=fail header.from=example.org';
    ok(['process', '--recipient', 'alice@example.com', '--sender', 'boss@example.org'], {
      store,
      input: request('boss@example.org', [failing], 'd@example.com'),
      env,
    });
    expect(lastOutcome()).toMatchObject({ outcome: 'refused', reason: expect.stringMatching(/^DMARC failed for example\.org \(Authentication-Results of mx\.example\.com\)/) });

    const untrusted = 'Authentication-Results: relay.example.net; dmarc=fail header.from=example.org';
    ok(['process', '--recipient', 'alice@example.com', '--sender', 'boss@example.org'], {
      store,
      input: request('boss@example.org', [untrusted], 'e@example.com'),
      env,
    });
    expect(lastOutcome()).toMatchObject({ outcome: 'applied' });
  });

  it('does not let mail from outside speak for a local user under the outgoing rule', () => {
    ok(['process', '--outgoing', '--sender', 'alice@example.com', '--recipient', 'bob@example.org', '--client-address', '198.51.100.4'], {
      store,
      input: request('alice@example.com', [], 'f@example.com'),
      env: LOCAL,
    });
    expect(lastOutcome()).toMatchObject({ outcome: 'refused', reason: expect.stringMatching(/came in from outside, not through submission/) });
    ok(['process', '--outgoing', '--sender', 'alice@example.com', '--recipient', 'bob@example.org', '--client-address', '127.0.0.1'], {
      store,
      input: request('alice@example.com', [], 'g@example.com'),
      env: LOCAL,
    });
    expect(lastOutcome()).toMatchObject({ outcome: 'applied' });
  });

  it('marks the delivered copy of a refused mail when asked to, and hands on the original bytes otherwise', () => {
    const mail = request('boss@example.com', [], 'h@example.com');
    const args = ['process', '--recipient', 'alice@example.com', '--sender', 'boss@example.com', '--client-address', '203.0.113.9', '--deliver', 'stdout'];
    const marked = ok(args, { store, input: mail, env: { ...LOCAL, ITIP_AGENT_MARK_REFUSED: 'true' } });
    const header = 'X-Itip-Agent-Refused: mailto:alice@example.com; REQUEST h@example.com; the mail claims to come from the local address ' +
      'mailto:boss@example.com but arrived from outside without authentication\r\n';
    expect(marked.stdout).toBe(header + mail.toString());
    // Applied mail is never marked, and without the setting nothing is added.
    const plain = ok(args, { store, input: request('boss@example.com', [], 'i@example.com'), env: LOCAL });
    expect(plain.stdout.startsWith('X-Itip-Agent-Refused')).toBe(false);
  });

  it('shows the authentication settings and limits with their sources', () => {
    const shown = json<{ settings: Record<string, { value: unknown; source: string }> }>(['config', 'show'], {
      store,
      env: { ITIP_AGENT_TRUSTED_AUTHSERV_IDS: 'MX.example.com', ITIP_AGENT_MAX_ATTENDEES: '50' },
    });
    const byName = shown.settings;
    expect(byName['auth.trustedAuthservIds']).toMatchObject({ value: ['mx.example.com'], source: 'env' });
    expect(byName['auth.refuseDmarcFail']).toMatchObject({ value: true, source: 'default' });
    expect(byName['limits.maxAttendees']).toMatchObject({ value: 50, source: 'env' });
  });
});

describe('unknown recipients', () => {
  it('get a store by default, and exit 67 (no such user) only where unknownUsers is refuse', () => {
    const env = { ITIP_AGENT_UNKNOWN_USERS: 'refuse' };
    const refused = cli(['process', '--recipient', 'alice@example.com', '--sender', 'boss@example.com'], {
      store,
      input: request('boss@example.com', [], 'j@example.com'),
      env,
    });
    expect(refused.code).toBe(67);
    expect(refused.logs.at(-1)?.msg).toMatch(/no calendar user mailto:alice@example\.com.*itip-agent user add/);
    ok(['user', 'add', 'alice@example.com'], { store });
    ok(['process', '--recipient', 'alice@example.com', '--sender', 'boss@example.com'], { store, input: request('boss@example.com', [], 'k@example.com'), env });
    expect(lastOutcome()).toMatchObject({ outcome: 'applied' });
    // The default: a first mail makes a person's store.
    ok(['process', '--recipient', 'carol@example.com', '--sender', 'boss@example.com'], { store, input: request('boss@example.com', [], 'l@example.com') });
    expect(json<Array<{ address: string }>>(['user', 'list'], { store }).map((u) => u.address)).toContain('mailto:carol@example.com');
  });
});

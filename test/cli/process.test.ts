// `itip-agent process` as an MTA pipe transport runs it: one mail on stdin,
// envelope on the command line, the original bytes passed on, sysexits codes.

import { chmodSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NOW, fixture, tempDir } from './run-cli.js';
import { MAILTO, cli, cliAsync, errors, imipMail, json, mailFixture, ok, sortedKeys } from './helpers.js';
import { startSink, type Sink } from '../transport/support.js';

const JOURNAL_KEYS = ['at', 'messageId', 'method', 'outcome', 'reason', 'recipient', 'uid'];

interface ProcessJson {
  messageId: string | null;
  users: Array<{ user: string; entries: Array<Record<string, unknown>> }>;
}

/** A REQUEST from boss to two attendees, alice and carol. */
const teamRequest = imipMail({
  from: 'Boss <boss@example.com>',
  to: ['Alice <alice@example.com>', 'Carol <carol@example.com>'],
  subject: 'Invitation: Retro',
  messageId: 'retro-request-1@example.com',
  ics: [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'PRODID:-//Example Corp//Calendar//EN',
    'METHOD:REQUEST',
    'BEGIN:VEVENT',
    'UID:retro-2026-12-04@example.com',
    'DTSTAMP:20261101T080000Z',
    'DTSTART:20261204T150000Z',
    'DTEND:20261204T160000Z',
    'SEQUENCE:0',
    'SUMMARY:Retro',
    'ORGANIZER;CN=Boss:mailto:boss@example.com',
    'ATTENDEE;CN=Alice;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:alice@example.com',
    'ATTENDEE;CN=Carol;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:carol@example.com',
    'END:VEVENT',
    'END:VCALENDAR',
    '',
  ].join('\n'),
});

function filesIn(dir: string): string[] {
  return readdirSync(dir).sort();
}

describe('process: envelope recipients and --json', () => {
  const dir = tempDir();
  const store = join(dir.path, 'store');
  afterAll(() => dir.remove());

  let first: ProcessJson;
  beforeAll(() => {
    first = json<ProcessJson>(
      ['process', '--recipient', 'Alice@Example.COM', '--recipient', 'mailto:CAROL@example.com', '--recipient', 'alice@example.com'],
      { store, input: teamRequest },
    );
  });

  it('prints one JSON object: the Message-ID and, per recipient (lower-case mailto:, once each), its journal entries', () => {
    expect(sortedKeys(first)).toEqual(['messageId', 'users']);
    expect(first.messageId).toBe('retro-request-1@example.com');
    expect(first.users.map((u) => u.user)).toEqual(['mailto:alice@example.com', 'mailto:carol@example.com']);
    for (const { user, entries } of first.users) {
      expect(sortedKeys(first.users[0])).toEqual(['entries', 'user']);
      expect(entries).toHaveLength(1);
      expect(sortedKeys(entries[0])).toEqual(JOURNAL_KEYS);
      expect(entries[0]).toMatchObject({
        messageId: 'retro-request-1@example.com',
        recipient: user,
        method: 'REQUEST',
        uid: 'retro-2026-12-04@example.com',
        outcome: 'applied',
        at: NOW,
      });
      expect(typeof entries[0].reason).toBe('string');
    }
  });

  it('makes a person store for each recipient and files the invitation in both', () => {
    expect(json(['user', 'list'], { store })).toEqual([
      { address: 'mailto:alice@example.com', role: 'person' },
      { address: 'mailto:carol@example.com', role: 'person' },
    ]);
    for (const user of ['alice@example.com', 'carol@example.com']) {
      const objects = json<Array<Record<string, unknown>>>(['objects', '--user', user], { store });
      expect(objects.map((o) => [o.uid, o.start, o.end])).toEqual([['retro-2026-12-04@example.com', '2026-12-04T15:00:00Z', '2026-12-04T16:00:00Z']]);
      expect(json(['requests', '--user', user], { store })).toEqual([
        { uid: 'retro-2026-12-04@example.com', recurrenceId: null, method: 'REQUEST', from: 'mailto:boss@example.com', received: NOW },
      ]);
    }
  });

  it('journals a redelivery of the same mail as duplicate and adds no second request or inbox item', () => {
    const again = cli(['process', '--recipient', 'alice@example.com', '--json'], { store, input: teamRequest });
    expect(again.code).toBe(0);
    const parsed = JSON.parse(again.stdout) as ProcessJson;
    expect(parsed.users.map((u) => u.user)).toEqual(['mailto:alice@example.com']);
    expect(parsed.users[0].entries.length).toBeGreaterThan(0);
    for (const entry of parsed.users[0].entries) expect(entry).toMatchObject({ outcome: 'duplicate', recipient: 'mailto:alice@example.com', at: NOW });
    // The log says so too, one info line per journal entry.
    expect(again.logs.some((l) => l.level === 'info' && String(l.msg).includes('duplicate'))).toBe(true);

    expect(json<unknown[]>(['requests', '--user', 'alice@example.com'], { store })).toHaveLength(1);
    expect(json<unknown[]>(['inbox', '--user', 'alice@example.com'], { store })).toHaveLength(1);
    expect(json<unknown[]>(['objects', '--user', 'alice@example.com'], { store })).toHaveLength(1);
    const journal = json<Array<Record<string, unknown>>>(['journal', '--user', 'alice@example.com'], { store });
    expect(journal.map((e) => e.outcome)).toEqual(['applied', ...parsed.users[0].entries.map(() => 'duplicate')]);
    // Carol got nothing new.
    expect(json<unknown[]>(['journal', '--user', 'carol@example.com'], { store })).toHaveLength(1);
  });

  it('logs each outcome as a JSON line on stderr, stamped with ITIP_AGENT_NOW, then the mail\'s own line', () => {
    const result = ok(['process', '--recipient', 'alice@example.com'], { store, input: fixture('request-alice.eml') });
    expect(result.stdout).toBe('');
    const info = result.logs.filter((l) => l.level === 'info');
    expect(info).toHaveLength(2);
    expect(info[0]).toMatchObject({ user: 'mailto:alice@example.com', uid: 'planning-2026-12-01@example.com', messageId: 'planning-request-1@example.com', at: NOW });
    expect(String(info[0].msg)).toContain('REQUEST');
    expect(info[1]).toMatchObject({ msg: 'mail done', protocol: 'pipe', messageId: 'planning-request-1@example.com', recipients: ['mailto:alice@example.com'] });
    // The default target is none: the MTA delivers the mail itself.
    expect(info[1]!.onward).toEqual([{ recipient: 'mailto:alice@example.com', ok: true, to: 'none' }]);
    // Neither the MTA's queue id nor the client was given: the line says nothing of them.
    expect(info[1]).not.toHaveProperty('queueId');
    expect(info[1]).not.toHaveProperty('client');
  });
});

describe('process --deliver', () => {
  const dir = tempDir();
  const store = join(dir.path, 'store');
  afterAll(() => dir.remove());

  const mails: Array<[string, Buffer]> = [
    ['an invitation', fixture('request-alice.eml')],
    ['a broken calendar', fixture('broken-calendar.eml')],
    ['a plain mail', fixture('plain.eml')],
    ['an 8-bit UTF-8 Thunderbird invitation with CRLF', mailFixture('thunderbird-request.eml')],
    ['a base64 Outlook invitation', mailFixture('outlook-request.eml')],
  ];

  it.each(mails)('stdout passes %s on byte for byte, and exits 0', (_, input) => {
    const result = ok(['process', '--recipient', 'alice@example.com', '--deliver', 'stdout'], { store, input });
    expect(result.stdoutBytes.equals(input)).toBe(true);
  });

  it('keeps the mail whose calendar is broken out of the calendar, with a journal entry saying why', () => {
    const journal = json<Array<Record<string, unknown>>>(['journal', '--user', 'alice@example.com'], { store });
    const broken = journal.filter((e) => e.messageId === 'broken-1@example.com');
    expect(broken).toHaveLength(1);
    expect(['refused', 'error']).toContain(broken[0].outcome);
    expect(String(broken[0].reason)).not.toBe('');
    const uids = json<Array<{ uid: string }>>(['objects', '--user', 'alice@example.com'], { store }).map((o) => o.uid);
    expect(uids).toContain('planning-2026-12-01@example.com');
    expect(uids).toHaveLength(new Set(uids).size);
  });

  it('none (the default) prints nothing on stdout', () => {
    const input = fixture('plain.eml');
    expect(ok(['process', '--recipient', 'alice@example.com'], { store, input }).stdoutBytes.length).toBe(0);
    expect(ok(['process', '--recipient', 'alice@example.com', '--deliver', 'none'], { store, input }).stdoutBytes.length).toBe(0);
  });

  it('stdout gets one copy, however many recipients', () => {
    const input = fixture('plain.eml');
    const result = ok(['process', '--recipient', 'alice@example.com', '--recipient', 'bob@example.com', '--deliver', 'stdout'], { store, input });
    expect(result.stdoutBytes.equals(input)).toBe(true);
  });

  it('maildir:DIR/{user} writes one copy of the original bytes into new/ of each recipient, making tmp/ cur/ new/', () => {
    const input = mailFixture('google-request.eml');
    const base = join(dir.path, 'mail');
    const result = json<ProcessJson>(
      ['process', '--recipient', 'Alice@Example.com', '--recipient', 'bob@example.org', '--deliver', `maildir:${base}/{user}/Maildir`],
      { store, input },
    );
    expect(result.users.map((u) => u.user)).toEqual(['mailto:alice@example.com', 'mailto:bob@example.org']);
    expect(filesIn(base)).toEqual(['alice@example.com', 'bob@example.org']);
    for (const user of ['alice@example.com', 'bob@example.org']) {
      const maildir = join(base, user, 'Maildir');
      expect(filesIn(maildir)).toEqual(['cur', 'new', 'tmp']);
      expect(filesIn(join(maildir, 'tmp'))).toEqual([]);
      expect(filesIn(join(maildir, 'cur'))).toEqual([]);
      const delivered = filesIn(join(maildir, 'new'));
      expect(delivered).toHaveLength(1);
      // A maildir name must not carry "/" or ":" (the info separator).
      expect(delivered[0]).not.toMatch(/[/:]/);
      expect(readFileSync(join(maildir, 'new', delivered[0])).equals(input)).toBe(true);
    }
  });

  it('maildir:DIR/{user} takes the longest address RFC 5321 allows (254 octets): its folder name fits the file system', () => {
    const address = `${'a'.repeat(64)}@${'d'.repeat(181)}.example`;
    expect(address).toHaveLength(254);
    ok(['process', '--recipient', address, '--deliver', `maildir:${dir.path}/longest/{user}`], { store, input: fixture('request-alice.eml') });
    expect(readdirSync(join(dir.path, 'longest', address, 'new'))).toHaveLength(1);
  });

  it('maildir:DIR with {local} and {domain}, and a second mail landing beside the first', () => {
    const base = join(dir.path, 'domains');
    const target = `maildir:${base}/{domain}/{local}`;
    ok(['process', '--recipient', 'alice@example.com', '--deliver', target], { store, input: fixture('plain.eml') });
    ok(['process', '--recipient', 'alice@example.com', '--deliver', target], { store, input: fixture('request-alice.eml') });
    const delivered = filesIn(join(base, 'example.com', 'alice', 'new'));
    expect(delivered).toHaveLength(2);
    const contents = delivered.map((name) => readFileSync(join(base, 'example.com', 'alice', 'new', name)));
    expect(contents.some((c) => c.equals(fixture('plain.eml')))).toBe(true);
    expect(contents.some((c) => c.equals(fixture('request-alice.eml')))).toBe(true);
  });

  it('maildir:DIR without a placeholder is one mailbox: recipients sharing it get one copy', () => {
    const maildir = join(dir.path, 'shared');
    const input = fixture('broken-calendar.eml');
    ok(['process', '--recipient', 'alice@example.com', '--recipient', 'bob@example.com', '--deliver', `maildir:${maildir}`], { store, input });
    const delivered = filesIn(join(maildir, 'new'));
    expect(delivered).toHaveLength(1);
    expect(readFileSync(join(maildir, 'new', delivered[0])).equals(input)).toBe(true);
  });

  it('exits 75 when the maildir cannot be written, and a retry after the fix is harmless', () => {
    const blocker = join(dir.path, 'not-a-directory');
    writeFileSync(blocker, 'a regular file\n');
    const input = mailFixture('apple-request.eml');
    const failed = cli(['process', '--recipient', 'alice@example.com', '--deliver', `maildir:${blocker}/Maildir`, '--json'], { store, input });
    expect(failed.code).toBe(75);
    expect(failed.stdout).toBe('');
    expect(errors(failed)).toHaveLength(1);
    expect(errors(failed)[0].exitCode).toBe(75);

    // The MTA retries: the calendar change was committed once, the mail now arrives.
    const maildir = join(dir.path, 'retry');
    const retried = json<ProcessJson>(['process', '--recipient', 'alice@example.com', '--deliver', `maildir:${maildir}`], { store, input });
    expect(retried.users[0].entries.map((e) => e.outcome)).toEqual(['duplicate']);
    expect(filesIn(join(maildir, 'new'))).toHaveLength(1);
    const journal = json<Array<Record<string, unknown>>>(['journal', '--user', 'alice@example.com'], { store });
    expect(journal.filter((e) => e.messageId === 'E4B7A2C9-1F3D-4C6E-8A5B-9D0F2E7C1B36@example.org').map((e) => e.outcome)).toEqual([
      'applied',
      'duplicate',
    ]);
  });
});

describe('process: usage errors and failures', () => {
  const dir = tempDir();
  const store = join(dir.path, 'store');
  afterAll(() => dir.remove());

  /** Runs a process that must fail with `code` before touching anything: no output, no store. */
  function refused(args: string[], code: number, input: Buffer | string = fixture('request-alice.eml')) {
    const result = cli(['process', ...args], { store, input });
    expect(result.code, result.stderr).toBe(code);
    expect(result.stdout).toBe('');
    const lines = errors(result);
    expect(lines).toHaveLength(1);
    expect(existsSync(store)).toBe(false);
    return String(lines[0].msg);
  }

  it('exits 64 without a recipient', () => {
    expect(refused(['--deliver', 'stdout'], 64)).toContain('--recipient');
  });

  it('exits 64 for a recipient that is not a bare mail address', () => {
    expect(refused(['--recipient', 'alice'], 64)).toContain('alice');
    expect(refused(['--recipient', 'Alice <alice@example.com>'], 64)).toContain('Alice <alice@example.com>');
  });

  it('exits 64 for an unknown delivery target, naming the supported ones', () => {
    const message = refused(['--recipient', 'alice@example.com', '--deliver', 'pigeon'], 64);
    expect(message).toContain('pigeon');
    expect(message).toContain('maildir:');
    expect(refused(['--recipient', 'alice@example.com', '--deliver', 'maildir:'], 64)).toContain('maildir');
    expect(refused(['--recipient', 'alice@example.com', '--deliver', `maildir:${dir.path}/{mailbox}`], 64)).toContain('{mailbox}');
  });

  it.each(['lmtp:dovecot', 'lmtp:127.0.0.1:99999', 'sendmail:relative/path'])('exits 64 for the malformed target %s', (target) => {
    expect(refused(['--recipient', 'alice@example.com', '--deliver', target], 64)).toContain(target);
  });

  it('exits 64 for --json with --deliver stdout: both would write on stdout', () => {
    const message = refused(['--recipient', 'alice@example.com', '--deliver', 'stdout', '--json'], 64);
    expect(message).toContain('--json');
  });

  it('exits 64 for a recipient that would leave the maildir tree', () => {
    refused(['--recipient', '../../etc@example.com', '--deliver', `maildir:${dir.path}/{local}`], 64);
  });

  it('exits 64 for a recipient longer than RFC 5321 allows, before anything is stored: no endless 75 from a name too long for the maildir', () => {
    const maildir = `maildir:${dir.path}/mail/{user}`;
    const message = refused(['--recipient', `${'a'.repeat(5000)}@example.com`, '--deliver', maildir], 64);
    expect(message).toMatch(/^--recipient "a{80}\.\.\." is longer than a mail address may be: it has 5012 octets, RFC 5321 allows 254 \(a path of 256 with its angle brackets\)$/);
    expect(refused(['--recipient', `alice@${'d'.repeat(256)}`, '--deliver', maildir], 64)).toContain('its domain has 256 octets');
    expect(refused(['--recipient', `${'a'.repeat(64)}@${'d'.repeat(182)}.example`, '--deliver', maildir], 64)).toContain('it has 255 octets');
    expect(existsSync(join(dir.path, 'mail'))).toBe(false);
  });

  it('exits 65 for an empty mail on stdin', () => {
    expect(refused(['--recipient', 'alice@example.com', '--deliver', 'stdout'], 65, '')).toContain('empty');
  });

  it('exits 75 with nothing on stdout when the store cannot be opened', () => {
    const blocker = join(dir.path, 'file');
    writeFileSync(blocker, 'not a directory\n');
    for (const extra of [['--deliver', 'stdout'], ['--json']]) {
      const result = cli(['--store', join(blocker, 'store'), 'process', '--recipient', 'alice@example.com', ...extra], {
        input: fixture('request-alice.eml'),
      });
      expect(result.code).toBe(75);
      expect(result.stdoutBytes.length).toBe(0);
      expect(errors(result)).toHaveLength(1);
      expect(errors(result)[0]).toMatchObject({ exitCode: 75, store: join(blocker, 'store') });
      expect(errors(result)[0]!.msg).toContain('names a directory this user can write');
    }
  });

  it('exits 75 for a store in a format it cannot read, and says what to do about that', async () => {
    const store = join(dir.path, 'future-store');
    ok(['--store', store, 'user', 'add', 'alice@example.com']);
    const { open } = await import('lmdb');
    const raw = open({ path: store, maxDbs: 32 });
    await raw.openDB<number, string>('meta', {}).put('format', 99);
    await raw.close();
    const result = cli(['--store', store, 'process', '--recipient', 'alice@example.com', '--deliver', 'stdout'], {
      input: fixture('request-alice.eml'),
    });
    expect(result.code).toBe(75);
    expect(result.stdoutBytes.length).toBe(0);
    const [error] = errors(result);
    expect(error!.msg).toContain('has format 99');
    expect(error!.msg).toContain('itip-agent replay');
    expect(error!.msg).not.toContain('names a directory this user can write');
  });
});

describe('process --sender', () => {
  const dir = tempDir();
  const store = join(dir.path, 'store');
  afterAll(() => dir.remove());

  it('takes the null sender of a bounce in every spelling an MTA passes (Postfix: MAILER-DAEMON), and an odd one with a warning: the mail goes on', () => {
    const input = fixture('plain.eml');
    for (const sender of ['', '<>', 'MAILER-DAEMON', 'mailer-daemon', 'no address at all']) {
      const result = cli(['process', '--sender', sender, '--recipient', 'alice@example.com', '--deliver', 'stdout'], { store, input });
      expect(result.code, `--sender ${JSON.stringify(sender)}: ${result.stderr}`).toBe(0);
      expect(result.stdoutBytes.equals(input)).toBe(true);
      expect(errors(result)).toEqual([]);
      const warned = result.logs.some((l) => l.level === 'warn' && String(l.msg).includes('--sender'));
      expect(warned).toBe(sender === 'no address at all');
    }
  });

  it('still processes the invitation of a mail with an odd envelope sender', () => {
    const result = json<ProcessJson>(['process', '--sender', 'MAILER-DAEMON', '--recipient', 'alice@example.com'], { store, input: fixture('request-alice.eml') });
    expect(result.users[0].entries).toMatchObject([{ uid: 'planning-2026-12-01@example.com', outcome: 'applied' }]);
  });
});

describe('process --outgoing', () => {
  const dir = tempDir();
  const store = join(dir.path, 'store');
  afterAll(() => dir.remove());

  it('puts an invitation the organizer sent into the organizer\'s store, with her own busy time', () => {
    const result = json<ProcessJson>(['process', '--outgoing', '--sender', 'Alice@Example.com'], { store, input: fixture('organizer-request.eml') });
    expect(result.users.map((u) => u.user)).toEqual(['mailto:alice@example.com']);
    expect(result.users[0].entries).toMatchObject([{ method: 'REQUEST', uid: 'review-2026-12-02@example.com', outcome: 'applied', recipient: 'mailto:alice@example.com' }]);

    // Only the sender's store changes: bob, the attendee, is not made a user.
    expect(json(['user', 'list'], { store })).toEqual([{ address: 'mailto:alice@example.com', role: 'person' }]);
    const objects = json<Array<Record<string, unknown>>>(['objects', '--user', 'alice@example.com'], { store });
    expect(objects).toHaveLength(1);
    expect(objects[0]).toMatchObject({ uid: 'review-2026-12-02@example.com', organizer: 'mailto:alice@example.com', start: '2026-12-02T14:00:00Z', end: '2026-12-02T15:00:00Z' });
    expect(json(['freebusy', '--user', 'alice@example.com'], { store })).toEqual([
      { start: '2026-12-02T14:00:00Z', end: '2026-12-02T15:00:00Z', fbtype: 'BUSY', uid: 'review-2026-12-02@example.com', recurrenceId: null },
    ]);
    // Her own invitation is no request waiting for her.
    expect(json(['requests', '--user', 'alice@example.com'], { store })).toEqual([]);
  });

  it('without --sender takes the sender from From:, and still delivers onward to the recipients', () => {
    const input = fixture('reply-bob.eml');
    const result = ok(['process', '--outgoing', '--recipient', 'alice@example.com', '--deliver', 'stdout'], { store, input });
    expect(result.stdoutBytes.equals(input)).toBe(true);
    const users = json<Array<{ address: string }>>(['user', 'list'], { store }).map((u) => u.address);
    expect(users).toEqual(['mailto:alice@example.com', 'mailto:bob@example.com']);
    const journal = json<Array<Record<string, unknown>>>(['journal', '--user', 'bob@example.com'], { store });
    expect(journal).toMatchObject([{ messageId: 'review-reply-bob@example.com', recipient: 'mailto:bob@example.com', method: 'REPLY' }]);
    // Alice's copy of the event did not learn bob's answer from his outgoing mail.
    const alice = json<Array<{ attendees: Array<{ address: string; partstat: string }> }>>(['objects', '--user', 'alice@example.com'], { store });
    expect(alice[0].attendees.find((a) => a.address === 'mailto:bob@example.com')?.partstat).toBe('NEEDS-ACTION');
    for (const a of alice[0].attendees) expect(a.address).toMatch(MAILTO);
  });
});

describe('process --deliver lmtp: and sendmail', () => {
  const dir = tempDir();
  const store = join(dir.path, 'store');
  const script = join(dir.path, 'sendmail');
  let sink: Sink;
  beforeAll(async () => {
    sink = await startSink({ path: join(dir.path, 'lmtp.sock') });
    // A stand-in for the MTA's sendmail: records its arguments and input, exits with $FAKE_EXIT.
    writeFileSync(script, `#!/bin/sh\nprintf '%s\\n' "$@" > '${dir.path}/args'\ncat > '${dir.path}/input'\nexit "\${FAKE_EXIT:-0}"\n`);
    chmodSync(script, 0o755);
  });
  afterAll(async () => {
    await sink.close();
    dir.remove();
  });

  it('hands the original bytes to an LMTP server (socket), MAIL FROM the sender, RCPT TO each recipient', async () => {
    const input = fixture('request-alice.eml');
    const result = await cliAsync(
      ['process', '--recipient', 'alice@example.com', '--recipient', 'carol@example.com', '--sender', 'boss@example.com', '--deliver', `lmtp:${dir.path}/lmtp.sock`],
      { store, input },
    );
    expect(result.code, result.stderr).toBe(0);
    expect(sink.messages).toHaveLength(1);
    expect(sink.messages[0]).toMatchObject({ from: 'boss@example.com', to: ['alice@example.com', 'carol@example.com'] });
    // The fixture has bare LF line ends; on the wire (and so in the mailbox) they are CRLF, as an MTA makes them.
    expect(sink.messages[0].raw.toString('latin1')).toBe(input.toString('latin1').replace(/\r?\n/g, '\r\n'));
  });

  it('exits 75 when the LMTP server refuses a recipient or cannot be reached', async () => {
    sink.full.add('carol@example.com');
    try {
      const refused = await cliAsync(['process', '--recipient', 'carol@example.com', '--deliver', `lmtp:${dir.path}/lmtp.sock`], { store, input: fixture('request-alice.eml') });
      expect(refused.code).toBe(75);
      expect(errors(refused)[0].msg).toMatch(/452/);
    } finally {
      sink.full.clear();
    }
    const down = await cliAsync(['process', '--recipient', 'alice@example.com', '--deliver', `lmtp:${dir.path}/missing.sock`], { store, input: fixture('request-alice.eml') });
    expect(down.code).toBe(75);
  });

  it('exits 67 for a mailbox the LMTP server does not know only where unknownUsers is refuse, else 75', async () => {
    sink.unknown.add('nobody@example.com');
    try {
      const args = ['process', '--recipient', 'nobody@example.com', '--deliver', `lmtp:${dir.path}/lmtp.sock`];
      const retried = await cliAsync(args, { store, input: fixture('request-alice.eml') });
      expect(retried.code).toBe(75);
      await cliAsync(['user', 'add', 'nobody@example.com'], { store });
      const bounced = await cliAsync(args, { store, input: fixture('request-alice.eml'), env: { ITIP_AGENT_UNKNOWN_USERS: 'refuse' } });
      expect(bounced.code).toBe(67);
      expect(errors(bounced)[0].msg).toMatch(/550.*returned to its sender/);
    } finally {
      sink.unknown.clear();
    }
  });

  it('re-injects with sendmail -i -f SENDER -- RCPT, marked against loops', async () => {
    const input = fixture('request-alice.eml');
    const result = await cliAsync(['process', '--recipient', 'alice@example.com', '--sender', 'boss@example.com', '--deliver', `sendmail:${script}`], { store, input });
    expect(result.code, result.stderr).toBe(0);
    expect(readFileSync(join(dir.path, 'args'), 'utf8')).toBe('-i\n-f\nboss@example.com\n--\nalice@example.com\n');
    const passed = readFileSync(join(dir.path, 'input'));
    expect(passed.subarray(passed.length - input.length).equals(input)).toBe(true);
    expect(passed.toString('latin1')).toMatch(/^X-Itip-Agent-Processed: \S+\n/);
  });

  it('exits 75 when sendmail fails', async () => {
    const result = await cliAsync(['process', '--recipient', 'alice@example.com', '--deliver', `sendmail:${script}`], {
      store,
      input: fixture('request-alice.eml'),
      env: { FAKE_EXIT: '69' },
    });
    expect(result.code).toBe(75);
    expect(errors(result)[0].msg).toMatch(/exited 69/);
  });
});

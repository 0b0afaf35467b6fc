// The user's actions on the command line (respond, delegate, counter, refresh,
// put, delete), run as the built program: usage errors, exit codes, the JSON
// printed, --if-match against the etag of `objects --json`, and a store that
// cannot commit. What the actions do to calendars is in actions-end-to-end.test.ts.

import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, NOW, runCli, tempDir } from './run-cli.js';
import { cli, cliAsync, errors, imipMail, json, ok, okAsync, sortedKeys } from './helpers.js';

const BOB = 'bob@example.com';
const UID = 'planning-2026-12-01@example.com';

function invitation(sequence: number, start = '20261201T090000Z', end = '20261201T100000Z'): Buffer {
  return imipMail({
    from: 'Alice <alice@example.com>',
    to: [BOB],
    subject: 'Invitation: Planning',
    messageId: `planning-${sequence}@example.com`,
    ics: [
      'BEGIN:VCALENDAR',
      'VERSION:2.0',
      'PRODID:-//Example Corp//Calendar//EN',
      'METHOD:REQUEST',
      'BEGIN:VEVENT',
      `UID:${UID}`,
      `DTSTAMP:2026110${1 + sequence}T080000Z`,
      `DTSTART:${start}`,
      `DTEND:${end}`,
      'RRULE:FREQ=WEEKLY;COUNT=3',
      `SEQUENCE:${sequence}`,
      'SUMMARY:Planning',
      'ORGANIZER;CN=Alice:mailto:alice@example.com',
      'ATTENDEE;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:bob@example.com',
      'END:VEVENT',
      'BEGIN:VEVENT',
      `UID:${UID}`,
      `DTSTAMP:2026110${1 + sequence}T080000Z`,
      'RECURRENCE-ID:20261208T090000Z',
      'DTSTART:20261208T130000Z',
      'DTEND:20261208T140000Z',
      `SEQUENCE:${sequence}`,
      'SUMMARY:Planning (moved)',
      'ORGANIZER;CN=Alice:mailto:alice@example.com',
      'ATTENDEE;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:bob@example.com',
      'END:VEVENT',
      'END:VCALENDAR',
      '',
    ].join('\n'),
  });
}

interface ObjectRow {
  uid: string;
  recurrenceId: string | null;
  sequence: number;
  etag: string;
}

interface ActionJson {
  outcome: string;
  reason: string;
  queued: unknown[];
}

/** What an action must leave alone when it does not apply. */
function snapshot(store: string) {
  return {
    objects: json(['objects', '--user', BOB], { store }),
    requests: json(['requests', '--user', BOB], { store }),
    freebusy: json(['freebusy', '--user', BOB], { store }),
    outbox: json(['outbox'], { store }),
  };
}

describe.concurrent('action commands: help', () => {
  const commands: Array<[string, string]> = [
    ['respond', 'answer an invitation as attendee'],
    ['delegate', 'hand an invitation on'],
    ['counter', 'proposals of another time'],
    ['counter accept', 'take an attendee\'s proposal'],
    ['counter decline', 'turn an attendee\'s proposal down'],
    ['counter propose', 'propose another time'],
    ['refresh', 'the current version of an event'],
    ['refresh answer', 'answer a REFRESH'],
    ['refresh ask', 'ask the organizer'],
    ['put', 'store your new version of a calendar object'],
    ['delete', 'remove an event or one instance'],
  ];

  it.each(commands)('%s --help explains the command', async (command, description) => {
    const result = await okAsync([...command.split(' '), '--help']);
    expect(result.stdout).toContain(`Usage: itip-agent ${command}`);
    expect(result.stdout).toContain(description);
    expect(result.stderr).toBe('');
    if (command.includes(' ') || !['counter', 'refresh'].includes(command)) {
      expect(result.stdout).toContain('--user <addr>');
      expect(result.stdout).toContain('--if-match <etag>');
      expect(result.stdout).toContain('JSON: {outcome, reason, queued: [{id, method, uid, from, to, state, attempts, ics, created}]}');
      expect(result.stdout).toMatch(/Exit codes: 0 applied .*1 refused, stale or ignored/s);
    }
  });

  it('itip-agent --help lists the actions', async () => {
    const top = (await okAsync(['--help'])).stdout;
    for (const command of ['respond', 'delegate', 'counter', 'refresh', 'put', 'delete']) expect(top).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
  });
});

describe('action commands: usage errors exit 64 and change nothing', () => {
  const dir = tempDir();
  const store = join(dir.path, 'store');
  afterAll(() => dir.remove());
  beforeAll(() => {
    ok(['process', '--recipient', BOB], { store, input: invitation(0) });
  });

  const cases: Array<[string, string[], RegExp]> = [
    ['no --user', ['respond', UID, '--partstat', 'ACCEPTED'], /--user/],
    ['no --partstat', ['respond', '--user', BOB, UID], /--partstat/],
    ['an answer that is none', ['respond', '--user', BOB, UID, '--partstat', 'MAYBE'], /--partstat "MAYBE" is no answer; give ACCEPTED, TENTATIVE or DECLINED/],
    ['no UID', ['respond', '--user', BOB, '--partstat', 'ACCEPTED'], /missing required argument 'uid'/],
    ['an empty UID', ['respond', '--user', BOB, '', '--partstat', 'ACCEPTED'], /the UID is empty/],
    ['--user that is no address', ['respond', '--user', 'Bob <bob@example.com>', UID, '--partstat', 'ACCEPTED'], /--user .* is not a mail address/],
    ['a --recurrence-id that is no time', ['respond', '--user', BOB, UID, '--partstat', 'ACCEPTED', '--recurrence-id', 'next week'], /--recurrence-id "next week" is not an ISO 8601 time/],
    ['an empty --if-match', ['respond', '--user', BOB, UID, '--partstat', 'ACCEPTED', '--if-match', ''], /--if-match is empty/],
    ['delegate without --to', ['delegate', '--user', BOB, UID], /--to/],
    ['delegate to no address', ['delegate', '--user', BOB, UID, '--to', 'carol'], /--to "carol" is not a mail address/],
    ['counter without accept, decline or propose', ['counter'], /./],
    ['counter accept without --attendee', ['counter', 'accept', '--user', BOB, UID], /--attendee/],
    ['counter propose without --end', ['counter', 'propose', '--user', BOB, UID, '--start', '2026-12-01T14:00:00Z'], /--end/],
    ['counter propose that ends before it starts', ['counter', 'propose', '--user', BOB, UID, '--start', '2026-12-01T15:00:00Z', '--end', '2026-12-01T14:00:00Z'], /--start 2026-12-01T15:00:00Z is not before --end 2026-12-01T14:00:00Z/],
    ['refresh answer without --attendee', ['refresh', 'answer', '--user', BOB, UID], /--attendee/],
    ['delete with an unknown option', ['delete', '--user', BOB, UID, '--force'], /--force/],
  ];

  it.each(cases)('%s', async (_name, args, message) => {
    const result = await cliAsync(args, { store });
    expect(result.code, result.stderr).toBe(64);
    expect(result.stdout === '' || result.stdout.includes('Usage:')).toBe(true);
    expect(errors(result)).toHaveLength(1);
    expect(String(errors(result)[0].msg)).toMatch(message);
  });

  it('nothing was journalled or queued by any of them', () => {
    expect(json<Array<{ messageId: string }>>(['journal'], { store }).map((e) => e.messageId)).toEqual(['planning-0@example.com']);
    expect(json(['outbox'], { store })).toEqual([]);
  });

  it('put refuses a terminal on stdin (64): the calendar is to be piped in', () => {
    // script(1) gives the command a terminal as stdin, as a person typing it has.
    const command = [process.execPath, BIN, '--store', store, 'put', '--user', BOB].map((a) => `'${a}'`).join(' ');
    const result = spawnSync('script', ['-qec', command, '/dev/null'], { input: '', encoding: 'utf8', timeout: 60_000, env: { ...process.env, ITIP_AGENT_NOW: NOW } });
    expect(result.status, result.stdout).toBe(64);
    expect(result.stdout).toContain('put reads the calendar object on stdin; pipe it in, e.g. itip-agent put --user alice@example.com < event.ics');
  });

  it('put refuses an empty stdin (65) and names what to do', () => {
    const result = cli(['put', '--user', BOB], { store, input: '' });
    expect(result.code).toBe(65);
    expect(String(errors(result)[0].msg)).toMatch(/stdin was empty: no calendar object to put/);
    expect(cli(['put', '--user', BOB], { store, input: '\n\n' }).code).toBe(65);
  });
});

describe('action commands: outcomes that change nothing exit 1', () => {
  const dir = tempDir();
  const store = join(dir.path, 'store');
  afterAll(() => dir.remove());
  beforeAll(() => {
    ok(['process', '--recipient', BOB], { store, input: invitation(0) });
  });

  it('an unknown user is refused (1) with what to do, and gets no store', () => {
    const result = cli(['respond', '--user', 'carol@example.com', UID, '--partstat', 'ACCEPTED'], { store });
    expect(result.code).toBe(1);
    expect(String(errors(result)[0].msg)).toBe('no calendar user mailto:carol@example.com is known; add one with: itip-agent user add carol@example.com');
    expect(json<Array<{ address: string }>>(['user', 'list'], { store }).map((u) => u.address)).toEqual(['mailto:bob@example.com']);
  });

  it('without a store, an action makes none (1)', () => {
    const none = join(dir.path, 'none');
    const result = cli(['delete', '--user', BOB, UID], { store: none });
    expect(result.code).toBe(1);
    expect(String(errors(result)[0].msg)).toMatch(/^there is no store at .*none yet, so no calendar of mailto:bob@example.com; add the user with: itip-agent user add bob@example.com$/);
    expect(json(['user', 'list'], { store: none })).toEqual([]);
  });

  it('--json prints exactly {outcome, reason, queued} also when refused, and stderr says why', () => {
    const before = snapshot(store);
    const result = cli(['delete', '--user', BOB, 'no-such-event@example.com', '--json'], { store });
    expect(result.code).toBe(1);
    const printed = JSON.parse(result.stdout) as ActionJson;
    expect(sortedKeys(printed)).toEqual(['outcome', 'queued', 'reason']);
    expect(printed).toEqual({ outcome: 'refused', reason: 'there is no event no-such-event@example.com in the calendar of mailto:bob@example.com', queued: [] });
    expect(String(errors(result)[0].msg)).toBe(
      'the delete was refused: there is no event no-such-event@example.com in the calendar of mailto:bob@example.com; nothing was changed',
    );
    expect(snapshot(store)).toEqual(before);
    // Without --json, nothing on stdout: the reason is on stderr.
    const plain = cli(['delete', '--user', BOB, 'no-such-event@example.com'], { store });
    expect(plain.code).toBe(1);
    expect(plain.stdout).toBe('');
  });

  it('journals each action under a Message-ID of its own, never as a duplicate of the one before', () => {
    const journal = json<Array<{ messageId: string; method: string; uid: string; outcome: string }>>(['journal', '--user', BOB], { store });
    const actions = journal.filter((e) => e.method === 'delete');
    expect(actions.map((e) => [e.uid, e.outcome])).toEqual([
      ['no-such-event@example.com', 'refused'],
      ['no-such-event@example.com', 'refused'],
    ]);
    expect(new Set(actions.map((e) => e.messageId)).size).toBe(2);
    for (const entry of actions) expect(entry.messageId).toMatch(/^action-delete-20261115T120000Z-[0-9a-f]+@example\.com$/);
  });
});

describe('action commands: the etag of objects --json and --if-match', () => {
  const dir = tempDir();
  const store = join(dir.path, 'store');
  afterAll(() => dir.remove());
  beforeAll(() => {
    ok(['process', '--recipient', BOB], { store, input: invitation(0) });
  });

  it('objects --json gives each row the etag of its object: the same on the master and its overrides', () => {
    const rows = json<ObjectRow[]>(['objects', '--user', BOB], { store });
    expect(rows.map((r) => r.recurrenceId)).toEqual([null, '2026-12-08T09:00:00Z']);
    expect(rows[0].etag).toMatch(/^"[A-Za-z0-9_-]{22}"$/);
    expect(rows[1].etag).toBe(rows[0].etag);
  });

  it('a wrong etag is stale (1): stderr says to look again, and nothing changed', () => {
    const before = snapshot(store);
    const result = cli(['respond', '--user', BOB, UID, '--partstat', 'ACCEPTED', '--if-match', '"not-what-is-stored"', '--json'], { store });
    expect(result.code).toBe(1);
    const printed = JSON.parse(result.stdout) as ActionJson;
    expect(printed.outcome).toBe('stale');
    expect(printed.reason).toMatch(/changed since you looked/);
    expect(printed.queued).toEqual([]);
    expect(String(errors(result)[0].msg)).toMatch(
      /^the respond was not done \(stale\): the event changed since you looked.*nothing was changed\. The event as it is now: itip-agent object --user bob@example\.com planning-2026-12-01@example\.com/,
    );
    expect(snapshot(store)).toEqual(before);
  });

  it('the etag changes with the stored object, and the old one is stale from then on', () => {
    const seen = json<ObjectRow[]>(['objects', '--user', BOB], { store })[0].etag;
    // The organizer moves the series: a new version arrives after bob looked.
    ok(['process', '--recipient', BOB], { store, input: invitation(1, '20261201T100000Z', '20261201T110000Z') });
    const now = json<ObjectRow[]>(['objects', '--user', BOB], { store });
    expect(now[0].sequence).toBe(1);
    expect(now[0].etag).not.toBe(seen);
    for (const args of [['delete', '--user', BOB, UID], ['refresh', 'ask', '--user', BOB, UID], ['counter', 'propose', '--user', BOB, UID, '--start', '2026-12-01T14:00:00Z', '--end', '2026-12-01T15:00:00Z']]) {
      const result = cli([...args, '--if-match', seen, '--json'], { store });
      expect(result.code, args.join(' ')).toBe(1);
      expect((JSON.parse(result.stdout) as ActionJson).outcome).toBe('stale');
    }
  });

  it('the current etag, with or without its quotes, is not stale', () => {
    // Each answer changes the copy, so the etag is read anew before each.
    for (const [partstat, quoted] of [['ACCEPTED', true], ['TENTATIVE', false]] as const) {
      const etag = json<ObjectRow[]>(['objects', '--user', BOB], { store })[0].etag;
      const given = quoted ? etag : etag.slice(1, -1);
      const result = cli(['respond', '--user', BOB, UID, '--partstat', partstat, '--if-match', given, '--json'], { store });
      expect((JSON.parse(result.stdout) as ActionJson).outcome, given).toBe('applied');
    }
  });
});

describe('action commands: the store cannot commit', () => {
  // A file system of its own, small enough to fill: a tmpfs (the tests run as root).
  const mount = mkdtempSync(join(tmpdir(), 'itip-agent-action-full-'));
  const store = join(mount, 'store');
  const filler = join(mount, 'filler');
  beforeAll(() => {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m,mode=0700', 'tmpfs', mount]);
    ok(['process', '--recipient', BOB], { store, input: invitation(0) });
  });
  afterAll(() => {
    try {
      execFileSync('umount', [mount]);
    } finally {
      rmSync(mount, { recursive: true, force: true });
    }
  });

  it('exits 75 with nothing changed, and the same command works once there is space', () => {
    // The journal entry names the UID twice (its uid and its reason): a long one needs new pages.
    const uid = `${'x'.repeat(100_000)}@example.com`;
    const args = ['delete', '--user', BOB, uid, '--json'];
    const journal = json<unknown[]>(['journal'], { store });
    expect(() => writeFileSync(filler, Buffer.alloc(8 * 1024 * 1024))).toThrow(/ENOSPC/);
    expect(statfsSync(mount).bavail).toBe(0);

    const full = runCli(args, { store });
    expect(full.code, full.stderr).toBe(75);
    expect(full.stdout).toBe('');
    const messages = full.logs.filter((l) => l.level === 'error').map((l) => String(l.msg));
    expect(messages).toContainEqual(expect.stringMatching(/^the store could not commit: no space left on device \(ENOSPC\) in .*store; free space there; nothing was changed, run the same command again later$/));
    // JSON lines, except what LMDB's C code prints itself on a failed page write.
    expect(full.badLogLines.filter((line) => !line.startsWith('Write error: '))).toEqual([]);
    expect(json(['journal'], { store })).toEqual(journal);

    rmSync(filler);
    const again = runCli(args, { store });
    expect(again.code).toBe(1);
    expect((JSON.parse(again.stdout) as ActionJson).outcome).toBe('refused');
    expect(json<unknown[]>(['journal'], { store })).toHaveLength(journal.length + 1);
  });
});

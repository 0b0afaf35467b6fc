// The user's actions end to end through the built program: an attendee's
// answer, delegation, proposal and refresh, an organizer's new event, update,
// cancellation and answers to proposals and refreshes, with what each action
// queues in the outbox and what it does to the calendars, also to the
// calendars of local recipients, which get their copy processed at once.
// Calendars are read through the inspection commands, messages by meaning
// (METHOD, the ATTENDEE lines, SEQUENCE), not as text.

import type { OutboxJson } from '../../src/cli/commands/inspect.js';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from './run-cli.js';
import { cli, imipMail, json, ok, sortedKeys } from './helpers.js';

const ALICE = 'alice@example.com';
const BOB = 'bob@example.com';
const CAROL = 'carol@example.org';
const UID = 'planning-2026-12-01@example.com';


interface ActionJson {
  outcome: string;
  reason: string;
  queued: OutboxJson[];
}

interface ObjectRow {
  uid: string;
  recurrenceId: string | null;
  sequence: number;
  status: string | null;
  start: string;
  end: string;
  organizer: string | null;
  attendees: Array<{ address: string; partstat: string }>;
  etag: string;
}

function event(method: string | undefined, lines: string[]): string {
  return [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'PRODID:-//Example Corp//Calendar//EN',
    ...(method ? [`METHOD:${method}`] : []),
    'BEGIN:VEVENT',
    `UID:${UID}`,
    ...lines,
    'END:VEVENT',
    'END:VCALENDAR',
    '',
  ].join('\r\n');
}

const PLANNING = [
  'DTSTAMP:20261101T080000Z',
  'DTSTART:20261201T090000Z',
  'DTEND:20261201T100000Z',
  'SEQUENCE:0',
  'SUMMARY:Planning',
  'ORGANIZER;CN=Alice:mailto:alice@example.com',
  'ATTENDEE;CN=Alice;PARTSTAT=ACCEPTED:mailto:alice@example.com',
  'ATTENDEE;CN=Bob;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:bob@example.com',
  'ATTENDEE;CN=Carol;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:carol@example.org',
];

/** Alice's invitation as she sent it. */
const invitation = imipMail({
  from: 'Alice <alice@example.com>',
  to: [BOB, CAROL],
  subject: 'Invitation: Planning',
  messageId: 'planning-request@example.com',
  ics: event('REQUEST', PLANNING),
});

/** The content lines of a calendar text, unfolded (RFC 5545 section 3.1). */
function lines(ics: string): string[] {
  return ics.replace(/\r?\n[ \t]/g, '').split(/\r?\n/).filter((l) => l !== '');
}

function property(ics: string, name: string): string[] {
  return lines(ics).filter((l) => l.toUpperCase().startsWith(`${name}:`) || l.toUpperCase().startsWith(`${name};`));
}

/** address=PARTSTAT of every ATTENDEE line. */
function attendees(ics: string): string[] {
  return property(ics, 'ATTENDEE').map((l) => {
    const partstat = /;PARTSTAT=([A-Z-]+)/i.exec(l)?.[1]?.toUpperCase() ?? 'NEEDS-ACTION';
    return `${/:(mailto:\S+)$/i.exec(l)?.[1]?.toLowerCase()}=${partstat}`;
  });
}

function act(args: string[], store: string, input?: string): ActionJson {
  const result = cli([...args, '--json'], { store, input });
  expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(0);
  const printed = JSON.parse(result.stdout) as ActionJson;
  expect(sortedKeys(printed)).toEqual(['outcome', 'queued', 'reason']);
  return printed;
}

function objects(store: string, user: string): ObjectRow[] {
  return json<ObjectRow[]>(['objects', '--user', user], { store });
}

function partstatOf(row: ObjectRow | undefined, address: string): string | undefined {
  return row?.attendees.find((a) => a.address === `mailto:${address}`)?.partstat;
}

/** Each queued item is the outbox's own item, in the same JSON. */
function expectInOutbox(store: string, queued: OutboxJson[]): void {
  const outbox = json<OutboxJson[]>(['outbox'], { store });
  for (const item of queued) {
    expect(outbox.find((o) => o.id === item.id)).toEqual(item);
    expect(item).toMatchObject({ state: 'unprocessed', attempts: 0, created: '2026-11-15T12:00:00Z' });
  }
}

describe('an attendee answers', () => {
  const dir = tempDir();
  const store = join(dir.path, 'store');
  afterAll(() => dir.remove());
  beforeAll(() => {
    // Only bob is a user here: alice is reached by mail alone.
    ok(['process', '--recipient', BOB], { store, input: invitation });
  });

  it('respond ACCEPTED stores the answer, clears the request and queues the REPLY to the organizer', () => {
    const etag = objects(store, BOB)[0].etag;
    const result = act(['respond', '--user', BOB, UID, '--partstat', 'ACCEPTED', '--comment', 'Glad to come', '--if-match', etag], store);
    expect(result.outcome).toBe('applied');
    expect(result.queued).toHaveLength(1);
    const [reply] = result.queued;
    expect(reply).toMatchObject({ method: 'REPLY', uid: UID, from: 'mailto:bob@example.com', to: ['mailto:alice@example.com'] });
    expect(sortedKeys(reply)).toEqual(['attempts', 'created', 'from', 'ics', 'id', 'method', 'state', 'to', 'uid']);
    // RFC 5546 section 3.2.3: the REPLY carries the replying attendee alone, with the answer.
    expect(property(reply.ics, 'METHOD')).toEqual(['METHOD:REPLY']);
    expect(attendees(reply.ics)).toEqual(['mailto:bob@example.com=ACCEPTED']);
    expect(property(reply.ics, 'ORGANIZER')).toHaveLength(1);
    expect(property(reply.ics, 'UID')).toEqual([`UID:${UID}`]);
    expect(property(reply.ics, 'COMMENT')).toEqual(['COMMENT:Glad to come']);
    expectInOutbox(store, result.queued);

    expect(partstatOf(objects(store, BOB)[0], BOB)).toBe('ACCEPTED');
    expect(json(['requests', '--user', BOB], { store })).toEqual([]);
    expect(json(['freebusy', '--user', BOB], { store })).toMatchObject([{ start: '2026-12-01T09:00:00Z', end: '2026-12-01T10:00:00Z', fbtype: 'BUSY', uid: UID }]);
    // The etag moved with the answer: the one bob saw is stale now.
    const stale = cli(['respond', '--user', BOB, UID, '--partstat', 'DECLINED', '--if-match', etag, '--json'], { store });
    expect(stale.code).toBe(1);
    expect((JSON.parse(stale.stdout) as ActionJson).outcome).toBe('stale');
  });

  it('an answer changed later goes out again, journalled as an action of its own', () => {
    const result = act(['respond', '--user', BOB, UID, '--partstat', 'TENTATIVE'], store);
    expect(result.outcome).toBe('applied');
    expect(result.queued.map((q) => [q.method, attendees(q.ics)])).toEqual([['REPLY', ['mailto:bob@example.com=TENTATIVE']]]);
    expect(json(['freebusy', '--user', BOB], { store })).toMatchObject([{ fbtype: 'BUSY-TENTATIVE' }]);
    const journal = json<Array<{ messageId: string; method: string; outcome: string }>>(['journal', '--user', BOB], { store }).filter((e) => e.method === 'respond');
    expect(journal.map((e) => e.outcome)).toEqual(['applied', 'stale', 'applied']);
  });

  it('delegate queues a REPLY with DELEGATED-TO to the organizer and the REQUEST to the delegate', () => {
    const result = act(['delegate', '--user', BOB, UID, '--to', 'dave@example.net'], store);
    expect(result.outcome).toBe('applied');
    const reply = result.queued.find((q) => q.method === 'REPLY')!;
    const request = result.queued.find((q) => q.method === 'REQUEST')!;
    expect(reply.to).toEqual(['mailto:alice@example.com']);
    expect(attendees(reply.ics)).toContain('mailto:bob@example.com=DELEGATED');
    expect(property(reply.ics, 'ATTENDEE').join('\n')).toMatch(/DELEGATED-TO="?mailto:dave@example\.net/i);
    expect(request.to).toEqual(['mailto:dave@example.net']);
    expect(property(request.ics, 'ATTENDEE').join('\n')).toMatch(/DELEGATED-FROM="?mailto:bob@example\.com/i);
    expectInOutbox(store, result.queued);
  });
});

describe('an attendee proposes and asks; the organizer answers (both users of this installation)', () => {
  const dir = tempDir();
  const store = join(dir.path, 'store');
  afterAll(() => dir.remove());
  beforeAll(() => {
    // Alice's own copy (the mail she sent), and bob's invitation.
    ok(['process', '--outgoing', '--sender', ALICE], { store, input: invitation });
    ok(['process', '--recipient', BOB], { store, input: invitation });
  });

  it('bob\'s answer reaches alice\'s calendar at once; the REPLY still waits in the outbox for the mail', () => {
    const result = act(['respond', '--user', BOB, UID, '--partstat', 'ACCEPTED'], store);
    expect(result.outcome).toBe('applied');
    const [reply] = result.queued;
    expect(partstatOf(objects(store, ALICE)[0], BOB)).toBe('ACCEPTED');
    const journal = json<Array<{ messageId: string; method: string; outcome: string; recipient: string }>>(['journal', '--user', ALICE], { store });
    expect(journal.at(-1)).toMatchObject({ method: 'REPLY', outcome: 'applied', recipient: 'mailto:alice@example.com', messageId: `itip-${reply.id}@example.com` });
    expect(json<OutboxJson[]>(['outbox'], { store }).find((o) => o.id === reply.id)?.state).toBe('unprocessed');
  });

  it('counter propose reaches alice\'s requests; counter accept moves the event for everyone', () => {
    const proposal = act(['counter', 'propose', '--user', BOB, UID, '--start', '2026-12-01T14:00:00Z', '--end', '2026-12-01T15:00:00Z', '--comment', 'Afternoon?'], store);
    expect(proposal.outcome).toBe('applied');
    expect(proposal.queued.map((q) => [q.method, q.to])).toEqual([['COUNTER', ['mailto:alice@example.com']]]);
    expect(property(proposal.queued[0].ics, 'DTSTART')).toEqual(['DTSTART:20261201T140000Z']);
    // Bob's calendar keeps the event where it is until alice answers.
    expect(objects(store, BOB)[0].start).toBe('2026-12-01T09:00:00Z');
    expect(json<Array<{ method: string; from: string }>>(['requests', '--user', ALICE], { store })).toMatchObject([{ method: 'COUNTER', from: 'mailto:bob@example.com' }]);

    const accepted = act(['counter', 'accept', '--user', ALICE, UID, '--attendee', BOB], store);
    expect(accepted.outcome).toBe('applied');
    const requests = accepted.queued.filter((q) => q.method === 'REQUEST');
    expect(requests.flatMap((q) => q.to).sort()).toEqual(['mailto:bob@example.com', 'mailto:carol@example.org']);
    for (const request of requests) {
      expect(property(request.ics, 'DTSTART')).toEqual(['DTSTART:20261201T140000Z']);
      expect(property(request.ics, 'SEQUENCE')).toEqual(['SEQUENCE:1']);
    }
    expect(objects(store, ALICE)[0]).toMatchObject({ start: '2026-12-01T14:00:00Z', end: '2026-12-01T15:00:00Z', sequence: 1 });
    expect(json(['requests', '--user', ALICE], { store })).toEqual([]);
    // Bob is local: the update is in his calendar already, waiting for his answer again.
    expect(objects(store, BOB)[0]).toMatchObject({ start: '2026-12-01T14:00:00Z', sequence: 1 });
    expect(json<Array<{ method: string }>>(['requests', '--user', BOB], { store })).toMatchObject([{ method: 'REQUEST' }]);
  });

  it('counter decline sends a DECLINECOUNTER and leaves the event as it is', () => {
    act(['counter', 'propose', '--user', BOB, UID, '--start', '2026-12-02T14:00:00Z', '--end', '2026-12-02T15:00:00Z'], store);
    const declined = act(['counter', 'decline', '--user', ALICE, UID, '--attendee', BOB], store);
    expect(declined.outcome).toBe('applied');
    expect(declined.queued.map((q) => [q.method, q.to])).toEqual([['DECLINECOUNTER', ['mailto:bob@example.com']]]);
    expect(objects(store, ALICE)[0]).toMatchObject({ start: '2026-12-01T14:00:00Z', sequence: 1 });
    expect(json(['requests', '--user', ALICE], { store })).toEqual([]);
  });

  it('refresh ask waits in alice\'s requests; refresh answer sends bob the current REQUEST', () => {
    const asked = act(['refresh', 'ask', '--user', BOB, UID], store);
    expect(asked.queued.map((q) => [q.method, q.to])).toEqual([['REFRESH', ['mailto:alice@example.com']]]);
    expect(json<Array<{ method: string; from: string }>>(['requests', '--user', ALICE], { store })).toMatchObject([{ method: 'REFRESH', from: 'mailto:bob@example.com' }]);
    const answered = act(['refresh', 'answer', '--user', ALICE, UID, '--attendee', BOB], store);
    expect(answered.outcome).toBe('applied');
    expect(answered.queued.map((q) => [q.method, q.to])).toEqual([['REQUEST', ['mailto:bob@example.com']]]);
    expect(property(answered.queued[0].ics, 'DTSTART')).toEqual(['DTSTART:20261201T140000Z']);
    expect(json(['requests', '--user', ALICE], { store })).toEqual([]);
  });

  it('with localDomains set, only users in them get their copy directly', () => {
    const env = { ITIP_AGENT_LOCAL_DOMAINS: 'example.org' };
    const before = partstatOf(objects(store, ALICE)[0], BOB);
    const result = cli(['respond', '--user', BOB, UID, '--partstat', before === 'DECLINED' ? 'ACCEPTED' : 'DECLINED', '--json'], { store, env });
    expect(result.code, result.stderr).toBe(0);
    expect(partstatOf(objects(store, ALICE)[0], BOB)).toBe(before);
  });
});

describe('an organizer creates, changes and cancels an event', () => {
  const dir = tempDir();
  const store = join(dir.path, 'store');
  afterAll(() => dir.remove());
  beforeAll(() => {
    ok(['user', 'add', ALICE], { store });
    ok(['user', 'add', BOB], { store });
  });

  it('put of a new event stores it and invites every attendee; the local one has it at once', () => {
    const result = act(['put', '--user', ALICE], store, event(undefined, PLANNING));
    expect(result.outcome).toBe('applied');
    const requests = result.queued.filter((q) => q.method === 'REQUEST');
    expect(requests).toHaveLength(result.queued.length);
    expect(requests.flatMap((q) => q.to).sort()).toEqual(['mailto:bob@example.com', 'mailto:carol@example.org']);
    for (const request of requests) {
      expect(property(request.ics, 'METHOD')).toEqual(['METHOD:REQUEST']);
      expect(property(request.ics, 'SEQUENCE')).toEqual(['SEQUENCE:0']);
      expect(attendees(request.ics).sort()).toEqual(['mailto:alice@example.com=ACCEPTED', 'mailto:bob@example.com=NEEDS-ACTION', 'mailto:carol@example.org=NEEDS-ACTION']);
    }
    expectInOutbox(store, result.queued);
    expect(objects(store, ALICE)).toMatchObject([{ uid: UID, organizer: 'mailto:alice@example.com', start: '2026-12-01T09:00:00Z' }]);
    expect(json(['freebusy', '--user', ALICE], { store })).toMatchObject([{ start: '2026-12-01T09:00:00Z', uid: UID }]);
    // Bob is a user here: the invitation is in his calendar and requests already. Carol has no store.
    expect(objects(store, BOB)).toMatchObject([{ uid: UID, start: '2026-12-01T09:00:00Z' }]);
    expect(json<Array<{ method: string; from: string }>>(['requests', '--user', BOB], { store })).toMatchObject([{ method: 'REQUEST', from: 'mailto:alice@example.com' }]);
    expect(json<Array<{ address: string }>>(['user', 'list'], { store }).map((u) => u.address)).not.toContain('mailto:carol@example.org');
  });

  it('put with a significant change (a new time) raises SEQUENCE in the REQUEST to everyone', () => {
    const etag = objects(store, ALICE)[0].etag;
    const moved = event(undefined, PLANNING.map((l) => l.replace('DTSTART:20261201T090000Z', 'DTSTART:20261201T110000Z').replace('DTEND:20261201T100000Z', 'DTEND:20261201T120000Z')));
    const result = act(['put', '--user', ALICE, '--if-match', etag], store, moved);
    expect(result.outcome).toBe('applied');
    const requests = result.queued.filter((q) => q.method === 'REQUEST');
    expect(requests.flatMap((q) => q.to).sort()).toEqual(['mailto:bob@example.com', 'mailto:carol@example.org']);
    for (const request of requests) expect(property(request.ics, 'SEQUENCE')).toEqual(['SEQUENCE:1']);
    expect(objects(store, ALICE)[0]).toMatchObject({ start: '2026-12-01T11:00:00Z', sequence: 1 });
    expect(objects(store, BOB)[0]).toMatchObject({ start: '2026-12-01T11:00:00Z', sequence: 1 });
    // A PUT over a version that is not the stored one any more changes nothing.
    const stale = cli(['put', '--user', ALICE, '--if-match', etag, '--json'], { store, input: event(undefined, PLANNING) });
    expect(stale.code).toBe(1);
    expect((JSON.parse(stale.stdout) as ActionJson).outcome).toBe('stale');
    expect(objects(store, ALICE)[0].start).toBe('2026-12-01T11:00:00Z');
  });

  it('put without carol sends her a CANCEL', () => {
    const without = event(undefined, PLANNING.filter((l) => !l.includes('carol')).map((l) => l.replace('DTSTART:20261201T090000Z', 'DTSTART:20261201T110000Z').replace('DTEND:20261201T100000Z', 'DTEND:20261201T120000Z').replace('SEQUENCE:0', 'SEQUENCE:1')));
    const result = act(['put', '--user', ALICE], store, without);
    expect(result.outcome).toBe('applied');
    const cancels = result.queued.filter((q) => q.method === 'CANCEL');
    expect(cancels.flatMap((q) => q.to)).toEqual(['mailto:carol@example.org']);
    expect(objects(store, ALICE)[0].attendees.map((a) => a.address)).not.toContain('mailto:carol@example.org');
  });

  it('delete by the organizer cancels the event for the attendees; bob\'s copy is cancelled at once', () => {
    const result = act(['delete', '--user', ALICE, UID], store);
    expect(result.outcome).toBe('applied');
    expect(result.queued.map((q) => [q.method, q.to])).toEqual([['CANCEL', ['mailto:bob@example.com']]]);
    expect(property(result.queued[0].ics, 'METHOD')).toEqual(['METHOD:CANCEL']);
    expect(objects(store, ALICE)).toEqual([]);
    expect(json(['freebusy', '--user', ALICE], { store })).toEqual([]);
    const bobs = objects(store, BOB);
    expect(bobs.every((row) => row.status === 'CANCELLED')).toBe(true);
    expect(json(['requests', '--user', BOB], { store })).toEqual([]);
  });
});

describe('an attendee deletes an event', () => {
  const dir = tempDir();
  const store = join(dir.path, 'store');
  afterAll(() => dir.remove());
  beforeAll(() => {
    ok(['process', '--recipient', BOB], { store, input: invitation });
  });

  it('sends the organizer a DECLINED REPLY', () => {
    const result = act(['delete', '--user', BOB, UID], store);
    expect(result.outcome).toBe('applied');
    expect(result.queued.map((q) => [q.method, q.to, attendees(q.ics)])).toEqual([['REPLY', ['mailto:alice@example.com'], ['mailto:bob@example.com=DECLINED']]]);
    expect(json(['requests', '--user', BOB], { store })).toEqual([]);
    expect(json(['freebusy', '--user', BOB], { store })).toEqual([]);
  });
});

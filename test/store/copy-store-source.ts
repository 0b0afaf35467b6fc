// A store filled the way the agent fills one, for the store copy tests: real
// client invitations and replies processed as mail, a counter-proposal, mail
// the user sent (sent records), a CalDAV client's PUT under a name of its own,
// a user's answer and a resource's replies in the outbox (then sent, given up
// and waiting), preferences. And every read of the Store interface, to compare
// two stores by.

import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { TransactionService } from '../../src/agent/transaction-service.js';
import type { Store } from '../../src/store/store.js';

const ROOT = resolve(fileURLToPath(import.meta.url), '../../..');
export const NOW = Date.parse('2026-11-15T12:00:00Z');
export const ALICE = 'mailto:alice@example.com';
export const BOB = 'mailto:bob@example.org';
export const ROOM = 'mailto:room-1@example.com';
/** The name a CalDAV client gave alice's own event (RFC 4791 section 5.3.2): no relation to its UID. */
export const CLIENT_NAME = '6F1C2A9E-5B4D-4E7A-9C3B-0D8E2F1A7B65.ics';
export const CLIENT_UID = 'own-event-1@client.example';

export function clientMail(name: string): Buffer {
  return readFileSync(join(ROOT, 'test/fixtures/mail', name));
}

function scenario(path: string): string {
  return readFileSync(join(ROOT, 'test/fixtures/scenarios', path), 'utf8');
}

export function mailOf(from: string, to: string, messageId: string, ics: string): Buffer {
  const method = /^METHOD:(\S+)/m.exec(ics)![1];
  return Buffer.from(`From: ${from}\r\nTo: ${to}\r\nSubject: s\r\nMessage-ID: <${messageId}>\r\nContent-Type: text/calendar; method=${method}\r\n\r\n${ics.replace(/\r?\n/g, '\r\n')}`);
}

function roomRequest(uid: string, hour: string): string {
  return [
    'BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//t//EN', 'METHOD:REQUEST', 'BEGIN:VEVENT', `UID:${uid}`,
    'DTSTAMP:20261101T080000Z', `DTSTART:20261203T${hour}0000Z`, `DTEND:20261203T${hour}3000Z`, 'SEQUENCE:0', 'SUMMARY:Meeting',
    'ORGANIZER:mailto:boss@example.com', 'ATTENDEE;CUTYPE=ROOM;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:room-1@example.com', 'END:VEVENT', 'END:VCALENDAR', '',
  ].join('\r\n');
}

const CLIENT_EVENT = [
  'BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//Client//EN', 'BEGIN:VEVENT', `UID:${CLIENT_UID}`,
  'DTSTAMP:20261110T080000Z', 'DTSTART:20261204T130000Z', 'DTEND:20261204T140000Z', 'SUMMARY:Dentist', 'END:VEVENT', 'END:VCALENDAR', '',
].join('\r\n');

/** The mails fillSource processes, each with its envelope, so that a test can deliver one again. */
export const INCOMING = [
  { raw: () => clientMail('google-request.eml'), envelope: { recipients: ['alice@example.com'], sender: 'organizer@gmail.com' } },
  { raw: () => clientMail('outlook-request.eml'), envelope: { recipients: ['alice@example.com'], sender: 'boss@example.com' } },
  { raw: () => clientMail('apple-request.eml'), envelope: { recipients: ['alice@example.com'], sender: 'carol@example.org' } },
];

/** Fills the store; checks that each kind of data the copy must carry is there. */
export async function fillSource(store: Store): Promise<void> {
  const service = new TransactionService({ store, onward: { deliver: async () => [] }, now: () => NOW });
  const mail = (raw: Buffer, envelope: { recipients: string[]; sender: string; outgoing?: boolean }) =>
    service.run({ kind: 'mail', raw, ...envelope, replies: 'each' });

  for (const { raw, envelope } of INCOMING) await mail(raw(), envelope);
  // Alice's own invitation (Thunderbird), sent through the outgoing rule, and an attendee's reply to it.
  await mail(clientMail('thunderbird-request.eml'), { recipients: ['someone@gmail.com', 'bob@example.org'], sender: 'alice@example.com', outgoing: true });
  await mail(clientMail('google-reply.eml'), { recipients: ['alice@example.com'], sender: 'someone@gmail.com' });
  // A counter-proposal waiting for alice, the organizer.
  const counterCase = 'refresh-counter/counter-kept';
  await mail(mailOf('alice@example.com', 'bob@example.org', 'counter-sent@example.com', scenario(`${counterCase}/01-request-sent.ics`)), {
    recipients: ['bob@example.org'], sender: 'alice@example.com', outgoing: true,
  });
  await mail(mailOf('bob@example.org', 'alice@example.com', 'counter@example.org', scenario(`${counterCase}/02-counter.ics`)), {
    recipients: ['alice@example.com'], sender: 'bob@example.org',
  });
  // Bob gets alice's invitation too, and answers it: a REPLY in his outbox.
  await mail(mailOf('alice@example.com', 'bob@example.org', 'counter-sent@example.com', scenario(`${counterCase}/01-request-sent.ics`)), {
    recipients: ['bob@example.org'], sender: 'alice@example.com',
  });
  const answer = await service.run({ kind: 'action', user: BOB, action: { kind: 'respond', uid: 'evt-1@example.com', partstat: 'ACCEPTED' } });
  expect(answer.outcome).toBe('applied');
  // A CalDAV client's PUT of a new event under its own name.
  const put = await service.run({ kind: 'action', user: ALICE, action: { kind: 'put', ics: CLIENT_EVENT }, name: CLIENT_NAME });
  expect(put.outcome).toBe('applied');
  await store.transact(ALICE, (tx) => {
    tx.setPref('TZID', 'Europe/Berlin');
    tx.setPref('notify_requests', 'yes');
  });

  // A room that answers for itself: three replies in its outbox, then one sent, one given up, one waiting.
  await store.transact(ROOM, (tx) => tx.setRole('resource'));
  for (const [i, hour] of ['09', '11', '15'].entries()) {
    await mail(mailOf('boss@example.com', 'room-1@example.com', `room-${i}@example.com`, roomRequest(`room-${i}@example.com`, hour)), {
      recipients: ['room-1@example.com'], sender: 'boss@example.com',
    });
  }
  const replies = await store.listOutbox(ROOM);
  expect(replies).toHaveLength(3);
  await store.updateOutbox({ ...replies[0]!, state: 'processed', attempts: 1, status: { 'mailto:boss@example.com': '1.2' } });
  await store.updateOutbox({ ...replies[1]!, state: 'failed', attempts: 20, status: { 'mailto:boss@example.com': '5.1' }, lastError: '550 5.1.1 no such user' });
  await store.updateOutbox({ ...replies[2]!, attempts: 2, nextAttempt: '2026-11-15T12:04:00Z', lastError: '451 4.3.0 try again later' });

  // Every kind the copy carries is really there.
  for (const user of [ALICE, BOB, ROOM]) {
    expect((await store.listJournal(user)).length, user).toBeGreaterThan(0);
    expect((await store.listSeen(user)).length, user).toBeGreaterThan(0);
  }
  expect((await store.listObjects(ALICE)).length).toBeGreaterThanOrEqual(5);
  expect(await store.objectNamed(ALICE, CLIENT_NAME)).toBe(CLIENT_UID);
  expect((await store.freeBusy(ALICE)).length).toBeGreaterThan(0);
  expect((await store.freeBusy(ALICE, { others: true })).length).toBeGreaterThan(0);
  expect((await store.listRequests(ALICE)).length).toBeGreaterThan(0);
  expect((await store.listCounters(ALICE)).length).toBe(1);
  expect((await store.listInbox(ALICE)).length).toBeGreaterThan(0);
  expect((await store.listSent(ALICE)).length).toBeGreaterThan(0);
  expect((await store.listOutbox(BOB)).length).toBe(1);
  expect(new Set((await store.listOutbox()).map((item) => item.state))).toEqual(new Set(['processed', 'failed', 'unprocessed']));
}

/** Everything the Store interface reads of a store, except the change log (which is not copied). */
export async function everyRead(store: Store): Promise<Record<string, unknown>> {
  const users = await store.listUsers();
  const reads: Record<string, unknown> = { users, outbox: await store.listOutbox(), due: await store.listDueOutbox('2027-01-01T00:00:00Z') };
  for (const user of users) {
    const objects = await store.listObjects(user);
    const names = await Promise.all(objects.map((object) => store.objectName(user, object.uid)));
    const outbox = await store.listOutbox(user);
    reads[user] = {
      role: await store.getRole(user),
      prefs: await store.getPrefs(user),
      objects,
      names,
      named: await Promise.all(names.map((name) => store.objectNamed(user, name!))),
      got: await Promise.all(objects.map((object) => store.getObject(user, object.uid))),
      own: await store.freeBusy(user),
      others: await store.freeBusy(user, { others: true }),
      december: await store.freeBusy(user, { from: '2026-12-01T00:00:00Z', to: '2027-01-01T00:00:00Z' }),
      busy: await store.busyTime(user, { from: '2026-10-01T00:00:00Z', to: '2027-10-01T00:00:00Z' }),
      requests: await store.listRequests(user),
      counters: await store.listCounters(user),
      inbox: await store.listInbox(user),
      outbox,
      outboxById: await Promise.all(outbox.map((item) => store.getOutbox(item.id))),
      journal: await store.listJournal(user),
      seen: await store.listSeen(user),
      sent: await store.listSent(user),
    };
  }
  // As JSON carries them: a property left undefined is no difference.
  return JSON.parse(JSON.stringify(reads)) as Record<string, unknown>;
}

// Exim with the shipped routers and transports (mta-configs/exim), Dovecot
// behind it, and the agent between them: the same journeys as with Postfix.
// Installing exim4 removes Postfix (and the other way round): the integration
// files run one at a time, each installing what it needs (servers.ts).

import { chmodSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  EXIM_SUBMISSION_AUTH,
  agent,
  agentDir,
  agentJson,
  arrivedUnchanged,
  ensureAgentUser,
  holdMtaLock,
  imip,
  maildirMessages,
  sendMail,
  startDovecot,
  startExim,
  startServe,
  startSink,
  waitFor,
  workDir,
  type Dovecot,
  type Exim,
  type Serve,
  type StoredObject,
} from './servers.js';

let dir: string;
let store: string;
let dovecot: Dovecot;
let exim: Exim;
let sink: Awaited<ReturnType<typeof startSink>>;
let releaseLock: (() => void) | undefined;

const logs = () => [exim?.log(), dovecot?.log(), exim ? `--- queue\n${exim.queue()}` : ''].join('\n');

function objects(user: string): StoredObject[] {
  return agentJson<StoredObject[]>(store, ['objects', '--user', user]);
}

function arrivedIn(address: string, messageId: string): Buffer | undefined {
  return maildirMessages(dovecot.maildir(address)).find((m) => m.includes(`Message-ID: <${messageId}>`));
}

/**
 * Waits for a line in the MTA's log: the MTA logs a delivery only after the
 * agent (or serve) has finished, which may be a moment after the mail is
 * already in the maildir.
 */
async function logShows(mta: { log(): string }, pattern: RegExp): Promise<void> {
  await waitFor(`the log line ${pattern}`, () => pattern.test(mta.log()), () => mta.log(), 15_000);
}

beforeAll(async () => {
  releaseLock = await holdMtaLock();
  ensureAgentUser();
  dir = workDir('itip-agent-exim-');
  store = agentDir(join(dir, 'store'));
  dovecot = await startDovecot(join(dir, 'dovecot'));
  sink = await startSink();
  exim = await startExim({ dir: join(dir, 'exim'), store, dovecot, sinkPort: sink.port });
}, 240_000);

afterAll(async () => {
  // Stop what was started, even when a start above failed half-way.
  try {
    await exim?.stop();
    await dovecot?.stop();
    await sink?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  } finally {
    releaseLock?.();
  }
}, 60_000);

describe('Exim, pipe variant (mta-configs/exim)', () => {
  const invitation = imip({
    method: 'REQUEST',
    uid: 'ex-planning@external.test',
    messageId: 'ex-planning-request@external.test',
    from: 'boss@external.test',
    to: 'alice@example.com',
    organizer: 'boss@external.test',
    attendees: [
      ['boss@external.test', 'ACCEPTED'],
      ['alice@example.com', 'NEEDS-ACTION'],
    ],
  });

  it('passes an invitation from the world through the agent into the mailbox', async () => {
    const response = await sendMail(exim.smtpPort, 'boss@external.test', ['alice@example.com'], invitation);
    expect(response).toMatch(/^250 /);

    const arrived = await waitFor('the invitation in alice\'s Dovecot maildir', () => arrivedIn('alice@example.com', 'ex-planning-request@external.test'), logs);
    expect(arrivedUnchanged(invitation, arrived), arrived.toString()).toBe(true);
    expect(arrived.toString()).toMatch(/^Return-Path: <boss@external\.test>/);
    await logShows(exim, /=> alice <alice@example\.com> R=itip_people T=itip_person/);

    const stored = objects('alice@example.com');
    expect(stored.map((o) => o.uid)).toEqual(['ex-planning@external.test']);
    expect(stored[0].organizer).toBe('mailto:boss@external.test');
  });

  it('copies a reply that a local user submits to the agent, and sends it on unchanged', async () => {
    const reply = imip({
      method: 'REPLY',
      uid: 'ex-planning@external.test',
      messageId: 'ex-planning-reply-alice@example.com',
      from: 'alice@example.com',
      to: 'boss@external.test',
      organizer: 'boss@external.test',
      attendees: [['alice@example.com', 'ACCEPTED']],
    });
    const response = await sendMail(exim.smtpPort, 'alice@example.com', ['boss@external.test'], reply, EXIM_SUBMISSION_AUTH);
    expect(response).toMatch(/^250 /);

    const out = await waitFor('the reply at the external sink', () => sink.mails.find((m) => m.raw.includes('ex-planning-reply-alice@example.com')), logs);
    expect(out.from).toBe('alice@example.com');
    expect(out.to).toEqual(['boss@external.test']);
    expect(arrivedUnchanged(reply, out.raw), out.raw.toString()).toBe(true);

    const partstat = () => objects('alice@example.com')[0]?.attendees.find((a) => a.address === 'mailto:alice@example.com')?.partstat;
    await waitFor('alice\'s own PARTSTAT in her store', () => partstat() === 'ACCEPTED', () => `${logs()}\npartstat: ${partstat()}`);
    await logShows(exim, /=> boss <boss@external\.test> R=itip_outgoing T=itip_outgoing/);
  });

  it('does not take mail from the world that claims a local sender as sent by that user', async () => {
    const forged = imip({
      method: 'REQUEST',
      uid: 'ex-forged@example.com',
      messageId: 'ex-forged@example.com',
      from: 'carol@example.com',
      to: 'alice@example.com',
      organizer: 'carol@example.com',
      attendees: [['alice@example.com', 'NEEDS-ACTION']],
    });
    await sendMail(exim.smtpPort, 'carol@example.com', ['alice@example.com'], forged);
    await waitFor('the mail in alice\'s maildir', () => arrivedIn('alice@example.com', 'ex-forged@example.com'), logs);
    expect(objects('alice@example.com').map((o) => o.uid)).toContain('ex-forged@example.com');
    expect(objects('carol@example.com')).toEqual([]);
    // Once Exim has completed the message, no delivery went through itip_outgoing.
    const id = /(\S+) <= carol@example\.com .*id=ex-forged@example\.com/.exec(exim.log())?.[1];
    expect(id).toBeDefined();
    await logShows(exim, new RegExp(`${id} Completed`));
    expect(exim.log()).not.toMatch(new RegExp(`${id} => .*R=itip_outgoing`));
  });

  it('defers the mail when the agent exits 75, and delivers it on the retry', async () => {
    const update = imip({
      method: 'REQUEST',
      uid: 'ex-deferred@external.test',
      messageId: 'ex-deferred@external.test',
      from: 'boss@external.test',
      to: 'bob@example.com',
      organizer: 'boss@external.test',
      attendees: [['bob@example.com', 'NEEDS-ACTION']],
    });
    chmodSync(store, 0o000);
    try {
      await sendMail(exim.smtpPort, 'boss@external.test', ['bob@example.com'], update);
      await waitFor('Exim to defer the mail', () => /== bob@example\.com R=itip_people T=itip_person defer/.test(exim.log()), logs);
      expect(arrivedIn('bob@example.com', 'ex-deferred@external.test')).toBeUndefined();
      expect(exim.queue()).toContain('bob@example.com');
    } finally {
      chmodSync(store, 0o755);
    }
    exim.flush();
    await waitFor('the deferred mail in bob\'s maildir', () => arrivedIn('bob@example.com', 'ex-deferred@external.test'), logs);
    expect(objects('bob@example.com').map((o) => o.uid)).toEqual(['ex-deferred@external.test']);
    expect(sink.mails.filter((m) => m.from === '')).toEqual([]);
  });
});

describe('Exim, the null sender', () => {
  it('passes a bounce (MAIL FROM:<>, an empty SENDER for the pipe) through to the mailbox', async () => {
    const bounce = [
      'From: Mail Delivery System <MAILER-DAEMON@external.test>',
      'To: <alice@example.com>',
      'Subject: Undelivered Mail Returned to Sender',
      'Message-ID: <ex-bounce@external.test>',
      'Date: Fri, 01 Jan 2027 08:00:00 +0000',
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=us-ascii',
      '',
      'This is the mail system at host external.test.',
      '',
    ].join('\r\n');
    await sendMail(exim.smtpPort, '', ['alice@example.com'], bounce);
    const arrived = await waitFor('the bounce in alice\'s maildir', () => arrivedIn('alice@example.com', 'ex-bounce@external.test'), logs);
    expect(arrivedUnchanged(bounce, arrived)).toBe(true);
    expect(arrived.toString()).toMatch(/^Return-Path: <>/);
  });
});

describe('Exim, a resource and the outbox sender', () => {
  it('lets a room accept an invitation, and queue run sends its reply out through Exim', async () => {
    expect(agent(store, ['user', 'add', 'room-1@example.com', '--resource']).status).toBe(0);
    const invitation = imip({
      method: 'REQUEST',
      uid: 'ex-room@external.test',
      messageId: 'ex-room-request@external.test',
      from: 'boss@external.test',
      to: 'room-1@example.com',
      organizer: 'boss@external.test',
      attendees: [['room-1@example.com', 'NEEDS-ACTION']],
    });
    await sendMail(exim.smtpPort, 'boss@external.test', ['room-1@example.com'], invitation);
    await waitFor('the room\'s run of the agent', () => /=> room-1 <room-1@example\.com> R=itip_resources T=itip_resource/.test(exim.log()), logs);
    const outbox = agentJson<Array<{ method: string; uid: string; state: string }>>(store, ['outbox', '--user', 'room-1@example.com']);
    expect(outbox.map((o) => [o.method, o.uid, o.state])).toEqual([['REPLY', 'ex-room@external.test', 'unprocessed']]);

    const run = agent(store, ['queue', 'run', '--relay', `127.0.0.1:${exim.smtpPort}`, '--json']);
    expect(run.status, run.stderr).toBe(0);
    const sent = await waitFor('the room\'s reply at the external sink', () => sink.mails.find((m) => m.from === 'room-1@example.com'), logs);
    expect(sent.to).toEqual(['boss@external.test']);
    expect(sent.raw.toString()).toMatch(/METHOD:REPLY/);
    expect(sent.raw.toString()).toMatch(/PARTSTAT=ACCEPTED[^\r\n]*:mailto:room-1@example\.com/);
    expect(agentJson<Array<{ state: string }>>(store, ['outbox', '--user', 'room-1@example.com']).map((o) => o.state)).toEqual(['processed']);
  });
});

describe('Exim, LMTP variant (itip_person_lmtp and itip-agent serve)', () => {
  let serve: Serve;
  let lmtpExim: Exim;

  beforeAll(async () => {
    serve = await startServe(store, `lmtp:${dovecot.socket}`);
    lmtpExim = await startExim({ dir: join(dir, 'exim-lmtp'), store, dovecot, sinkPort: sink.port, serveLmtp: serve.address });
  }, 60_000);

  afterAll(async () => {
    await lmtpExim?.stop();
    await serve?.stop();
  }, 30_000);

  it('hands an invitation over LMTP to the agent, which files it and delivers it to Dovecot', async () => {
    const invitation = imip({
      method: 'REQUEST',
      uid: 'ex-lmtp@external.test',
      messageId: 'ex-lmtp-request@external.test',
      from: 'boss@external.test',
      to: 'bob@example.com',
      organizer: 'boss@external.test',
      attendees: [['bob@example.com', 'NEEDS-ACTION'], ['alice@example.com', 'NEEDS-ACTION']],
    });
    await sendMail(lmtpExim.smtpPort, 'boss@external.test', ['bob@example.com', 'alice@example.com'], invitation);
    const context = () => `${lmtpExim.log()}\n${dovecot.log()}\n--- serve\n${serve.output()}`;
    for (const user of ['bob@example.com', 'alice@example.com']) {
      const arrived = await waitFor(`the invitation in ${user}'s maildir`, () => arrivedIn(user, 'ex-lmtp-request@external.test'), context);
      expect(arrivedUnchanged(invitation, arrived), arrived.toString()).toBe(true);
      expect(arrived.toString()).toMatch(/^Return-Path: <boss@external\.test>/);
      expect(objects(user).map((o) => o.uid)).toContain('ex-lmtp@external.test');
    }
    await logShows(lmtpExim, /R=itip_people T=itip_person_lmtp/);
  });
});

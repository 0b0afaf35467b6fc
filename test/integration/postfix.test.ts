// Postfix with the shipped configuration (mta-configs/postfix), Dovecot behind
// it, and the agent between them: mail goes in over SMTP as from the world or
// from a local user, and the tests look where it arrived and what the agent's
// store made of it. See servers.ts for how the servers are set up.

import { chmodSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  agent,
  agentDir,
  agentJson,
  arrivedUnchanged,
  ensureAgentUser,
  holdMtaLock,
  imip,
  maildirMessages,
  sendMail,
  shippedPostfix,
  startDovecot,
  startPostfix,
  startServe,
  startSink,
  waitFor,
  workDir,
  type Dovecot,
  type Postfix,
  type Serve,
  type StoredObject,
} from './servers.js';

let dir: string;
let store: string;
let dovecot: Dovecot;
let postfix: Postfix;
let sink: Awaited<ReturnType<typeof startSink>>;
let releaseLock: (() => void) | undefined;

const logs = () => [postfix?.log(), dovecot?.log(), postfix ? `--- queue\n${postfix.queue()}` : ''].join('\n');

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
  dir = workDir('itip-agent-postfix-');
  store = agentDir(join(dir, 'store'));
  dovecot = await startDovecot(join(dir, 'dovecot'));
  sink = await startSink();
  postfix = await startPostfix({ dir: join(dir, 'postfix'), store, dovecot, sinkPort: sink.port });
}, 240_000);

afterAll(async () => {
  // Stop what was started, even when a start above failed half-way.
  try {
    await postfix?.stop();
    await dovecot?.stop();
    await sink?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  } finally {
    releaseLock?.();
  }
}, 60_000);

describe('Postfix, pipe variant (mta-configs/postfix)', () => {
  const invitation = imip({
    method: 'REQUEST',
    uid: 'pf-planning@external.test',
    messageId: 'pf-planning-request@external.test',
    from: 'boss@external.test',
    to: 'alice@example.com',
    organizer: 'boss@external.test',
    attendees: [
      ['boss@external.test', 'ACCEPTED'],
      ['alice@example.com', 'NEEDS-ACTION'],
    ],
  });

  it('passes an invitation from the world through the agent into the mailbox', async () => {
    const response = await sendMail(postfix.smtpPort, 'boss@external.test', ['alice@example.com'], invitation);
    expect(response).toMatch(/^250 /);

    const arrived = await waitFor('the invitation in alice\'s Dovecot maildir', () => arrivedIn('alice@example.com', 'pf-planning-request@external.test'), logs);
    expect(arrivedUnchanged(invitation, arrived), arrived.toString()).toBe(true);
    // Dovecot's LMTP wrote the envelope: the agent passed the sender on.
    expect(arrived.toString()).toMatch(/^Return-Path: <boss@external\.test>/);
    await logShows(postfix, /to=<alice@example\.com>, relay=itip, .*status=sent/);

    const stored = objects('alice@example.com');
    expect(stored.map((o) => o.uid)).toEqual(['pf-planning@external.test']);
    expect(stored[0].organizer).toBe('mailto:boss@external.test');
  });

  it('copies a reply that a local user sends to the agent, and sends it on unchanged', async () => {
    const reply = imip({
      method: 'REPLY',
      uid: 'pf-planning@external.test',
      messageId: 'pf-planning-reply-alice@example.com',
      from: 'alice@example.com',
      to: 'boss@external.test',
      organizer: 'boss@external.test',
      attendees: [['alice@example.com', 'ACCEPTED']],
    });
    const response = await sendMail(postfix.submissionPort, 'alice@example.com', ['boss@external.test'], reply);
    expect(response).toMatch(/^250 /);

    const out = await waitFor('the reply at the external sink', () => sink.mails.find((m) => m.raw.includes('pf-planning-reply-alice@example.com')), logs);
    expect(out.from).toBe('alice@example.com');
    // The copy for the agent is not a recipient the world sees.
    expect(out.to).toEqual(['boss@external.test']);
    expect(arrivedUnchanged(reply, out.raw), out.raw.toString()).toBe(true);

    const partstat = () => objects('alice@example.com')[0]?.attendees.find((a) => a.address === 'mailto:alice@example.com')?.partstat;
    await waitFor('alice\'s own PARTSTAT in her store', () => partstat() === 'ACCEPTED', () => `${logs()}\npartstat: ${partstat()}`);
    await logShows(postfix, /to=<itip-outgoing@itip\.invalid>, relay=itip-outgoing, .*status=sent/);
  });

  it('does not take mail from the world that claims a local sender as sent by that user', async () => {
    const forged = imip({
      method: 'REQUEST',
      uid: 'pf-forged@example.com',
      messageId: 'pf-forged@example.com',
      from: 'carol@example.com',
      to: 'alice@example.com',
      organizer: 'carol@example.com',
      attendees: [['alice@example.com', 'NEEDS-ACTION']],
    });
    await sendMail(postfix.smtpPort, 'carol@example.com', ['alice@example.com'], forged);
    await waitFor('the mail in alice\'s maildir', () => arrivedIn('alice@example.com', 'pf-forged@example.com'), logs);
    // Alice's calendar has it (incoming); Carol's has nothing (no outgoing copy from port 25).
    expect(objects('alice@example.com').map((o) => o.uid)).toContain('pf-forged@example.com');
    expect(objects('carol@example.com')).toEqual([]);
    // The queue file has alice as its only recipient: no copy for itip-outgoing was added.
    const queueId = /(\w+): message-id=<pf-forged@example\.com>/.exec(postfix.log())?.[1];
    expect(queueId).toBeDefined();
    expect(postfix.log()).toMatch(new RegExp(`${queueId}: from=<carol@example\\.com>, size=\\d+, nrcpt=1 `));
  });

  it('defers the mail when the agent exits 75, and delivers it on the retry', async () => {
    const update = imip({
      method: 'REQUEST',
      uid: 'pf-deferred@external.test',
      messageId: 'pf-deferred@external.test',
      from: 'boss@external.test',
      to: 'bob@example.com',
      organizer: 'boss@external.test',
      attendees: [['bob@example.com', 'NEEDS-ACTION']],
    });
    // A store the agent cannot open: the agent exits 75 (EX_TEMPFAIL).
    chmodSync(store, 0o000);
    try {
      await sendMail(postfix.smtpPort, 'boss@external.test', ['bob@example.com'], update);
      await waitFor('Postfix to defer the mail', () => /to=<bob@example\.com>, relay=itip, .*status=deferred/.test(postfix.log()), logs);
      expect(arrivedIn('bob@example.com', 'pf-deferred@external.test')).toBeUndefined();
      expect(postfix.queue()).toContain('bob@example.com');
    } finally {
      chmodSync(store, 0o755);
    }
    postfix.flush();
    await waitFor('the deferred mail in bob\'s maildir', () => arrivedIn('bob@example.com', 'pf-deferred@external.test'), logs);
    expect(objects('bob@example.com').map((o) => o.uid)).toEqual(['pf-deferred@external.test']);
    // Nothing bounced back to the organizer.
    expect(sink.mails.filter((m) => m.to.includes('boss@external.test') && m.from === '')).toEqual([]);
  });
});

describe('Postfix, the null sender', () => {
  it('passes a bounce (MAIL FROM:<>, MAILER-DAEMON on the pipe\'s command line) through to the mailbox', async () => {
    const bounce = [
      'From: Mail Delivery System <MAILER-DAEMON@external.test>',
      'To: <alice@example.com>',
      'Subject: Undelivered Mail Returned to Sender',
      'Message-ID: <pf-bounce@external.test>',
      'Date: Fri, 01 Jan 2027 08:00:00 +0000',
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=us-ascii',
      '',
      'This is the mail system at host external.test.',
      '',
    ].join('\r\n');
    await sendMail(postfix.smtpPort, '', ['alice@example.com'], bounce);
    const arrived = await waitFor('the bounce in alice\'s maildir', () => arrivedIn('alice@example.com', 'pf-bounce@external.test'), logs);
    expect(arrivedUnchanged(bounce, arrived)).toBe(true);
    expect(arrived.toString()).toMatch(/^Return-Path: <>/);
  });
});

describe('Postfix, a resource and the outbox sender', () => {
  it('lets a room accept an invitation, and queue run sends its reply out through Postfix', async () => {
    expect(agent(store, ['user', 'add', 'room-1@example.com', '--resource']).status).toBe(0);
    const invitation = imip({
      method: 'REQUEST',
      uid: 'pf-room@external.test',
      messageId: 'pf-room-request@external.test',
      from: 'boss@external.test',
      to: 'room-1@example.com',
      organizer: 'boss@external.test',
      attendees: [['room-1@example.com', 'NEEDS-ACTION']],
    });
    await sendMail(postfix.smtpPort, 'boss@external.test', ['room-1@example.com'], invitation);
    await waitFor('the room\'s run of the agent', () => /to=<room-1@example\.com>, relay=itip-resource, .*status=sent/.test(postfix.log()), logs);
    const outbox = agentJson<Array<{ method: string; uid: string; state: string }>>(store, ['outbox', '--user', 'room-1@example.com']);
    expect(outbox.map((o) => [o.method, o.uid, o.state])).toEqual([['REPLY', 'pf-room@external.test', 'unprocessed']]);

    // The relay is the "port 25" smtpd: a loopback client may relay (mynetworks), and no outgoing copy is made.
    const run = agent(store, ['queue', 'run', '--relay', `127.0.0.1:${postfix.smtpPort}`, '--json']);
    expect(run.status, run.stderr).toBe(0);
    const sent = await waitFor('the room\'s reply at the external sink', () => sink.mails.find((m) => m.from === 'room-1@example.com'), logs);
    expect(sent.to).toEqual(['boss@external.test']);
    expect(sent.raw.toString()).toMatch(/METHOD:REPLY/);
    expect(sent.raw.toString()).toMatch(/PARTSTAT=ACCEPTED[^\r\n]*:mailto:room-1@example\.com/);
    const after = agentJson<Array<{ state: string }>>(store, ['outbox', '--user', 'room-1@example.com']);
    expect(after.map((o) => o.state)).toEqual(['processed']);
  });
});

describe('Postfix, LMTP variant (itip_transport.lmtp and itip-agent serve)', () => {
  let serve: Serve;

  beforeAll(async () => {
    serve = await startServe(store, `lmtp:${dovecot.socket}`);
    const map = shippedPostfix('itip_transport.lmtp', { serveLmtp: serve.address });
    postfix.setMap('itip_transport', map + `\nexternal.test smtp:[127.0.0.1]:${sink.port}\n`);
  }, 60_000);

  afterAll(async () => {
    await serve?.stop();
  }, 30_000);

  it('hands an invitation over LMTP to the agent, which files it and delivers it to Dovecot', async () => {
    const invitation = imip({
      method: 'REQUEST',
      uid: 'pf-lmtp@external.test',
      messageId: 'pf-lmtp-request@external.test',
      from: 'boss@external.test',
      to: 'bob@example.com',
      organizer: 'boss@external.test',
      attendees: [['bob@example.com', 'NEEDS-ACTION'], ['alice@example.com', 'NEEDS-ACTION']],
    });
    await sendMail(postfix.smtpPort, 'boss@external.test', ['bob@example.com', 'alice@example.com'], invitation);
    const context = () => `${logs()}\n--- serve\n${serve.output()}`;
    for (const user of ['bob@example.com', 'alice@example.com']) {
      const arrived = await waitFor(`the invitation in ${user}'s maildir`, () => arrivedIn(user, 'pf-lmtp-request@external.test'), context);
      expect(arrivedUnchanged(invitation, arrived), arrived.toString()).toBe(true);
      expect(arrived.toString()).toMatch(/^Return-Path: <boss@external\.test>/);
      expect(objects(user).map((o) => o.uid)).toContain('pf-lmtp@external.test');
    }
    await logShows(postfix, new RegExp(`to=<bob@example\\.com>, relay=127\\.0\\.0\\.1\\[127\\.0\\.0\\.1\\]:${serve.address.split(':')[1]}, .*status=sent`));
  });

  it('keeps the mail queued while serve is down, and delivers it once serve is back', async () => {
    const address = serve.address;
    await serve.stop();
    const invitation = imip({
      method: 'REQUEST',
      uid: 'pf-lmtp-down@external.test',
      messageId: 'pf-lmtp-down@external.test',
      from: 'boss@external.test',
      to: 'bob@example.com',
      organizer: 'boss@external.test',
      attendees: [['bob@example.com', 'NEEDS-ACTION']],
    });
    await sendMail(postfix.smtpPort, 'boss@external.test', ['bob@example.com'], invitation);
    await logShows(postfix, /to=<bob@example\.com>, relay=none, .*status=deferred/);
    expect(postfix.queue()).toContain('bob@example.com');

    serve = await startServe(store, `lmtp:${dovecot.socket}`, {}, address);
    postfix.flush();
    await waitFor('the mail in bob\'s maildir', () => arrivedIn('bob@example.com', 'pf-lmtp-down@external.test'), () => `${logs()}\n--- serve\n${serve.output()}`);
    expect(objects('bob@example.com').map((o) => o.uid)).toContain('pf-lmtp-down@external.test');
  });

  it('still copies sent mail to the agent (itip-outgoing pipe)', async () => {
    const reply = imip({
      method: 'REPLY',
      uid: 'pf-lmtp@external.test',
      messageId: 'pf-lmtp-reply-bob@example.com',
      from: 'bob@example.com',
      to: 'boss@external.test',
      organizer: 'boss@external.test',
      attendees: [['bob@example.com', 'TENTATIVE']],
    });
    await sendMail(postfix.submissionPort, 'bob@example.com', ['boss@external.test'], reply);
    await waitFor('the reply at the external sink', () => sink.mails.find((m) => m.raw.includes('pf-lmtp-reply-bob@example.com')), logs);
    const partstat = () => objects('bob@example.com').find((o) => o.uid === 'pf-lmtp@external.test')?.attendees.find((a) => a.address === 'mailto:bob@example.com')?.partstat;
    await waitFor('bob\'s own PARTSTAT in his store', () => partstat() === 'TENTATIVE', () => `${logs()}\npartstat: ${partstat()}`);
  });
});

// The journeys that Postfix and Exim must both get right, written once:
// each MTA's test file passes an adapter that starts its MTA and says what
// differs (how a local user submits, what its log says for a delivery, how
// the LMTP variant is switched on), so a check added here runs against both.
// Hooks and tests are registered when a test file calls defineMtaSuite, at
// its top level, the same as if they were written in the file itself.

import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { agent, agentJson, installAgent, INSTALLED, startServe, type Serve, type StoredObject } from './agent.js';
import { startDovecot, type Dovecot } from './dovecot.js';
import { waitFor } from './host.js';
import { arrivedUnchanged, imip, maildirMessages, sendMail, startSink, type EventMail, type SmtpDoor } from './mail.js';
import { startSandbox, type Sandbox } from './sandbox.js';
import type { MtaOptions } from './shipped.js';
import { bounceJourney } from './bounce-journey.js';

/** What the shared tests need of a running MTA (Postfix from postfix.ts and Exim from exim.ts both fit). */
export interface RunningMta {
  /** Mail from the world: the sandbox's address and the port there. */
  smtp: SmtpDoor;
  /** The same port, on the sandbox's loopback too (for the agent's outbox sender inside). */
  smtpPort: number;
  log(): string;
  queue(): string;
  /** Try the deferred mail again now. */
  flush(): void;
  /** How mail for nowhere.test ends: held in the queue, or failed permanently so that the MTA bounces it (its own DSN). */
  routeNowhere(how: 'defer' | 'fail'): void;
  stop(): Promise<void>;
}

/** What the suite has started, for the tests; filled in by its beforeAll hooks. */
export class MtaSuite<M extends RunningMta> {
  /** The mail host: a Debian root with the MTA, Dovecot and the agent's package, in its own network namespace. */
  box!: Sandbox;
  /** The MTA's folder inside the root. */
  dir!: string;
  /** The agent's store inside the root (the package's). */
  store!: string;
  dovecot!: Dovecot;
  mta!: M;
  sink!: Awaited<ReturnType<typeof startSink>>;
  /** The agent's configuration file inside the root (the package's), which every agent command of the MTA names (--config); baseline() unless a test sets more. */
  config!: string;

  constructor(readonly adapter: MtaAdapter<M>) {}

  /**
   * The agent's settings when a test sets none: the defaults, except that
   * the tests' client (the host's end of the sandbox's veth pair) is inside,
   * as the default makes loopback inside, where that client was before the
   * tests had a sandbox. So Postfix's submission port, which the tests use
   * without SASL from mynetworks, stays a local user's door for the agent too.
   */
  baseline(): Record<string, unknown> {
    return { localDomains: [], auth: { trustedNetworks: ['127.0.0.0/8', '::1/128', `${this.box.hostAddress}/32`] } };
  }

  /** The configuration file as the package installed it (the store, the delivery target...), read once. */
  private packaged: Record<string, unknown> | undefined;

  /**
   * Sets the agent's settings: the package's file with `settings` on top
   * (each top-level key replaced whole). Each agent run the MTA starts from
   * now on reads them.
   */
  configure(settings: Record<string, unknown>): void {
    const file = this.box.at(this.config);
    this.packaged ??= existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>) : {};
    writeFileSync(file, JSON.stringify({ ...this.packaged, ...settings }, null, 2) + '\n', { mode: 0o644 });
  }

  /** A uid or Message-ID local part unique to this MTA's run, so logs from two runs are told apart. */
  id(name: string): string {
    return `${this.adapter.idPrefix}-${name}`;
  }

  /** What a failed wait shows: the MTA's log and queue, and Dovecot's log. */
  logs(mta: M | undefined = this.mta): string {
    return [mta?.log(), this.dovecot?.log(), mta ? `--- queue\n${mta.queue()}` : ''].join('\n');
  }

  objects(user: string): StoredObject[] {
    return agentJson<StoredObject[]>(this.box, this.store, ['objects', '--user', user]);
  }

  arrivedIn(address: string, messageId: string): Buffer | undefined {
    return maildirMessages(this.dovecot.maildir(address)).find((m) => m.includes(`Message-ID: <${messageId}>`));
  }
}

/** The LMTP variant's state: `mta` delivers to `serve`, which a test may stop and start again. */
export interface LmtpVariant<M extends RunningMta> {
  serve: Serve;
  mta: M;
  /** The MTA's and Dovecot's logs with serve's output. */
  context(): string;
}

/** Log lines by which each MTA shows a step was taken; each is the MTA's own wording of the same event. */
export interface MtaLogPatterns {
  /** alice@example.com delivered through the agent's pipe. */
  delivered: RegExp;
  /** The copy of alice's reply to boss@external.test handed to the agent's outgoing pipe. */
  outgoingCopied: RegExp;
  /** The mail for bob@example.com deferred because the agent exited 75. */
  deferred: RegExp;
  /** room-1@example.com delivered through the agent's resource pipe. */
  resourceDelivered: RegExp;
  /** bob@example.com delivered over LMTP to serve at `serveAddress` (host:port). */
  lmtpDelivered(serveAddress: string): RegExp;
}

export interface MtaAdapter<M extends RunningMta> {
  /** Names the MTA in test names and messages ("Postfix"); its lower case names its folders. */
  name: string;
  /** Starts the uids and Message-IDs of this MTA's mails ("pf"). */
  idPrefix: string;
  /** What the describe blocks call the configuration under test, e.g. "mta-configs/postfix". */
  pipeVariant: string;
  lmtpVariant: string;
  /** How the MTA gives the pipe the empty sender, for the null-sender test's name. */
  nullSenderPipe: string;
  /**
   * Whether the shipped configuration removes every Authentication-Results
   * field a mail brings along (Exim removes header fields by name), or only
   * those that carry the trusted authserv-id (Postfix's header_checks rule).
   */
  removesAllAuthResults: boolean;
  /** The cached root with this MTA and Dovecot installed (made by global-setup.ts). */
  root(): string;
  start(options: MtaOptions): Promise<M>;
  /** Sends mail as a local user (the path whose copies go to the agent's outgoing pipe); resolves to the final SMTP response. */
  submit(mta: M, from: string, to: string[], raw: string): Promise<string>;
  patterns: MtaLogPatterns;
  /**
   * Asserts that the forged mail (from carol@example.com over port 25, with
   * `messageId`) got no copy for the agent's outgoing pipe: each MTA shows
   * that differently in its log.
   */
  expectNoOutgoingCopy(suite: MtaSuite<M>, messageId: string): Promise<void>;
  /** Switches to the LMTP variant delivering to serve at `serveAddress`; returns the MTA to send to (the same one, or a second one that the suite stops). */
  startLmtp(suite: MtaSuite<M>, serveAddress: string): Promise<M>;
  /** Tests only this MTA runs in the LMTP variant, after the shared one. */
  lmtpTests?(suite: MtaSuite<M>, lmtp: LmtpVariant<M>): void;
}

/** For building a log pattern from a literal such as a Message-ID. */
export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Waits for a line in the MTA's log: the MTA logs a delivery only after the
 * agent (or serve) has finished, which may be a moment after the mail is
 * already in the maildir.
 */
export async function logShows(mta: { log(): string }, pattern: RegExp): Promise<void> {
  await waitFor(`the log line ${pattern}`, () => pattern.test(mta.log()), () => mta.log(), 15_000);
}

/** An invitation from boss@external.test; `attendees` defaults to `to` needing action. */
export function invitationFrom(mail: Omit<EventMail, 'method' | 'from' | 'organizer' | 'attendees'> & { attendees?: EventMail['attendees'] }): string {
  return imip({ method: 'REQUEST', from: 'boss@external.test', organizer: 'boss@external.test', ...mail, attendees: mail.attendees ?? [[mail.to, 'NEEDS-ACTION']] });
}

/** A local user's reply to boss@external.test. */
export function replyFrom(user: string, uid: string, messageId: string, partstat: string): string {
  return imip({ method: 'REPLY', uid, messageId, from: user, to: 'boss@external.test', organizer: 'boss@external.test', attendees: [[user, partstat]] });
}

/** The Authentication-Results fields in a mail's header, each unfolded to one line. */
function authResultsFields(mail: Buffer): string[] {
  const text = mail.toString('utf8').replace(/\r\n/g, '\n');
  const end = text.indexOf('\n\n');
  return (end < 0 ? text : text.slice(0, end))
    .replace(/\n[ \t]+/g, ' ')
    .split('\n')
    .filter((line) => /^authentication-results[ \t]*:/i.test(line));
}

/**
 * Registers the hooks and tests for one MTA: its shipped configuration with
 * Dovecot behind it and the agent between them, mail going in over SMTP as
 * from the world or from a local user, and checks on where it arrived and
 * what the agent's store made of it.
 */
export function defineMtaSuite<M extends RunningMta>(adapter: MtaAdapter<M>): MtaSuite<M> {
  const suite = new MtaSuite(adapter);
  const { name, patterns } = adapter;
  const folder = name.toLowerCase();

  beforeAll(async () => {
    suite.box = await startSandbox(folder, adapter.root());
    installAgent(suite.box, inject('agentDeb'));
    suite.dir = `/srv/itip-test/${folder}`;
    suite.store = INSTALLED.store;
    suite.dovecot = await startDovecot(suite.box);
    suite.sink = await startSink(suite.box.hostAddress);
    suite.config = INSTALLED.config;
    suite.configure(suite.baseline());
    suite.mta = await adapter.start({ box: suite.box, dir: suite.dir, store: suite.store, dovecot: suite.dovecot, sinkPort: suite.sink.port, config: suite.config });
  }, 240_000);

  afterAll(async () => {
    // Stop what was started, even when a start above failed half-way; the sandbox's stop ends whatever is left.
    try {
      await suite.mta?.stop();
      await suite.dovecot?.stop();
      await suite.sink?.stop();
    } finally {
      await suite.box?.stop();
    }
  }, 120_000);

  const logs = () => suite.logs();

  describe(`${name}, pipe variant (${adapter.pipeVariant})`, () => {
    const invitation = invitationFrom({
      uid: suite.id('planning@external.test'),
      messageId: suite.id('planning-request@external.test'),
      to: 'alice@example.com',
      attendees: [
        ['boss@external.test', 'ACCEPTED'],
        ['alice@example.com', 'NEEDS-ACTION'],
      ],
    });

    it('passes an invitation from the world through the agent into the mailbox', async () => {
      const response = await sendFromWorld('boss@external.test', ['alice@example.com'], invitation);
      expect(response).toMatch(/^250 /);

      const arrived = await waitFor('the invitation in alice\'s Dovecot maildir', () => suite.arrivedIn('alice@example.com', suite.id('planning-request@external.test')), logs);
      expect(arrivedUnchanged(invitation, arrived), arrived.toString()).toBe(true);
      // Dovecot's LMTP wrote the envelope: the agent passed the sender on.
      expect(arrived.toString()).toMatch(/^Return-Path: <boss@external\.test>/);
      await logShows(suite.mta, patterns.delivered);

      const stored = suite.objects('alice@example.com');
      expect(stored.map((o) => o.uid)).toEqual([suite.id('planning@external.test')]);
      expect(stored[0].organizer).toBe('mailto:boss@external.test');
    });

    it('copies a reply that a local user submits to the agent, and sends it on unchanged', async () => {
      const messageId = suite.id('planning-reply-alice@example.com');
      const reply = replyFrom('alice@example.com', suite.id('planning@external.test'), messageId, 'ACCEPTED');
      const response = await adapter.submit(suite.mta, 'alice@example.com', ['boss@external.test'], reply);
      expect(response).toMatch(/^250 /);

      const out = await waitFor('the reply at the external sink', () => suite.sink.mails.find((m) => m.raw.includes(messageId)), logs);
      expect(out.from).toBe('alice@example.com');
      // The copy for the agent is not a recipient the world sees.
      expect(out.to).toEqual(['boss@external.test']);
      expect(arrivedUnchanged(reply, out.raw), out.raw.toString()).toBe(true);

      const partstat = () => suite.objects('alice@example.com')[0]?.attendees.find((a) => a.address === 'mailto:alice@example.com')?.partstat;
      await waitFor('alice\'s own PARTSTAT in her store', () => partstat() === 'ACCEPTED', () => `${logs()}\npartstat: ${partstat()}`);
      await logShows(suite.mta, patterns.outgoingCopied);
    });

    it('does not take mail from the world that claims a local sender as sent by that user', async () => {
      const messageId = suite.id('forged@example.com');
      const forged = imip({
        method: 'REQUEST',
        uid: messageId,
        messageId,
        from: 'carol@example.com',
        to: 'alice@example.com',
        organizer: 'carol@example.com',
        attendees: [['alice@example.com', 'NEEDS-ACTION']],
      });
      await sendFromWorld('carol@example.com', ['alice@example.com'], forged);
      await waitFor('the mail in alice\'s maildir', () => suite.arrivedIn('alice@example.com', messageId), logs);
      // Alice's calendar has it (incoming); Carol's has nothing (no outgoing copy from port 25).
      expect(suite.objects('alice@example.com').map((o) => o.uid)).toContain(messageId);
      expect(suite.objects('carol@example.com')).toEqual([]);
      await adapter.expectNoOutgoingCopy(suite, messageId);
    });

    it('defers the mail when the agent exits 75, and delivers it on the retry', async () => {
      const id = suite.id('deferred@external.test');
      const update = invitationFrom({ uid: id, messageId: id, to: 'bob@example.com' });
      // A store the agent cannot open: the agent exits 75 (EX_TEMPFAIL).
      const storeDir = suite.box.at(suite.store);
      const mode = statSync(storeDir).mode & 0o7777;
      chmodSync(storeDir, 0o000);
      try {
        await sendFromWorld('boss@external.test', ['bob@example.com'], update);
        await waitFor(`${name} to defer the mail`, () => patterns.deferred.test(suite.mta.log()), logs);
        expect(suite.arrivedIn('bob@example.com', id)).toBeUndefined();
        expect(suite.mta.queue()).toContain('bob@example.com');
      } finally {
        chmodSync(storeDir, mode);
      }
      suite.mta.flush();
      await waitFor('the deferred mail in bob\'s maildir', () => suite.arrivedIn('bob@example.com', id), logs);
      expect(suite.objects('bob@example.com').map((o) => o.uid)).toEqual([id]);
      // Nothing bounced, to the organizer or anyone else.
      expect(suite.sink.mails.filter((m) => m.from === '')).toEqual([]);
    });

    it('removes Authentication-Results forged with the trusted authserv-id, so the world cannot pass for a local organizer', async () => {
      const uid = suite.id('forged-auth@example.com');
      const invitation = imip({
        method: 'REQUEST',
        uid,
        messageId: uid,
        from: 'boss@example.com',
        to: 'alice@example.com',
        organizer: 'boss@example.com',
        attendees: [['alice@example.com', 'NEEDS-ACTION']],
      });
      const foreign = 'Authentication-Results: other.example; dkim=pass header.d=example.org';
      const mail = [
        // Folded, the id on the continuation line: the MTA must see the field whole.
        'Authentication-Results:\r\n\tmx.example.com; dkim=pass header.d=example.com',
        'Authentication-Results: mx.example.com; dmarc=pass header.from=example.com',
        foreign,
      ].join('\r\n') + '\r\n' + invitation;
      // Both test MTAs call themselves mx.example.com. The agent is told who is
      // local, whose verdicts count, and that only 192.0.2.0/24 is inside: so
      // mail sent to port 25 from the test client (the host's end of the
      // sandbox's veth pair), which the MTA
      // already treats as from the world (the forged local sender above gets
      // no outgoing copy), is from outside to the agent too.
      const settings = {
        localDomains: ['example.com'],
        auth: { trustedAuthservIds: ['mx.example.com'], forgedHeadersRemoved: true, trustedNetworks: ['192.0.2.0/24'] },
      };
      suite.configure(settings);
      try {
        // The agent alone, with these settings and the same client facts, believes the forged fields.
        const direct = agent(suite.box, suite.store, ['--config', suite.config, 'process', '--sender', 'boss@example.com', '--recipient', 'dave@example.com', `--client-address=${suite.box.hostAddress}`, '--deliver', 'none'], mail);
        expect(direct.status, direct.stderr).toBe(0);
        expect(suite.objects('dave@example.com').map((o) => o.uid)).toEqual([uid]);

        // Through the MTA, they are gone before the agent reads the mail.
        await sendFromWorld('boss@example.com', ['alice@example.com'], mail);
        const arrived = await waitFor('the mail in alice\'s maildir', () => suite.arrivedIn('alice@example.com', uid), logs);
        const journal = () => agentJson<Array<{ uid: string; outcome: string; reason: string }>>(suite.box, suite.store, ['journal', '--user', 'alice@example.com']);
        const entry = await waitFor('alice\'s journal entry for the mail', () => journal().find((e) => e.uid === uid), logs);
        expect([entry.outcome, entry.reason]).toEqual(['refused', 'the mail claims to come from the local address mailto:boss@example.com but arrived from outside without authentication']);
        expect(suite.objects('alice@example.com').map((o) => o.uid)).not.toContain(uid);

        // The mailbox gets the mail without the forged fields, and otherwise as sent.
        const fields = authResultsFields(arrived);
        expect(fields.filter((field) => /mx\.example\.com/i.test(field))).toEqual([]);
        expect(fields).toEqual(adapter.removesAllAuthResults ? [] : [foreign]);
        const expected = (adapter.removesAllAuthResults ? '' : foreign + '\r\n') + invitation;
        expect(arrivedUnchanged(expected, arrived), arrived.toString()).toBe(true);
      } finally {
        suite.configure(suite.baseline());
      }
    });
  });

  describe(`${name}, the null sender`, () => {
    it(`passes a bounce (MAIL FROM:<>, ${adapter.nullSenderPipe}) through to the mailbox`, async () => {
      const messageId = suite.id('bounce@external.test');
      const bounce = [
        'From: Mail Delivery System <MAILER-DAEMON@external.test>',
        'To: <alice@example.com>',
        'Subject: Undelivered Mail Returned to Sender',
        `Message-ID: <${messageId}>`,
        'Date: Fri, 01 Jan 2027 08:00:00 +0000',
        'MIME-Version: 1.0',
        'Content-Type: text/plain; charset=us-ascii',
        '',
        'This is the mail system at host external.test.',
        '',
      ].join('\r\n');
      await sendFromWorld('', ['alice@example.com'], bounce);
      const arrived = await waitFor('the bounce in alice\'s maildir', () => suite.arrivedIn('alice@example.com', messageId), logs);
      expect(arrivedUnchanged(bounce, arrived)).toBe(true);
      expect(arrived.toString()).toMatch(/^Return-Path: <>/);
    });
  });

  describe(`${name}, a bounce of an invitation alice sent`, () => {
    it('gives the attendee the mail did not reach SCHEDULE-STATUS 5.1 from the MTA\'s own DSN, and delivers the DSN untouched', async () => {
      await bounceJourney(suite);
    });
  });

  describe(`${name}, a resource and the outbox sender`, () => {
    it(`lets a room accept an invitation, and queue run sends its reply out through ${name}`, async () => {
      const { box, store } = suite;
      expect(agent(box, store, ['user', 'add', 'room-1@example.com', '--resource']).status).toBe(0);
      const invitation = invitationFrom({ uid: suite.id('room@external.test'), messageId: suite.id('room-request@external.test'), to: 'room-1@example.com' });
      await sendFromWorld('boss@external.test', ['room-1@example.com'], invitation);
      await waitFor('the room\'s run of the agent', () => patterns.resourceDelivered.test(suite.mta.log()), logs);
      const outbox = agentJson<Array<{ method: string; uid: string; state: string }>>(box, store, ['outbox', '--user', 'room-1@example.com']);
      expect(outbox.map((o) => [o.method, o.uid, o.state])).toEqual([['REPLY', suite.id('room@external.test'), 'unprocessed']]);

      // The relay is the MTA's port for mail from the world: a loopback client may relay, and no outgoing copy is made.
      const run = agent(box, store, ['queue', 'run', '--relay', `127.0.0.1:${suite.mta.smtpPort}`, '--json']);
      expect(run.status, run.stderr).toBe(0);
      const sent = await waitFor('the room\'s reply at the external sink', () => suite.sink.mails.find((m) => m.from === 'room-1@example.com'), logs);
      expect(sent.to).toEqual(['boss@external.test']);
      expect(sent.raw.toString()).toMatch(/METHOD:REPLY/);
      expect(sent.raw.toString()).toMatch(/PARTSTAT=ACCEPTED[^\r\n]*:mailto:room-1@example\.com/);
      const after = agentJson<Array<{ state: string }>>(box, store, ['outbox', '--user', 'room-1@example.com']);
      expect(after.map((o) => o.state)).toEqual(['processed']);
    });
  });

  describe(`${name}, LMTP variant (${adapter.lmtpVariant})`, () => {
    const lmtp = {
      context: () => `${suite.logs(lmtp.mta)}\n--- serve\n${lmtp.serve?.output()}`,
    } as LmtpVariant<M>;

    beforeAll(async () => {
      lmtp.serve = await startServe(suite.box, suite.store, `lmtp:${suite.dovecot.socket}`);
      lmtp.mta = await adapter.startLmtp(suite, lmtp.serve.address);
    }, 60_000);

    afterAll(async () => {
      // A second MTA started for this variant is stopped here; the suite's own one in the suite's afterAll.
      if (lmtp.mta && lmtp.mta !== suite.mta) await lmtp.mta.stop();
      await lmtp.serve?.stop();
    }, 30_000);

    it('hands an invitation over LMTP to the agent, which files it and delivers it to Dovecot', async () => {
      const invitation = invitationFrom({
        uid: suite.id('lmtp@external.test'),
        messageId: suite.id('lmtp-request@external.test'),
        to: 'bob@example.com',
        attendees: [['bob@example.com', 'NEEDS-ACTION'], ['alice@example.com', 'NEEDS-ACTION']],
      });
      await sendFromWorld('boss@external.test', ['bob@example.com', 'alice@example.com'], invitation, lmtp.mta);
      for (const user of ['bob@example.com', 'alice@example.com']) {
        const arrived = await waitFor(`the invitation in ${user}'s maildir`, () => suite.arrivedIn(user, suite.id('lmtp-request@external.test')), lmtp.context);
        expect(arrivedUnchanged(invitation, arrived), arrived.toString()).toBe(true);
        expect(arrived.toString()).toMatch(/^Return-Path: <boss@external\.test>/);
        expect(suite.objects(user).map((o) => o.uid)).toContain(suite.id('lmtp@external.test'));
      }
      await logShows(lmtp.mta, patterns.lmtpDelivered(lmtp.serve.address));
    });

    adapter.lmtpTests?.(suite, lmtp);
  });

  /** Mail as from the world: plain SMTP to the MTA's port 25 (by default the suite's MTA). */
  function sendFromWorld(from: string, to: string[], raw: string, mta: M = suite.mta): Promise<string> {
    return sendMail(mta.smtp, from, to, raw);
  }

  return suite;
}

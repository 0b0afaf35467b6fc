// A small LMTP client (RFC 2033) for onward delivery to Dovecot or Cyrus, and
// an SMTP mode of the same dialogue for tests and re-injection.
//
// Written on node:net rather than with nodemailer because LMTP's point is one
// reply per recipient after DATA, and the caller needs each of them, with its
// code: a mailbox that is over quota (452) must fail only its own copy, and
// only for now, while one that does not exist (550) may be bounced. One
// client object holds one connection and may carry many transactions;
// `LmtpPool` keeps a few of them open for `serve`, which keeps a stream of
// mail cheap.
//
// nodemailer's SMTP connection with `lmtp: true` was tried in its place
// (7.0.13, with a pool of our own around it): it passed the pool's tests and,
// once Nagle's algorithm was off on its socket (it writes the data and the
// final dot in two writes: 45 ms a mail before, 0.7 ms after, as this client),
// was as fast. But send() does not report the code of a recipient refused
// after DATA: the recipient is only in `info.rejected`, and
// `info.rejectedErrors` is set only when some recipient was also refused at
// RCPT TO (it is taken when DATA is accepted, and only if non-empty then);
// the reply is kept in a private field alone. A full mailbox would then read
// as a refusal without a code, neither 452 (retry) nor 5xx (bounce). Its own
// pool (SMTPPool) also closes no idle session, and on a dropped connection
// either fails the mail or queues it again without limit, whatever had been
// sent; here a mail goes again only when nothing was handed over.

import { connect, type Socket } from 'node:net';

export type LmtpAddress = { path: string } | { host: string; port: number };

export interface SmtpReply {
  code: number;
  /** The reply text, lines joined with a space. */
  text: string;
}

export interface RecipientReply extends SmtpReply {
  recipient: string;
  /** True when the server took responsibility for this recipient's copy (2xx). */
  ok: boolean;
}

/** A connection or protocol failure: nothing can be said about any recipient. */
export class LmtpClientError extends Error {
  override name = 'LmtpClientError';
  constructor(
    message: string,
    readonly reply?: SmtpReply,
  ) {
    super(message);
  }
}

export interface LmtpClientOptions {
  /** Name sent with LHLO/EHLO. */
  name?: string;
  /** Milliseconds without any reply before the connection is given up. */
  timeoutMs?: number;
  /** Speak SMTP (EHLO, one reply after DATA) instead of LMTP. */
  smtp?: boolean;
}

/** Parses `lmtp:` target text after the prefix: `/path/socket`, `HOST:PORT`, `[v6]:PORT`. */
export function parseLmtpAddress(text: string): LmtpAddress | undefined {
  if (text.startsWith('/') || text.startsWith('./') || text.startsWith('../')) return { path: text };
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text);
  if (!match) return undefined;
  const port = Number(match[3]);
  if (port < 1 || port > 65535) return undefined;
  return { host: match[1] ?? match[2], port };
}

export function describeAddress(address: LmtpAddress): string {
  return 'path' in address ? address.path : `${address.host.includes(':') ? `[${address.host}]` : address.host}:${address.port}`;
}

/**
 * The message as it goes on the wire: line ends made CRLF (an MTA does the
 * same with mail it got with bare LFs; CRLF input passes byte for byte), a
 * leading dot doubled (RFC 5321 section 4.5.2), and the final CRLF ensured.
 */
export function dataBytes(raw: Buffer): Buffer {
  const text = raw.toString('latin1');
  const wire = text.replace(/\r?\n/g, '\r\n').replace(/(^|\r\n)\./g, '$1..');
  const ending = wire.endsWith('\r\n') || wire === '' ? '' : '\r\n';
  return Buffer.from(`${wire}${ending}.\r\n`, 'latin1');
}

function envelopeAddress(address: string | undefined): string {
  const bare = (address ?? '').replace(/^mailto:/i, '').trim();
  if (/[\r\n<>]/.test(bare)) throw new LmtpClientError(`address ${JSON.stringify(address)} cannot be put in an envelope`);
  return `<${bare}>`;
}

export class LmtpClient {
  private socket?: Socket;
  private buffer = '';
  private waiting?: { resolve: (reply: SmtpReply) => void; reject: (error: Error) => void };
  private replies: SmtpReply[] = [];
  private failure?: Error;
  private extensions = new Set<string>();
  private readonly timeoutMs: number;
  /** Whether the server answered MAIL FROM in the last `send`: before that, nothing was handed over. */
  answeredMail = false;

  constructor(
    readonly address: LmtpAddress,
    private readonly options: LmtpClientOptions = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? 60_000;
  }

  get connected(): boolean {
    return !!this.socket && !this.failure && !this.socket.destroyed;
  }

  /**
   * Connected, and nothing said by the server unasked: a server that ends an
   * idle session says 421 first, and that reply must not be taken for the
   * answer to the next command.
   */
  get ready(): boolean {
    return this.connected && this.replies.length === 0 && this.pending.length === 0 && this.buffer === '';
  }

  /** Whether the open connection may keep the process running: an idle pooled one must not. */
  hold(yes: boolean): void {
    if (yes) this.socket?.ref();
    else this.socket?.unref();
  }

  async connect(): Promise<void> {
    const target = describeAddress(this.address);
    // A client may reconnect after a failure: nothing of the old session counts.
    this.socket?.destroy();
    this.failure = undefined;
    this.buffer = '';
    this.pending = [];
    this.replies = [];
    this.socket = await new Promise<Socket>((resolve, reject) => {
      const socket = 'path' in this.address ? connect(this.address.path) : connect(this.address.port, this.address.host);
      const fail = (error: Error) => reject(new LmtpClientError(`cannot connect to ${target}: ${error.message}`));
      socket.once('error', fail);
      socket.once('connect', () => {
        socket.off('error', fail);
        resolve(socket);
      });
    });
    this.socket.setEncoding('latin1');
    this.socket.setTimeout(this.timeoutMs, () => this.fail(new LmtpClientError(`${target} did not answer within ${this.timeoutMs} ms`)));
    this.socket.on('data', (chunk: string) => this.onData(chunk));
    this.socket.on('error', (error) => this.fail(new LmtpClientError(`connection to ${target} failed: ${error.message}`)));
    this.socket.on('close', () => this.fail(new LmtpClientError(`${target} closed the connection`)));

    const greeting = await this.reply();
    if (greeting.code !== 220) throw this.protocolError('greeting', greeting);
    const hello = this.options.smtp ? 'EHLO' : 'LHLO';
    const features = await this.command(`${hello} ${this.options.name ?? 'localhost'}`);
    if (features.code !== 250) throw this.protocolError(hello, features);
    this.extensions = new Set(features.lines.slice(1).map((line) => line.split(' ')[0].toUpperCase()));
  }

  /**
   * One mail transaction: MAIL FROM, RCPT TO each recipient, DATA. Resolves with
   * one reply per recipient, in order. Recipients refused at RCPT keep that reply;
   * LMTP gives one reply per accepted recipient after DATA, SMTP one for all.
   */
  async send(sender: string | undefined, recipients: string[], raw: Buffer): Promise<RecipientReply[]> {
    this.answeredMail = false;
    if (!this.connected) await this.connect();
    const eightBit = raw.some((byte) => byte > 0x7f);
    const params = eightBit && this.extensions.has('8BITMIME') ? ' BODY=8BITMIME' : '';
    const mail = await this.command(`MAIL FROM:${envelopeAddress(sender)}${params}`);
    this.answeredMail = true;
    if (mail.code !== 250) {
      await this.command('RSET').catch(() => undefined);
      return recipients.map((recipient) => ({ recipient, ok: false, code: mail.code, text: mail.text }));
    }
    const results: Array<RecipientReply | undefined> = [];
    const accepted: number[] = [];
    for (const [index, recipient] of recipients.entries()) {
      const reply = await this.command(`RCPT TO:${envelopeAddress(recipient)}`);
      if (reply.code === 250 || reply.code === 251) {
        accepted.push(index);
        results.push(undefined);
      } else {
        results.push({ recipient, ok: false, code: reply.code, text: reply.text });
      }
    }
    if (accepted.length === 0) {
      await this.command('RSET').catch(() => undefined);
      return results as RecipientReply[];
    }
    const go = await this.command('DATA');
    if (go.code !== 354) {
      await this.command('RSET').catch(() => undefined);
      for (const index of accepted) results[index] = { recipient: recipients[index], ok: false, code: go.code, text: go.text };
      return results as RecipientReply[];
    }
    this.write(dataBytes(raw));
    const count = this.options.smtp ? 1 : accepted.length;
    const finals: SmtpReply[] = [];
    for (let i = 0; i < count; i++) finals.push(await this.reply());
    for (const [i, index] of accepted.entries()) {
      const reply = finals[this.options.smtp ? 0 : i];
      results[index] = { recipient: recipients[index], ok: reply.code >= 200 && reply.code < 300, code: reply.code, text: reply.text };
    }
    return results as RecipientReply[];
  }

  /** Ends the session politely, waiting at most `waitMs` for the answer to QUIT; never throws. */
  async close(waitMs = this.timeoutMs): Promise<void> {
    if (this.connected) {
      let timer: NodeJS.Timeout | undefined;
      const given = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, waitMs);
        timer.unref();
      });
      await Promise.race([this.command('QUIT').catch(() => undefined), given]);
      clearTimeout(timer);
    }
    this.socket?.destroy();
    this.socket = undefined;
  }

  private protocolError(step: string, reply: SmtpReply): LmtpClientError {
    this.socket?.destroy();
    return new LmtpClientError(`${describeAddress(this.address)} refused ${step}: ${reply.code} ${reply.text}`, reply);
  }

  private write(data: string | Buffer): void {
    if (!this.socket || this.failure) throw this.failure ?? new LmtpClientError('not connected');
    this.socket.write(data);
  }

  private async command(line: string): Promise<SmtpReply & { lines: string[] }> {
    this.write(`${line}\r\n`);
    return (await this.reply()) as SmtpReply & { lines: string[] };
  }

  private onData(chunk: string): void {
    this.buffer += chunk;
    const lines: string[] = [];
    for (;;) {
      const end = this.buffer.indexOf('\n');
      if (end < 0) break;
      lines.push(this.buffer.slice(0, end).replace(/\r$/, ''));
      this.buffer = this.buffer.slice(end + 1);
    }
    for (const line of lines) this.onLine(line);
  }

  private pending: string[] = [];

  private onLine(line: string): void {
    this.pending.push(line);
    // A reply ends with a line whose fourth character is a space (or that has only the code).
    if (/^\d{3}-/.test(line)) return;
    const lines = this.pending.map((l) => l.slice(4));
    const code = Number(line.slice(0, 3));
    this.pending = [];
    const reply = { code: Number.isFinite(code) ? code : 0, text: lines.join(' ').trim(), lines } as SmtpReply & { lines: string[] };
    if (this.waiting) {
      const waiting = this.waiting;
      this.waiting = undefined;
      waiting.resolve(reply);
    } else {
      this.replies.push(reply);
    }
  }

  private fail(error: Error): void {
    if (this.failure) return;
    this.failure = error;
    this.socket?.destroy();
    if (this.waiting) {
      const waiting = this.waiting;
      this.waiting = undefined;
      waiting.reject(error);
    }
  }

  private reply(): Promise<SmtpReply> {
    const queued = this.replies.shift();
    if (queued) return Promise.resolve(queued);
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
    });
  }
}

/** How long a pooled session waits for the answer to its QUIT. */
const QUIT_WAIT_MS = 1_000;

export interface LmtpPoolOptions extends LmtpClientOptions {
  /** Idle connections kept at most; default 8. */
  size?: number;
  /** Milliseconds an unused connection stays open; default 5,000. */
  idleMs?: number;
}

/**
 * Connections to one mailbox server kept open between mails, so that a stream
 * of mail is not a connect, greeting and LHLO per mail (for Dovecot, a new
 * session each). Each connection carries one transaction at a time; mail that
 * arrives together takes as many connections as it needs, and up to `size`
 * of them wait for the next mail, each for `idleMs` (Postfix keeps its own
 * cached LMTP connections for 2 s). An idle connection never keeps the process
 * running.
 *
 * A server may end an idle session at any moment (Dovecot after its timeout,
 * or on reload). A connection found closed, or with an unasked reply waiting,
 * is not used; and a transaction that fails on a reused connection before the
 * server answered MAIL FROM is tried once on a new connection, since nothing
 * was handed over. A failure after that is the caller's, as for one session.
 */
export class LmtpPool {
  private readonly idle: Array<{ client: LmtpClient; timer: NodeJS.Timeout }> = [];
  private closed = false;
  private readonly size: number;
  private readonly idleMs: number;

  constructor(
    readonly address: LmtpAddress,
    private readonly options: LmtpPoolOptions = {},
  ) {
    this.size = options.size ?? 8;
    this.idleMs = options.idleMs ?? 5_000;
  }

  /** One mail transaction; resolves with one reply per recipient, like `LmtpClient.send`. */
  async send(sender: string | undefined, recipients: string[], raw: Buffer): Promise<RecipientReply[]> {
    for (let fresh = false; ; fresh = true) {
      const reused = fresh ? undefined : this.take();
      const client = reused ?? new LmtpClient(this.address, this.options);
      client.hold(true);
      let replies: RecipientReply[];
      try {
        replies = await client.send(sender, recipients, raw);
      } catch (error) {
        // The session died before MAIL FROM was answered: a server that ended it while idle.
        const stale = reused !== undefined && !client.answeredMail && !client.connected;
        await client.close(QUIT_WAIT_MS);
        if (stale) continue;
        throw error;
      }
      this.release(client);
      return replies;
    }
  }

  /**
   * Ends every idle session (QUIT, a second at most for its answer); a
   * connection in use ends when its transaction does.
   */
  async close(): Promise<void> {
    this.closed = true;
    const idle = this.idle.splice(0);
    await Promise.all(
      idle.map(({ client, timer }) => {
        clearTimeout(timer);
        return client.close(QUIT_WAIT_MS);
      }),
    );
  }

  /** Idle connections right now (for tests and logs). */
  get idleCount(): number {
    return this.idle.length;
  }

  private take(): LmtpClient | undefined {
    for (let entry = this.idle.pop(); entry; entry = this.idle.pop()) {
      clearTimeout(entry.timer);
      if (entry.client.ready) return entry.client;
      void entry.client.close(QUIT_WAIT_MS);
    }
    return undefined;
  }

  private release(client: LmtpClient): void {
    if (this.closed || !client.ready || this.idle.length >= this.size) {
      void client.close(QUIT_WAIT_MS);
      return;
    }
    client.hold(false);
    const entry = {
      client,
      timer: setTimeout(() => {
        const index = this.idle.indexOf(entry);
        if (index >= 0) this.idle.splice(index, 1);
        void client.close(QUIT_WAIT_MS);
      }, this.idleMs),
    };
    entry.timer.unref();
    this.idle.push(entry);
  }
}

/** Delivers one mail in one LMTP session; resolves with one reply per recipient. */
export async function deliverByLmtp(
  address: LmtpAddress,
  raw: Buffer,
  sender: string | undefined,
  recipients: string[],
  options: LmtpClientOptions = {},
): Promise<RecipientReply[]> {
  const client = new LmtpClient(address, options);
  try {
    await client.connect();
    return await client.send(sender, recipients, raw);
  } finally {
    await client.close();
  }
}

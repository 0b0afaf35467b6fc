// The LMTP and SMTP listeners of `itip-agent serve`, on smtp-server.
//
// LMTP (RFC 2033) is how an MTA hands over local mail: one reply per recipient
// after DATA, so one mailbox's trouble does not make the MTA resend the others.
// The SMTP listener serves as a content filter (Postfix content_filter, Exim
// smtp transport): one reply for the whole transaction, 250 only if every
// recipient was done.
//
// Stopping (SIGTERM) loses nothing: no new connection is accepted, commands on
// open connections are answered 421, a transaction whose DATA has begun is
// finished and answered, and only then are the connections closed with 421.
// What does not finish within the grace time is closed unanswered; the client
// retries and the journal makes the retry harmless.

import { lstat, unlink, chmod } from 'node:fs/promises';
import { connect } from 'node:net';
import { SMTPServer, type SMTPServerDataStream, type SMTPServerOptions, type SMTPServerSession } from 'smtp-server';
import { describeAddress } from './lmtp-client.js';
import { isLoopbackHost, parseListenAddress } from './listen-address.js';
import type { ArrivalFacts } from '../mail/authentication.js';
import type { MailContext } from './mail-log.js';
import type { LogFn, MailService, Verdict } from './mail-service.js';
import type { AgentMetrics } from './metrics.js';

/**
 * Where the mail came from, from XFORWARD only: the connected client is the MTA
 * itself (on loopback), which says nothing about the mail's origin. Postfix
 * sends SOURCE=LOCAL for mail submitted on the host, and ADDR for the client.
 */
function arrivalOf(session: SMTPServerSession): ArrivalFacts {
  const forwarded = (session as SMTPServerSession & { xForward?: Map<string, unknown> }).xForward;
  if (!forwarded || forwarded.size === 0) return {};
  if (String(forwarded.get('SOURCE') ?? '').toUpperCase() === 'LOCAL') return { clientAddress: '' };
  const address = forwarded.get('ADDR');
  if (typeof address === 'string' && address !== '' && !address.startsWith('[')) return { clientAddress: address };
  return {};
}

/**
 * What the session tells of the mail, for its log line: XFORWARD IDENT is the
 * MTA's queue id (Postfix sends it with lmtp_send_xforward_command or
 * smtp_send_xforward_command); the session id ties the line to the
 * connection when the MTA says nothing (Exim sends no XFORWARD).
 */
function contextOf(protocol: Protocol, session: SMTPServerSession): MailContext {
  const forwarded = (session as SMTPServerSession & { xForward?: Map<string, unknown> }).xForward;
  const ident = forwarded?.get('IDENT');
  const peer = forwarded?.get('ADDR:DEFAULT') ?? session.remoteAddress;
  return {
    protocol,
    session: session.id,
    ...(typeof ident === 'string' && ident !== '' && ident !== '[UNAVAILABLE]' ? { queueId: ident } : {}),
    ...(typeof peer === 'string' && peer !== '' ? { peer } : {}),
  };
}

export type Protocol = 'lmtp' | 'smtp';

export interface ListenerOptions {
  protocol: Protocol;
  /** HOST:PORT, [v6]:PORT, PORT (loopback), or /path/socket. */
  listen: string;
  maxMessageBytes: number;
  /** File mode of a unix socket; default 0660. */
  socketMode?: number;
  /** PEM key and certificate: STARTTLS is offered only with them. */
  tls?: { key: Buffer; cert: Buffer };
  /** The name in the greeting; default the host name. */
  name?: string;
  log?: LogFn;
  /** Counts the replies by class (serve's /metrics). */
  metrics?: AgentMetrics;
}

export interface Listener {
  protocol: Protocol;
  /** Where it listens: the socket path, or host:port with the real port. */
  address: string;
  port?: number;
  path?: string;
  /** Stops: see the file comment. graceMs bounds the wait for transactions in flight. */
  stop(graceMs: number): Promise<void>;
}

export { parseListenAddress };

const isLoopback = isLoopbackHost;

/** A stale socket file from a process that died is removed; a live one is an error. */
export async function clearSocketPath(path: string): Promise<void> {
  let stats;
  try {
    stats = await lstat(path);
  } catch {
    return;
  }
  if (!stats.isSocket()) throw new Error(`${path} exists and is not a socket; remove it or choose another path`);
  const alive = await new Promise<boolean>((resolve) => {
    const probe = connect(path);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
  if (alive) throw new Error(`another process listens on ${path}`);
  await unlink(path);
}

function senderOf(session: SMTPServerSession): string | undefined {
  const from = session.envelope.mailFrom;
  return from && from.address ? from.address : undefined;
}

function replyError(verdict: Verdict & { ok: false }): Error {
  return Object.assign(new Error(verdict.reason.replace(/[\r\n]+/g, ' ')), { responseCode: verdict.code });
}

export async function startListener(service: MailService, options: ListenerOptions): Promise<Listener> {
  const log = options.log ?? (() => undefined);
  const address = parseListenAddress(options.listen);
  if (!address) throw new Error(`--${options.protocol} ${options.listen}: write HOST:PORT (e.g. 127.0.0.1:10024) or /path/socket`);
  const lmtp = options.protocol === 'lmtp';
  // Transactions from DATA to the final reply, including the transfer itself:
  // a stop waits for a client that is still sending its message.
  let active = 0;
  const onIdle: Array<() => void> = [];
  const idle = () => (active === 0 ? Promise.resolve() : new Promise<void>((resolve) => onIdle.push(resolve)));

  const serverOptions: SMTPServerOptions = {
    lmtp,
    name: options.name,
    banner: 'itip-agent',
    size: options.maxMessageBytes,
    // Nothing here needs the client's host name, and a DNS lookup per connection
    // only delays the greeting.
    disableReverseLookup: true,
    // Postfix's LMTP and SMTP clients tell the original client with XFORWARD
    // (lmtp_send_xforward_command): sender authentication needs it (SECURITY.md).
    useXForward: true,
    // Local MTAs hand mail over without logging in; the socket or the firewall
    // decides who may connect (see the README).
    authOptional: true,
    disabledCommands: options.tls ? ['AUTH'] : ['AUTH', 'STARTTLS'],
    hideSTARTTLS: !options.tls,
    ...(options.tls ? { key: options.tls.key, cert: options.tls.cert } : {}),
    logger: false,
    onRcptTo(rcpt, _session, callback) {
      // A store that cannot answer is a verdict (451); anything else that fails is answered 451 too.
      service.refuseRecipient(rcpt.address).then(
        (problem) => {
          if (problem) options.metrics?.replied(options.protocol, 'rcpt', problem.code);
          if (problem) callback(Object.assign(new Error(problem.reason.replace(/[\r\n]+/g, ' ')), { responseCode: problem.code }));
          else callback();
        },
        (error: unknown) => {
          options.metrics?.replied(options.protocol, 'rcpt', 451);
          callback(Object.assign(new Error(`the recipient cannot be checked now, try again later: ${String((error as Error)?.message ?? error).replace(/[\r\n]+/g, ' ')}`), { responseCode: 451 }));
        },
      );
    },
    onData(stream: SMTPServerDataStream, session: SMTPServerSession, callback) {
      const chunks: Buffer[] = [];
      let settled = false;
      active++;
      const finish = (error: Error | null, message?: unknown) => {
        if (settled) return;
        settled = true;
        (callback as (error: Error | null, message?: unknown) => void)(error, message);
        active--;
        if (active === 0) for (const resolve of onIdle.splice(0)) resolve();
      };
      stream.on('data', (chunk: Buffer) => {
        // Over the limit the bytes are counted by smtp-server but not kept: the reply is 552 anyway.
        if (!stream.sizeExceeded) chunks.push(chunk);
      });
      let ended = false;
      stream.once('error', (error: Error) => finish(error));
      // A connection that drops during DATA may close the stream without an error.
      stream.once('close', () => {
        if (!ended) finish(new Error('the connection closed during DATA'));
      });
      stream.once('end', () => {
        ended = true;
        if (stream.sizeExceeded) {
          options.metrics?.replied(options.protocol, 'data', 552);
          finish(Object.assign(new Error(`message exceeds fixed maximum message size ${options.maxMessageBytes}`), { responseCode: 552 }));
          return;
        }
        const recipients = session.envelope.rcptTo.map((r) => r.address);
        const sender = senderOf(session);
        // The mail's log line is the service's (mail-log.ts): one per mail, with the session's facts.
        const context = contextOf(options.protocol, session);
        void service.handle(Buffer.concat(chunks), sender, recipients, arrivalOf(session), lmtp ? 'each' : 'once', context).then((verdicts) => {
          const failed = verdicts.filter((v): v is Verdict & { ok: false } => !v.ok);
          if (options.metrics) {
            // LMTP answers each recipient after DATA (RFC 2033 section 4.2); SMTP answers once.
            const codes = lmtp ? verdicts.map((v) => (v.ok ? 250 : v.code)) : [failed.length ? failed[0]!.code : 250];
            for (const code of codes) options.metrics.replied(options.protocol, 'data', code);
          }
          if (lmtp) finish(null, verdicts.map((v) => (v.ok ? 'OK: delivered' : replyError(v))));
          else if (failed.length) finish(replyError(failed[0]));
          else finish(null, 'OK: delivered');
        });
      });
    },
  };
  const server = new SMTPServer(serverOptions);
  server.on('error', (error) => log('warn', `${options.protocol} connection error`, { error: error.message }));

  if ('path' in address) await clearSocketPath(address.path);
  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    const listening = () => {
      server.server.off('error', reject);
      resolve();
    };
    if ('path' in address) server.listen(address.path, listening);
    else server.listen(address.port, address.host, listening);
  });
  server.server.on('error', (error) => log('error', `${options.protocol} listener error`, { error: error.message }));

  const listener: Listener = { protocol: options.protocol, address: '', stop: () => Promise.resolve() };
  if ('path' in address) {
    await chmod(address.path, options.socketMode ?? 0o660);
    listener.path = address.path;
    listener.address = address.path;
  } else {
    const bound = server.server.address();
    const port = bound && typeof bound === 'object' ? bound.port : address.port;
    listener.port = port;
    listener.address = describeAddress({ host: address.host, port });
    if (!isLoopback(address.host)) {
      log('warn', `the ${options.protocol} listener on ${listener.address} takes mail from anyone who can reach it; restrict it with a firewall or listen on loopback or a socket`);
    }
  }

  let stopping: Promise<void> | undefined;
  listener.stop = (graceMs: number) =>
    (stopping ??= (async () => {
      // smtp-server answers 421 to every further command once close() runs, and
      // force-closes what is left after closeTimeout; ours comes first.
      server.options.closeTimeout = graceMs + 5_000;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      const timer = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), graceMs).unref());
      const finished = Promise.all([idle(), service.drained()]).then(() => 'drained' as const);
      if ((await Promise.race([finished, timer])) === 'timeout') {
        log('warn', `stopping the ${options.protocol} listener: mail still in flight after ${graceMs} ms; its clients will retry`, { active });
      }
      for (const connection of [...server.connections] as Array<{ send(code: number, text: string): void; close(): void }>) {
        connection.send(421, 'itip-agent shutting down, try again later');
        connection.close();
      }
      // Clients close their side after the 421; one that does not is not waited for.
      await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 1_000).unref())]);
    })());
  return listener;
}

// `itip-agent process`: one mail on stdin, as an MTA pipe transport runs it.
//
// A shell over the agent's transaction service (src/agent/transaction-service.ts),
// which every door shares: here the arguments are checked, the mail read from
// stdin, and the service's verdict told as an exit code (src/agent/verdicts.ts).
// The pipe answers once for the whole mail: if any store cannot commit,
// nothing is delivered and the exit is 75, so that the MTA retries; the
// journal's redelivery guard makes the second run a no-op for what did commit.
// A mail whose calendar part is broken still goes on, with exit 0.

import { HandlerError, markHandlerErrors } from '../../agent/handler-errors.js';
import { exitCodeOf, type Verdict } from '../../agent/verdicts.js';
import type { ArrivalFacts } from '../../mail/authentication.js';
import { StoreCommitError } from '../../store/store.js';
import { performance } from 'node:perf_hooks';
import { TargetError, maildirFor, onwardTo, parseTarget, type DeliveryTarget } from '../../transport/deliver.js';
import { mailLogLine } from '../../transport/mail-log.js';
import { now } from '../clock.js';
import { logger } from '../log.js';
import type { CommandContext } from '../main.js';
import { CliError, EXIT, errorText, printJson, usageError } from '../output.js';
import { journalJson, userAddress } from './inspect.js';

/**
 * What the MTA knows about how the mail reached it. Postfix's pipe passes an
 * empty ${client_address} for mail submitted on the host; that is a fact too
 * ("from inside"), so an empty value is kept, while an absent flag means unknown.
 */
export function arrivalOf(options: { clientAddress?: string; authenticatedUser?: string }): ArrivalFacts {
  const arrival: ArrivalFacts = {};
  if (options.clientAddress !== undefined) arrival.clientAddress = options.clientAddress.trim();
  if (options.authenticatedUser !== undefined && options.authenticatedUser.trim() !== '') {
    arrival.authenticatedUser = options.authenticatedUser.trim();
  }
  return arrival;
}

export interface ProcessOptions {
  /** The MTA's queue id (Postfix ${queue_id}, Exim $message_exim_id), for the log line. */
  queueId?: string;
  clientAddress?: string;
  authenticatedUser?: string;
  recipient?: string[];
  sender?: string;
  outgoing?: boolean;
  /** Unset: the deliver setting (config file, ITIP_AGENT_DELIVER), else none. */
  deliver?: string;
  json?: boolean;
}

// Shared with replay, which imports them from here.
export { HandlerError, markHandlerErrors };

export function normalizeRecipients(values: string[], option = '--recipient'): string[] {
  const out: string[] = [];
  for (const value of values) {
    const address = userAddress(value, option);
    if (!out.includes(address)) out.push(address);
  }
  return out;
}

async function readStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks);
}

function checkUsage(options: ProcessOptions, deliverSetting: string): { target: DeliveryTarget; recipients: string[]; sender?: string } {
  let target: DeliveryTarget;
  try {
    target = parseTarget(options.deliver ?? deliverSetting);
  } catch (error) {
    if (error instanceof TargetError) throw usageError(error.message);
    throw error;
  }
  if (options.json && target.kind === 'stdout') {
    throw usageError('--json and --deliver stdout both write to stdout; use one of them (e.g. --deliver maildir:DIR with --json)');
  }
  const recipients = normalizeRecipients(options.recipient ?? []);
  if (recipients.length === 0 && !options.outgoing) {
    throw usageError('process needs at least one --recipient (the envelope recipient, as the MTA passes it), e.g. --recipient alice@example.com');
  }
  if (target.kind === 'maildir') {
    // A recipient that cannot name a folder is refused before anything is processed.
    try {
      for (const recipient of recipients) maildirFor(target.dir, recipient);
    } catch (error) {
      if (error instanceof TargetError) throw usageError(error.message);
      throw error;
    }
  }
  return { target, recipients, sender: envelopeSender(options.sender) };
}

/**
 * The envelope sender, or undefined for the null sender of bounces: empty, `<>`,
 * or MAILER-DAEMON, which is what Postfix's pipe makes of it by default. It
 * comes from the outside world, so an odd one must not bounce the mail (64):
 * it is ignored with a warning, and the From: and Sender: headers still count.
 */
function envelopeSender(value: string | undefined): string | undefined {
  const text = value?.trim() ?? '';
  if (text === '' || text === '<>' || text.toLowerCase() === 'mailer-daemon') return undefined;
  try {
    return userAddress(text, '--sender');
  } catch (error) {
    if (!(error instanceof CliError)) throw error;
    logger.warn(`--sender ${JSON.stringify(value)} is not a mail address; it is ignored`, { sender: value });
    return undefined;
  }
}

export async function runProcess(context: CommandContext, options: ProcessOptions): Promise<number> {
  const { settings } = context.config();
  const { target, recipients, sender } = checkUsage(options, settings.deliver);
  if (process.stdin.isTTY) {
    throw usageError('process reads the mail on stdin; pipe it in, e.g. itip-agent process --recipient alice@example.com < mail.eml');
  }

  let raw: Buffer;
  try {
    raw = await readStdin();
  } catch (error) {
    throw new CliError(`cannot read the mail on stdin: ${errorText(error)}`, EXIT.IOERR);
  }
  if (raw.length === 0) throw new CliError('stdin was empty: no mail to process', EXIT.DATAERR);

  const store = await context.store();
  // Loaded here: a usage error must not pay for the handlers.
  const [{ TransactionService }, { policyFromSettings }, { requestNotices }] = await Promise.all([
    import('../../agent/transaction-service.js'),
    import('../../agent/policy.js'),
    import('../notices.js'),
  ]);
  const outgoing = !!options.outgoing;
  const service = new TransactionService({
    store,
    onward: onwardTo(target, { sendmailPath: settings.sendmail }),
    now,
    policy: { ...policyFromSettings(settings), notices: requestNotices(settings) },
    refuseUnknownUsers: settings.unknownUsers === 'refuse',
    markRefused: settings.auth.markRefused,
    log: (level, msg, fields) => logger[level](msg, fields),
  });

  // The pipe has no RCPT stage: every recipient is admitted before the mail is
  // read, and one that is refused refuses the mail (the addresses themselves
  // were checked with the arguments).
  const refused = (await Promise.all(recipients.map((r) => service.admit(r, outgoing)))).filter((v) => v !== undefined);
  if (refused.length) throw refusalError(refused);

  const started = performance.now();
  const arrival = arrivalOf(options);
  const result = await service.run({ kind: 'mail', raw, recipients, sender, outgoing, arrival, replies: 'once' });
  const [failure] = result.failures;
  // The mail's one line (src/transport/mail-log.ts); the pipe answers once, so every recipient gets the exit code.
  const code = failure ? exitCodeOf(failure.kind) : exitCodeOf('done');
  const queueId = options.queueId?.trim() || undefined;
  const line = mailLogLine({
    context: { protocol: 'pipe', ...(queueId ? { queueId } : {}) },
    sender,
    recipients: outgoing && recipients.length === 0 ? [] : recipients,
    arrival,
    result,
    answers: recipients.map((recipient) => ({ recipient, code, ...(failure ? { reason: failure.reason } : {}) })),
    seconds: (performance.now() - started) / 1000,
  });
  logger[line.level](line.msg, { ...line.fields, outgoing: outgoing || undefined });
  if (failure) throw failureError(failure, context.storeDir);

  if (options.json) {
    await printJson({
      messageId: result.messageId ?? null,
      users: result.users.map(({ user, entries }) => ({ user, entries: entries.map(journalJson) })),
    });
  }
  return exitCodeOf('done');
}

/** The pipe's words for recipients refused before the mail was read. */
function refusalError(refused: Verdict[]): CliError {
  // A store that could not answer decides first: the MTA tries again later (75), when it may know the users.
  const unread = refused.find((v) => v.kind === 'store-failed');
  if (unread) return new CliError(unread.reason, exitCodeOf(unread.kind), { recipient: unread.recipient });
  const unknown = refused.filter((v) => v.kind === 'unknown-user').map((v) => v.recipient);
  if (unknown.length) {
    return new CliError(
      `no calendar user ${unknown.join(', ')} (unknownUsers is refuse); add it with: itip-agent user add ADDR`,
      exitCodeOf('unknown-user'),
      { recipients: unknown },
    );
  }
  return new CliError(refused[0].reason, exitCodeOf(refused[0].kind), { recipient: refused[0].recipient });
}

/** The pipe's words for the failure that decides its exit code. */
function failureError(failure: Verdict, storeDir: string): CliError {
  const code = exitCodeOf(failure.kind);
  const { error } = failure;
  switch (failure.kind) {
    case 'store-failed': {
      // A StoreCommitError names the store folder itself.
      const what = error instanceof StoreCommitError ? 'the store' : `the store at ${storeDir}`;
      return new CliError(`${what} could not commit: ${errorText(error)}; nothing was delivered, the MTA should try again (the retry is safe)`, code, {
        store: storeDir,
        error,
      });
    }
    case 'delivery-refused':
      return new CliError(`${errorText(error)}; the mail is returned to its sender`, code, { recipient: failure.recipient });
    case 'delivery-failed':
      return new CliError(`${errorText(error)}; the MTA should try again`, code, { recipient: failure.recipient || undefined });
    default:
      return new CliError(failure.reason, code, { recipient: failure.recipient });
  }
}

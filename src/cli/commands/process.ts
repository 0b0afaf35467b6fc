// `itip-agent process`: one mail on stdin, as an MTA pipe transport runs it.
//
// The order of work is what makes a retry safe: process the mail (one durable
// store transaction per user), then deliver the original bytes. If the store
// cannot commit, nothing is delivered and we exit 75 so that the MTA retries;
// the journal's redelivery guard makes the second run a no-op for what did
// commit. A mail whose calendar part is broken still goes on, with exit 0.

import { HandlerError, markHandlerErrors } from '../../agent/handler-errors.js';
import type { ProcessResult } from '../../agent/process-message.js';
import type { ArrivalFacts } from '../../mail/authentication.js';
import { StoreCommitError } from '../../store/store.js';
import { DeliveryError, TargetError, deliver, maildirFor, parseTarget, type DeliveryTarget } from '../../transport/deliver.js';
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
  if (settings.unknownUsers === 'refuse' && !options.outgoing) {
    // Only where the administrator asked for it: by default a first mail makes a person's store.
    const unknown = recipients.filter((r) => store.getRole(r) === undefined);
    if (unknown.length) {
      throw new CliError(
        `no calendar user ${unknown.join(', ')} (unknownUsers is refuse); add it with: itip-agent user add ADDR`,
        EXIT.NOUSER,
        { recipients: unknown },
      );
    }
  }
  let result: ProcessResult | undefined;
  try {
    const [{ processMail }, { policyFromSettings }] = await Promise.all([
      import('../../agent/process-message.js'),
      import('../../agent/policy.js'),
    ]);
    const envelope = { recipients, sender, outgoing: !!options.outgoing, arrival: arrivalOf(options) };
    result = await processMail(markHandlerErrors(store), raw, envelope, now(), policyFromSettings(settings));
  } catch (error) {
    if (!(error instanceof HandlerError)) {
      // A StoreCommitError names the store folder itself.
      const what = error instanceof StoreCommitError ? 'the store' : `the store at ${context.storeDir}`;
      throw new CliError(
        `${what} could not commit: ${errorText(error)}; nothing was delivered, the MTA should try again (the retry is safe)`,
        EXIT.TEMPFAIL,
        { store: context.storeDir, error },
      );
    }
    // A fault in the handlers would fail again on every retry: keep the mail
    // flowing (DESIGN: bad input never loses mail) and leave a loud trace.
    logger.error('the calendar part could not be processed; the mail is delivered unchanged', { error: error.cause, recipients });
  }

  if (result) {
    for (const { user, entries } of result.users) {
      for (const entry of entries) {
        logger.info(`${entry.method || 'mail'} ${entry.outcome}`, { user, uid: entry.uid, messageId: entry.messageId, reason: entry.reason });
      }
    }
    if (!result.calendar) logger.debug('no calendar part', { messageId: result.messageId });
  }

  try {
    // Loaded here, as the handlers are: a usage error must not pay for them.
    const refusals = settings.auth.markRefused ? (await import('../../agent/process-message.js')).refusalsOf(result) : [];
    const copy = refusals.length ? (await import('../../mail/refusal-header.js')).withRefusalHeaders(raw, refusals) : raw;
    const delivered = await deliver(target, copy, recipients, { sender, sendmailPath: settings.sendmail });
    for (const copy of delivered) logger.debug('delivered', { ...copy });
  } catch (error) {
    if (error instanceof TargetError) throw usageError(error.message);
    if (error instanceof DeliveryError) {
      // A mailbox that does not exist stays so: where the administrator refuses
      // unknown users, the MTA may bounce (67) instead of retrying for days.
      if (error.permanent && settings.unknownUsers === 'refuse') {
        throw new CliError(`${error.message}; the mail is returned to its sender`, EXIT.NOUSER, { recipient: error.recipient });
      }
      throw new CliError(`${error.message}; the MTA should try again`, EXIT.TEMPFAIL, { recipient: error.recipient });
    }
    throw new CliError(`onward delivery failed: ${errorText(error)}; the MTA should try again`, EXIT.TEMPFAIL);
  }

  if (options.json) {
    await printJson({
      messageId: result?.messageId ?? null,
      users: (result?.users ?? []).map(({ user, entries }) => ({ user, entries: entries.map(journalJson) })),
    });
  }
  return EXIT.OK;
}

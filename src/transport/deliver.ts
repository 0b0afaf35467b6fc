// Onward delivery: after the agent has looked at a mail, the ORIGINAL bytes go on
// to the recipients' mailboxes untouched, whatever the calendar part held
// (DESIGN: bad input never loses mail).
//
// Targets: `none`, `stdout`, `maildir:DIR` with `{user}`, `{local}` and `{domain}`
// in DIR replaced per recipient, `lmtp:HOST:PORT` and `lmtp:/socket` (Dovecot,
// Cyrus), and `sendmail` (re-injection into the MTA; `sendmail:/path` names the
// program). Every failure is temporary: the caller answers 4xx or exits 75, and
// the journal makes the retry harmless.

import { resolve } from 'node:path';
import type { Onward } from '../agent/transaction-service.js';
import { deliverByLmtp, describeAddress, parseLmtpAddress, type LmtpAddress, type LmtpPool } from './lmtp-client.js';
import { deliverToMaildir } from './maildir.js';
import { DEFAULT_SENDMAIL, deliverBySendmail } from './sendmail.js';

export type DeliveryTarget =
  | { kind: 'none' }
  | { kind: 'stdout' }
  | { kind: 'maildir'; dir: string }
  | { kind: 'lmtp'; address: LmtpAddress }
  | { kind: 'sendmail'; path?: string };

export const SUPPORTED_TARGETS =
  'none, stdout, maildir:DIR (DIR may hold {user}, {local} and {domain}), lmtp:HOST:PORT, lmtp:/path/socket, sendmail, sendmail:/path/to/sendmail';

/** How a target is shown in logs and `config show`. */
export function describeTarget(target: DeliveryTarget): string {
  switch (target.kind) {
    case 'maildir':
      return `maildir:${target.dir}`;
    case 'lmtp':
      return `lmtp:${describeAddress(target.address)}`;
    case 'sendmail':
      return target.path ? `sendmail:${target.path}` : 'sendmail';
    default:
      return target.kind;
  }
}

/** A target that cannot be used: the command line was wrong (EX_USAGE). */
export class TargetError extends Error {
  override name = 'TargetError';
}

/** Onward delivery failed; the MTA should try again later (EX_TEMPFAIL). */
export class DeliveryError extends Error {
  override name = 'DeliveryError';
  constructor(
    message: string,
    readonly recipient?: string,
    /** The mailbox server refused for good (5xx), e.g. an unknown user. */
    readonly permanent = false,
  ) {
    super(message);
  }
}

/**
 * Parses a delivery target. `where` names what held it in the errors: the
 * `--deliver` flag, or a setting (`FILE:LINE: "deliver"`, ITIP_AGENT_DELIVER).
 */
export function parseTarget(text: string, where = '--deliver'): DeliveryTarget {
  const target = text.trim();
  const label = (value: string) => (where === '--deliver' ? `--deliver ${value}` : `${where}: ${JSON.stringify(value)}`);
  if (target === 'none') return { kind: 'none' };
  if (target === 'stdout' || target === '-') return { kind: 'stdout' };
  if (target.startsWith('maildir:')) {
    const dir = target.slice('maildir:'.length);
    if (!dir) throw new TargetError(`${label(target)}: maildir: needs a directory, e.g. maildir:/var/mail/{user}/Maildir`);
    const unknown = [...dir.matchAll(/\{([^}]*)\}/g)].map((m) => m[1]).filter((name) => !['user', 'local', 'domain'].includes(name));
    if (unknown.length) {
      throw new TargetError(`${label(target)}: unknown placeholder {${unknown[0]}}; DIR may hold {user}, {local} and {domain}`);
    }
    return { kind: 'maildir', dir };
  }
  if (target.startsWith('lmtp:')) {
    const address = parseLmtpAddress(target.slice('lmtp:'.length));
    if (!address) {
      throw new TargetError(`${label(target)}: write lmtp:HOST:PORT (e.g. lmtp:127.0.0.1:24) or lmtp:/path/socket (e.g. lmtp:/run/dovecot/lmtp)`);
    }
    return { kind: 'lmtp', address };
  }
  if (target === 'sendmail') return { kind: 'sendmail' };
  if (target.startsWith('sendmail:')) {
    const path = target.slice('sendmail:'.length);
    if (!path.startsWith('/')) throw new TargetError(`${label(target)}: sendmail:PATH needs an absolute path, e.g. sendmail:${DEFAULT_SENDMAIL}`);
    return { kind: 'sendmail', path };
  }
  throw new TargetError(`${where === '--deliver' ? `--deliver ${JSON.stringify(target)}` : label(target)} is not a delivery target; supported targets: ${SUPPORTED_TARGETS}`);
}

/** The bare address of a recipient: `mailto:Alice@Example.com` -> `alice@example.com`. */
function bareAddress(recipient: string): string {
  return recipient.replace(/^mailto:/i, '').trim().toLowerCase();
}

/**
 * A placeholder value must stay one path segment: a recipient such as
 * "../x@y" must not reach outside the configured tree.
 */
function pathSegment(value: string, recipient: string): string {
  if (!value || value === '.' || value === '..' || /[/\\\0]/.test(value)) {
    throw new TargetError(`recipient ${JSON.stringify(recipient)} cannot name a maildir folder safely`);
  }
  return value;
}

export function maildirFor(dir: string, recipient: string): string {
  const user = bareAddress(recipient);
  const at = user.lastIndexOf('@');
  const local = at < 0 ? user : user.slice(0, at);
  const domain = at < 0 ? '' : user.slice(at + 1);
  const values: Record<string, string> = { user, local, domain };
  return resolve(dir.replace(/\{(user|local|domain)\}/g, (_, name: string) => pathSegment(values[name], recipient)));
}

export interface Delivered {
  recipient: string;
  /** Where the copy went: a file path, or "stdout". */
  to: string;
}

export interface DeliverOptions {
  /** The envelope sender for LMTP and sendmail (MAIL FROM, -f); undefined for the null sender. */
  sender?: string;
  /** The sendmail program when the target does not name one. */
  sendmailPath?: string;
  /** Open connections to the LMTP target, reused between mails (serve); otherwise one session per mail. */
  lmtpPool?: LmtpPool;
}

/** What became of one recipient's copy: delivered, or the reason it was not (always temporary). */
export type RecipientDelivery = { recipient: string; ok: true; to: string } | { recipient: string; ok: false; error: DeliveryError };

/**
 * Delivers the raw bytes and reports per recipient. LMTP gives each recipient
 * its own answer; the other targets succeed or fail for all recipients at once.
 * Never rejects: a failure is in the result.
 */
export async function deliverEach(
  target: DeliveryTarget,
  raw: Buffer,
  recipients: string[],
  options: DeliverOptions = {},
): Promise<RecipientDelivery[]> {
  // stdout is the pipe's one copy, whoever the recipients are (also none: --outgoing alone).
  if (recipients.length === 0 && target.kind !== 'stdout') return [];
  if (target.kind === 'lmtp') {
    const where = describeTarget(target);
    let replies;
    try {
      const bare = recipients.map(bareAddress);
      replies = options.lmtpPool
        ? await options.lmtpPool.send(options.sender, bare, raw)
        : await deliverByLmtp(target.address, raw, options.sender, bare);
    } catch (error) {
      const failure = new DeliveryError(`cannot deliver to ${where}: ${(error as Error).message}`);
      return recipients.map((recipient) => ({ recipient, ok: false, error: failure }));
    }
    return recipients.map((recipient, i) => {
      const reply = replies[i];
      if (reply.ok) return { recipient, ok: true, to: where };
      const permanent = reply.code >= 500 && reply.code < 600;
      return { recipient, ok: false, error: new DeliveryError(`${where} refused ${recipient}: ${reply.code} ${reply.text}`, recipient, permanent) };
    });
  }
  try {
    const delivered = await deliver(target, raw, recipients, options);
    return recipients.map((recipient) => ({ recipient, ok: true, to: delivered.find((d) => d.recipient === recipient)?.to ?? target.kind }));
  } catch (error) {
    const failure = error instanceof DeliveryError ? error : new DeliveryError(`onward delivery failed: ${(error as Error).message}`);
    // The copy on stdout for no recipient failed all the same: reported under no name.
    return (recipients.length ? recipients : ['']).map((recipient) => ({ recipient, ok: false, error: failure }));
  }
}

/**
 * The target as the transaction service uses it: what it refuses at RCPT (a
 * recipient that cannot name a maildir folder) and delivery per recipient.
 */
export function onwardTo(target: DeliveryTarget, options: Omit<DeliverOptions, 'sender'> = {}): Onward {
  return {
    refuses(recipient) {
      if (target.kind !== 'maildir') return undefined;
      try {
        maildirFor(target.dir, recipient);
        return undefined;
      } catch (error) {
        if (error instanceof TargetError) return error.message;
        throw error;
      }
    },
    deliver: (raw, recipients, sender) => deliverEach(target, raw, recipients, { ...options, sender }),
  };
}

/**
 * Delivers the raw bytes once per recipient. Recipients that resolve to the same
 * maildir get one copy; stdout gets one copy for everyone. Every placeholder is
 * checked before the first byte is written, so a bad recipient delivers nothing.
 */
export async function deliver(target: DeliveryTarget, raw: Buffer, recipients: string[], options: DeliverOptions = {}): Promise<Delivered[]> {
  switch (target.kind) {
    case 'lmtp': {
      const results = await deliverEach(target, raw, recipients, options);
      const failed = results.find((r) => !r.ok);
      if (failed && !failed.ok) throw failed.error;
      return results.map((r) => ({ recipient: r.recipient, to: r.ok ? r.to : '' }));
    }
    case 'sendmail': {
      if (recipients.length === 0) return [];
      const path = target.path ?? options.sendmailPath ?? DEFAULT_SENDMAIL;
      try {
        await deliverBySendmail(raw, options.sender, recipients, { path });
      } catch (error) {
        throw new DeliveryError(`cannot re-inject with ${path}: ${(error as Error).message}`);
      }
      return recipients.map((recipient) => ({ recipient, to: path }));
    }
    case 'none':
      return [];
    case 'stdout':
      await new Promise<void>((done, fail) => process.stdout.write(raw, (error) => (error ? fail(error) : done())));
      return recipients.map((recipient) => ({ recipient, to: 'stdout' }));
    case 'maildir': {
      const dirs = new Map<string, string[]>();
      for (const recipient of recipients) {
        const dir = maildirFor(target.dir, recipient);
        dirs.set(dir, [...(dirs.get(dir) ?? []), recipient]);
      }
      const delivered: Delivered[] = [];
      for (const [dir, names] of dirs) {
        let path: string;
        try {
          path = await deliverToMaildir(dir, raw);
        } catch (error) {
          throw new DeliveryError(`cannot deliver to maildir ${dir}: ${(error as Error).message}`, names[0]);
        }
        for (const recipient of names) delivered.push({ recipient, to: path });
      }
      return delivered;
    }
  }
}

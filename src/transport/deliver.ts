// Onward delivery: after the agent has looked at a mail, the ORIGINAL bytes go on
// to the recipients' mailboxes untouched, whatever the calendar part held
// (DESIGN: bad input never loses mail).
//
// Targets: `none`, `stdout`, `maildir:DIR` with `{user}`, `{local}` and `{domain}`
// in DIR replaced per recipient. LMTP and sendmail come later; they are named in
// the target syntax so that a configuration that uses them fails loudly now.

import { resolve } from 'node:path';
import { deliverToMaildir } from './maildir.js';

export type DeliveryTarget =
  | { kind: 'none' }
  | { kind: 'stdout' }
  | { kind: 'maildir'; dir: string };

export const SUPPORTED_TARGETS = 'none, stdout, maildir:DIR (DIR may hold {user}, {local} and {domain})';

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
  ) {
    super(message);
  }
}

export function parseTarget(text: string): DeliveryTarget {
  const target = text.trim();
  if (target === 'none') return { kind: 'none' };
  if (target === 'stdout' || target === '-') return { kind: 'stdout' };
  if (target.startsWith('maildir:')) {
    const dir = target.slice('maildir:'.length);
    if (!dir) throw new TargetError(`--deliver maildir: needs a directory, e.g. maildir:/var/mail/{user}/Maildir`);
    const unknown = [...dir.matchAll(/\{([^}]*)\}/g)].map((m) => m[1]).filter((name) => !['user', 'local', 'domain'].includes(name));
    if (unknown.length) {
      throw new TargetError(`--deliver ${target}: unknown placeholder {${unknown[0]}}; DIR may hold {user}, {local} and {domain}`);
    }
    return { kind: 'maildir', dir };
  }
  if (target.startsWith('lmtp:') || target === 'sendmail' || target.startsWith('sendmail:')) {
    throw new TargetError(`--deliver ${target}: delivery by ${target.startsWith('lmtp:') ? 'LMTP' : 'sendmail'} is not available yet; supported targets: ${SUPPORTED_TARGETS}`);
  }
  throw new TargetError(`--deliver ${JSON.stringify(target)} is not a delivery target; supported targets: ${SUPPORTED_TARGETS}`);
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

/**
 * Delivers the raw bytes once per recipient. Recipients that resolve to the same
 * maildir get one copy; stdout gets one copy for everyone. Every placeholder is
 * checked before the first byte is written, so a bad recipient delivers nothing.
 */
export async function deliver(target: DeliveryTarget, raw: Buffer, recipients: string[]): Promise<Delivered[]> {
  switch (target.kind) {
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

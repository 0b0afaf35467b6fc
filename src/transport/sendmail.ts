// Onward delivery by re-injection into the MTA: `sendmail -i -f SENDER -- RCPT...`,
// the interface Postfix, Exim and Sendmail all offer.
//
// Re-injected mail goes through the MTA again, so it must not come back to the
// agent forever. Two guards: the MTA side applies the content filter only where
// mail enters from outside (Postfix: content_filter on the smtpd services in
// master.cf, not in main.cf, so pickup skips it; Exim: a router condition on the
// header below), and the copy carries an X-Itip-Agent-Processed header naming
// this host. A mail that arrives with our own mark is a loop: it is refused as
// a temporary failure (and logged), never re-injected again.

import { spawn } from 'node:child_process';
import { hostname } from 'node:os';

export const DEFAULT_SENDMAIL = '/usr/sbin/sendmail';
export const PROCESSED_HEADER = 'X-Itip-Agent-Processed';

export class SendmailError extends Error {
  override name = 'SendmailError';
}

/** The name this host puts in the loop-guard header. */
export function processedMark(): string {
  return hostname() || 'localhost';
}

/** True when the header block of the mail carries our loop-guard header with our own name. */
export function carriesOwnMark(raw: Buffer, mark: string = processedMark()): boolean {
  const end = headerEnd(raw);
  const header = raw.subarray(0, end).toString('latin1');
  const pattern = new RegExp(`^${PROCESSED_HEADER}:[ \\t]*([^\\r\\n]*)`, 'gim');
  for (const match of header.matchAll(pattern)) {
    if (match[1].trim().toLowerCase() === mark.toLowerCase()) return true;
  }
  return false;
}

function headerEnd(raw: Buffer): number {
  const ends = [raw.indexOf('\r\n\r\n'), raw.indexOf('\n\n')].filter((i) => i >= 0);
  return ends.length ? Math.min(...ends) : raw.length;
}

/** The mail with the loop-guard header prepended, in the mail's own line-end style. */
export function markProcessed(raw: Buffer, mark: string = processedMark()): Buffer {
  const eol = raw.indexOf('\r\n') >= 0 ? '\r\n' : '\n';
  return Buffer.concat([Buffer.from(`${PROCESSED_HEADER}: ${mark}${eol}`, 'latin1'), raw]);
}

export interface SendmailOptions {
  /** The sendmail program; default /usr/sbin/sendmail. */
  path?: string;
  timeoutMs?: number;
}

function bare(address: string): string {
  return address.replace(/^mailto:/i, '').trim();
}

/**
 * Re-injects the mail for all recipients at once. Resolves when sendmail exited
 * 0 (the MTA has queued the mail); rejects with a SendmailError otherwise.
 */
export async function deliverBySendmail(
  raw: Buffer,
  sender: string | undefined,
  recipients: string[],
  options: SendmailOptions = {},
): Promise<void> {
  const program = options.path || DEFAULT_SENDMAIL;
  const mark = processedMark();
  if (carriesOwnMark(raw, mark)) {
    throw new SendmailError(
      `mail loop: this mail was re-injected by this agent before (${PROCESSED_HEADER}: ${mark}); ` +
        'the MTA must not pass re-injected mail to the agent again (see mta-configs)',
    );
  }
  const from = sender ? bare(sender) : '<>';
  for (const address of [from, ...recipients.map(bare)]) {
    // An argument that starts with '-' would be read as an option by sendmail.
    if (address.startsWith('-') || /[\s\0]/.test(address)) throw new SendmailError(`address ${JSON.stringify(address)} cannot be passed to sendmail`);
  }
  const args = ['-i', '-f', from, '--', ...recipients.map(bare)];
  const timeoutMs = options.timeoutMs ?? 120_000;
  await new Promise<void>((resolve, reject) => {
    let stderr = '';
    let settled = false;
    const done = (error?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error) reject(error);
      else resolve();
    };
    const child = spawn(program, args, { stdio: ['pipe', 'ignore', 'pipe'] });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      done(new SendmailError(`${program} did not finish within ${timeoutMs} ms`));
    }, timeoutMs);
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      if (stderr.length < 4096) stderr += chunk;
    });
    child.on('error', (error) => done(new SendmailError(`cannot run ${program}: ${error.message}`)));
    child.on('close', (code, signal) => {
      if (code === 0) done();
      else done(new SendmailError(`${program} ${signal ? `was killed by ${signal}` : `exited ${code}`}${stderr.trim() ? `: ${stderr.trim()}` : ''}`));
    });
    // sendmail may exit before reading everything (a usage error); its exit code tells.
    child.stdin.on('error', () => undefined);
    child.stdin.end(markProcessed(raw, mark));
  });
}

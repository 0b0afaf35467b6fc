// `itip-agent replay FILE...`: runs stored mail through the agent again, in order,
// from .eml files, mbox files and maildir folders. Used to build a calendar from
// an existing mailbox, or to recover after a store was lost. Redelivery is a
// no-op (journalled as duplicate), so replaying the same mail twice is harmless.
// Nothing is delivered onward.

import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { addressLengthProblem, normalizeAddress } from '../../ical/address.js';
import { OUTCOMES } from '../../itip/model.js';
import type { ParsedMail } from '../../mail/mail-facts.js';
import { now } from '../clock.js';
import { log, logger } from '../log.js';
import type { CommandContext } from '../main.js';
import { CliError, EXIT, errorText, printJson, printLines, usageError } from '../output.js';
import { HandlerError, markHandlerErrors, normalizeRecipients } from './process.js';

interface ReplayOptions {
  recipient?: string[];
  sender?: string;
  outgoing?: boolean;
  json?: boolean;
}

/** One mail to replay; its bytes are read only when its turn comes. */
interface Item {
  label: string;
  load(): Promise<Buffer>;
}


// --- mbox ---

/**
 * Splits an mbox file (RFC 4155): a message starts at a line beginning "From "
 * at the start of the file or after a blank line. The blank line the format
 * puts before each separator is dropped, and quoted ">From " lines (mboxrd and
 * mboxo) lose one ">". Bytes are kept as they are (latin1 maps them 1:1).
 */
export function splitMbox(data: Buffer): Buffer[] {
  const text = data.toString('latin1');
  const messages: Buffer[] = [];
  let current: string[] | null = null;
  let previousBlank = true;
  const finish = (lines: string[]) => {
    if (lines.length && /^\r?\n$/.test(lines[lines.length - 1])) lines.pop();
    messages.push(Buffer.from(lines.join(''), 'latin1'));
  };
  for (const line of text.split(/(?<=\n)/)) {
    const bare = line.replace(/\r?\n$/, '');
    if (previousBlank && bare.startsWith('From ')) {
      if (current) finish(current);
      current = [];
    } else if (current) {
      current.push(/^>+From /.test(bare) ? line.slice(1) : line);
    }
    previousBlank = bare === '';
  }
  if (current) finish(current);
  return messages;
}

function isMbox(data: Buffer): boolean {
  return data.subarray(0, 5).toString('latin1') === 'From ';
}

// --- finding the mails ---

async function maildirItems(dir: string): Promise<Item[]> {
  const files: Array<{ name: string; path: string }> = [];
  let found = false;
  for (const sub of ['cur', 'new']) {
    let names: string[];
    try {
      names = await readdir(join(dir, sub));
      found = true;
    } catch {
      continue;
    }
    for (const name of names) {
      if (name.startsWith('.')) continue;
      const path = join(dir, sub, name);
      if ((await stat(path)).isFile()) files.push({ name, path });
    }
  }
  if (!found) throw new CliError(`${dir} is a directory but not a maildir (it has no cur/ or new/); give a maildir, an mbox or .eml files`, EXIT.NOINPUT);
  files.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return files.map(({ path }) => ({ label: path, load: () => readFile(path) }));
}

async function fileItems(path: string): Promise<Item[]> {
  let info;
  try {
    info = await stat(path);
  } catch (error) {
    throw new CliError(`cannot read ${path}: ${errorText(error)}; give .eml files, mbox files or maildir folders`, EXIT.NOINPUT);
  }
  if (info.isDirectory()) return maildirItems(path);
  const data = await readFile(path);
  if (!isMbox(data)) return [{ label: path, load: async () => data }];
  return splitMbox(data).map((raw, i) => ({ label: `${path} #${i + 1}`, load: async () => raw }));
}

// --- recipients ---

/** The header block of a raw mail, unfolded, as [lower-case name, value] pairs. */
function headerFields(raw: Buffer): Array<[string, string]> {
  const text = raw.toString('latin1');
  const end = text.search(/\r?\n\r?\n/);
  const block = (end < 0 ? text : text.slice(0, end)).replace(/\r?\n[ \t]+/g, ' ');
  const fields: Array<[string, string]> = [];
  for (const line of block.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0) fields.push([line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()]);
  }
  return fields;
}

function addressesIn(value: string): string[] {
  const found = value.match(/[^\s<>,;:"()]+@[^\s<>,;:"()]+/g) ?? [];
  // An address longer than RFC 5321 allows was never an envelope recipient.
  return found.map((a) => normalizeAddress(a)).filter((a): a is string => !!a && !addressLengthProblem(a));
}

/**
 * Who the mail was delivered to: the topmost Delivered-To (the last hop's
 * mailbox), else X-Original-To, else Envelope-To (which may list several).
 */
export function envelopeRecipients(raw: Buffer): string[] {
  const fields = headerFields(raw);
  for (const name of ['delivered-to', 'x-original-to', 'envelope-to']) {
    const field = fields.find(([key]) => key === name);
    if (!field) continue;
    const addresses = addressesIn(field[1]);
    if (addresses.length) return [...new Set(addresses)];
  }
  return [];
}

// --- the run ---

/**
 * Progress: a bar on a terminal; elsewhere (a log, a pipe, systemd) a JSON
 * line on stderr every second and one at the end, so that a long replay
 * shows that it moves and how far it got.
 */
class Progress {
  private readonly terminal = !!process.stderr.isTTY;
  private done = 0;
  private timer?: NodeJS.Timeout;
  private readonly started = performance.now();

  constructor(
    private readonly total: number,
    private readonly counts: () => Record<string, unknown>,
  ) {
    if (!this.terminal && total > 0) {
      this.timer = setInterval(() => this.line(), PROGRESS_INTERVAL_MS);
      this.timer.unref();
    }
  }

  show(done: number): void {
    this.done = done;
    if (!this.terminal || this.total === 0) return;
    const width = 30;
    const filled = Math.round((done / this.total) * width);
    process.stderr.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${this.total}`);
  }

  private line(final?: 'finished' | 'stopped'): void {
    // Written whatever logLevel says: the replay was asked for by a person or a script that watches it.
    log('info', final ? `replay ${final}` : 'replay progress', {
      done: this.done,
      total: this.total,
      seconds: Math.round((performance.now() - this.started) / 100) / 10,
      ...this.counts(),
    });
  }

  /** `stopped`: the replay ends early on an error (logged after this line). */
  end(stopped = false): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.terminal && this.total > 0) process.stderr.write('\n');
    else if (!this.terminal) this.line(stopped ? 'stopped' : 'finished');
  }
}

const PROGRESS_INTERVAL_MS = 1000;

export async function runReplay(context: CommandContext, files: string[], options: ReplayOptions): Promise<void> {
  const fixed = normalizeRecipients(options.recipient ?? []);
  let sender: string | undefined;
  if (options.sender !== undefined && options.sender.trim() !== '') sender = normalizeRecipients([options.sender], '--sender')[0];
  if (files.length === 0) throw usageError('replay needs at least one FILE: an .eml file, an mbox file or a maildir folder');

  const items: Item[] = [];
  for (const file of files) items.push(...(await fileItems(file)));

  const [{ readMail }, { processParsedMail }, { policyFromSettings }] = await Promise.all([
    import('../../mail/read-mail.js'),
    import('../../agent/process-message.js'),
    import('../../agent/policy.js'),
  ]);
  // Stored mail has lost its arrival facts: only the Authentication-Results
  // it carries speak for it, as the settings say whom to believe.
  const policy = policyFromSettings(context.config().settings);
  const store = markHandlerErrors(await context.store());
  const outcomes: Record<string, number> = Object.fromEntries(OUTCOMES.map((o) => [o, 0]));
  let skipped = 0;
  let withoutCalendar = 0;
  const progress = new Progress(items.length, () => ({ skipped, outcomes: Object.fromEntries(Object.entries(outcomes).filter(([, n]) => n > 0)) }));
  progress.show(0);

  for (const [index, item] of items.entries()) {
    let raw: Buffer;
    try {
      raw = await item.load();
    } catch (error) {
      progress.end(true);
      throw new CliError(`cannot read ${item.label}: ${errorText(error)}`, EXIT.IOERR);
    }
    const mail: ParsedMail = await readMail(raw, { maxCalendarBytes: policy.maxCalendarBytes });
    let recipients = fixed;
    if (!options.outgoing && recipients.length === 0) recipients = envelopeRecipients(raw);
    if (!options.outgoing && recipients.length === 0) {
      // Addressed users we know: a mail to alice and bob must not create bob's store.
      const known = new Set(await store.listUsers());
      recipients = [...new Set([...mail.facts.to, ...mail.facts.cc])].filter((a) => known.has(a));
    }
    const noSender = options.outgoing && !sender && !mail.facts.from;
    if ((!options.outgoing && recipients.length === 0) || noSender) {
      skipped++;
      logger.debug(`skipped ${item.label}: no recipient`, { messageId: mail.facts.messageId });
      progress.show(index + 1);
      continue;
    }
    try {
      const result = await processParsedMail(store, mail, { recipients, sender, outgoing: !!options.outgoing }, now(), policy);
      if (!result.calendar) withoutCalendar++;
      for (const { entries } of result.users) for (const entry of entries) outcomes[entry.outcome] = (outcomes[entry.outcome] ?? 0) + 1;
    } catch (error) {
      if (!(error instanceof HandlerError)) {
        progress.end(true);
        throw new CliError(
          `the store at ${context.storeDir} could not commit while replaying ${item.label} (${index} of ${items.length} done): ${errorText(error)}; run the replay again once the store works (replaying is safe)`,
          EXIT.TEMPFAIL,
          { error },
        );
      }
      outcomes.error++;
      logger.error(`${item.label} could not be processed: ${errorText(error.cause)}`, { messageId: mail.facts.messageId, error: error.cause });
    }
    progress.show(index + 1);
  }
  progress.end();

  if (options.json) {
    await printJson({ messages: items.length, skipped, outcomes });
    return;
  }
  const counted = OUTCOMES.filter((o) => outcomes[o] > 0).map((o) => `${o} ${outcomes[o]}`);
  await printLines([
    `replayed ${items.length} message${items.length === 1 ? '' : 's'} from ${files.map((f) => basename(f)).join(', ')}`,
    `outcomes: ${counted.length ? counted.join(', ') : 'none'}`,
    `skipped (no recipient): ${skipped}`,
    `without a calendar part: ${withoutCalendar}`,
  ]);
}

// The user's own actions: respond, delegate, counter accept|decline|propose,
// refresh answer|ask, put, delete. Each is a shell over the agent's
// transaction service (src/agent/user-action.ts): the arguments become a
// UserAction, the service runs it in one store transaction, and the outcome
// becomes the output and the exit code.
//
// Exit codes: 0 when the action was applied (or had nothing left to change),
// 1 when it was refused, stale or ignored (nothing changed; stderr says why
// and what to do), 64 for usage errors, 75 when the store could not commit
// (nothing changed; the same command may work later), 70 for a fault.

import { mailAddress } from '../../ical/address.js';
import type { Answer, UserAction } from '../../itip/actions/action.js';
import type { Outcome } from '../../itip/model.js';
import { TASK_ONLY_ANSWERS, type TaskOnlyAnswer } from '../../itip/task/progress.js';
import { StoreCommitError } from '../../store/store.js';
import { onwardTo } from '../../transport/deliver.js';
import { formatUtcSeconds } from '../../ical/times.js';
import { now, parseIsoInstant } from '../clock.js';
import { logger } from '../log.js';
import type { CommandContext } from '../main.js';
import { CliError, EXIT, errorText, printJson, printLines, usageError } from '../output.js';
import { outboxJson, unknownUserNote, userAddress } from './inspect.js';

interface CommonOptions {
  user: string;
  ifMatch?: string;
  json?: boolean;
}

const ANSWERS: readonly Answer[] = ['ACCEPTED', 'TENTATIVE', 'DECLINED'];
/** A task's assignee may also report progress (RFC 5546 section 3.4.3). */
const TASK_ANSWERS: readonly string[] = [...ANSWERS, ...TASK_ONLY_ANSWERS];

/** Outcomes that end with exit 0: done, or nothing left to do. */
const SUCCESS: ReadonlySet<Outcome> = new Set(['applied', 'duplicate', 'queued']);

function uidArgument(uid: string): string {
  if (uid.trim() === '') throw usageError('the UID is empty; name the event by its UID (itip-agent objects --user ADDR lists them)');
  return uid;
}

/**
 * An entity tag as objects --json prints it. The quotes are part of the tag
 * (RFC 7232 section 2.3), and a shell easily loses them: a bare tag gets them back.
 */
function etagOption(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (text === '' || text === '""') throw usageError('--if-match is empty; give the etag that itip-agent objects --json shows, e.g. --if-match \'"Yb3..."\'');
  return text.startsWith('"') || text.startsWith('W/"') ? text : `"${text}"`;
}

const BASIC_UTC = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/i;
const DATE = /^(\d{4})-?(\d{2})-?(\d{2})$/;

/**
 * A time given on the command line, as the core keys instances: ISO 8601 UTC,
 * or for a date (all-day events) the date. iCalendar's own UTC form
 * (20261201T090000Z) is taken too, as RECURRENCE-IDs are often copied from it.
 */
function timeOption(name: string, value: string | undefined, dates: boolean): string | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  const date = DATE.exec(text);
  if (date && dates) {
    const day = `${date[1]}-${date[2]}-${date[3]}`;
    if (!Number.isNaN(Date.parse(`${day}T00:00:00Z`))) return day;
  }
  const basic = BASIC_UTC.exec(text);
  const ms = basic ? Date.parse(`${basic[1]}-${basic[2]}-${basic[3]}T${basic[4]}:${basic[5]}:${basic[6]}Z`) : parseIsoInstant(text);
  if (Number.isNaN(ms)) {
    const hint = dates ? ', or 2026-12-01 for an all-day event' : '';
    throw usageError(`${name} ${JSON.stringify(value)} is not an ISO 8601 time; write it like 2026-12-01T09:00:00Z${hint}`);
  }
  return formatUtcSeconds(ms);
}

function recurrenceIdOf(options: { recurrenceId?: string }): { recurrenceId?: string } {
  const recurrenceId = timeOption('--recurrence-id', options.recurrenceId, true);
  return recurrenceId === undefined ? {} : { recurrenceId };
}

function commentOf(options: { comment?: string }): { comment?: string } {
  return options.comment === undefined ? {} : { comment: options.comment };
}

/** The words a person reads for an outcome that changed nothing. */
function unchangedMessage(kind: string, outcome: Outcome, reason: string, user: string, uid: string): string {
  const unchanged = /nothing (was|is) changed/.test(reason) ? reason : `${reason}; nothing was changed`;
  switch (outcome) {
    case 'stale': {
      const look = uid ? `itip-agent object --user ${mailAddress(user)} ${uid}` : `itip-agent objects --user ${mailAddress(user)}`;
      return `the ${kind} was not done (stale): ${unchanged}. The event as it is now: ${look}; its etag: itip-agent objects --user ${mailAddress(user)} --json`;
    }
    case 'refused':
      return `the ${kind} was refused: ${unchanged}`;
    case 'ignored':
      return `the ${kind} changed nothing: ${reason}`;
    default:
      return `the ${kind} could not be done: ${unchanged}; please report it with the log lines above`;
  }
}

/** Runs one action for --user and tells its outcome; resolves with the exit code or throws a CliError. */
async function perform(context: CommandContext, options: CommonOptions, action: UserAction): Promise<number> {
  const user = userAddress(options.user);
  const ifMatch = etagOption(options.ifMatch);
  const uid = action.kind === 'put' ? undefined : action.uid;
  // An action needs the user's calendar: it never makes a store or a user.
  if (!context.storeExists()) {
    throw new CliError(`there is no store at ${context.storeDir} yet, so no calendar of ${user}; add the user with: itip-agent user add ${mailAddress(user)}`, EXIT.FAILURE, {
      store: context.storeDir,
    });
  }
  const store = await context.store();
  if ((await store.getRole(user)) === undefined) throw new CliError(unknownUserNote(user), EXIT.FAILURE, { user });

  const { settings } = context.config();
  const [{ TransactionService }, { policyFromSettings }, { actionUid }] = await Promise.all([
    import('../../agent/transaction-service.js'),
    import('../../agent/policy.js'),
    import('../../agent/user-action.js'),
  ]);
  const service = new TransactionService({
    store,
    // An action delivers no mail onward: its messages go through the outbox.
    onward: onwardTo({ kind: 'none' }),
    now,
    policy: policyFromSettings(settings),
    localDomains: settings.localDomains,
    log: (level, msg, fields) => logger[level](msg, fields),
  });
  const result = await service.run({ kind: 'action', user, action, ...(ifMatch !== undefined ? { ifMatch } : {}) });
  if (result.failure) {
    const { error } = result.failure;
    const what = error instanceof StoreCommitError ? 'the store' : `the store at ${context.storeDir}`;
    throw new CliError(`${what} could not commit: ${errorText(error)}; nothing was changed, run the same command again later`, EXIT.TEMPFAIL, {
      store: context.storeDir,
      error,
    });
  }
  if (options.json) {
    await printJson({ outcome: result.outcome, reason: result.reason, queued: result.queued.map(outboxJson) });
  } else if (SUCCESS.has(result.outcome)) {
    const queued = result.queued.map((item) => `queued ${item.method} to ${item.to.map(mailAddress).join(', ')} (outbox ${item.id})`);
    await printLines([`${result.outcome}: ${result.reason}`, ...queued]);
  }
  if (SUCCESS.has(result.outcome)) return EXIT.OK;
  const code = result.outcome === 'error' ? EXIT.SOFTWARE : EXIT.FAILURE;
  throw new CliError(unchangedMessage(action.kind, result.outcome, result.reason, user, uid ?? actionUid(action)), code, { outcome: result.outcome, user });
}

export async function runRespond(
  context: CommandContext,
  uid: string,
  options: CommonOptions & { partstat: string; recurrenceId?: string; comment?: string; percentComplete?: string },
): Promise<number> {
  const partstat = options.partstat.trim().toUpperCase() as Answer | TaskOnlyAnswer;
  if (!TASK_ANSWERS.includes(partstat)) {
    throw usageError(`--partstat ${JSON.stringify(options.partstat)} is no answer; give ACCEPTED, TENTATIVE or DECLINED (for a task also IN-PROCESS or COMPLETED)`);
  }
  let percent: { percentComplete: number } | object = {};
  if (options.percentComplete !== undefined) {
    const value = Number(options.percentComplete);
    if (!/^\d{1,3}$/.test(options.percentComplete.trim()) || value > 100) {
      throw usageError(`--percent-complete ${JSON.stringify(options.percentComplete)} is no percentage; give a whole number from 0 to 100`);
    }
    percent = { percentComplete: value };
  }
  return perform(context, options, { kind: 'respond', uid: uidArgument(uid), partstat, ...recurrenceIdOf(options), ...commentOf(options), ...percent });
}

export async function runDelegate(context: CommandContext, uid: string, options: CommonOptions & { to: string; recurrenceId?: string }): Promise<number> {
  const to = userAddress(options.to, '--to');
  return perform(context, options, { kind: 'delegate', uid: uidArgument(uid), to, ...recurrenceIdOf(options) });
}

type AttendeeOptions = CommonOptions & { attendee: string; recurrenceId?: string; comment?: string };

export async function runCounterAccept(context: CommandContext, uid: string, options: AttendeeOptions): Promise<number> {
  const attendee = userAddress(options.attendee, '--attendee');
  return perform(context, options, { kind: 'counter-accept', uid: uidArgument(uid), attendee, ...recurrenceIdOf(options) });
}

export async function runCounterDecline(context: CommandContext, uid: string, options: AttendeeOptions): Promise<number> {
  const attendee = userAddress(options.attendee, '--attendee');
  return perform(context, options, { kind: 'counter-decline', uid: uidArgument(uid), attendee, ...recurrenceIdOf(options), ...commentOf(options) });
}

export async function runCounterPropose(
  context: CommandContext,
  uid: string,
  options: CommonOptions & { start: string; end: string; recurrenceId?: string; comment?: string },
): Promise<number> {
  const start = timeOption('--start', options.start, false)!;
  const end = timeOption('--end', options.end, false)!;
  if (start >= end) throw usageError(`--start ${start} is not before --end ${end}; propose a time that ends after it starts`);
  return perform(context, options, { kind: 'propose', uid: uidArgument(uid), start, end, ...recurrenceIdOf(options), ...commentOf(options) });
}

export async function runRefreshAnswer(context: CommandContext, uid: string, options: AttendeeOptions): Promise<number> {
  const attendee = userAddress(options.attendee, '--attendee');
  return perform(context, options, { kind: 'refresh-answer', uid: uidArgument(uid), attendee });
}

export async function runRefreshAsk(context: CommandContext, uid: string, options: CommonOptions & { recurrenceId?: string }): Promise<number> {
  return perform(context, options, { kind: 'ask-refresh', uid: uidArgument(uid), ...recurrenceIdOf(options) });
}

export async function runDelete(context: CommandContext, uid: string, options: CommonOptions & { recurrenceId?: string }): Promise<number> {
  return perform(context, options, { kind: 'delete', uid: uidArgument(uid), ...recurrenceIdOf(options) });
}

async function readStdin(limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    size += buffer.length;
    if (size > limit) {
      throw new CliError(`the calendar on stdin is larger than ${limit} bytes (limits.maxCalendarBytes); nothing was changed`, EXIT.DATAERR);
    }
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}

export async function runPut(context: CommandContext, options: CommonOptions): Promise<number> {
  userAddress(options.user);
  etagOption(options.ifMatch);
  if (process.stdin.isTTY) {
    throw usageError('put reads the calendar object on stdin; pipe it in, e.g. itip-agent put --user alice@example.com < event.ics');
  }
  let raw: Buffer;
  try {
    raw = await readStdin(context.config().settings.calendarLimits.maxCalendarBytes);
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError(`cannot read the calendar on stdin: ${errorText(error)}`, EXIT.IOERR);
  }
  const ics = raw.toString('utf8');
  if (ics.trim() === '') throw new CliError('stdin was empty: no calendar object to put; pipe one in, e.g. < event.ics', EXIT.DATAERR);
  return perform(context, options, { kind: 'put', ics });
}

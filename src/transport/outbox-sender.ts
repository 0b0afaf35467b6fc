// The outbox sender: the iTIP messages the agent generated (replies of
// resources, REQUESTs answering a REFRESH, ...) go out as iMIP mail (RFC 6047)
// through an SMTP relay, with retry.
//
// Several senders may run on one store (`serve` beside a `queue run`, agents
// on several hosts sharing a database): each takes an item with
// Store.claimDueOutbox, which hands it to one sender alone, until the claim's
// lease ends (CLAIM_LEASE_MS).
//
// Delivery semantics: at-least-once. Each attempt is recorded durably
// (attempts + 1, the item still claimed) BEFORE the mail is handed to the
// relay, and the result is recorded after. A crash in between leaves the
// item unprocessed with the attempt counted, so it is sent again once the
// lease ends: a recipient may get a message twice, never zero times,
// and the store never holds an attempt it does not know about. Duplicates are
// harmless to iTIP recipients: the retry carries the same Message-ID, Date and
// body, and RFC 5546 section 2.1.5 orders messages by SEQUENCE and DTSTAMP, so
// the second copy changes nothing (this agent journals it as a duplicate).
// At-most-once would lose the message on such a crash, which for a REPLY or a
// CANCEL leaves calendars disagreeing without anyone knowing.
//
// Per recipient the item's status holds a delivery code (RFC 6638 section
// 3.2.9): 1.0 while it is pending (a transient 4xx or an unreachable relay:
// retried with exponential backoff), 1.2 once the relay accepted it (2xx),
// 5.1 when it was refused (5xx) or still pending after maxAttempts. An item is
// `processed` when every recipient has a final answer and `failed` when
// attempts ran out first. When the sending user is the ORGANIZER of the event,
// the codes are also written on the ATTENDEEs of its stored copy
// (SCHEDULE-STATUS, RFC 6638 section 7.3), through the agent's effects and
// journal as every other change (src/agent/schedule-status-update.ts).
//
// Each run makes one pooled SMTP connection (nodemailer) and sends the due items
// on it in the order they were created, so that a REQUEST goes before the CANCEL
// that follows it.

import { hostname } from 'node:os';
import nodemailer from 'nodemailer';
import { addressDomain, mailAddress } from '../ical/address.js';
import type { OutboxItem, Preferences } from '../itip/model.js';
import { formatUtcSeconds } from '../ical/times.js';
import { recordScheduleStatus } from '../agent/schedule-status-update.js';
import { SCHEDULE_STATUS, isFinalStatus } from '../itip/schedule-status.js';
import { composeOutboxItem, outboxMessageId } from '../mail/compose-outbox-item.js';
import { isTemporaryPgError } from '../store/pg-errors.js';
import { StoreCommitError, type Store } from '../store/store.js';

export interface RelayOptions {
  host: string;
  port: number;
  /** TLS from the start (port 465). Otherwise STARTTLS is used when offered (not on loopback). */
  secure?: boolean;
  auth?: { user: string; pass: string };
}

export interface OutboxSenderOptions {
  relay: RelayOptions;
  /** The clock, epoch ms; default Date.now. Decides what is due and when to retry. */
  now?: () => number;
  /** startOutboxSender: the pause between runs; default 30 s. */
  intervalMs?: number;
  /** Domains of this installation: a relay's 2xx for them counts as delivered (1.2), elsewhere as sent (1.1). */
  localDomains?: string[];
  /** Attempts per item before it is given up as failed; default 20 (about a day with the backoff). */
  maxAttempts?: number;
  /** startOutboxSender: called after every run, e.g. for logging. */
  onRun?: (summary: OutboxRunSummary) => void;
  /** startOutboxSender: called when a run fails as a whole (the store could not be written). */
  onError?: (error: unknown) => void;
  /** Called when a store call of a send (above all, recording what the relay answered) failed for a passing reason and is tried again. */
  onStoreRetry?: (error: unknown, attempt: number) => void;
  /** How long to keep trying to record what the relay answered; default RECORD_RETRY_MS. */
  recordRetryMs?: number;
}

export interface OutboxRunItem {
  id: string;
  user: string;
  method: string;
  uid: string;
  state: OutboxItem['state'];
  attempts: number;
  status: Record<string, string>;
  nextAttempt?: string;
  lastError?: string;
}

export interface OutboxRunSummary {
  /** Items now processed: every recipient answered (delivered, or refused for good). */
  sent: number;
  /** Items given up: attempts ran out, or the message could not be built. */
  failed: number;
  /** Items that wait for another attempt. */
  retry: number;
  items: OutboxRunItem[];
}

export const DEFAULT_INTERVAL_MS = 30_000;
export const DEFAULT_MAX_ATTEMPTS = 20;
/** The first retry waits this long; each further one twice as long, up to RETRY_MAX_MS. */
export const RETRY_BASE_MS = 60_000;
export const RETRY_MAX_MS = 2 * 60 * 60_000;

/** How long to wait after the given number of attempts: 1 min, 2, 4, ... at most 2 h. */
export function retryDelay(attempts: number): number {
  const exponent = Math.max(0, Math.min(attempts - 1, 30));
  return Math.min(RETRY_BASE_MS * 2 ** exponent, RETRY_MAX_MS);
}


/**
 * How long an item claimed by a sender stays its own (Store.claimDueOutbox):
 * no other sender finds it due before then, and if this one dies, the item is
 * sent again after that. A sender claims one item at a time, so the lease
 * needs to outlast one attempt: at worst about two minutes (connection and
 * greeting 30 s each, 60 s for a reply, the message and the SCHEDULE-STATUS
 * write). Ten minutes leaves room for a loaded machine without a second
 * sender ever taking an item still being sent, and keeps a dead sender's item
 * waiting minutes, not hours.
 */
export const CLAIM_LEASE_MS = 10 * 60_000;

/**
 * Once the relay has answered, the answer must be recorded, or the item is
 * sent again when its lease ends. A store that fails for a passing reason (a
 * database server restarting, a connection cut) is tried again for this long,
 * well inside the lease, so that no other sender takes the item meanwhile. A
 * restart takes seconds; past five minutes the run fails and the item goes out
 * again after its lease, as after a crash.
 */
export const RECORD_RETRY_MS = 5 * 60_000;

/** A store failure worth trying again: the commit did not happen, and the next one may. */
function isPassingStoreFailure(error: unknown): boolean {
  return error instanceof StoreCommitError || isTemporaryPgError(error);
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);

function isLoopback(host: string): boolean {
  return LOOPBACK.has(host.toLowerCase()) || /^127\./.test(host);
}

function createTransport(relay: RelayOptions) {
  return nodemailer.createTransport({
    pool: true,
    maxConnections: 1,
    host: relay.host,
    port: relay.port,
    secure: relay.secure ?? false,
    ...(relay.auth ? { auth: { user: relay.auth.user, pass: relay.auth.pass } } : {}),
    // A relay on loopback (the local MTA) is not worth a TLS handshake, and
    // typically offers STARTTLS with a certificate for its public name that
    // would not verify for "localhost". Elsewhere STARTTLS is used when offered
    // and the certificate is verified.
    ignoreTLS: !relay.secure && isLoopback(relay.host),
    name: hostname(),
    connectionTimeout: 30_000,
    greetingTimeout: 30_000,
    socketTimeout: 60_000,
  });
}

type Transport = ReturnType<typeof createTransport>;

interface SmtpError extends Error {
  code?: string;
  response?: string;
  responseCode?: number;
  command?: string;
  recipient?: string;
  rejectedErrors?: SmtpError[];
}

interface SmtpInfo {
  accepted?: Array<string | { address: string }>;
  rejected?: Array<string | { address: string }>;
  rejectedErrors?: SmtpError[];
  response?: string;
}

/** What one attempt gave, per recipient (bare address, lower-case). */
interface AttemptResult {
  codes: Map<string, string>;
  errors: string[];
  /** The relay could not be reached or dropped the connection: no reply at all. */
  unreachable: boolean;
}

function addressText(value: string | { address: string }): string {
  return (typeof value === 'string' ? value : value.address).toLowerCase();
}

function replyText(error: SmtpError): string {
  return (error.response ?? error.message).replace(/\s+/g, ' ').trim();
}

/**
 * A 5xx reply refuses for good (RFC 5321 section 4.2.1); 4xx and no reply are
 * worth a retry. A "bad destination mailbox" (enhanced status 5.1.1, RFC 3463)
 * means the address is no calendar user at all: 3.7 (RFC 6638 section 3.2.9).
 */
function codeForReply(responseCode: number | undefined, text = ''): string {
  if (responseCode === undefined || responseCode < 500 || responseCode >= 600) return SCHEDULE_STATUS.PENDING;
  return /\b5\.1\.1\b/.test(text) ? SCHEDULE_STATUS.INVALID_USER : SCHEDULE_STATUS.NOT_DELIVERED;
}

/**
 * What a relay's 2xx means for a recipient: handed on (1.1, "sent") for an
 * outside address, whose calendar we cannot see; delivered (1.2) for one of
 * our own domains, whose mail ends in a mailbox beside this agent. CalDAV
 * servers that send iMIP record the same two codes the same way.
 */
function acceptedCode(recipient: string, localDomains: ReadonlySet<string>): string {
  return localDomains.has(addressDomain(recipient)) ? SCHEDULE_STATUS.DELIVERED : SCHEDULE_STATUS.SENT;
}

async function attempt(
  transport: Transport,
  raw: Buffer,
  from: string,
  to: string[],
  localDomains: ReadonlySet<string>,
): Promise<AttemptResult> {
  const codes = new Map<string, string>();
  const errors: string[] = [];
  const refused = (list: SmtpError[] | undefined) => {
    for (const error of list ?? []) {
      if (!error.recipient) continue;
      codes.set(error.recipient.toLowerCase(), codeForReply(error.responseCode, replyText(error)));
      errors.push(`${error.recipient}: ${replyText(error)}`);
    }
  };
  try {
    const info = (await transport.sendMail({ envelope: { from, to }, raw })) as SmtpInfo;
    for (const address of info.accepted ?? []) codes.set(addressText(address), acceptedCode(addressText(address), localDomains));
    refused(info.rejectedErrors);
    for (const address of info.rejected ?? []) {
      if (!codes.has(addressText(address))) codes.set(addressText(address), SCHEDULE_STATUS.PENDING);
    }
    return { codes, errors, unreachable: false };
  } catch (caught) {
    const error = caught as SmtpError;
    if (error.rejectedErrors?.length) {
      // Every recipient was refused at RCPT TO, each with its own reply.
      refused(error.rejectedErrors);
      return { codes, errors, unreachable: false };
    }
    // MAIL FROM or DATA refused (the reply applies to every recipient), or no
    // reply at all: connection refused, timeout, dropped connection, TLS failure.
    const code = codeForReply(error.responseCode);
    for (const address of to) codes.set(address.toLowerCase(), code);
    errors.push(`${error.command ? `${error.command}: ` : ''}${replyText(error)}`);
    return { codes, errors, unreachable: error.responseCode === undefined };
  }
}

function runItem(item: OutboxItem): OutboxRunItem {
  const row: OutboxRunItem = {
    id: item.id,
    user: item.user,
    method: item.method,
    uid: item.uid,
    state: item.state,
    attempts: item.attempts,
    status: { ...(item.status ?? {}) },
  };
  if (item.nextAttempt) row.nextAttempt = item.nextAttempt;
  if (item.lastError) row.lastError = item.lastError;
  return row;
}

class Run {
  readonly summary: OutboxRunSummary = { sent: 0, failed: 0, retry: 0, items: [] };
  /** Set once the relay could not be reached: the rest of the run is deferred, not sent. */
  private unreachable: string | undefined;
  private transport: Transport | undefined;
  private readonly localDomains: ReadonlySet<string>;

  constructor(
    private readonly store: Store,
    private readonly options: OutboxSenderOptions,
  ) {
    this.localDomains = new Set((options.localDomains ?? []).map((d) => d.toLowerCase()));
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  async run(): Promise<OutboxRunSummary> {
    try {
      // A read first: most runs (serve wakes the sender after every mail that
      // may have queued something) find nothing due, and a read writes nothing.
      if ((await this.store.listDueOutbox(new Date(this.now()).toISOString())).length === 0) return this.summary;
      // One item per claim, oldest first (a REQUEST before the CANCEL that
      // follows it): the lease covers one attempt. An item this run has
      // tried waits for its retry time, so it is not claimed again here.
      for (;;) {
        const now = this.now();
        const [item] = await this.store.claimDueOutbox(new Date(now).toISOString(), formatUtcSeconds(now + CLAIM_LEASE_MS), 1);
        if (!item) break;
        await this.send(item);
      }
    } finally {
      this.transport?.close();
    }
    return this.summary;
  }

  private count(item: OutboxItem): void {
    if (item.state === 'processed') this.summary.sent++;
    else if (item.state === 'failed') this.summary.failed++;
    else this.summary.retry++;
    this.summary.items.push(runItem(item));
  }

  /** Sends an item this run has claimed (its nextAttempt is the lease's end). */
  private async send(current: OutboxItem): Promise<void> {
    const status: Record<string, string> = { ...(current.status ?? {}) };
    const pending = current.to.filter((recipient) => !isFinalStatus(status[recipient]));
    const maxAttempts = Math.max(1, this.options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS);

    if (pending.length === 0) {
      const done: OutboxItem = { ...current, state: 'processed', status };
      delete done.nextAttempt;
      await this.store.updateOutbox(done);
      this.count(done);
      return;
    }

    // Before sending: the attempt is counted, durably; the item stays claimed
    // (nextAttempt the lease's end) until finish schedules the next attempt.
    const attempts = current.attempts + 1;
    for (const recipient of pending) status[recipient] = SCHEDULE_STATUS.PENDING;
    const leased: OutboxItem = { ...current, attempts, status };
    await this.store.updateOutbox(leased);

    let result: AttemptResult;
    if (this.unreachable !== undefined) {
      result = { codes: new Map(), errors: [this.unreachable], unreachable: true };
    } else {
      // The sender's name and language (CN, LANG) for the mail's own text. A
      // store failing then is no fault of the message: the read is tried
      // again, and were it to fail for good, the run fails (the item goes
      // again after its lease) rather than the item being given up.
      const prefs = await this.withStoreRetry(() => this.store.getPrefs(current.user));
      let raw: Buffer;
      try {
        raw = await this.compose(current, prefs);
      } catch (error) {
        await this.finish(leased, pending, { codes: new Map(), errors: [`the message cannot be built: ${(error as Error).message}`], unreachable: false }, true);
        return;
      }
      this.transport ??= createTransport(this.options.relay);
      result = await attempt(this.transport, raw, mailAddress(current.from), pending.map(mailAddress), this.localDomains);
      if (result.unreachable) this.unreachable = result.errors.join('; ');
    }
    await this.finish(leased, pending, result, attempts >= maxAttempts);
  }

  private async compose(item: OutboxItem, prefs: Preferences): Promise<Buffer> {
    const mail = await composeOutboxItem(item, { fromName: prefs.CN, lang: prefs.LANG, fallbackDate: new Date(this.now()) });
    return mail.raw;
  }

  private async finish(leased: OutboxItem, pending: string[], result: AttemptResult, lastAttempt: boolean): Promise<void> {
    const status = { ...leased.status! };
    for (const recipient of pending) {
      status[recipient] = result.codes.get(mailAddress(recipient).toLowerCase()) ?? SCHEDULE_STATUS.PENDING;
    }
    const stillPending = pending.filter((recipient) => !isFinalStatus(status[recipient]));
    const next: OutboxItem = { ...leased, status };
    if (result.errors.length > 0) next.lastError = result.errors.join('; ');
    if (stillPending.length === 0) {
      next.state = 'processed';
      delete next.nextAttempt;
    } else if (lastAttempt) {
      next.state = 'failed';
      for (const recipient of stillPending) status[recipient] = SCHEDULE_STATUS.NOT_DELIVERED;
      delete next.nextAttempt;
      next.lastError = `gave up after ${next.attempts} attempts: ${next.lastError ?? 'no answer'}`;
    } else {
      next.nextAttempt = formatUtcSeconds(this.now() + retryDelay(next.attempts));
    }
    // The organizer's copy first, then the item: if the process dies between
    // the two, the item is sent again and the status written again.
    const changed = Object.fromEntries(pending.map((recipient) => [recipient, status[recipient]]));
    try {
      // A notice is no scheduling message: it changes no ATTENDEE's status.
      if (!next.notice) await this.withStoreRetry(() => recordScheduleStatus(this.store, next, changed, outboxMessageId(next), this.now()));
    } catch (error) {
      // A stored object that cannot be read must not stop the mail going out;
      // the item still records its delivery.
      next.lastError = [next.lastError, `SCHEDULE-STATUS not recorded: ${(error as Error).message}`].filter(Boolean).join('; ');
    }
    await this.withStoreRetry(() => this.store.updateOutbox(next));
    this.count(next);
  }

  /** Runs a store call (above all, the record of what the relay answered) again while the store fails for a passing reason (RECORD_RETRY_MS). */
  private async withStoreRetry<T>(write: () => Promise<T>): Promise<T> {
    const giveUp = Date.now() + (this.options.recordRetryMs ?? RECORD_RETRY_MS);
    for (let attempt = 1; ; attempt++) {
      try {
        return await write();
      } catch (error) {
        if (!isPassingStoreFailure(error) || Date.now() >= giveUp) throw error;
        this.options.onStoreRetry?.(error, attempt);
        // 0.2 s, 0.4 s, ... at most 5 s between tries (wall time: the store's recovery is real time, not the agent's clock).
        await new Promise((resolve) => setTimeout(resolve, Math.min(200 * 2 ** (attempt - 1), 5_000)));
      }
    }
  }
}

/** Sends every due item of the outbox once; resolves with what happened. */
export async function runOutboxOnce(store: Store, options: OutboxSenderOptions): Promise<OutboxRunSummary> {
  return new Run(store, options).run();
}

export interface OutboxSender {
  /** Stops after the run in progress, if any, has finished. */
  stop(): Promise<void>;
  /** Starts a run now (e.g. after a mail queued something) instead of at the next interval. */
  wake(): void;
}

/** Runs the outbox every intervalMs until stopped; runs never overlap. */
export function startOutboxSender(store: Store, options: OutboxSenderOptions): OutboxSender {
  const interval = Math.max(10, options.intervalMs ?? DEFAULT_INTERVAL_MS);
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let again = false;

  const schedule = (delay: number) => {
    if (stopped) return;
    clearTimeout(timer);
    timer = setTimeout(tick, delay);
    timer.unref?.();
  };

  function tick(): void {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    running = runOutboxOnce(store, options)
      .then((summary) => options.onRun?.(summary))
      .catch((error: unknown) => options.onError?.(error))
      .finally(() => {
        running = undefined;
        if (again) {
          again = false;
          schedule(0);
        } else schedule(interval);
      });
  }

  schedule(0);
  return {
    wake: () => schedule(0),
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}

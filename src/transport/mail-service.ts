// What the LMTP and SMTP listeners do with one mail transaction: read the mail
// once, one durable store transaction per calendar user, then onward delivery,
// and one verdict per recipient.
//
// The order is what makes a 250 mean something: a recipient is answered "done"
// only after its store transaction committed (fsync) and its copy was handed
// on. A store that could not commit, or a delivery that failed, is a temporary
// failure for that recipient only (451); the client retries, and the journal's
// redelivery guard makes the retry a no-op for what did commit.

import { addressDomain, addressLengthProblem, normalizeAddress, shortAddress } from '../ical/address.js';
import { HandlerError, markHandlerErrors } from '../agent/handler-errors.js';
import { processParsedMail, refusalsOf, type ProcessResult } from '../agent/process-message.js';
import { DEFAULT_AGENT_POLICY, establishArrival, type AgentPolicy } from '../agent/policy.js';
import type { ArrivalFacts } from '../mail/authentication.js';
import { withRefusalHeaders, type Refusal } from '../mail/refusal-header.js';
import { readMail } from '../mail/read-mail.js';
import type { Store } from '../store/store.js';
import { TargetError, deliverEach, maildirFor, type DeliveryTarget } from './deliver.js';
import { LmtpPool } from './lmtp-client.js';

export type LogFn = (level: 'debug' | 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => void;

export interface MailServiceOptions {
  store: Store;
  target: DeliveryTarget;
  sendmailPath?: string;
  /**
   * Domains of the calendar users. Empty: every envelope recipient is one (the
   * LMTP case: the MTA hands over only local mail). Otherwise only recipients in
   * these domains are processed, and mail from a sender in them also updates the
   * sender's store (the outgoing rule), as a content filter on all mail needs.
   */
  localDomains?: string[];
  now: () => number;
  /** Sender authentication and limits; the defaults when absent. */
  policy?: AgentPolicy;
  /** Refuse (550 at RCPT) recipients that have no store, instead of creating one. */
  refuseUnknownUsers?: boolean;
  /** Mark the delivered copy of a mail whose change was refused (X-Itip-Agent-Refused). */
  markRefused?: boolean;
  log?: LogFn;
  /** Called after each transaction whose mail carried a calendar part (e.g. to wake the outbox sender). */
  afterTransaction?: () => void;
}

export type Verdict = { recipient: string; ok: true } | { recipient: string; ok: false; code: number; reason: string };

export class MailService {
  private inFlight = 0;
  private idle: Array<() => void> = [];
  private readonly store: Store;
  private readonly localDomains: Set<string>;
  private readonly log: LogFn;
  /** Onward LMTP sessions kept open between mails. */
  private readonly lmtpPool?: LmtpPool;

  constructor(private readonly options: MailServiceOptions) {
    this.store = markHandlerErrors(options.store);
    if (options.target.kind === 'lmtp') this.lmtpPool = new LmtpPool(options.target.address);
    this.localDomains = new Set((options.localDomains ?? []).map((d) => d.toLowerCase()));
    this.log = options.log ?? (() => undefined);
  }

  /** Transactions being handled right now. */
  get busy(): number {
    return this.inFlight;
  }

  /** Resolves once no transaction is being handled. */
  drained(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  /**
   * Ends the idle onward sessions; call after the listeners have stopped. A
   * transaction still in flight (past the listeners' grace) keeps its session
   * until it ends.
   */
  async close(): Promise<void> {
    await this.lmtpPool?.close();
  }

  /** Why a recipient cannot be taken at RCPT time, with the reply code, or undefined. */
  refuseRecipient(address: string): { code: number; reason: string } | undefined {
    const user = normalizeAddress(address);
    if (!user || !/^mailto:[^@\s]+@[^@\s]+$/.test(user)) return { code: 550, reason: `${address} is not a mail address a calendar user can have` };
    // Before the address becomes a store key or a maildir folder name. 501, as
    // RFC 5321 4.5.3.1 answers a path too long (smtp-server itself refuses an
    // address over 253 characters so).
    const tooLong = addressLengthProblem(user);
    if (tooLong) return { code: 501, reason: `${shortAddress(address)} is too long for a mail address: ${tooLong}` };
    if (this.options.refuseUnknownUsers && this.isLocal(user) && this.options.store.getRole(user) === undefined) {
      return { code: 550, reason: `${address} is no calendar user here` };
    }
    if (this.options.target.kind === 'maildir') {
      try {
        maildirFor(this.options.target.dir, user);
      } catch (error) {
        if (error instanceof TargetError) return { code: 550, reason: error.message };
        throw error;
      }
    }
    return undefined;
  }

  /**
   * An envelope sender longer than RFC 5321 allows gets no store of its own
   * (the outgoing rule), as pipe mode ignores such a --sender; the mail itself
   * still goes on to its recipients.
   */
  private senderFitsStore(sender: string): boolean {
    const tooLong = addressLengthProblem(sender);
    if (tooLong) this.log('warn', `the envelope sender ${shortAddress(sender)} is no mail address (${tooLong}); the outgoing rule is skipped`);
    return !tooLong;
  }

  private isLocal(address: string | undefined): boolean {
    if (!address) return false;
    return this.localDomains.size === 0 || this.localDomains.has(addressDomain(address));
  }

  /**
   * Handles one transaction. Never rejects: every failure becomes a verdict.
   * Verdicts come in the order of `recipients`.
   */
  async handle(raw: Buffer, sender: string | undefined, recipients: string[], arrival: ArrivalFacts = {}): Promise<Verdict[]> {
    this.inFlight++;
    try {
      return await this.handleNow(raw, sender, recipients, arrival);
    } finally {
      this.inFlight--;
      if (this.inFlight === 0) for (const resolve of this.idle.splice(0)) resolve();
    }
  }

  private async handleNow(raw: Buffer, sender: string | undefined, recipients: string[], arrival: ArrivalFacts): Promise<Verdict[]> {
    const policy = this.options.policy ?? DEFAULT_AGENT_POLICY;
    const failed = new Map<string, { code: number; reason: string }>();
    const refusals: Refusal[] = [];
    const now = this.options.now();
    let mail;
    try {
      mail = await readMail(raw, { maxCalendarBytes: policy.maxCalendarBytes });
    } catch (error) {
      // readMail does not throw for bad mail; this is a fault, and the mail still goes on.
      this.log('error', 'the mail could not be read; it is delivered unchanged', { error });
    }

    if (mail && mail.calendars.length > 0) {
      arrival = await establishArrival(raw, arrival, policy, now);
    }
    if (mail) {
      const incoming = recipients.filter((r) => this.isLocal(r));
      for (const recipient of incoming) {
        const problem = await this.process(() => processParsedMail(this.store, mail, { recipients: [recipient], sender, arrival }, now, policy), [recipient], refusals);
        if (problem) failed.set(recipient, problem);
      }
      // The outgoing rule applies only when the local domains are known: without
      // them an LMTP listener cannot tell a local sender from a remote one.
      if (this.localDomains.size > 0 && sender && this.isLocal(normalizeAddress(sender)) && this.senderFitsStore(sender)) {
        const problem = await this.process(() => processParsedMail(this.store, mail, { recipients, sender, outgoing: true, arrival }, now, policy), [sender], refusals);
        // The sender's store is not any recipient's: a retry of the whole mail is the only way to redo it.
        if (problem) for (const recipient of recipients) failed.set(recipient, problem);
      }
    }

    if (mail && mail.calendars.length > 0) this.options.afterTransaction?.();
    const onward = recipients.filter((r) => !failed.has(r));
    const copy = this.options.markRefused ? withRefusalHeaders(raw, refusals) : raw;
    const deliveries = await deliverEach(this.options.target, copy, onward, { sender, sendmailPath: this.options.sendmailPath, lmtpPool: this.lmtpPool });
    for (const delivery of deliveries) {
      if (delivery.ok) continue;
      this.log('warn', 'onward delivery failed; the client is told to try again', { recipient: delivery.recipient, error: delivery.error.message });
      if (delivery.error.permanent && this.options.refuseUnknownUsers) {
        // The mailbox server refused for good and unknown users are refused here: no retries for days.
        failed.set(delivery.recipient, { code: 550, reason: `onward delivery refused: ${delivery.error.message}` });
        continue;
      }
      failed.set(delivery.recipient, { code: 451, reason: `onward delivery failed, try again later: ${delivery.error.message}` });
    }

    return recipients.map((recipient) => {
      const problem = failed.get(recipient);
      return problem ? { recipient, ok: false, ...problem } : { recipient, ok: true };
    });
  }

  /** Runs one store step; resolves with the failure to answer, or undefined when done. */
  private async process(
    step: () => Promise<ProcessResult>,
    users: string[],
    refusals: Refusal[] = [],
  ): Promise<{ code: number; reason: string } | undefined> {
    try {
      const result = await step();
      refusals.push(...refusalsOf(result));
      for (const { user, entries } of result.users) {
        for (const entry of entries) {
          this.log('info', `${entry.method || 'mail'} ${entry.outcome}`, { user, uid: entry.uid, messageId: entry.messageId, reason: entry.reason });
        }
      }
      return undefined;
    } catch (error) {
      if (error instanceof HandlerError) {
        // A fault in the handlers fails again on every retry: the mail flows on
        // (DESIGN: bad input never loses mail) and the trace is loud.
        this.log('error', 'the calendar part could not be processed; the mail is delivered unchanged', { error: error.cause, users });
        return undefined;
      }
      // Temporary for this recipient only: the store stays usable, and the
      // client's retry commits once the cause (a full disk) is gone.
      const cause = error instanceof Error ? error.message : String(error);
      this.log('error', `the store could not commit: ${cause}; the client is told to try again later (451)`, { error, users });
      return { code: 451, reason: `the calendar store could not commit, try again later: ${cause}` };
    }
  }
}

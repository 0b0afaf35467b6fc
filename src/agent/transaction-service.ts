// The agent's one transaction service: every door (the pipe, the LMTP and SMTP
// listeners; later the HTTP actions and CalDAV) hands it a work item and gets
// verdicts back, so that the rules below hold the same way at every door.
//
// For a mail: read it once, then one durable store transaction per calendar
// user, then onward delivery, then one verdict per recipient. The order is
// what makes "done" mean something: a recipient is done only after its store
// transaction committed (fsync) and its copy was handed on. A store that could
// not commit, or a delivery that failed, is a temporary failure; the door's
// client retries, and the journal's redelivery guard makes the retry a no-op
// for what did commit. A fault in the handlers or in reading the mail would
// fail again on every retry: the mail flows on untouched (DESIGN: bad input
// never loses mail) and the log says so loudly.
//
// The service knows no protocol: a door maps verdicts to its exit or reply
// codes with the one table in verdicts.ts, and passes in how mail goes onward
// (the delivery targets live in src/transport/, a layer above this one).

import { addressDomain, addressLengthProblem, normalizeAddress, shortAddress } from '../ical/address.js';
import type { ArrivalFacts } from '../mail/authentication.js';
import type { ParsedMail } from '../mail/mail-facts.js';
import { withRefusalHeaders, type Refusal } from '../mail/refusal-header.js';
import type { Store } from '../store/store.js';
import { HandlerError, markHandlerErrors } from './handler-errors.js';
import { DEFAULT_AGENT_POLICY, type AgentPolicy } from './policy.js';
import { processParsedMail, refusalsOf, type ProcessResult, type UserOutcome } from './process-message.js';
import { readIncoming, type IncomingMail } from './read-incoming.js';
import { runUserAction, type ActionResult, type ActionWork } from './user-action.js';
import type { Verdict } from './verdicts.js';

export type LogFn = (level: 'debug' | 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => void;

/** What became of one recipient's onward copy. */
export type OnwardDelivery =
  | { recipient: string; ok: true; to: string }
  | { recipient: string; ok: false; error: { message: string; permanent?: boolean } };

/** How mail goes on to the mailboxes; given by the door (src/transport/deliver.ts). */
export interface Onward {
  /** Why the target can take no mail for this recipient (e.g. no maildir folder may have its name), or undefined. */
  refuses?(recipient: string): string | undefined;
  /** Hands the bytes on; one result per recipient, in order. Never rejects. */
  deliver(raw: Buffer, recipients: string[], sender: string | undefined): Promise<OnwardDelivery[]>;
}

export interface TransactionServiceOptions {
  store: Store;
  onward: Onward;
  now: () => number;
  /** Sender authentication and limits; the defaults when absent. */
  policy?: AgentPolicy;
  /**
   * Domains of the calendar users, for mail whose door does not say who sent
   * it (`outgoing` unset). Empty: every envelope recipient is a calendar user
   * and no mail counts as sent by one (the LMTP case: the MTA hands over only
   * local mail). Otherwise only recipients in these domains are processed, and
   * mail from a sender in them also updates the sender's store (the outgoing
   * rule), as a content filter on all mail needs.
   */
  localDomains?: string[];
  /** Refuse recipients that have no store (unknownUsers: refuse), instead of making one. */
  refuseUnknownUsers?: boolean;
  /** Mark the delivered copy of a mail whose change was refused (X-Itip-Agent-Refused). */
  markRefused?: boolean;
  log?: LogFn;
  /** Called after each mail that carried a calendar part (e.g. to wake the outbox sender). */
  afterTransaction?: () => void;
}

/** A mail as a door hands it over, with its envelope. */
export interface MailWork {
  kind: 'mail';
  raw: Buffer;
  /** Envelope sender (MAIL FROM); undefined for the null sender of bounces. */
  sender?: string;
  /** Envelope recipients (RCPT TO), in the order the door answers them. */
  recipients: string[];
  /** How the mail reached the MTA (client address, login), for sender authentication. */
  arrival?: ArrivalFacts;
  /**
   * The door knows who sent the mail: true, the sender did (the pipe's
   * --outgoing: only the sender's store changes, the recipients only get
   * their copies); false, it is incoming for every recipient. Unset: the
   * localDomains rule decides.
   */
  outgoing?: boolean;
  /**
   * How the door answers: `each` recipient on its own (LMTP), or `once` for
   * the whole mail (the pipe's exit code, SMTP). Answered once, a mail goes on
   * to nobody unless every store committed: the retry the answer asks for
   * brings it again for everyone, and a copy handed on now would arrive twice.
   */
  replies: 'each' | 'once';
}

/** What a door hands the service: a mail, or a user's own action (src/agent/user-action.ts). */
export type WorkItem = MailWork | ActionWork;

export interface TransactionResult {
  /** One per recipient, in the order of the work item. */
  verdicts: Verdict[];
  /**
   * Each failure once, in the order it happened (a failed sender's store is
   * named by the sender): what the door logs, and the first is what a door
   * answering once answers.
   */
  failures: Verdict[];
  /** The mail's Message-ID, when it could be read. */
  messageId?: string;
  /** The journal entries written, per calendar user. */
  users: UserOutcome[];
  /** The mail holds at least one calendar part. */
  calendar: boolean;
  /** What became of each onward copy handed on (none when the store failed and the door answers once). */
  onward: OnwardDelivery[];
}

export class TransactionService {
  private inFlight = 0;
  private idle: Array<() => void> = [];
  /** The store as the handlers see it: their own faults marked apart from the store's. */
  private readonly store: Store;
  private readonly localDomains: Set<string>;
  private readonly log: LogFn;

  constructor(private readonly options: TransactionServiceOptions) {
    this.store = markHandlerErrors(options.store);
    this.localDomains = new Set((options.localDomains ?? []).map((d) => d.toLowerCase()));
    this.log = options.log ?? (() => undefined);
  }

  /** Work items being handled right now. */
  get busy(): number {
    return this.inFlight;
  }

  /** Resolves once no work item is being handled. */
  drained(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  /**
   * Why a recipient cannot be taken at all, or undefined: the check a listener
   * makes at RCPT, and the pipe before it reads the mail. `outgoing` as in
   * MailWork: the recipients of mail the sender sent are no calendar users.
   */
  async admit(address: string, outgoing?: boolean): Promise<Verdict | undefined> {
    const refused = (kind: Verdict['kind'], reason: string): Verdict => ({ recipient: address, kind, reason });
    const user = normalizeAddress(address);
    if (!user || !/^mailto:[^@\s]+@[^@\s]+$/.test(user)) return refused('not-an-address', `${address} is not a mail address a calendar user can have`);
    // Before the address becomes a store key or a maildir folder name (RFC 5321 4.5.3.1).
    const tooLong = addressLengthProblem(user);
    if (tooLong) return refused('address-too-long', `${shortAddress(address)} is too long for a mail address: ${tooLong}`);
    if (this.options.refuseUnknownUsers && this.isCalendarUser(user, outgoing)) {
      let role;
      try {
        role = await this.options.store.getRole(user);
      } catch (error) {
        // A store that cannot answer now (a database restarting) may answer on the MTA's retry.
        const cause = error instanceof Error ? error.message : String(error);
        return refused('store-failed', `the calendar store could not be read, try again later: ${cause}`);
      }
      if (role === undefined) return refused('unknown-user', `${address} is no calendar user here`);
    }
    const unnamed = this.options.onward.refuses?.(user);
    if (unnamed) return refused('no-mailbox-name', unnamed);
    return undefined;
  }

  /**
   * Handles one work item. Never rejects: every failure of a mail becomes a
   * verdict; an action's store failure is its result's `failure`.
   */
  run(item: MailWork): Promise<TransactionResult>;
  run(item: ActionWork): Promise<ActionResult>;
  async run(item: WorkItem): Promise<TransactionResult | ActionResult> {
    this.inFlight++;
    try {
      return item.kind === 'action' ? await this.runAction(item) : await this.runMail(item);
    } finally {
      this.inFlight--;
      if (this.inFlight === 0) for (const resolve of this.idle.splice(0)) resolve();
    }
  }

  /**
   * A user's action: one transaction for the acting user, then the copies of
   * local recipients (localDomains, when given, bounds who counts as local).
   */
  private async runAction(item: ActionWork): Promise<ActionResult> {
    const result = await runUserAction(item, {
      store: this.store,
      now: this.options.now(),
      policy: this.options.policy ?? DEFAULT_AGENT_POLICY,
      localDomains: this.localDomains,
      log: this.log,
    });
    if (result.queued.length > 0) this.options.afterTransaction?.();
    return result;
  }

  private async runMail(item: MailWork): Promise<TransactionResult> {
    const policy = this.options.policy ?? DEFAULT_AGENT_POLICY;
    const now = this.options.now();
    const { raw, recipients, sender } = item;
    const result: TransactionResult = { verdicts: [], failures: [], users: [], calendar: false, onward: [] };
    const failed = new Map<string, Verdict>();
    const refusals: Refusal[] = [];

    let incoming: IncomingMail | undefined;
    try {
      incoming = await readIncoming(raw, item.arrival, policy, now);
    } catch (error) {
      // readMail does not throw for bad mail; this is a fault, and the mail still goes on.
      this.log('error', 'the mail could not be read; it is delivered unchanged', { error });
    }
    if (incoming) {
      const { mail, arrival } = incoming;
      result.messageId = mail.facts.messageId;
      result.calendar = mail.calendars.length > 0;
      if (!result.calendar) this.log('debug', 'no calendar part', { messageId: mail.facts.messageId });
      for (const recipient of recipients.filter((r) => this.isCalendarUser(r, item.outgoing))) {
        const failure = await this.commit(recipient, result, refusals, () =>
          processParsedMail(this.store, mail, { recipients: [recipient], sender, arrival }, now, policy),
        );
        if (failure) failed.set(recipient, failure);
      }
      const author = this.authorOf(item, mail);
      if (author !== undefined) {
        const failure = await this.commit(author, result, refusals, () =>
          // Local calendar users whose store took the mail above: delivered (RFC 6638 section 3.2.9, 1.2).
          processParsedMail(this.store, mail, { recipients, sender, outgoing: true, arrival, delivered: this.deliveredLocally(recipients, item.outgoing, failed) }, now, policy),
        );
        // The sender's store is not any recipient's: a retry of the whole mail is the only way to redo it.
        if (failure) for (const recipient of recipients) if (!failed.has(recipient)) failed.set(recipient, { ...failure, recipient });
      }
    }
    if (result.calendar) this.options.afterTransaction?.();

    if (item.replies === 'once' && result.failures.length > 0) {
      const [first] = result.failures;
      result.verdicts = recipients.map((recipient) => failed.get(recipient) ?? { ...first, recipient });
      return result;
    }
    const onward = recipients.filter((r) => !failed.has(r));
    const copy = this.options.markRefused ? withRefusalHeaders(raw, refusals) : raw;
    for (const delivery of await this.options.onward.deliver(copy, onward, sender)) {
      result.onward.push(delivery);
      if (delivery.ok) {
        this.log('debug', 'delivered', { recipient: delivery.recipient, to: delivery.to });
        continue;
      }
      const { recipient, error } = delivery;
      // A mailbox that does not exist stays so: where the administrator refuses
      // unknown users, the client may bounce instead of retrying for days.
      const failure: Verdict =
        error.permanent && this.options.refuseUnknownUsers
          ? { recipient, kind: 'delivery-refused', reason: `onward delivery refused: ${error.message}`, error }
          : { recipient, kind: 'delivery-failed', reason: `onward delivery failed, try again later: ${error.message}`, error };
      failed.set(recipient, failure);
      result.failures.push(failure);
    }
    result.verdicts = recipients.map((recipient) => failed.get(recipient) ?? { recipient, kind: 'done', reason: '' });
    return result;
  }

  /** Runs one store step; resolves with its failure (also added to the result), or undefined when done. */
  private async commit(
    user: string,
    result: TransactionResult,
    refusals: Refusal[],
    step: () => Promise<ProcessResult>,
  ): Promise<Verdict | undefined> {
    try {
      const processed = await step();
      refusals.push(...refusalsOf(processed));
      for (const { user, entries } of processed.users) {
        for (const entry of entries) {
          this.log('info', `${entry.method || 'mail'} ${entry.outcome}`, { user, uid: entry.uid, messageId: entry.messageId, reason: entry.reason });
        }
      }
      result.users.push(...processed.users);
      return undefined;
    } catch (error) {
      if (error instanceof HandlerError) {
        // A fault in the handlers fails again on every retry: the mail flows on.
        this.log('error', 'the calendar part could not be processed; the mail is delivered unchanged', { error: error.cause, users: [user] });
        return undefined;
      }
      // Temporary: the store stays usable, and the retry commits once the cause (a full disk) is gone.
      const cause = error instanceof Error ? error.message : String(error);
      const failure: Verdict = { recipient: user, kind: 'store-failed', reason: `the calendar store could not commit, try again later: ${cause}`, error };
      result.failures.push(failure);
      return failure;
    }
  }

  /** The recipients processed as calendar users above whose store committed. */
  private deliveredLocally(recipients: string[], outgoing: boolean | undefined, failed: Map<string, Verdict>): string[] {
    return recipients.filter((r) => this.isCalendarUser(r, outgoing) && !failed.has(r));
  }

  /** Whether a recipient's store takes the mail as incoming. */
  private isCalendarUser(address: string, outgoing: boolean | undefined): boolean {
    if (outgoing !== undefined) return !outgoing;
    return this.localDomains.size === 0 || this.localDomains.has(addressDomain(address));
  }

  /**
   * Whose store takes the mail as sent by its user (the outgoing rule), or
   * undefined. Told by the door, or, with local domains known, a sender in
   * them: without them a listener cannot tell a local sender from a remote one.
   */
  private authorOf(item: MailWork, mail: ParsedMail): string | undefined {
    if (item.outgoing === true) return item.sender ?? mail.facts.from ?? '';
    if (item.outgoing === false || this.localDomains.size === 0 || !item.sender) return undefined;
    const sender = normalizeAddress(item.sender);
    if (!sender || !this.localDomains.has(addressDomain(sender))) return undefined;
    // An envelope sender longer than RFC 5321 allows gets no store of its own,
    // as the pipe ignores such a --sender; the mail itself still goes on.
    const tooLong = addressLengthProblem(item.sender);
    if (tooLong) {
      this.log('warn', `the envelope sender ${shortAddress(item.sender)} is no mail address (${tooLong}); the outgoing rule is skipped`);
      return undefined;
    }
    return item.sender;
  }
}

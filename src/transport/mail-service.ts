// The LMTP and SMTP listeners' side of the agent's transaction service: the
// service decides what becomes of each recipient (src/agent/transaction-service.ts),
// and this says it in reply codes (the table in src/agent/verdicts.ts). It also
// keeps the onward LMTP sessions open between mails, which only a long-running
// listener can.

import type { AgentPolicy } from '../agent/policy.js';
import { TransactionService, type LogFn, type TransactionResult } from '../agent/transaction-service.js';
import { replyCodeOf, type Verdict as AgentVerdict } from '../agent/verdicts.js';
import type { ArrivalFacts } from '../mail/authentication.js';
import type { Store } from '../store/store.js';
import { performance } from 'node:perf_hooks';
import { onwardTo, type DeliveryTarget } from './deliver.js';
import { LmtpPool } from './lmtp-client.js';
import { mailLogLine, type MailContext } from './mail-log.js';
import type { AgentMetrics } from './metrics.js';

export type { LogFn };

export interface MailServiceOptions {
  store: Store;
  target: DeliveryTarget;
  sendmailPath?: string;
  /** See TransactionServiceOptions.localDomains: empty for LMTP, the local domains for a content filter. */
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
  /** Counts mails, outcomes, latency and onward deliveries (serve's /metrics). */
  metrics?: AgentMetrics;
}

/** One recipient's reply: 250, or the code and text of the failure. */
export type Verdict = { recipient: string; ok: true } | { recipient: string; ok: false; code: number; reason: string };

function reply(verdict: AgentVerdict): Verdict {
  if (verdict.kind === 'done') return { recipient: verdict.recipient, ok: true };
  return { recipient: verdict.recipient, ok: false, code: replyCodeOf(verdict.kind), reason: verdict.reason };
}

export class MailService {
  readonly agent: TransactionService;
  private readonly log: LogFn;
  private readonly metrics?: AgentMetrics;
  /** Onward LMTP sessions kept open between mails. */
  private readonly lmtpPool?: LmtpPool;

  constructor(options: MailServiceOptions) {
    if (options.target.kind === 'lmtp') this.lmtpPool = new LmtpPool(options.target.address);
    this.log = options.log ?? (() => undefined);
    this.metrics = options.metrics;
    this.agent = new TransactionService({
      store: options.store,
      onward: onwardTo(options.target, { sendmailPath: options.sendmailPath, lmtpPool: this.lmtpPool }),
      now: options.now,
      policy: options.policy,
      localDomains: options.localDomains,
      refuseUnknownUsers: options.refuseUnknownUsers,
      markRefused: options.markRefused,
      log: options.log,
      afterTransaction: options.afterTransaction,
    });
  }

  /** Transactions being handled right now. */
  get busy(): number {
    return this.agent.busy;
  }

  /** Resolves once no transaction is being handled. */
  drained(): Promise<void> {
    return this.agent.drained();
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
  async refuseRecipient(address: string): Promise<{ code: number; reason: string } | undefined> {
    const refused = await this.agent.admit(address);
    return refused && { code: replyCodeOf(refused.kind), reason: refused.reason };
  }

  /**
   * Handles one transaction. Never rejects: every failure becomes a verdict.
   * Verdicts come in the order of `recipients`. `replies`: `each` for LMTP,
   * `once` for SMTP, whose one reply covers the whole mail. `context`: what
   * the listener knows of the mail (queue id, session), for its log line.
   */
  async handle(
    raw: Buffer,
    sender: string | undefined,
    recipients: string[],
    arrival: ArrivalFacts = {},
    replies: 'each' | 'once' = 'each',
    context: MailContext = { protocol: replies === 'each' ? 'lmtp' : 'smtp' },
  ): Promise<Verdict[]> {
    const started = performance.now();
    const result = await this.agent.run({ kind: 'mail', raw, sender, recipients, arrival, replies });
    const seconds = (performance.now() - started) / 1000;
    this.logFailures(result);
    const verdicts = result.verdicts.map(reply);
    const answers = verdicts.map((v) => (v.ok ? { recipient: v.recipient, code: 250 } : { recipient: v.recipient, code: v.code, reason: v.reason }));
    const line = mailLogLine({ context, sender, recipients, arrival, result, answers, seconds });
    this.log(line.level, line.msg, line.fields);
    this.metrics?.mailHandled(context.protocol, seconds, result);
    return verdicts;
  }

  private logFailures(result: TransactionResult): void {
    for (const failure of result.failures) {
      const code = replyCodeOf(failure.kind);
      if (failure.kind === 'store-failed') {
        const cause = failure.error instanceof Error ? failure.error.message : String(failure.error);
        this.log('error', `the store could not commit: ${cause}; the client is told to try again later (${code})`, { error: failure.error, users: [failure.recipient] });
      } else {
        const what = failure.kind === 'delivery-refused' ? 'onward delivery was refused for good; the client is told so' : 'onward delivery failed; the client is told to try again';
        this.log('warn', what, { recipient: failure.recipient, error: (failure.error as Error | undefined)?.message, code });
      }
    }
  }
}

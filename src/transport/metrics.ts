// What `serve` counts, in the Prometheus text format (prom-client): mails and
// their calendar outcomes, how long a mail takes, how long a store transaction
// takes (it ends with the durable commit), the outbox's depth and its failed
// sends, onward deliveries that failed, and the LMTP/SMTP replies by class.
//
// Only counts and durations: no addresses, UIDs or other personal data ever
// become label values, so the label sets stay small and a scrape tells
// nothing about who mails whom.
//
// Who may read them (metricsAllowed): a peer on this host (loopback or the
// unix socket) that is not a trusted reverse proxy, since a proxy's requests
// come from outside; or anyone presenting the token of metrics.tokenFile as a
// bearer token (RFC 6750 section 2.1), for a Prometheus on another host.

import { timingSafeEqual } from 'node:crypto';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { OnwardDelivery, TransactionResult } from '../agent/transaction-service.js';
import type { Store } from '../store/store.js';
import type { OutboxRunSummary } from './outbox-sender.js';

/** Seconds; a mail or commit takes milliseconds when all is well, seconds when the disk or a mailbox server is slow. */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** The class of a reply code: 2xx, 4xx or 5xx. */
export function codeClass(code: number): string {
  return `${Math.floor(code / 100)}xx`;
}

export class AgentMetrics {
  readonly registry = new Registry();
  private readonly mails: Counter<'protocol' | 'calendar'>;
  private readonly messages: Counter<'method' | 'outcome'>;
  private readonly processing: Histogram<'protocol'>;
  private readonly transactions: Histogram<'result'>;
  private readonly onward: Counter<'result'>;
  private readonly onwardFailures: Counter;
  private readonly outboxItems: Counter<'result'>;
  private readonly outboxFailures: Counter;
  private readonly replies: Counter<'protocol' | 'stage' | 'class'>;
  private outboxStore?: Store;

  /** `processMetrics`: also the process's own (CPU, memory, event loop lag), as prom-client collects them. */
  constructor(options: { processMetrics?: boolean } = {}) {
    const registers = [this.registry];
    this.mails = new Counter({ name: 'itip_agent_mails_total', help: 'Mails handled, by protocol and whether they carried a calendar part', labelNames: ['protocol', 'calendar'], registers });
    this.messages = new Counter({
      name: 'itip_agent_calendar_messages_total',
      help: 'Calendar messages per calendar user, by iTIP method and journal outcome (applied, queued, stale, duplicate, refused, ignored, error)',
      labelNames: ['method', 'outcome'],
      registers,
    });
    this.processing = new Histogram({
      name: 'itip_agent_mail_processing_seconds',
      help: 'From the end of DATA to the replies: reading, store transactions and onward delivery',
      labelNames: ['protocol'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.transactions = new Histogram({
      name: 'itip_agent_store_transaction_seconds',
      help: 'One calendar user\'s store transaction, up to its durable commit, by result (committed, conflict: computed again, or failed)',
      labelNames: ['result'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.onward = new Counter({ name: 'itip_agent_onward_deliveries_total', help: 'Onward copies per recipient, by result (delivered or failed)', labelNames: ['result'], registers });
    this.onwardFailures = new Counter({ name: 'itip_agent_onward_failures_total', help: 'Onward copies that could not be delivered (the client is told to retry, or refused)', registers });
    this.outboxItems = new Counter({
      name: 'itip_agent_outbox_items_total',
      help: 'Outbox items after a send attempt, by result: sent (every recipient answered), retry (waits for another attempt), failed (given up)',
      labelNames: ['result'],
      registers,
    });
    this.outboxFailures = new Counter({ name: 'itip_agent_outbox_send_failures_total', help: 'Outbox send attempts that did not get through (retried later, or given up)', registers });
    this.replies = new Counter({
      name: 'itip_agent_replies_total',
      help: 'LMTP and SMTP replies, by protocol, stage (rcpt or data; LMTP answers data once per recipient) and class',
      labelNames: ['protocol', 'stage', 'class'],
      registers,
    });
    const metrics = this;
    new Gauge({
      name: 'itip_agent_outbox_depth',
      help: 'Outbox items still to send (state unprocessed), read from the store at each scrape',
      registers,
      // prom-client awaits a collect that returns a promise before it writes the scrape.
      async collect() {
        // The far end of time: every unprocessed item, due or waiting for a retry.
        if (metrics.outboxStore) this.set((await metrics.outboxStore.listDueOutbox('9999-12-31T23:59:59Z')).length);
      },
    });
    if (options.processMetrics) collectDefaultMetrics({ register: this.registry, prefix: 'itip_agent_' });
  }

  /** Reads the outbox depth from this store at each scrape. */
  watchOutbox(store: Store): void {
    this.outboxStore = store;
  }

  /** One mail handled by a listener (or the pipe), with what became of it. */
  mailHandled(protocol: string, seconds: number, result: Pick<TransactionResult, 'calendar' | 'users' | 'onward'>): void {
    this.mails.inc({ protocol, calendar: result.calendar ? 'yes' : 'no' });
    this.processing.observe({ protocol }, seconds);
    for (const { entries } of result.users) {
      for (const entry of entries) this.messages.inc({ method: entry.method || 'none', outcome: entry.outcome });
    }
    this.onwardDelivered(result.onward);
  }

  private onwardDelivered(deliveries: OnwardDelivery[]): void {
    for (const delivery of deliveries) {
      this.onward.inc({ result: delivery.ok ? 'delivered' : 'failed' });
      if (!delivery.ok) this.onwardFailures.inc();
    }
  }

  /** A reply the listener gave: at RCPT (a refusal) or after DATA. */
  replied(protocol: string, stage: 'rcpt' | 'data', code: number): void {
    this.replies.inc({ protocol, stage, class: codeClass(code) });
  }

  /** One run of the outbox sender. */
  outboxRun(summary: OutboxRunSummary): void {
    for (const item of summary.items) {
      const result = item.state === 'processed' ? 'sent' : item.state === 'failed' ? 'failed' : 'retry';
      this.outboxItems.inc({ result });
      if (result !== 'sent' || item.lastError) this.outboxFailures.inc();
    }
  }

  /**
   * The store with its transactions timed. A proxy rather than a copy: every
   * other call goes to the store itself, with the store as `this`.
   */
  timedStore(store: Store): Store {
    const transactions = this.transactions;
    // Times one store call; `result` names how it ended when it did not throw.
    const timed = async <T>(call: () => Promise<T>, result: (value: T) => string): Promise<T> => {
      const end = transactions.startTimer();
      try {
        const value = await call();
        end({ result: result(value) });
        return value;
      } catch (error) {
        end({ result: 'failed' });
        throw error;
      }
    };
    const transact: Store['transact'] = (user, fn) => timed(() => store.transact(user, fn), () => 'committed');
    // A mail commits through commitIf (read, compute, then commit if nothing
    // changed): a commit that found the user's data changed is a 'conflict',
    // and the mail is computed again.
    const commitIf: Store['commitIf'] = (user, version, fn) =>
      timed(() => store.commitIf(user, version, fn), (outcome) => (outcome.committed ? 'committed' : 'conflict'));
    return new Proxy(store, {
      get(target, property) {
        if (property === 'transact') return transact;
        if (property === 'commitIf') return commitIf;
        const value = Reflect.get(target, property, target) as unknown;
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
  }

  /** The exposition text (format version 0.0.4) and its content type. */
  async scrape(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}

/** Who is asking for /metrics, as the listener sees it. */
export interface MetricsRequester {
  /** The peer is on this host: loopback, or the unix socket. */
  local: boolean;
  /** The peer is a trusted reverse proxy (http.trustedProxies): its requests come from elsewhere. */
  viaProxy: boolean;
  /** The Authorization header, if any. */
  authorization?: string;
}

/** See the file comment: the token when one is configured and presented, else a local peer that is no proxy. */
export function metricsAllowed(requester: MetricsRequester, token: string | undefined): boolean {
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(requester.authorization ?? '')?.[1];
  if (token && bearer) {
    const given = Buffer.from(bearer);
    const expected = Buffer.from(token);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }
  return requester.local && !requester.viaProxy;
}

export const METRICS_REFUSED =
  '/metrics answers requests from this host only (loopback or the unix socket, not through a proxy), or with the bearer token of metrics.tokenFile\n';

// `itip-agent serve`: the long-running agent. LMTP and/or SMTP listeners take
// mail from the MTA, process it (one durable store transaction per calendar
// user) and deliver it onward; the outbox sender sends what the handlers
// queued, when a relay is configured. The web listener (--http, src/http/)
// serves sign-in and the web pages.
//
// Stop order on SIGTERM/SIGINT: listeners first (no new mail or requests;
// those in flight are finished and answered), then the outbox sender (its run in progress ends),
// then the store is closed by the command line's context. Nothing acknowledged
// is lost, and nothing unacknowledged is lost either: the client still has it.
//
// Free/busy upkeep runs at start and once a day: the expansion window of
// recurring series moves with time (src/agent/upkeep.ts).

import { readFileSync } from 'node:fs';
import { policyFromSettings, type AgentPolicy } from '../../agent/policy.js';
import type { Store } from '../../store/store.js';
import type { OutboxRunSummary } from '../../transport/outbox-sender.js';
import { TargetError, describeTarget, parseTarget, type DeliveryTarget } from '../../transport/deliver.js';
import { parseListenAddress } from '../../transport/listen-address.js';
import type { Listener, Protocol } from '../../transport/listener.js';
import type { LogFn } from '../../transport/mail-service.js';
import { now } from '../clock.js';
import { readRelayPassword, ConfigError } from '../config.js';
import { emptyLocalDomainsWarning } from '../config-checks.js';
import { log, logger } from '../log.js';
import { requestNotices } from '../notices.js';
import type { CommandContext } from '../main.js';
import { CliError, EXIT, errorText, usageError } from '../output.js';

export interface ServeOptions {
  lmtp?: string;
  smtp?: string;
  http?: string;
  /** A listener of its own for /metrics, when there is no --http. */
  metrics?: string;
  deliver?: string;
}

const logAt: LogFn = (level, msg, fields) => logger[level](msg, fields);

const given = (value: string | undefined): value is string => value !== undefined && value.trim() !== '';

function readPem(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new CliError(`the TLS ${what} ${path} cannot be read: ${errorText(error)}`, EXIT.CONFIG);
  }
}

export async function runServe(context: CommandContext, options: ServeOptions): Promise<number> {
  const resolved = context.config();
  const { settings } = resolved;
  const listen: Array<[Protocol, string]> = [];
  // Flags are checked as the settings are (src/cli/config-values.ts), as usage errors.
  for (const [flag, value] of Object.entries({ lmtp: options.lmtp, smtp: options.smtp, http: options.http, metrics: options.metrics })) {
    if (given(value) && !parseListenAddress(value)) throw usageError(`--${flag} ${value}: write HOST:PORT (e.g. 127.0.0.1:10024) or /path/socket`);
  }
  const lmtp = given(options.lmtp) ? options.lmtp : settings.lmtp;
  const smtp = given(options.smtp) ? options.smtp : settings.smtp;
  const http = given(options.http) ? options.http : settings.http;
  if (settings.localDomains.length === 0) {
    // Loud: written whatever logLevel says, as config check writes it.
    log('warn', emptyLocalDomainsWarning(resolved), { setting: 'localDomains' });
  }
  if (lmtp) listen.push(['lmtp', lmtp]);
  if (smtp) listen.push(['smtp', smtp]);
  if (listen.length === 0 && !http) {
    throw usageError('serve needs a listener: --lmtp HOST:PORT|PATH, --smtp HOST:PORT and/or --http HOST:PORT|PATH (or listen.lmtp / listen.smtp / listen.http in the configuration file)');
  }

  let target: DeliveryTarget;
  try {
    target = parseTarget(given(options.deliver) ? options.deliver : settings.deliver);
  } catch (error) {
    if (error instanceof TargetError) throw usageError(error.message);
    throw error;
  }
  if (target.kind === 'stdout') throw usageError('serve cannot deliver to stdout; use none, maildir:DIR, lmtp:... or sendmail');

  const tls = settings.tlsKey && settings.tlsCert ? { key: readPem(settings.tlsKey, 'key'), cert: readPem(settings.tlsCert, 'certificate') } : undefined;
  let relayAuth: { user: string; pass: string } | undefined;
  try {
    if (settings.relay?.user) relayAuth = { user: settings.relay.user, pass: readRelayPassword(settings.relay) ?? '' };
  } catch (error) {
    if (error instanceof ConfigError) throw new CliError(error.message, EXIT.CONFIG);
    throw error;
  }

  // Signals are caught from here on, before anything listens: a stop that
  // arrives while the listeners start is still a graceful one.
  const stopRequested = new Promise<NodeJS.Signals>((resolve) => {
    let stopping = false;
    // One handler for the whole run: removing it would restore the default
    // action (exit at once) for a moment, and a second signal could hit that.
    const onSignal = (name: NodeJS.Signals) => {
      // A second signal during the stop is noted, not obeyed: the stop is bounded by shutdownSeconds.
      if (stopping) logger.warn(`${name} while stopping: already stopping`);
      stopping = true;
      resolve(name);
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });

  const metricsToken = settings.metricsTokenFile ? readMetricsToken(settings.metricsTokenFile) : undefined;
  const metricsListen = given(options.metrics) ? options.metrics : settings.metrics;
  if (metricsListen && http) logger.info('/metrics is served on the web listener; the metrics listener is not started', { metrics: metricsListen, http });

  const [{ MailService }, { startListener }, { AgentMetrics, metricsAllowed, METRICS_REFUSED }] = await Promise.all([
    import('../../transport/mail-service.js'),
    import('../../transport/listener.js'),
    import('../../transport/metrics.js'),
  ]);
  const metrics = new AgentMetrics({ processMetrics: true });
  // Every store transaction of this process is timed: mail, web actions, CalDAV, upkeep, outbox status.
  const store = metrics.timedStore(await context.store());
  metrics.watchOutbox(store);

  let outbox: { stop(): Promise<void>; wake?(): void } | undefined;
  const service = new MailService({
    store,
    target,
    sendmailPath: settings.sendmail,
    localDomains: settings.localDomains,
    policy: { ...policyFromSettings(settings), notices: requestNotices(settings) },
    markRefused: settings.auth.markRefused,
    refuseUnknownUsers: settings.unknownUsers === 'refuse',
    now,
    log: logAt,
    metrics,
    // A mail may have queued a reply (a resource's answer): send it now rather than at the next interval.
    afterTransaction: () => outbox?.wake?.(),
  });

  const listeners: Array<{ stop(graceMs: number): Promise<void> }> = [];
  const stopListeners = () => Promise.all(listeners.map((l) => l.stop(settings.shutdownSeconds * 1000)));
  try {
    for (const [protocol, address] of listen) {
      const listener: Listener = await startListener(service, { protocol, listen: address, maxMessageBytes: settings.maxMessageBytes, socketMode: settings.socketMode, tls, log: logAt, metrics });
      listeners.push(listener);
      logger.info(`listening for ${protocol.toUpperCase()}`, { protocol, address: listener.address, port: listener.port, path: listener.path });
    }
    if (http) {
      const { startHttpListener } = await import('../../http/server.js');
      const web = await startHttpListener({
        listen: http,
        socketMode: settings.socketMode,
        settings: settings.web,
        localDomains: settings.localDomains,
        log: logAt,
        metrics: {
          scrape: () => metrics.scrape(),
          allowed: (requester) => metricsAllowed(requester, metricsToken),
          refusal: METRICS_REFUSED,
        },
        ...(settings.web.tls && tls ? { tls } : {}),
        store,
        // CalDAV writes are the user's actions, run by the same service as the mail.
        actions: (work) => service.agent.run(work),
        outboxQueued: () => outbox?.wake?.(),
        now,
        // The web manager's buttons and answer links: the same action path as the command line.
        runAction: async (user, action, ifMatch) => {
          const result = await service.agent.run({ kind: 'action', user, action, ...(ifMatch ? { ifMatch } : {}) });
          if (result.queued.length > 0) outbox?.wake?.();
          if (result.failure) return { outcome: 'error', reason: `${result.failure.reason}; nothing was changed, try again later`, queued: [] };
          return { outcome: result.outcome, reason: result.reason, queued: result.queued.map(({ id, method, to }) => ({ id, method, to })) };
        },
      });
      listeners.push(web);
      logger.info('listening for HTTP', { protocol: 'http', address: web.address, port: web.port, path: web.path, tls: settings.web.tls, metrics: '/metrics' });
    } else if (metricsListen) {
      const { startMetricsListener } = await import('../../transport/metrics-listener.js');
      const listener = await startMetricsListener({ listen: metricsListen, metrics, token: metricsToken, socketMode: settings.socketMode, log: logAt });
      listeners.push(listener);
      logger.info('listening for metrics', { protocol: 'metrics', address: listener.address, port: listener.port, path: listener.path });
    }
  } catch (error) {
    await stopListeners();
    throw new CliError(`cannot listen: ${errorText(error)}`, EXIT.TEMPFAIL);
  }

  if (settings.relay) {
    const { startOutboxSender } = await import('../../transport/outbox-sender.js');
    const relay = { host: settings.relay.host, port: settings.relay.port, secure: settings.relay.secure, ...(relayAuth ? { auth: relayAuth } : {}) };
    outbox = startOutboxSender(store, {
      relay,
      localDomains: settings.localDomains,
      now,
      onRun: (summary) => {
        metrics.outboxRun(summary);
        logOutboxRun(summary);
      },
      onError: (error) => logger.error('the outbox run failed; it is tried again at the next interval', { error }),
      onStoreRetry: (error) => logger.warn('the store failed for a passing reason while sending the outbox; trying again', { error }),
    });
    logger.info('outbox sender started', { relay: `${relay.host}:${relay.port}` });
  } else {
    logger.info('no relay configured (relay.host): queued iMIP messages stay in the outbox; `itip-agent queue run --relay HOST:PORT` sends them');
  }
  logger.info('serving', { deliver: describeTarget(target), store: context.storeDir });
  const upkeep = startUpkeep(store, policyFromSettings(settings));


  const signal = await stopRequested;
  logger.info(`${signal}: stopping; mail in flight is finished first`, { busy: service.busy });
  await stopListeners();
  await service.close();
  await upkeep.stop();
  await outbox?.stop();
  logger.info('stopped; closing the store');
  return EXIT.OK;
}

/** The bearer token of /metrics: the first line of its file, which must not be empty. */
function readMetricsToken(path: string): string {
  let token: string | undefined;
  try {
    token = readFileSync(path, 'utf8').split(/\r?\n/)[0]?.trim();
  } catch (error) {
    throw new CliError(`metrics.tokenFile ${path} cannot be read: ${errorText(error)}`, EXIT.CONFIG);
  }
  if (!token) throw new CliError(`metrics.tokenFile ${path} is empty: write the token on its first line`, EXIT.CONFIG);
  return token;
}

/**
 * One line per outbox item sent, retried or given up: whom it went to, and
 * each recipient's delivery code (RFC 6638 section 3.2.9: 1.2 delivered, 1.1
 * sent, 1.0 pending, 5.x refused), then the run's counts.
 */
function logOutboxRun(summary: OutboxRunSummary): void {
  for (const item of summary.items) {
    const to = Object.keys(item.status);
    const fields = { id: item.id, user: item.user, method: item.method, uid: item.uid, to, status: item.status, attempts: item.attempts, nextAttempt: item.nextAttempt, error: item.lastError };
    if (item.state === 'processed') logger.info(`outbox item sent to ${to.join(', ')}`, fields);
    else if (item.state === 'failed') logger.warn(`outbox item given up for ${to.join(', ')}`, fields);
    else logger.warn(`outbox item not sent yet to ${to.join(', ')}; tried again later`, fields);
  }
  if (summary.items.length) logger.info('outbox run', { sent: summary.sent, failed: summary.failed, retry: summary.retry });
}

const UPKEEP_INTERVAL_MS = 24 * 60 * 60 * 1000;
const OFFERS_INTERVAL_MS = 60 * 1000;

/**
 * Runs `job` now and then every `intervalMs`, never two runs at once (a run
 * still going when the next is due lets that one pass); stop() ends the timer
 * and waits for a run in progress.
 */
function every(intervalMs: number, job: () => Promise<void>): { stop(): Promise<void> } {
  let running: Promise<void> | undefined;
  const run = () => {
    if (running) return;
    running = job().finally(() => {
      running = undefined;
    });
  };
  run();
  const timer = setInterval(run, intervalMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}

/** Free/busy upkeep now and then daily, and held resource offers released every minute. */
function startUpkeep(store: Store, policy: AgentPolicy): { stop(): Promise<void> } {
  const upkeep = every(UPKEEP_INTERVAL_MS, async () => {
    try {
      const { refreshFreeBusy } = await import('../../agent/upkeep.js');
      const summary = await refreshFreeBusy(store, now(), policy);
      for (const failure of summary.failed) logger.warn('free/busy upkeep skipped an object that cannot be read', failure);
      logger.info('free/busy upkeep done', {
        users: summary.users,
        usersWithSeries: summary.usersWithSeries,
        objects: summary.objects,
        objectsChanged: summary.objectsChanged,
        periodsAdded: summary.periodsAdded,
        periodsRemoved: summary.periodsRemoved,
        skipped: summary.failed.length,
      });
    } catch (error) {
      logger.error('free/busy upkeep failed; it is tried again tomorrow', { error });
    }
  });
  // Offers held by resources (freebusy_offers) may last minutes: looked at every minute.
  const offers = every(OFFERS_INTERVAL_MS, async () => {
    try {
      const { releaseExpiredOffers } = await import('../../agent/offers-upkeep.js');
      for (const offer of await releaseExpiredOffers(store, now(), policy)) logger.info('a resource offer expired; its slot is free again', { ...offer });
    } catch (error) {
      logger.error('releasing expired resource offers failed; it is tried again in a minute', { error });
    }
  });
  return {
    async stop() {
      await Promise.all([upkeep.stop(), offers.stop()]);
    },
  };
}

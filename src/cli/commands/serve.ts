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
import { TargetError, describeTarget, parseTarget, type DeliveryTarget } from '../../transport/deliver.js';
import type { Listener, Protocol } from '../../transport/listener.js';
import type { LogFn } from '../../transport/mail-service.js';
import { now } from '../clock.js';
import { readRelayPassword, ConfigError } from '../config.js';
import { logger } from '../log.js';
import { requestNotices } from '../notices.js';
import type { CommandContext } from '../main.js';
import { CliError, EXIT, errorText, usageError } from '../output.js';

export interface ServeOptions {
  lmtp?: string;
  smtp?: string;
  http?: string;
  deliver?: string;
}

const log: LogFn = (level, msg, fields) => logger[level](msg, fields);

const given = (value: string | undefined): value is string => value !== undefined && value.trim() !== '';

function readPem(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new CliError(`the TLS ${what} ${path} cannot be read: ${errorText(error)}`, EXIT.CONFIG);
  }
}

export async function runServe(context: CommandContext, options: ServeOptions): Promise<number> {
  const { settings } = context.config();
  const listen: Array<[Protocol, string]> = [];
  const lmtp = given(options.lmtp) ? options.lmtp : settings.lmtp;
  const smtp = given(options.smtp) ? options.smtp : settings.smtp;
  const http = given(options.http) ? options.http : settings.http;
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

  const store = await context.store();
  const [{ MailService }, { startListener }] = await Promise.all([import('../../transport/mail-service.js'), import('../../transport/listener.js')]);

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
    log,
    // A mail may have queued a reply (a resource's answer): send it now rather than at the next interval.
    afterTransaction: () => outbox?.wake?.(),
  });

  const listeners: Array<{ stop(graceMs: number): Promise<void> }> = [];
  const stopListeners = () => Promise.all(listeners.map((l) => l.stop(settings.shutdownSeconds * 1000)));
  try {
    for (const [protocol, address] of listen) {
      const listener: Listener = await startListener(service, { protocol, listen: address, maxMessageBytes: settings.maxMessageBytes, socketMode: settings.socketMode, tls, log });
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
        log,
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
      logger.info('listening for HTTP', { protocol: 'http', address: web.address, port: web.port, path: web.path, tls: settings.web.tls });
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
        if (summary.sent || summary.failed || summary.retry) logger.info('outbox run', { sent: summary.sent, failed: summary.failed, retry: summary.retry });
      },
      onError: (error) => logger.error('the outbox run failed; it is tried again at the next interval', { error }),
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

const UPKEEP_INTERVAL_MS = 24 * 60 * 60 * 1000;
const OFFERS_INTERVAL_MS = 60 * 1000;

/** Free/busy upkeep now and then daily; stop() waits for a run in progress. */
function startUpkeep(store: Store, policy: AgentPolicy): { stop(): Promise<void> } {
  let running: Promise<void> | undefined;
  const run = () => {
    if (running) return;
    running = (async () => {
      try {
        const { refreshFreeBusy } = await import('../../agent/upkeep.js');
        const summary = await refreshFreeBusy(store, now(), policy);
        for (const failure of summary.failed) logger.warn('free/busy upkeep skipped an object that cannot be read', failure);
        logger.info('free/busy upkeep done', { users: summary.users, objects: summary.objects });
      } catch (error) {
        logger.error('free/busy upkeep failed; it is tried again tomorrow', { error });
      } finally {
        running = undefined;
      }
    })();
  };
  run();
  const timer = setInterval(run, UPKEEP_INTERVAL_MS);
  timer.unref();
  // Offers held by resources (freebusy_offers) may last minutes: looked at every minute.
  let releasing: Promise<void> | undefined;
  const release = () => {
    if (releasing) return;
    releasing = (async () => {
      try {
        const { releaseExpiredOffers } = await import('../../agent/offers-upkeep.js');
        for (const offer of await releaseExpiredOffers(store, now(), policy)) logger.info('a resource offer expired; its slot is free again', { ...offer });
      } catch (error) {
        logger.error('releasing expired resource offers failed; it is tried again in a minute', { error });
      } finally {
        releasing = undefined;
      }
    })();
  };
  release();
  const offersTimer = setInterval(release, OFFERS_INTERVAL_MS);
  offersTimer.unref();
  return {
    async stop() {
      clearInterval(timer);
      clearInterval(offersTimer);
      await running;
      await releasing;
    },
  };
}

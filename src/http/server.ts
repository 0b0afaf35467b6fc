// The web listener of `itip-agent serve --http`: sign-in, sessions and the
// rules every page follows, on fastify. Pages live in their own modules and are
// registered in PAGES below; each gets the WebContext (the store, the clock,
// sign-in) as `app.web`.
//
// What every route gets without asking:
// - `request.user`: the signed-in calendar user address (or undefined), from
//   the session cookie or from a trusted proxy's user header (src/http/peer.ts);
// - sign-in required: a route is for signed-in people unless its config says
//   `public: true`; a GET from someone else is sent to the sign-in page;
// - CSRF: every POST must carry the session's token in `_csrf` (a route whose
//   clients do not use the session cookie, such as CalDAV with HTTP Basic, sets
//   `csrf: false`); a GET must never change anything;
// - the security headers (securityHeaders in respond.ts) on every response, errors and
//   redirects included.
// Whose data the user may touch is the route's question: mayActFor in access.ts.
//
// fastify and its plugins are loaded with require on first use (as DKIM
// verification and windows-iana are): the bundled command line keeps them out
// of the file every `itip-agent process` reads at start (scripts/bundle.mjs).

import { chmod } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { FastifyInstance } from 'fastify';
import type {} from '@fastify/cookie';
import type { Store } from '../store/store.js';
import { clearSocketPath, parseListenAddress } from '../transport/listener.js';
import type { ActionRunner } from './action-port.js';
import type { WebContext } from './context.js';
import { publishedFreeBusy } from './published-freebusy.js';
import { caldav } from './caldav/routes.js';
import { loginPages } from './login-pages.js';
import { actionRoutes } from './pages/actions.js';
import { bookingsPages } from './pages/bookings.js';
import { calendarPage } from './pages/calendar.js';
import { eventPage } from './pages/event.js';
import { freeBusyPage } from './pages/freebusy.js';
import { preferencesPage } from './pages/preferences.js';
import { requestsPage } from './pages/requests.js';
import { Authenticator } from './logins.js';
import { FailureLimiter, LoginLimiter } from './login-limits.js';
import type { Peer } from './peer.js';
import { guard, identify } from './request-hooks.js';
import { errorPage, securityHeaders } from './respond.js';
import { SessionStore } from './sessions.js';
import type { HttpLog, HttpSettings } from './settings.js';
import { signedLinkPages } from './signed-links-pages.js';
import { linksFromFile } from './signed-links.js';
import { STYLE, STYLE_PATH } from './style.js';

export interface WebOptions {
  settings: HttpSettings;
  localDomains: readonly string[];
  log: HttpLog;
  /** PEM key and certificate: HTTPS (http.tls). */
  tls?: { key: Buffer; cert: Buffer };
  /** The calendar store, for the pages that show calendars. */
  store?: Store;
  /** Runs a user's action through the transaction service (CalDAV writes). */
  actions?: WebContext['actions'];
  /** Wakes the outbox sender after the listener queued a message itself. */
  outboxQueued?: WebContext['outboxQueued'];
  /** The calendar clock (ITIP_AGENT_NOW), for what pages show. */
  now?: () => number;
  /** Carries out what people answer in the pages (action-port.ts). */
  runAction?: ActionRunner;
  /** The real clock, for sessions and sign-in limits; tests move it. */
  clock?: () => number;
  /** Serves /metrics (src/transport/metrics.ts): the text, and who may read it. */
  metrics?: {
    scrape(): Promise<{ contentType: string; body: string }>;
    allowed(requester: { local: boolean; viaProxy: boolean; authorization?: string }): boolean;
    refusal: string;
  };
}

/** Pages and route groups; each is registered with the WebContext in place. */
const PAGES: Array<(app: FastifyInstance) => void | Promise<void>> = [
  loginPages,
  requestsPage,
  actionRoutes,
  calendarPage,
  eventPage,
  freeBusyPage,
  preferencesPage,
  bookingsPages,
  publishedFreeBusy,
  signedLinkPages,
  caldav,
];

/** Builds the web application (not listening yet). */
export async function buildWebApp(options: WebOptions): Promise<FastifyInstance> {
  const require = createRequire(import.meta.url);
  const fastify = require('fastify') as typeof import('fastify');
  const app = fastify({
    logger: false,
    ...(options.tls ? { https: { key: options.tls.key, cert: options.tls.cert } } : {}),
    bodyLimit: 1024 * 1024,
    // A path part may be a whole mail address (/freebusy/ADDRESS.ifb) or an
    // answer link's token (/answer/TOKEN), both longer than fastify's 100.
    routerOptions: { maxParamLength: 1000 },
    // A client that sends its request slowly must not hold a connection for ever.
    requestTimeout: 60_000,
    return503OnClosing: true,
  }) as unknown as FastifyInstance;
  await app.register(require('@fastify/cookie') as typeof import('@fastify/cookie'));
  await app.register(require('@fastify/formbody') as typeof import('@fastify/formbody'), { bodyLimit: 64 * 1024 });

  const clock = options.clock ?? Date.now;
  const settings = options.settings;
  const sessions = new SessionStore(settings.sessionIdleMinutes * 60_000, settings.sessionMaxHours * 3_600_000, clock);
  const authenticator = new Authenticator(
    {
      ...(settings.passwordLogins ? { passwordFile: settings.passwordFile } : {}),
      ...(settings.dovecotAuth ? { dovecot: { socket: settings.dovecotAuth } } : {}),
      localDomains: options.localDomains,
    },
    new LoginLimiter(settings.loginLimits, clock),
    options.log,
  );
  app.decorate('web', {
    settings,
    localDomains: options.localDomains,
    log: options.log,
    store: options.store,
    ...(options.runAction ? { runAction: options.runAction } : {}),
    ...(options.actions ? { actions: options.actions } : {}),
    ...(options.outboxQueued ? { outboxQueued: options.outboxQueued } : {}),
    now: options.now ?? Date.now,
    clock,
    sessions,
    authenticator,
    ...(settings.linkSecretFile ? { links: linksFromFile(settings.linkSecretFile) } : {}),
    // Token failures count per address as failed sign-ins do, with the same limit and window.
    answerFailures: new FailureLimiter(settings.loginLimits.perAddress, settings.loginLimits.windowMinutes, clock),
  } satisfies WebContext);
  app.decorateRequest('user', undefined);
  app.decorateRequest('session', undefined);
  app.decorateRequest('sessionEnded', undefined);
  app.decorateRequest('peer', null as unknown as Peer);
  app.addHook('onClose', async () => sessions.close());

  app.addHook('onRequest', async (request, reply) => identify(request, reply));
  app.addHook('preHandler', guard);
  app.addHook('onSend', async (_request, reply, payload) => {
    securityHeaders(reply);
    return payload;
  });

  app.setNotFoundHandler((_request, reply) => errorPage(reply, 404));
  app.setErrorHandler((error: Error & { statusCode?: number }, request, reply) => {
    const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 600 ? error.statusCode : 500;
    if (status >= 500) options.log('error', `a web request failed: ${error.message}`, { path: request.url, error });
    return errorPage(reply, status);
  });

  app.get(STYLE_PATH, { config: { public: true } }, async (_request, reply) =>
    reply.header('Cache-Control', 'public, max-age=3600').type('text/css; charset=utf-8').send(STYLE),
  );
  for (const register of PAGES) await app.register(async (scope) => register(scope));
  const metrics = options.metrics;
  if (metrics) {
    // Public as far as sign-in goes: metrics.allowed decides (a local peer that is no proxy, or the token).
    app.get('/metrics', { config: { public: true } }, async (request, reply) => {
      const address = request.peer.peerAddress?.replace(/^::ffff:/i, '');
      const local = address === undefined || address === '::1' || /^127\./.test(address);
      if (!metrics.allowed({ local, viaProxy: request.peer.trustedProxy, authorization: request.headers.authorization })) {
        return reply.code(403).type('text/plain; charset=utf-8').send(metrics.refusal);
      }
      const { contentType, body } = await metrics.scrape();
      return reply.header('Cache-Control', 'no-store').type(contentType).send(body);
    });
  }
  return app;
}

export interface HttpListener {
  /** Where it listens: the socket path, or host:port with the real port. */
  address: string;
  port?: number;
  path?: string;
  /** Stops taking requests, lets those in flight finish (up to graceMs), then closes what is left. */
  stop(graceMs: number): Promise<void>;
}

/** Builds the web application and listens on HOST:PORT, PORT (loopback) or /path/socket (mode socketMode). */
export async function startHttpListener(options: WebOptions & { listen: string; socketMode: number }): Promise<HttpListener> {
  const address = parseListenAddress(options.listen);
  if (!address) throw new Error(`--http ${options.listen}: write HOST:PORT (e.g. 127.0.0.1:8080) or /path/socket`);
  const app = await buildWebApp(options);
  const listener: HttpListener = { address: '', stop: () => Promise.resolve() };
  try {
    if ('path' in address) {
      await clearSocketPath(address.path);
      await app.listen({ path: address.path });
      await chmod(address.path, options.socketMode);
      listener.path = address.path;
      listener.address = address.path;
    } else {
      await app.listen({ host: address.host, port: address.port });
      const bound = app.server.address();
      listener.port = bound && typeof bound === 'object' ? bound.port : address.port;
      const host = address.host.includes(':') ? `[${address.host}]` : address.host;
      listener.address = `${host}:${listener.port}`;
      if (!options.tls && options.settings.trustedProxies.length === 0 && !/^(127\.|::1$|localhost$)/.test(address.host)) {
        options.log('warn', `the web listener on ${listener.address} speaks plain HTTP to anyone who can reach it: passwords cross the network readable; put a TLS proxy in front (and name it in http.trustedProxies) or set http.tls`);
      }
    }
  } catch (error) {
    await app.close();
    throw error;
  }
  let stopping: Promise<void> | undefined;
  listener.stop = (graceMs: number) =>
    (stopping ??= (async () => {
      // close() stops listening, ends idle keep-alive connections and waits for requests in flight.
      const closed = app.close();
      const timer = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), graceMs).unref());
      if ((await Promise.race([closed.then(() => 'closed' as const), timer])) === 'timeout') {
        options.log('warn', `stopping the web listener: requests still open after ${graceMs} ms are cut off`);
        app.server.closeAllConnections();
        await closed;
      }
    })());
  return listener;
}

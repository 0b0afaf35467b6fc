// `serve --metrics HOST:PORT|PATH`: a listener that serves /metrics alone, for
// a serve without the web listener (with --http, /metrics is one of its
// routes). node:http is enough for one read-only route.

import { chmod } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { isLoopbackHost, parseListenAddress } from './listen-address.js';
import { clearSocketPath } from './listener.js';
import { METRICS_REFUSED, metricsAllowed, type AgentMetrics } from './metrics.js';

export interface MetricsListener {
  /** Where it listens: the socket path, or host:port with the real port. */
  address: string;
  port?: number;
  path?: string;
  stop(graceMs: number): Promise<void>;
}

export interface MetricsListenerOptions {
  listen: string;
  metrics: AgentMetrics;
  /** The bearer token that opens /metrics to peers on other hosts (metrics.tokenFile). */
  token?: string;
  socketMode?: number;
  log?: (level: 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => void;
}

function isLocalPeer(request: IncomingMessage): boolean {
  const address = request.socket.remoteAddress;
  // A unix socket has no remote address: its file mode decides who connects.
  if (!address) return true;
  return isLoopbackHost(address.replace(/^::ffff:/i, ''));
}

export async function startMetricsListener(options: MetricsListenerOptions): Promise<MetricsListener> {
  const address = parseListenAddress(options.listen);
  if (!address) throw new Error(`--metrics ${options.listen}: write HOST:PORT (e.g. 127.0.0.1:9187) or /path/socket`);
  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const path = (request.url ?? '/').split('?')[0];
    if (path !== '/metrics') {
      response.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('only /metrics is served here\n');
      return;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain; charset=utf-8' }).end('use GET\n');
      return;
    }
    if (!metricsAllowed({ local: isLocalPeer(request), viaProxy: false, authorization: request.headers.authorization }, options.token)) {
      response.writeHead(403, { 'Content-Type': 'text/plain; charset=utf-8' }).end(METRICS_REFUSED);
      return;
    }
    const { contentType, body } = await options.metrics.scrape();
    response.writeHead(200, { 'Content-Type': contentType, 'Cache-Control': 'no-store' }).end(request.method === 'HEAD' ? undefined : body);
  };
  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      options.log?.('error', `reading the metrics failed: ${(error as Error).message}`);
      if (!response.headersSent) response.writeHead(500).end();
      else response.destroy();
    });
  });
  server.requestTimeout = 30_000;
  if ('path' in address) await clearSocketPath(address.path);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    const listening = () => {
      server.off('error', reject);
      resolve();
    };
    if ('path' in address) server.listen(address.path, listening);
    else server.listen(address.port, address.host, listening);
  });
  const listener: MetricsListener = { address: '', stop: () => Promise.resolve() };
  if ('path' in address) {
    await chmod(address.path, options.socketMode ?? 0o660);
    listener.path = address.path;
    listener.address = address.path;
  } else {
    const bound = server.address();
    listener.port = bound && typeof bound === 'object' ? bound.port : address.port;
    listener.address = `${address.host.includes(':') ? `[${address.host}]` : address.host}:${listener.port}`;
    if (!isLoopbackHost(address.host) && !options.token) {
      options.log?.('warn', `the metrics listener on ${listener.address} answers peers on this host only: set metrics.tokenFile for a Prometheus on another host`);
    }
  }
  let stopping: Promise<void> | undefined;
  listener.stop = (graceMs: number) =>
    (stopping ??= new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
      setTimeout(() => server.closeAllConnections(), Math.min(graceMs, 5_000)).unref();
    }));
  return listener;
}

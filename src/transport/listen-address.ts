// Listener addresses (LMTP, SMTP, HTTP, metrics) as `serve` parses them: in a
// module of their own, so that checking the settings does not load the
// protocol servers.

import { parseLmtpAddress, type LmtpAddress } from './lmtp-client.js';

/** Parses a listener address: HOST:PORT, [v6]:PORT, PORT (loopback), or /path/socket; port 0 takes a free port. */
export function parseListenAddress(text: string): LmtpAddress | undefined {
  const trimmed = text.trim();
  if (/^\d{1,5}$/.test(trimmed)) return parseLmtpAddress(`127.0.0.1:${trimmed}`) ?? (trimmed === '0' ? { host: '127.0.0.1', port: 0 } : undefined);
  if (/:0$/.test(trimmed)) {
    // Port 0 (a free port, for tests) is fine to listen on, not to connect to.
    const address = parseLmtpAddress(trimmed.replace(/:0$/, ':1'));
    return address && 'host' in address ? { host: address.host, port: 0 } : undefined;
  }
  return parseLmtpAddress(trimmed);
}

export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

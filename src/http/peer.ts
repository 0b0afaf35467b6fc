// Who is on the other end of a request: the connected peer, whether it is a
// reverse proxy we trust, the client behind it, and whether the client's
// connection is protected.
//
// Headers a proxy adds (X-Forwarded-For, X-Forwarded-Proto, the user header)
// can be written by anyone who connects directly, so they are read only when
// the peer itself is in http.trustedProxies (addresses and CIDR ranges, the
// same matching as auth.trustedNetworks; `unix` for a peer on the unix socket,
// whose file mode decides who may connect). Behind such a proxy the client is
// the rightmost X-Forwarded-For entry that is not itself a trusted proxy: each
// proxy appends the address it saw, so entries further left are the client's
// own claims.

import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { inNetworks } from '../mail/authentication.js';

export const UNIX_PEER = 'unix';

export interface Peer {
  /** The connected peer's IP address; undefined on a unix socket. */
  peerAddress?: string;
  /** The peer is a trusted proxy: its headers are believed. */
  trustedProxy: boolean;
  /** The client's IP address as far as it is known (the peer's own without a trusted proxy). */
  clientAddress?: string;
  /** The client's connection is TLS: ours, or the trusted proxy's (X-Forwarded-Proto: https). */
  secure: boolean;
  /** The client talks to us from this host or over TLS: Dovecot calls such a login "secured". */
  protected: boolean;
}

function trusted(address: string | undefined, proxies: readonly string[]): boolean {
  if (address === undefined || address === '') return proxies.includes(UNIX_PEER);
  return inNetworks(address, proxies);
}

function isLoopback(address: string | undefined): boolean {
  if (address === undefined) return true; // a unix socket is on this host
  const bare = address.replace(/^::ffff:/i, '');
  return bare === '::1' || /^127\./.test(bare);
}

/** The values of a header that may be given more than once, each a comma-separated list. */
function listValues(value: string | string[] | undefined): string[] {
  const text = Array.isArray(value) ? value.join(',') : (value ?? '');
  return text
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
}

export function peerOf(raw: IncomingMessage, trustedProxies: readonly string[]): Peer {
  const socket = raw.socket;
  const peerAddress = socket.remoteAddress || undefined;
  const ownTls = (socket as TLSSocket).encrypted === true;
  if (!trusted(peerAddress, trustedProxies)) {
    return { peerAddress, trustedProxy: false, clientAddress: peerAddress, secure: ownTls, protected: ownTls || isLoopback(peerAddress) };
  }
  let clientAddress = peerAddress;
  const hops = listValues(raw.headers['x-forwarded-for']).map((hop) => hop.replace(/^\[(.*)\](:\d+)?$/, '$1'));
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i]!;
    if (!isIP(hop)) break;
    clientAddress = hop;
    if (!inNetworks(hop, trustedProxies)) break;
  }
  const proto = listValues(raw.headers['x-forwarded-proto']).pop()?.toLowerCase();
  const secure = ownTls || proto === 'https';
  return { peerAddress, trustedProxy: true, clientAddress, secure, protected: secure || isLoopback(clientAddress) };
}

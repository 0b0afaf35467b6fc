// Turns what the MTA found out about a mail (Authentication-Results written by
// an authserv-id the administrator trusts, an authenticated submission, a
// trusted client address) into the facts sender binding needs: which sender
// domains the mail demonstrably comes from, and whether a trusted check failed.
//
// Only headers of a configured authserv-id count (RFC 8601 section 7.1: anyone
// can write the header into a mail), and of each only the topmost field: the
// receiving MTA adds its own above whatever the mail carried in, so a forged
// copy further down is never read.

import { BlockList, isIP } from 'node:net';
import type { SenderTrust } from '../itip/effects.js';
import { parseAuthResults, type AuthResultsHeader } from './auth-results.js';
import type { MailFacts } from './mail-facts.js';

export interface AuthenticationPolicy {
  /** authserv-ids whose Authentication-Results are believed (compared in lower case). */
  trustedAuthservIds: string[];
  /** Domains of this installation's own users. */
  localDomains: string[];
  /** Refuse a mail when a trusted DMARC check failed (default on). */
  refuseDmarcFail: boolean;
  /** Refuse mail from senders outside localDomains unless a trusted check passed. */
  requirePassExternal: boolean;
  /** Client addresses or ranges (CIDR) whose mail counts as submitted from inside. */
  trustedNetworks: string[];
}

export const DEFAULT_AUTHENTICATION_POLICY: AuthenticationPolicy = {
  trustedAuthservIds: [],
  localDomains: [],
  refuseDmarcFail: true,
  requirePassExternal: false,
  trustedNetworks: ['127.0.0.0/8', '::1/128'],
};

/** How the mail reached the MTA, as the MTA told us (pipe macros, LMTP XFORWARD). */
export interface ArrivalFacts {
  /** The SASL login of an authenticated submission (Postfix ${sasl_username}, Exim $authenticated_id). */
  authenticatedUser?: string;
  /**
   * The address of the client that handed the mail to the MTA (Postfix
   * ${client_address}, Exim $sender_host_address, XFORWARD ADDR). Empty for
   * mail submitted on the host itself (sendmail, pickup).
   */
  clientAddress?: string;
  /** Signing domains whose DKIM signature the agent verified itself (src/mail/dkim.ts). */
  dkimPass?: string[];
}

function domainOf(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const at = value.lastIndexOf('@');
  const domain = (at < 0 ? value : value.slice(at + 1)).trim().toLowerCase().replace(/\.$/, '');
  return domain || undefined;
}

/** Whether an IP address lies in one of the ranges (addresses or CIDR); IPv4-mapped IPv6 counts as IPv4. */
export function inNetworks(address: string, ranges: readonly string[]): boolean {
  const family = isIP(address);
  if (!family) return false;
  const list = new BlockList();
  for (const range of ranges) {
    const [net, bits] = range.split('/');
    const netFamily = isIP(net ?? '');
    if (!netFamily) continue;
    const type = netFamily === 6 ? 'ipv6' : 'ipv4';
    list.addSubnet(net!, bits === undefined ? (netFamily === 6 ? 128 : 32) : Number(bits), type);
  }
  // An IPv4 client may be written as ::ffff:192.0.2.1 by a dual-stack listener.
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  if (mapped) return list.check(mapped, 'ipv4');
  return list.check(address, family === 6 ? 'ipv6' : 'ipv4');
}

/**
 * Where the mail came from. The MTA's own facts first (a login, the client
 * address, empty for local submission); else a trusted Authentication-Results:
 * one with "auth=pass" was a logged-in submission, one without means the mail
 * came in over the MX from outside; else nothing is known.
 */
function originOf(
  arrival: ArrivalFacts,
  policy: AuthenticationPolicy,
  submittedWithAuth: boolean,
  trustedHeaderSeen: boolean,
): SenderTrust['origin'] {
  if (arrival.authenticatedUser) return 'internal';
  if (arrival.clientAddress !== undefined) {
    const address = arrival.clientAddress.trim().replace(/^\[|\]$/g, '');
    if (address === '' || inNetworks(address, policy.trustedNetworks)) return 'internal';
    return 'external';
  }
  if (submittedWithAuth) return 'internal';
  return trustedHeaderSeen ? 'external' : 'unknown';
}

/** The topmost field of each trusted authserv-id, in header order. */
function trustedHeaders(facts: MailFacts, trusted: Set<string>): AuthResultsHeader[] {
  const seen = new Set<string>();
  const out: AuthResultsHeader[] = [];
  for (const raw of facts.authenticationResults) {
    const header = parseAuthResults(raw);
    if (!header || !trusted.has(header.authservId) || seen.has(header.authservId)) continue;
    seen.add(header.authservId);
    out.push(header);
  }
  return out;
}

/**
 * The trust facts of a mail. A domain counts as verified by DMARC pass
 * (header.from), by DKIM pass (header.d, the signing domain), or by SPF pass
 * (smtp.mailfrom's domain); a failure only by a trusted DMARC fail, since SPF
 * and DKIM fail on forwarded mail all the time (RFC 7489 section 10.4 notes why).
 */
export function evaluateAuthentication(
  facts: MailFacts,
  policy: AuthenticationPolicy,
  arrival: ArrivalFacts = {},
): SenderTrust {
  const trusted = new Set(policy.trustedAuthservIds.map((id) => id.toLowerCase()));
  const verified = new Set<string>();
  let failure: string | undefined;
  let submittedWithAuth = false;
  const headers = trustedHeaders(facts, trusted);
  for (const header of headers) {
    for (const result of header.results) {
      const props = result.properties;
      // "auth" is SMTP AUTH (RFC 8601 section 2.7.4): a user of ours logged in to submit it.
      if (result.method === 'auth' && result.result === 'pass') submittedWithAuth = true;
      if (result.result === 'pass') {
        const domain =
          result.method === 'dmarc' ? domainOf(props['header.from'])
          : result.method === 'dkim' ? domainOf(props['header.d'] ?? props['header.i'])
          : result.method === 'spf' ? domainOf(props['smtp.mailfrom'] ?? props['smtp.helo'])
          : undefined;
        if (domain) verified.add(domain);
      } else if (result.method === 'dmarc' && result.result === 'fail' && policy.refuseDmarcFail && !failure) {
        const domain = domainOf(props['header.from']) ?? domainOf(facts.from) ?? 'the sender domain';
        failure = `DMARC failed for ${domain} (Authentication-Results of ${header.authservId})`;
      }
    }
  }
  for (const domain of arrival.dkimPass ?? []) verified.add(domain.toLowerCase());
  return {
    verifiedDomains: [...verified].sort(),
    origin: originOf(arrival, policy, submittedWithAuth, headers.length > 0),
    ...(failure ? { failure } : {}),
    localDomains: policy.localDomains.map((d) => d.toLowerCase()),
    requirePassExternal: policy.requirePassExternal,
  };
}

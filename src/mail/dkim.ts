// DKIM verified by the agent itself (RFC 6376), for installations whose MTA
// does not check DKIM or whose verdicts the administrator does not want to
// rely on. The cryptography and the DNS lookups are mailauth's; this module
// only asks it and keeps the domains whose signature passed.
//
// DNS is slow and may hang: the check is bounded in time, and a check that did
// not finish vouches for nothing (the mail is still processed, as unverified).

import { createRequire } from 'node:module';

/** A DNS lookup as node:dns/promises `resolve(name, rrtype)` does it; injectable for tests. */
export type DnsResolver = (name: string, rrtype: string) => Promise<unknown>;

export interface DkimOptions {
  resolver?: DnsResolver;
  /** Now, epoch ms: signatures expire (the x= tag). */
  now?: number;
  /** Longest wait for the check, DNS included; default 5 s. */
  timeoutMs?: number;
}

export interface DkimVerdict {
  /** Signing domains (d=, lower case) whose signature verified. */
  passed: string[];
  /** One line per signature, for the log: `example.com: fail (bad signature)`. */
  details: string[];
}

interface MailauthResult {
  signingDomain?: string;
  status?: { result?: string; comment?: string };
}
type DkimVerify = (input: Buffer, options: { resolver?: DnsResolver; curTime?: Date }) => Promise<{ results?: MailauthResult[] }>;

let dkimVerify: DkimVerify | undefined;

/** mailauth, loaded on first use: most installations never turn this on. */
function verifier(): DkimVerify {
  dkimVerify ??= (createRequire(import.meta.url)('mailauth/lib/dkim/verify.js') as { dkimVerify: DkimVerify }).dkimVerify;
  return dkimVerify;
}

export async function verifyDkim(raw: Buffer, options: DkimOptions = {}): Promise<DkimVerdict> {
  const timeoutMs = options.timeoutMs ?? 5000;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  try {
    const check = verifier()(raw, {
      ...(options.resolver ? { resolver: options.resolver } : {}),
      ...(options.now !== undefined ? { curTime: new Date(options.now) } : {}),
    });
    const outcome = await Promise.race([check, timeout]);
    if (outcome === 'timeout') {
      check.catch(() => undefined);
      return { passed: [], details: [`DKIM check gave no answer within ${timeoutMs} ms`] };
    }
    const passed = new Set<string>();
    const details: string[] = [];
    for (const result of outcome.results ?? []) {
      const domain = (result.signingDomain ?? '').toLowerCase();
      const verdict = result.status?.result ?? 'none';
      if (domain && verdict === 'pass') passed.add(domain);
      if (domain) details.push(`${domain}: ${verdict}${result.status?.comment ? ` (${result.status.comment})` : ''}`);
    }
    return { passed: [...passed].sort(), details };
  } catch (error) {
    return { passed: [], details: [`DKIM check failed: ${(error as Error).message}`] };
  } finally {
    clearTimeout(timer);
  }
}

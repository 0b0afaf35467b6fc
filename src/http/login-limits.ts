// Limits on failed sign-ins, so that passwords cannot be guessed at speed:
// per client address (one guesser, many accounts) and per account (many
// guessers, one account). A sign-in over the limit is not even checked, and the
// person is told when to try again (429 with Retry-After).
//
// Failures are counted in a sliding window: after `limit` failures within
// `windowMinutes`, the key waits until the oldest of them leaves the window.
// A successful sign-in clears its account's count (the owner is back), not its
// address's (a guesser with an account of its own must not reset its count by
// signing in to that account between guesses).
//
// An IPv6 client is counted by its /64, the block a single site usually gets:
// counting single addresses would give a guesser 2^64 fresh ones.
//
// The counts live in memory: a restart forgives them, which costs an attacker
// a restart of our process. The maps are bounded; at the bound, entries whose
// window has passed go first, then the oldest.

import { isIP } from 'node:net';
import type { LoginLimits } from './settings.js';

const MAX_KEYS = 50_000;

/** The key a client address is counted under: IPv4 as it is, IPv6 by its /64. */
export function clientKey(address: string | undefined): string {
  if (!address) return 'local';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  if (mapped) return mapped;
  if (isIP(address) !== 6) return address;
  const [head = '', tail = ''] = address.toLowerCase().split('%')[0]!.split('::');
  const headParts = head ? head.split(':') : [];
  const tailParts = tail ? tail.split(':') : [];
  const groups = address.includes('::') ? [...headParts, ...Array(8 - headParts.length - tailParts.length).fill('0'), ...tailParts] : headParts;
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}

export interface Blocked {
  /** Epoch ms from which a sign-in may be tried again. */
  until: number;
  /** Which count is over its limit. */
  by: 'address' | 'account';
}

class Counter {
  private readonly failures = new Map<string, number[]>();
  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
  ) {}

  /** When the key may try again, if it has used up its failures. */
  blockedUntil(key: string, now: number): number | undefined {
    const times = this.failures.get(key);
    if (!times || times.length < this.limit) return undefined;
    const until = times[times.length - this.limit]! + this.windowMs;
    return until > now ? until : undefined;
  }

  fail(key: string, now: number): void {
    const times = (this.failures.get(key) ?? []).filter((t) => t + this.windowMs > now);
    times.push(now);
    // Only the last `limit` failures decide anything.
    if (times.length > this.limit) times.splice(0, times.length - this.limit);
    this.failures.delete(key);
    this.failures.set(key, times);
    if (this.failures.size > MAX_KEYS) this.trim(now);
  }

  clear(key: string): void {
    this.failures.delete(key);
  }

  private trim(now: number): void {
    for (const [key, times] of this.failures) {
      if (times[times.length - 1]! + this.windowMs <= now) this.failures.delete(key);
    }
    // Still full: the least recently failed go (a Map iterates in insertion order).
    for (const key of this.failures.keys()) {
      if (this.failures.size <= MAX_KEYS) break;
      this.failures.delete(key);
    }
  }
}

export class LoginLimiter {
  private readonly byAddress: Counter;
  private readonly byAccount: Counter;
  constructor(
    limits: LoginLimits,
    private readonly clock: () => number = Date.now,
  ) {
    const windowMs = limits.windowMinutes * 60_000;
    this.byAddress = new Counter(limits.perAddress, windowMs);
    this.byAccount = new Counter(limits.perAccount, windowMs);
  }

  /** Whether a sign-in from this client for this account must wait, and until when. */
  blocked(client: string, account: string): Blocked | undefined {
    const now = this.clock();
    const address = this.byAddress.blockedUntil(client, now);
    const user = this.byAccount.blockedUntil(account, now);
    if (address === undefined && user === undefined) return undefined;
    if (user === undefined || (address !== undefined && address >= user)) return { until: address!, by: 'address' };
    return { until: user, by: 'account' };
  }

  failed(client: string, account: string): void {
    const now = this.clock();
    this.byAddress.fail(client, now);
    this.byAccount.fail(account, now);
  }

  succeeded(account: string): void {
    this.byAccount.clear(account);
  }
}

/**
 * Failures of another kind counted per client key (clientKey above) with the
 * same sliding window: answer links that do not check out
 * (signed-links-pages.ts), so that tokens cannot be tried at speed either.
 */
export class FailureLimiter {
  private readonly counter: Counter;
  constructor(
    limit: number,
    windowMinutes: number,
    private readonly clock: () => number = Date.now,
  ) {
    this.counter = new Counter(limit, windowMinutes * 60_000);
  }

  /** Epoch ms from which the client may try again, if it has used up its failures. */
  blockedUntil(client: string): number | undefined {
    return this.counter.blockedUntil(client, this.clock());
  }

  failed(client: string): void {
    this.counter.fail(client, this.clock());
  }
}

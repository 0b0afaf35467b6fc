// The sliding window of failed sign-ins, per client and per account.

import { describe, expect, it } from 'vitest';
import { LoginLimiter } from '../../src/http/login-limits.js';

const MINUTE = 60_000;

describe('LoginLimiter', () => {
  it('pauses after the limit until the oldest counted failure leaves the window', () => {
    const clock = { now: 0 };
    const limiter = new LoginLimiter({ perAddress: 10, perAccount: 3, windowMinutes: 15 }, () => clock.now);
    for (const at of [0, 5, 10]) {
      clock.now = at * MINUTE;
      expect(limiter.blocked('192.0.2.1', 'mailto:a@example.com')).toBeUndefined();
      limiter.failed('192.0.2.1', 'mailto:a@example.com');
    }
    clock.now = 11 * MINUTE;
    expect(limiter.blocked('192.0.2.9', 'mailto:a@example.com')).toEqual({ until: 15 * MINUTE, by: 'account' });
    clock.now = 15 * MINUTE;
    expect(limiter.blocked('192.0.2.9', 'mailto:a@example.com')).toBeUndefined();
    // One more failure: the window now holds the failures at 5, 10 and 15.
    limiter.failed('192.0.2.9', 'mailto:a@example.com');
    expect(limiter.blocked('192.0.2.9', 'mailto:a@example.com')).toEqual({ until: 20 * MINUTE, by: 'account' });
  });

  it('clears an account on success, but not the address that failed', () => {
    const clock = { now: 0 };
    const limiter = new LoginLimiter({ perAddress: 2, perAccount: 2, windowMinutes: 15 }, () => clock.now);
    limiter.failed('192.0.2.1', 'mailto:a@example.com');
    limiter.succeeded('mailto:a@example.com');
    limiter.failed('192.0.2.1', 'mailto:a@example.com');
    expect(limiter.blocked('192.0.2.2', 'mailto:a@example.com')).toBeUndefined();
    expect(limiter.blocked('192.0.2.1', 'mailto:b@example.com')).toEqual({ until: 15 * MINUTE, by: 'address' });
  });
});

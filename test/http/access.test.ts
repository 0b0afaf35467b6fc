// Who a login names, and whose data a signed-in user may act for.

import { describe, expect, it } from 'vitest';
import { loginAddress, mayActFor } from '../../src/http/access.js';
import { clientKey } from '../../src/http/login-limits.js';

describe('loginAddress', () => {
  it('makes a lower-case mailto: address of a login, a bare name in the first local domain', () => {
    expect(loginAddress(' Alice@Example.COM ', [])).toBe('mailto:alice@example.com');
    expect(loginAddress('mailto:alice@example.com', [])).toBe('mailto:alice@example.com');
    expect(loginAddress('Alice', ['example.org', 'example.com'])).toBe('mailto:alice@example.org');
    expect(loginAddress('alice', [])).toBeUndefined();
    for (const bad of ['', 'a@b@c', 'a b@example.com', '<a@example.com>', `${'a'.repeat(250)}@example.com`]) expect(loginAddress(bad, ['example.com']), bad).toBeUndefined();
  });
});

describe('mayActFor', () => {
  it('lets a user act for themself only, whatever the case or form of the address', () => {
    expect(mayActFor('mailto:alice@example.com', 'Alice@Example.com')).toBe(true);
    expect(mayActFor('mailto:alice@example.com', 'MAILTO:alice@example.com')).toBe(true);
    expect(mayActFor('mailto:alice@example.com', 'bob@example.com')).toBe(false);
    expect(mayActFor(undefined, 'alice@example.com')).toBe(false);
    expect(mayActFor('mailto:alice@example.com', '')).toBe(false);
    expect(mayActFor('mailto:alice@example.com', 'alice@example.com@evil.example')).toBe(false);
  });

  it('lets the owners of an address act for it when the caller says who they are', () => {
    const ownersOf = (address: string) => (address === 'mailto:room-1@example.com' ? ['Alice@example.com'] : []);
    expect(mayActFor('mailto:alice@example.com', 'room-1@example.com', ownersOf)).toBe(true);
    expect(mayActFor('mailto:bob@example.com', 'room-1@example.com', ownersOf)).toBe(false);
    expect(mayActFor('mailto:alice@example.com', 'room-2@example.com', ownersOf)).toBe(false);
  });
});

describe('clientKey', () => {
  it('counts IPv4 clients by address and IPv6 clients by their /64', () => {
    expect(clientKey('192.0.2.7')).toBe('192.0.2.7');
    expect(clientKey('::ffff:192.0.2.7')).toBe('192.0.2.7');
    expect(clientKey('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(clientKey('2001:0db8:0001:0002:bbbb:cccc:dddd:eeee')).toBe('2001:db8:1:2::/64');
    expect(clientKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(clientKey('::1')).toBe('0:0:0:0::/64');
    expect(clientKey(undefined)).toBe('local');
  });
});

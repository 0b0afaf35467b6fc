// Authentication-Results (RFC 8601): parsing the field, and turning trusted
// fields into the facts sender binding relies on.

import { describe, expect, it } from 'vitest';
import { parseAuthResults } from '../../src/mail/auth-results.js';
import { DEFAULT_AUTHENTICATION_POLICY, evaluateAuthentication } from '../../src/mail/authentication.js';
import type { MailFacts } from '../../src/mail/mail-facts.js';

function facts(authenticationResults: string[], from = 'mailto:boss@example.org'): MailFacts {
  return { messageId: 'm1', digest: 'd', from, to: [], cc: [], authenticationResults };
}

const policy = { ...DEFAULT_AUTHENTICATION_POLICY, trustedAuthservIds: ['mx.example.com'], localDomains: ['example.com'] };

describe('parseAuthResults', () => {
  it('reads methods, results, reasons and properties, ignoring comments', () => {
    const header = parseAuthResults(
      'MX.Example.COM 1; spf=pass (sender SPF authorized) smtp.mailfrom=bounce@example.org;\r\n' +
        ' dkim=pass (2048-bit key) header.d=example.org header.s=sel header.b="ab;cd";\r\n' +
        ' dmarc=fail reason="policy (quarantine)" header.from=example.org',
    );
    expect(header).toEqual({
      authservId: 'mx.example.com',
      results: [
        { method: 'spf', result: 'pass', properties: { 'smtp.mailfrom': 'bounce@example.org' } },
        { method: 'dkim', result: 'pass', properties: { 'header.d': 'example.org', 'header.s': 'sel', 'header.b': 'ab;cd' } },
        { method: 'dmarc', result: 'fail', reason: 'policy (quarantine)', properties: { 'header.from': 'example.org' } },
      ],
    });
  });

  it('accepts "none", spaces around "=", method versions and nested comments', () => {
    expect(parseAuthResults('mx.example.com; none')).toEqual({ authservId: 'mx.example.com', results: [] });
    expect(parseAuthResults('mx.example.com; dkim/1 = pass (a (nested) comment) header.d = example.org')).toEqual({
      authservId: 'mx.example.com',
      results: [{ method: 'dkim', result: 'pass', properties: { 'header.d': 'example.org' } }],
    });
  });

  it('unquotes a quoted authserv-id, but keeps one written with a quoted-pair as written, so it never matches a trusted id', () => {
    expect(parseAuthResults('"MX.example.com"; dmarc=pass header.from=example.org')?.authservId).toBe('mx.example.com');
    // The MTA's removal rule matches the id as written; "mx.ex\ample.com" would pass it.
    expect(parseAuthResults('"mx.ex\\ample.com"; dmarc=pass header.from=example.org')?.authservId).toBe('"mx.ex\\ample.com"');
    expect(evaluateAuthentication(facts(['"mx\\.example.com"; dmarc=pass header.from=example.org']), policy).verifiedDomains).toEqual([]);
  });

  it('gives nothing for a field without an authserv-id and skips results it cannot read', () => {
    expect(parseAuthResults('   ')).toBeUndefined();
    expect(parseAuthResults('(only a comment)')).toBeUndefined();
    expect(parseAuthResults('mx; garbage; =pass; dkim=pass header.d=x.org')?.results).toEqual([
      { method: 'dkim', result: 'pass', properties: { 'header.d': 'x.org' } },
    ]);
  });
});

describe('evaluateAuthentication', () => {
  it('believes only the configured authserv-id, and of it only the topmost field', () => {
    const trust = evaluateAuthentication(
      facts([
        'mx.example.com; dmarc=pass header.from=example.org',
        'mx.example.com; dkim=pass header.d=forged.example',
        'attacker.example; dkim=pass header.d=example.com',
      ]),
      policy,
    );
    expect(trust).toEqual({
      verifiedDomains: ['example.org'],
      // A trusted field without "auth=pass": the mail came in over the MX.
      origin: 'external',
      localDomains: ['example.com'],
      requirePassExternal: false,
    });
  });

  it('turns a trusted DMARC fail into a failure, unless the policy says otherwise', () => {
    const header = ['mx.example.com; spf=fail smtp.mailfrom=example.org; dmarc=fail header.from=example.org'];
    expect(evaluateAuthentication(facts(header), policy).failure).toBe(
      'DMARC failed for example.org (Authentication-Results of mx.example.com)',
    );
    expect(evaluateAuthentication(facts(header), { ...policy, refuseDmarcFail: false }).failure).toBeUndefined();
    // SPF and DKIM fail on forwarded mail every day: on their own they rule nothing out.
    const spfOnly = ['mx.example.com; spf=fail smtp.mailfrom=example.org; dkim=fail header.d=example.org'];
    expect(evaluateAuthentication(facts(spfOnly), policy).failure).toBeUndefined();
  });

  it('ignores a DMARC fail written by a host nobody trusts', () => {
    const trust = evaluateAuthentication(facts(['relay.example.net; dmarc=fail header.from=example.org']), policy);
    expect(trust.failure).toBeUndefined();
    expect(trust.verifiedDomains).toEqual([]);
  });

  it('tells where the mail came from: login, client address, trusted auth=pass, or unknown', () => {
    const origin = (headers: string[], arrival = {}) => evaluateAuthentication(facts(headers), policy, arrival).origin;
    expect(origin([], { authenticatedUser: 'alice' })).toBe('internal');
    expect(origin([], { clientAddress: '' })).toBe('internal'); // submitted on the host itself
    expect(origin([], { clientAddress: '127.0.0.1' })).toBe('internal');
    expect(origin([], { clientAddress: '::ffff:127.0.0.1' })).toBe('internal');
    expect(origin([], { clientAddress: '[::1]' })).toBe('internal');
    expect(origin([], { clientAddress: '192.0.2.7' })).toBe('external');
    expect(evaluateAuthentication(facts([]), { ...policy, trustedNetworks: ['192.0.2.0/24'] }, { clientAddress: '192.0.2.7' }).origin).toBe('internal');
    expect(origin(['mx.example.com; auth=pass smtp.auth=alice@example.com'])).toBe('internal');
    expect(origin(['mx.example.com; spf=pass smtp.mailfrom=example.org'])).toBe('external');
    expect(origin(['relay.example.net; auth=pass smtp.auth=mallory'])).toBe('unknown');
    expect(origin([])).toBe('unknown');
  });
});

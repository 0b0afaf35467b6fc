// DKIM checked by the agent itself, against a DNS resolver the test provides:
// a real RSA signature made with mailauth's signer, verified, tampered with,
// and a DNS that never answers.

import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_AGENT_POLICY, type AgentPolicy } from '../../src/agent/policy.js';
import { processMail } from '../../src/agent/process-message.js';
import { verifyDkim, type DnsResolver } from '../../src/mail/dkim.js';
import { LmdbStore } from '../../src/store/lmdb-store.js';

const NOW = Date.parse('2026-11-15T12:00:00Z');
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const publicDer = publicKey.export({ type: 'spki', format: 'der' }).toString('base64');

/** Answers the one TXT record of selector "sel" at example.com, like DNS would. */
const resolver: DnsResolver = async (name, rrtype) => {
  if (rrtype === 'TXT' && name === 'sel._domainkey.example.com') return [[`v=DKIM1; k=rsa; p=${publicDer}`]];
  throw Object.assign(new Error(`no ${rrtype} record for ${name}`), { code: 'ENOTFOUND' });
};

function request(uid: string): Buffer {
  const ics = [
    'BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//t//EN', 'METHOD:REQUEST', 'BEGIN:VEVENT',
    `UID:${uid}`, 'DTSTAMP:20261101T080000Z', 'DTSTART:20261201T090000Z', 'DTEND:20261201T100000Z',
    'SEQUENCE:0', 'SUMMARY:Board', 'ORGANIZER:mailto:boss@example.com',
    'ATTENDEE;PARTSTAT=NEEDS-ACTION:mailto:alice@example.com', 'END:VEVENT', 'END:VCALENDAR', '',
  ].join('\r\n');
  return Buffer.from(
    `From: boss@example.com\r\nTo: alice@example.com\r\nSubject: Board\r\nMessage-ID: <${uid}>\r\n` +
      `Date: Sun, 01 Nov 2026 08:00:00 +0000\r\nMIME-Version: 1.0\r\nContent-Type: text/calendar; charset=utf-8; method=REQUEST\r\n\r\n${ics}`,
  );
}

async function signed(raw: Buffer): Promise<Buffer> {
  const { dkimSign } = createRequire(import.meta.url)('mailauth/lib/dkim/sign.js') as {
    dkimSign(input: Buffer, options: unknown): Promise<{ signatures: string }>;
  };
  const { signatures } = await dkimSign(raw, {
    signTime: new Date(NOW - 60_000),
    signatureData: [{ signingDomain: 'example.com', selector: 'sel', privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }) }],
  });
  return Buffer.concat([Buffer.from(signatures), raw]);
}

describe('verifyDkim', () => {
  it('passes a good signature and names its domain', async () => {
    const verdict = await verifyDkim(await signed(request('a@example.com')), { resolver, now: NOW });
    expect(verdict.passed).toEqual(['example.com']);
  });

  it('passes nothing when the signed mail was changed', async () => {
    const mail = (await signed(request('b@example.com'))).toString().replace('SUMMARY:Board', 'SUMMARY:Moved');
    const verdict = await verifyDkim(Buffer.from(mail), { resolver, now: NOW });
    expect(verdict.passed).toEqual([]);
    expect(verdict.details.join(' ')).toMatch(/example\.com: (fail|neutral)/);
  });

  it('gives up on a DNS that never answers, vouching for nothing', async () => {
    const silent: DnsResolver = () => new Promise(() => undefined);
    const verdict = await verifyDkim(await signed(request('c@example.com')), { resolver: silent, now: NOW, timeoutMs: 100 });
    expect(verdict).toEqual({ passed: [], details: ['DKIM check gave no answer within 100 ms'] });
  });
});

describe('a local organizer from outside, with the agent checking DKIM', () => {
  let dir: string;
  let store: LmdbStore;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'itip-dkim-'));
    store = new LmdbStore(dir);
  });
  afterAll(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const policy: AgentPolicy = {
    ...DEFAULT_AGENT_POLICY,
    verifyDkim: true,
    dkimResolver: resolver,
    authentication: { ...DEFAULT_AGENT_POLICY.authentication, localDomains: ['example.com'] },
  };
  const envelope = { recipients: ['alice@example.com'], sender: 'boss@example.com', arrival: { clientAddress: '203.0.113.9' } };

  it('applies the mail when its own domain signed it', async () => {
    const result = await processMail(store, await signed(request('d@example.com')), envelope, NOW, policy);
    expect(result.users[0]!.entries.map((e) => e.outcome)).toEqual(['applied']);
  });

  it('refuses it when the signature does not verify', async () => {
    const mail = (await signed(request('e@example.com'))).toString().replace('SUMMARY:Board', 'SUMMARY:Moved');
    const result = await processMail(store, Buffer.from(mail), envelope, NOW, policy);
    expect(result.users[0]!.entries).toMatchObject([{ outcome: 'refused', reason: expect.stringMatching(/arrived from outside without authentication/) }]);
  });
});

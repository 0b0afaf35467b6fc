// Signed answer links: what a token binds, that nothing of it can be changed
// without the key, that it expires, and the key file made on first use.

import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from '../cli/run-cli.js';
import { AnswerLinks, linksFromFile, noticeLinks, readOrMakeLinkSecret, requestKey } from '../../src/http/signed-links.js';

const dir = mkdtempSync(join(tmpdir(), 'itip-agent-links-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const NOW = Date.parse('2026-11-15T12:00:00Z');
const claims = {
  user: 'mailto:alice@example.com',
  request: requestKey('planning@example.com', null),
  etag: '"abcdefghijklmnopqrstuv"',
  expires: NOW + 14 * 86_400_000,
};
const links = new AnswerLinks(() => Buffer.alloc(32, 7));

describe('a token', () => {
  it('gives back what it binds while it is valid', () => {
    const token = links.make(claims);
    expect(token).toMatch(/^[A-Za-z0-9_.-]+$/);
    expect(links.check(token, NOW)).toEqual({ ok: true, claims });
    expect(links.check(token, claims.expires - 1)).toMatchObject({ ok: true });
  });

  it('expires', () => {
    expect(links.check(links.make(claims), claims.expires)).toEqual({ ok: false, why: 'expired' });
  });

  it('cannot be changed in any part without the key', () => {
    const token = links.make(claims);
    const parts = token.split('.');
    const other = links.make({ ...claims, user: 'mailto:mallory@example.com', request: requestKey('other', null), etag: '"zzzzzzzzzzzzzzzzzzzzzz"', expires: claims.expires + 86_400_000 });
    for (let i = 0; i < 5; i++) {
      const changed = [...parts];
      changed[i] = other.split('.')[i]!;
      expect(links.check(changed.join('.'), NOW), `part ${i}`).toEqual({ ok: false, why: 'forged' });
    }
    // Made with another key: forged too.
    expect(new AnswerLinks(() => Buffer.alloc(32, 8)).check(token, NOW)).toEqual({ ok: false, why: 'forged' });
  });

  it('that is no token at all is unreadable', () => {
    for (const text of ['', 'abc', 'a.b.c.d', 'a.b.c.d.e.f', 'a.b.c.d.e<', `${'a'.repeat(2000)}.b.c.d.e`]) {
      expect(links.check(text, NOW), text.slice(0, 20)).toEqual({ ok: false, why: 'unreadable' });
    }
  });

  it('names its request by UID and recurrence id, the whole event apart from an instance', () => {
    expect(requestKey('u', null)).not.toBe(requestKey('u', ''));
    expect(requestKey('u', '2026-12-01T09:00:00Z')).not.toBe(requestKey('u', null));
    expect(requestKey('u', null)).toBe(requestKey('u', null));
  });

  it('has a form token of its own, which another token\'s page does not have', () => {
    const token = links.make(claims);
    const other = links.make({ ...claims, request: requestKey('other', null) });
    expect(links.sameFormToken(token, links.formToken(token))).toBe(true);
    expect(links.sameFormToken(token, links.formToken(other))).toBe(false);
    expect(links.sameFormToken(token, undefined)).toBe(false);
    expect(links.sameFormToken(token, '')).toBe(false);
  });
});

describe('the link secret file', () => {
  it('is made on first use: 32 random bytes as hex, mode 0600, and read as it is after', () => {
    const file = join(dir, 'store', 'link-secret');
    const first = readOrMakeLinkSecret(file);
    expect(first).toHaveLength(32);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'utf8')).toMatch(/^[0-9a-f]{64}\n$/);
    expect(readOrMakeLinkSecret(file).equals(first)).toBe(true);
    // Links made with the file check out with the file read again (another process).
    const token = linksFromFile(file).make(claims);
    expect(linksFromFile(file).check(token, NOW)).toMatchObject({ ok: true });
  });

  it('is one key when several processes make it at once', async () => {
    const file = join(dir, 'race', 'link-secret');
    // The built module, as `process` and `serve` run it.
    const module = join(ROOT, 'dist/http/signed-links.js');
    const script = `import { readOrMakeLinkSecret } from ${JSON.stringify(module)}; process.stdout.write(readOrMakeLinkSecret(${JSON.stringify(file)}).toString('hex'));`;
    const run = () =>
      new Promise<string>((resolve, reject) => {
        const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        let err = '';
        child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
        child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
        child.on('error', reject);
        child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(err))));
      });
    const keys = await Promise.all([run(), run(), run(), run()]);
    expect(new Set(keys).size).toBe(1);
    expect(keys[0]).toBe(readFileSync(file, 'utf8').trim());
  });

  it('that holds no key is an error that says what to do, and is left as it is', () => {
    const file = join(dir, 'bad-secret');
    writeFileSync(file, 'not a key\n', { mode: 0o600 });
    expect(() => readOrMakeLinkSecret(file)).toThrow(/holds no link secret .* remove it and one is made/);
    expect(readFileSync(file, 'utf8')).toBe('not a key\n');
  });
});

describe('the links of a notice', () => {
  it('are none without a public address of the web pages', () => {
    expect(noticeLinks({ secretFile: join(dir, 'none', 'link-secret') })).toBeUndefined();
  });

  it('open the answer page for each answer, and name the requests page and the expiry', () => {
    const make = noticeLinks({ secretFile: join(dir, 'notice', 'link-secret'), publicUrl: 'https://calendar.example.com' })!;
    const made = make({ user: claims.user, uid: 'planning@example.com', recurrenceId: null, etag: claims.etag, now: NOW })!;
    const token = /\/answer\/([^?]+)\?answer=accept$/.exec(made.accept)![1]!;
    expect(made.tentative).toBe(`https://calendar.example.com/answer/${token}?answer=tentative`);
    expect(made.decline).toBe(`https://calendar.example.com/answer/${token}?answer=decline`);
    expect(made.requests).toBe('https://calendar.example.com/');
    expect(made.expires).toBe('2026-11-29T12:00:00Z');
    expect(linksFromFile(join(dir, 'notice', 'link-secret')).check(token, NOW)).toEqual({ ok: true, claims });
  });
});

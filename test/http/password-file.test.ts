// The password file of the web sign-in: scrypt hashes in PHC form, one line
// per user, replaced in place, written whole and never readable by others.

import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hashPassword, parsePasswordFile, updatePasswordFile, verifyHash, verifyPassword } from '../../src/http/password-file.js';
import { tempDir } from './web-support.js';

describe('password hashes', () => {
  it('are salted scrypt with N = 2^15, r = 8, p = 1, and verify only the right password', async () => {
    const first = await hashPassword('correct horse');
    const second = await hashPassword('correct horse');
    expect(first).toMatch(/^\$scrypt\$ln=15,r=8,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    expect(second).not.toBe(first);
    expect(await verifyHash('correct horse', first)).toBe(true);
    expect(await verifyHash('correct horse', second)).toBe(true);
    expect(await verifyHash('correct horsE', first)).toBe(false);
    expect(await verifyHash('', first)).toBe(false);
    // The same text in another Unicode normal form is the same password.
    expect(await verifyHash('caf\u00e9', await hashPassword('cafe\u0301'))).toBe(true);
  });

  it('refuse strings that are no hash of ours, and parameters that would take minutes', async () => {
    for (const bad of ['', 'plain', '$scrypt$ln=30,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', '$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA']) {
      expect(await verifyHash('x', bad), bad).toBe(false);
    }
  });
});

describe('the password file', () => {
  const dir = tempDir();
  afterAll(() => dir.remove());

  it('gets one line per user, mode 0600, replaced in place, with other lines and comments kept', async () => {
    const file = join(dir.path, 'passwords');
    writeFileSync(file, '# web passwords\n', { mode: 0o644 });
    expect(await updatePasswordFile(file, 'mailto:alice@example.com', await hashPassword('one'))).toEqual({ existed: false });
    expect(await updatePasswordFile(file, 'mailto:bob@example.com', await hashPassword('two'))).toEqual({ existed: false });
    const before = readFileSync(file, 'utf8').split('\n');
    expect(await updatePasswordFile(file, 'mailto:alice@example.com', await hashPassword('three'))).toEqual({ existed: true });
    const after = readFileSync(file, 'utf8').split('\n');
    expect(after).toHaveLength(4);
    expect(after[0]).toBe('# web passwords');
    expect(after[1]).toMatch(/^mailto:alice@example\.com \$scrypt\$/);
    expect(after[1]).not.toBe(before[1]);
    expect(after[2]).toBe(before[2]);
    expect(after[3]).toBe('');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(await verifyPassword(file, 'mailto:alice@example.com', 'three')).toEqual({ ok: true });
    expect(await verifyPassword(file, 'mailto:alice@example.com', 'one')).toEqual({ ok: false });
    expect(await verifyPassword(file, 'mailto:carol@example.com', 'one')).toEqual({ ok: false, unknown: true });
    expect(await updatePasswordFile(file, 'mailto:bob@example.com', undefined)).toEqual({ existed: true });
    expect(parsePasswordFile(readFileSync(file, 'utf8')).users.map((u) => u.address)).toEqual(['mailto:alice@example.com']);
    // No temporary or lock file is left beside it.
    expect(readdirSync(dir.path)).toEqual(['passwords']);
  });

  it('loses no one when several writers change it at once', async () => {
    const file = join(dir.path, 'busy');
    const hash = await hashPassword('same');
    const users = Array.from({ length: 8 }, (_, i) => `mailto:user${i}@example.com`);
    await Promise.all(users.map((user) => updatePasswordFile(file, user, hash)));
    expect(parsePasswordFile(readFileSync(file, 'utf8')).users.map((u) => u.address).sort()).toEqual(users.sort());
  });

  it('counts a missing file as empty, and reports lines it cannot read', async () => {
    expect(await verifyPassword(join(dir.path, 'missing'), 'mailto:alice@example.com', 'x')).toEqual({ ok: false, unknown: true });
    const file = join(dir.path, 'edited');
    const good = `mailto:alice@example.com ${await hashPassword('pw')}`;
    writeFileSync(file, `${good}\nalice:{PLAIN}pw\nmailto:Bob@example.com ${await hashPassword('pw')}\n\n# note\n`);
    const bad: number[][] = [];
    expect(await verifyPassword(file, 'mailto:alice@example.com', 'pw', (lines) => bad.push(lines))).toEqual({ ok: true });
    expect(bad).toEqual([[2, 3]]);
  });
});

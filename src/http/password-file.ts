// The password file of the web sign-in, managed by `itip-agent user passwd`.
//
// One line per user: the calendar user address (a lower-case mailto: URI), one
// space, and the hash in the PHC string format
//   mailto:alice@example.com $scrypt$ln=15,r=8,p=1$<salt>$<hash>
// (salt and hash in unpadded base64). Lines starting with # are comments and
// are kept. scrypt (RFC 7914) is memory-hard: with N = 2^15 and r = 8 each
// guess costs 32 MiB and tens of milliseconds, which makes a stolen file
// expensive to attack. Each user has a random salt; the comparison takes the
// same time wherever the hashes differ, and a user without a line costs one
// hash too, so that the time of an answer does not tell whether the user has
// a password here.
//
// The file is written whole to a temporary file (mode 0600) that is synced
// and renamed over the old one: a reader sees the old file or the new, never
// half of one. A lock file keeps two writers from losing each other's change.

import { randomBytes, scrypt as scryptCallback, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { promisify } from 'node:util';

const scrypt = promisify(scryptCallback) as (password: string | Buffer, salt: Buffer, keylen: number, options: ScryptOptions) => Promise<Buffer>;

/** log2 of N, r and p for new hashes (RFC 7914 section 2): 32 MiB and about a tenth of a second per guess. */
export const SCRYPT_PARAMS = { ln: 15, r: 8, p: 1 } as const;
const KEY_BYTES = 32;
const SALT_BYTES = 16;
/** Bounds on what a line may ask for: a file someone edited by hand must not make a sign-in take minutes. */
const MAX = { ln: 20, r: 32, p: 16 };

export class PasswordFileError extends Error {
  override name = 'PasswordFileError';
}

interface Params {
  ln: number;
  r: number;
  p: number;
}

function scryptOptions(params: Params): ScryptOptions {
  const N = 2 ** params.ln;
  // Node refuses to use more than maxmem (default 32 MiB); scrypt needs 128 * N * r bytes and a little more.
  return { N, r: params.r, p: params.p, maxmem: 128 * N * params.r * 2 + 1024 * 1024 };
}

const b64 = (bytes: Buffer) => bytes.toString('base64').replace(/=+$/, '');

/** The PHC string of a new hash of the password. */
export async function hashPassword(password: string, params: Params = SCRYPT_PARAMS): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await scrypt(password.normalize('NFC'), salt, KEY_BYTES, scryptOptions(params));
  return `$scrypt$ln=${params.ln},r=${params.r},p=${params.p}$${b64(salt)}$${b64(key)}`;
}

const PHC = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,3}),p=(\d{1,3})\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;

interface ParsedHash {
  params: Params;
  salt: Buffer;
  key: Buffer;
}

function parseHash(text: string): ParsedHash | undefined {
  const match = PHC.exec(text);
  if (!match) return undefined;
  const params = { ln: Number(match[1]), r: Number(match[2]), p: Number(match[3]) };
  if (params.ln < 1 || params.ln > MAX.ln || params.r < 1 || params.r > MAX.r || params.p < 1 || params.p > MAX.p) return undefined;
  const salt = Buffer.from(match[4]!, 'base64');
  const key = Buffer.from(match[5]!, 'base64');
  if (salt.length < 8 || key.length < 16) return undefined;
  return { params, salt, key };
}

/** Whether the password matches the PHC string; false for a string that is no hash of ours. */
export async function verifyHash(password: string, phc: string): Promise<boolean> {
  const parsed = parseHash(phc);
  if (!parsed) return false;
  const key = await scrypt(password.normalize('NFC'), parsed.salt, parsed.key.length, scryptOptions(parsed.params));
  return timingSafeEqual(key, parsed.key);
}

/** A hash of nothing, made once: the cost a user without a line pays (see the file comment). */
let decoy: Promise<string> | undefined;

export interface PasswordLine {
  address: string;
  hash: string;
}

/** The lines of a password file's text: users in file order, and the lines that could not be read. */
export function parsePasswordFile(text: string): { users: PasswordLine[]; bad: number[] } {
  const users: PasswordLine[] = [];
  const bad: number[] = [];
  text.split('\n').forEach((raw, index) => {
    const line = raw.replace(/\r$/, '');
    if (line.trim() === '' || line.startsWith('#')) return;
    const [address, hash, extra] = line.split(' ');
    if (!address || !hash || extra !== undefined || !/^mailto:[^\sA-Z]+@[^\sA-Z]+$/.test(address) || !parseHash(hash)) bad.push(index + 1);
    else users.push({ address, hash });
  });
  return { users, bad };
}

export interface VerifyResult {
  ok: boolean;
  /** The file has no line for this user (the answer still took one hash). */
  unknown?: boolean;
}

/**
 * Checks a password for a calendar user address against the file. A missing
 * file is an empty one (no user has a password yet). `onBadLines` hears of
 * lines that are not readable, so that the administrator learns of them.
 */
export async function verifyPassword(file: string, address: string, password: string, onBadLines?: (lines: number[]) => void): Promise<VerifyResult> {
  let text = '';
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw new PasswordFileError(`the password file ${file} cannot be read: ${(error as Error).message}`);
  }
  const { users, bad } = parsePasswordFile(text);
  if (bad.length && onBadLines) onBadLines(bad);
  const line = users.find((user) => user.address === address);
  if (!line) {
    await verifyHash(password, await (decoy ??= hashPassword('')));
    return { ok: false, unknown: true };
  }
  return { ok: await verifyHash(password, line.hash) };
}

/** Takes the writer's lock (a file made with O_EXCL); a lock older than a minute is from a writer that died. */
async function lock(file: string): Promise<() => Promise<void>> {
  const path = `${file}.lock`;
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      await (await open(path, 'wx', 0o600)).close();
      return () => unlink(path).catch(() => undefined);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const age = await stat(path).then((s) => Date.now() - s.mtimeMs, () => 0);
      if (age > 60_000) await unlink(path).catch(() => undefined);
      else if (Date.now() > deadline) throw new PasswordFileError(`the password file ${file} is locked by another writer (${path}); try again, or remove the lock file if no itip-agent user passwd is running`);
      else await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

/** Who should own the new file: the old file's owner, else the directory's (the store belongs to the agent's user). */
async function ownerFor(file: string): Promise<{ uid: number; gid: number } | undefined> {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return undefined;
  for (const path of [file, dirname(file)]) {
    const found = await stat(path).catch(() => undefined);
    if (found) return { uid: found.uid, gid: found.gid };
  }
  return undefined;
}

async function writeAtomically(file: string, text: string): Promise<void> {
  const temporary = join(dirname(file), `.${basename(file)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    const handle = await open(temporary, 'wx', 0o600);
    try {
      await handle.writeFile(text);
      // Run as root, the agent (another user) must still read the file it signs people in with.
      const owner = await ownerFor(file);
      if (owner) await handle.chown(owner.uid, owner.gid);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, file);
  } catch (error) {
    await unlink(temporary).catch(() => undefined);
    throw error;
  }
  // The rename itself is durable once the directory is synced.
  const dir = await open(dirname(file), 'r');
  try {
    await dir.sync().catch(() => undefined);
  } finally {
    await dir.close();
  }
}

/**
 * Sets (hash given) or removes (hash undefined) the line of one user, keeping
 * every other line as it was. Returns whether the user had a line before.
 */
export async function updatePasswordFile(file: string, address: string, hash: string | undefined): Promise<{ existed: boolean }> {
  const unlock = await lock(file);
  try {
    let text = '';
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw new PasswordFileError(`the password file ${file} cannot be read: ${(error as Error).message}`);
    }
    const lines = text.split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    let existed = false;
    const kept: string[] = [];
    for (const line of lines) {
      if (line.split(' ')[0] === address) {
        // A repeated line (someone edited the file) is replaced as well: one line per user.
        if (!existed && hash !== undefined) kept.push(`${address} ${hash}`);
        existed = true;
      } else {
        kept.push(line);
      }
    }
    if (!existed && hash !== undefined) kept.push(`${address} ${hash}`);
    await writeAtomically(file, kept.length ? `${kept.join('\n')}\n` : '');
    return { existed };
  } finally {
    await unlock();
  }
}

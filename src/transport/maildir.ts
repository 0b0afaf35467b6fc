// Delivery into a maildir, as the maildir specification (cr.yp.to/proto/maildir.html)
// asks: write the message to tmp/ under a unique name, fsync it, then rename it
// into new/. A reader never sees a half-written mail, and once we return, the
// mail is on disk: the MTA may then forget it.

import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';

let deliveries = 0;

/**
 * A unique file name: time.pid_random.hostname. The hostname is escaped as the
 * specification asks ("/" as \057, ":" as \072) because both mean something
 * in maildir file names.
 */
export function uniqueName(at: number = Date.now()): string {
  const seconds = Math.floor(at / 1000);
  const random = `${randomBytes(6).toString('hex')}${(deliveries++).toString(36)}`;
  const host = hostname().replace(/\//g, '\\057').replace(/:/g, '\\072');
  return `${seconds}.${process.pid}_${random}.${host}`;
}

/** Creates DIR with tmp/, new/ and cur/ if they are missing (mode 0700: mail is private). */
export async function ensureMaildir(dir: string): Promise<void> {
  for (const sub of ['tmp', 'new', 'cur']) {
    await mkdir(join(dir, sub), { recursive: true, mode: 0o700 });
  }
}

async function syncDirectory(dir: string): Promise<void> {
  // The rename is durable only once the directory entry is on disk.
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Writes one message into the maildir; resolves with the path in new/ once it is durable. */
export async function deliverToMaildir(dir: string, raw: Buffer): Promise<string> {
  await ensureMaildir(dir);
  const name = uniqueName();
  const tmpPath = join(dir, 'tmp', name);
  const newPath = join(dir, 'new', name);
  // 'wx': never overwrite; a clash means the name was not unique after all.
  const handle = await open(tmpPath, 'wx', 0o600);
  try {
    try {
      await handle.writeFile(raw);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmpPath, newPath);
  } catch (error) {
    await unlink(tmpPath).catch(() => undefined);
    throw error;
  }
  await syncDirectory(join(dir, 'new'));
  return newPath;
}

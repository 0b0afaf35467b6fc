// `itip-agent user add|list|passwd`: the calendar users and their roles, and
// their web passwords. A person's store is also made on the first mail to them
// (DESIGN); resources must be added here, because a resource answers
// invitations on its own. Passwords go to the password file of the web
// sign-in (src/http/password-file.ts), never into the store.

import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { mailAddress } from '../../ical/address.js';
import type { Role } from '../../itip/model.js';
import type { CommandContext } from '../main.js';
import { CliError, EXIT, errorText, printJson, printLines, printTable } from '../output.js';
import { logger } from '../log.js';
import { userAddress } from './inspect.js';

export async function runUserAdd(context: CommandContext, addr: string, options: { resource?: boolean }): Promise<void> {
  const user = userAddress(addr, 'ADDR');
  const role: Role = options.resource ? 'resource' : 'person';
  const store = await context.store();
  const before = await store.getRole(user);
  if (before === role) {
    await printLines([`${user} is already a ${role}; nothing changed`]);
    return;
  }
  await store.transact(user, (tx) => tx.setRole(role));
  await printLines([before ? `${user} was a ${before} and is now a ${role}` : `added ${user} as a ${role}`]);
}

export async function runUserList(context: CommandContext, options: { json?: boolean }): Promise<void> {
  if (!context.storeExists()) {
    logger.warn(`there is no store at ${context.storeDir} yet; add a user with: itip-agent user add ADDR`, { store: context.storeDir });
  }
  const store = context.storeExists() ? await context.store() : undefined;
  const rows: Array<{ address: string; role: Role }> = [];
  for (const address of (await store?.listUsers()) ?? []) rows.push({ address, role: (await store!.getRole(address)) ?? 'person' });
  rows.sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
  if (options.json) return printJson(rows);
  if (rows.length === 0) {
    logger.info('no calendar users yet; add one with: itip-agent user add ADDR');
    return;
  }
  return printTable(rows, [
    { title: 'ADDRESS', value: (r) => r.address },
    { title: 'ROLE', value: (r) => r.role },
  ]);
}

/** Longest password taken: scrypt takes any length, but a megabyte on stdin is a mistake, not a password. */
const MAX_PASSWORD = 1024;

/** Asks at the terminal without echo (raw mode); Ctrl-C ends the command, Enter or Ctrl-D ends the answer. */
function askHidden(prompt: string): Promise<string> {
  const stdin = process.stdin as NodeJS.ReadStream & { setRawMode(mode: boolean): void };
  if (process.stdout.isTTY) process.stdout.write(prompt);
  stdin.setRawMode(true);
  stdin.setEncoding('utf8');
  stdin.resume();
  return new Promise((resolve, reject) => {
    let chars: string[] = [];
    const done = () => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      if (process.stdout.isTTY) process.stdout.write('\n');
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') {
          done();
          resolve(chars.join(''));
          return;
        }
        if (ch === '\u0003') {
          done();
          reject(new CliError('cancelled; the password was not changed', EXIT.USAGE));
          return;
        }
        if (ch === '\u007f' || ch === '\b') chars = chars.slice(0, -1);
        else if (ch >= ' ') chars.push(ch);
      }
    };
    stdin.on('data', onData);
  });
}

/** The first line of stdin, without its line end. */
async function readPasswordLine(): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) {
    chunks.push(chunk);
    size += chunk.length;
    if (size > 64 * 1024) break;
  }
  return Buffer.concat(chunks).toString('utf8').split('\n')[0]!.replace(/\r$/, '');
}

async function readNewPassword(user: string): Promise<string> {
  if (!process.stdin.isTTY) return readPasswordLine();
  const first = await askHidden(`New web password for ${mailAddress(user)}: `);
  if (first === '') return first;
  const again = await askHidden('The same again: ');
  if (again !== first) throw new CliError('the two passwords differ; nothing was changed. Run the command again', EXIT.USAGE);
  return first;
}

export async function runUserPasswd(context: CommandContext, addr: string, options: { remove?: boolean }): Promise<void> {
  const user = userAddress(addr, 'ADDR');
  const file = context.config().settings.web.passwordFile;
  const { hashPassword, updatePasswordFile } = await import('../../http/password-file.js');
  let hash: string | undefined;
  if (!options.remove) {
    const password = await readNewPassword(user);
    if (password === '') {
      throw new CliError(`no password was given for ${user}: write it as the first line of stdin (e.g. printf '%s\\n' "$PASSWORD" | itip-agent user passwd ${mailAddress(user)}); an empty password is refused`, EXIT.DATAERR);
    }
    if (password.length > MAX_PASSWORD) throw new CliError(`the password is longer than ${MAX_PASSWORD} characters; choose a shorter one`, EXIT.DATAERR);
    if (password.trim() !== password) logger.warn('the password begins or ends with white space; it is kept as given, and must be typed so at sign-in');
    hash = await hashPassword(password);
  }
  let existed: boolean;
  try {
    await mkdir(dirname(file), { recursive: true });
    ({ existed } = await updatePasswordFile(file, user, hash));
  } catch (error) {
    if ((error as Error).name === 'PasswordFileError') throw new CliError((error as Error).message, EXIT.TEMPFAIL);
    throw new CliError(`the password file ${file} cannot be written: ${errorText(error)}; check that this user may write its directory, or set http.passwordFile`, EXIT.IOERR, { file });
  }
  if (options.remove) await printLines([existed ? `removed the web password of ${user}` : `${user} had no web password; nothing changed`]);
  else await printLines([existed ? `replaced the web password of ${user}` : `set the web password of ${user}`]);
}

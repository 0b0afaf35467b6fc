// `itip-agent store copy FROM TO`: copies every user's data from one store to
// another (an LMDB directory or a postgres:// URL each), so that a site can
// move its calendars between them. The work is done by src/store/copy-store.ts;
// this file opens the two stores, logs progress and prints the summary.

import { existsSync, realpathSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Store } from '../../store/store.js';
import type { CopySummary, UserReport } from '../../store/copy-store.js';
import { logger } from '../log.js';
import type { CommandContext } from '../main.js';
import { CliError, EXIT, errorText, printJson, printLines, usageError } from '../output.js';

export interface StoreCopyOptions {
  json?: boolean;
}

/** A store given by URL (PostgreSQL) rather than by directory. */
export function isStoreUrl(spec: string): boolean {
  return /^postgres(ql)?:\/\//i.test(spec);
}

/**
 * What names the same store: a URL's scheme, user, host, port and database
 * (case of the host ignored, port 5432 when absent); a directory's real path.
 */
export function storeIdentity(spec: string): string {
  if (isStoreUrl(spec)) {
    try {
      const url = new URL(spec);
      return `postgres://${decodeURIComponent(url.username)}@${url.hostname.toLowerCase()}:${url.port || '5432'}${decodeURIComponent(url.pathname)}`;
    } catch {
      return spec;
    }
  }
  const path = resolve(spec);
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/** A URL with its password left out, for messages and logs. */
function shown(spec: string): string {
  if (!isStoreUrl(spec)) return spec;
  try {
    const url = new URL(spec);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return spec;
  }
}

async function open(spec: string, role: 'source' | 'target'): Promise<Store> {
  const { openStore } = await import('../../store/open-store.js');
  try {
    return await openStore(spec);
  } catch (error) {
    const hint = (error as Error)?.name === 'StoreFormatError' ? '' : isStoreUrl(spec)
      ? '; check that the database server runs and the URL names a database this user may use'
      : '; check that the directory is a store this user can write';
    throw new CliError(`the ${role} store ${shown(spec)} cannot be opened: ${errorText(error)}${hint}`, EXIT.TEMPFAIL, { store: shown(spec) });
  }
}

function progress(report: UserReport, done: number, total: number): void {
  const fields = { user: report.user, users: done, total, objects: report.counts.objects, outcome: report.outcome };
  if (report.outcome === 'refused') {
    logger.error(`refused to copy ${report.user}: ${report.reason}`, fields);
    return;
  }
  const kept = Object.entries(report.kept).filter(([, n]) => n > 0);
  if (kept.length > 0) {
    logger.warn(
      `the target keeps data of ${report.user} that the source does not have and a copy cannot remove: ${kept.map(([kind, n]) => `${n} ${kind}`).join(', ')}`,
      { user: report.user, kept: report.kept },
    );
  }
  logger.info(`${report.outcome === 'copied' ? 'copied' : 'already equal:'} ${report.user} (${done}/${total})`, fields);
}

export async function runStoreCopy(_context: CommandContext, from: string, to: string, options: StoreCopyOptions): Promise<number> {
  if (from.trim() === '' || to.trim() === '') throw usageError('FROM and TO must each name a store: a directory or a postgres:// URL');
  if (storeIdentity(from) === storeIdentity(to)) {
    throw usageError(`FROM and TO are the same store (${shown(from)}); give the store to copy from and another to copy into`);
  }
  // Opening a store directory creates one: a mistyped FROM must not become an empty source.
  // (data.mdb is LMDB's own file in every store directory.)
  if (!isStoreUrl(from) && !existsSync(join(from, 'data.mdb'))) {
    const what = existsSync(from) ? `${from} is no store (it has no data.mdb)` : `there is no store at ${from}`;
    throw new CliError(`${what} to copy from; check the path`, EXIT.NOINPUT, { store: from });
  }
  const { copyStore } = await import('../../store/copy-store.js');
  const source = await open(from, 'source');
  let target: Store | undefined;
  let summary: CopySummary;
  try {
    target = await open(to, 'target');
    logger.info(`copying ${shown(from)} to ${shown(to)}`, { from: shown(from), to: shown(to) });
    try {
      summary = await copyStore(source, target, { onUser: progress });
    } catch (error) {
      throw new CliError(
        `the copy stopped: ${errorText(error)}; the users copied so far are complete, and running the same command again finishes the rest`,
        EXIT.TEMPFAIL,
      );
    }
  } finally {
    await Promise.all([source.close(), target?.close()]).catch((error: unknown) => logger.warn('closing a store failed', { error }));
  }
  const refused = summary.refused.length;
  logger.info(`copied ${summary.copied} users, ${summary.unchanged} already equal, ${refused} refused, of ${summary.users}`, {
    users: summary.users,
    copied: summary.copied,
    unchanged: summary.unchanged,
    refused,
    objects: summary.objects,
  });
  if (options.json) await printJson(summary);
  else {
    await printLines([
      `${summary.users} users: ${summary.copied} copied, ${summary.unchanged} already equal, ${refused} refused; ${summary.objects} objects`,
    ]);
  }
  if (refused > 0) {
    logger.error(`${refused} of ${summary.users} users were not copied (see the lines above); the others were`, { refused: summary.refused.map((r) => r.user) });
    return EXIT.DATAERR;
  }
  return EXIT.OK;
}

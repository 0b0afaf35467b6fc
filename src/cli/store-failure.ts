// What the command line says when the store cannot be opened or cannot
// commit: what happened, and what to do, without the password a PostgreSQL
// URL may carry.

import { isTemporaryPgError, PG_RETRY_ADVICE } from '../store/pg-errors.js';
import { isPgUrl, maskIn } from '../store/store-url.js';
import { errorText } from './output.js';

/** The text of an error, also of one whose message is empty (Node's AggregateError of a connect to several addresses). */
export function failureText(error: unknown): string {
  const text = errorText(error);
  if (text) return text;
  if (error instanceof AggregateError) return [...new Set(error.errors.map((inner) => errorText(inner)))].join('; ') || 'connection failed';
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'unknown error';
}

/** SQLSTATEs that mean the URL or the database's rights are wrong (PostgreSQL documentation, appendix A). */
const SETUP_CODES: Record<string, string> = {
  '28P01': 'check the user and password of the URL (and pg_hba.conf on the server)',
  '28000': 'the server refuses this user from this host: check pg_hba.conf on the server and the user in the URL',
  '3D000': 'the database does not exist: create it (createdb -O USER DB), or name another in the URL',
  '42501': 'the user lacks a right the store needs: make it the owner of the database (ALTER DATABASE DB OWNER TO USER)',
};

/**
 * The message and the advice for a store that cannot be opened at `location`;
 * the message has the location's password masked.
 */
export function storeFailure(error: unknown, location: string): { message: string; hint: string } {
  const message = maskIn(failureText(error), location);
  // A store in another format says itself what to do.
  if ((error as Error | null)?.name === 'StoreFormatError') return { message, hint: '' };
  if (!isPgUrl(location)) return { message, hint: '; check that --store (or ITIP_AGENT_STORE) names a directory this user can write' };
  if (isTemporaryPgError(error)) return { message, hint: `; ${PG_RETRY_ADVICE}, then try again (an MTA retries a mail by itself)` };
  const code = (error as { code?: unknown } | null)?.code;
  const advice = typeof code === 'string' ? SETUP_CODES[code] : undefined;
  return { message, hint: `; ${advice ?? 'check the URL in --store (or ITIP_AGENT_STORE, or the configuration file\'s "store") and the server\'s log'}` };
}

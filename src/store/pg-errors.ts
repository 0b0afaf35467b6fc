// Which failures of the PostgreSQL server or of the way to it are temporary:
// the same mail, tried again later, commits. The transports answer them like a
// full disk (exit 75, LMTP 451): the MTA keeps the mail and retries, and the
// journal makes the retry harmless.
//
// SQLSTATE codes: PostgreSQL documentation, appendix A "PostgreSQL Error Codes".

/** Node's socket errors on the way to the server. */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNABORTED']);

/** SQLSTATEs worth a retry outside class 08 (connection exception), which is all temporary. */
const TEMPORARY_SQLSTATES = new Set([
  '40001', // serialization_failure
  '40P01', // deadlock_detected
  '53300', // too_many_connections
  '53400', // configuration_limit_exceeded
  '55P03', // lock_not_available (lock_timeout)
  '57014', // query_canceled (statement_timeout)
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (starting up, shutting down, recovering)
  '57P05', // idle_session_timeout
  '25006', // read_only_sql_transaction (a standby after a failover, until the client reaches the new primary)
  '58000', // system_error
  '58030', // io_error
]);

/** Messages of node-postgres for a connection that went away without a code. */
const CONNECTION_MESSAGES = /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|Client was closed|Cannot use a pool after calling end/i;

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Whether one error (not its causes) is a temporary failure of PostgreSQL or of the connection to it. */
function temporaryItself(error: unknown): boolean {
  const code = codeOf(error);
  if (code && (NETWORK_CODES.has(code) || TEMPORARY_SQLSTATES.has(code) || /^08[0-9A-Z]{3}$/.test(code))) return true;
  // 53xxx: insufficient resources (disk full, out of memory, too many connections).
  if (code && /^53[0-9A-Z]{3}$/.test(code)) return true;
  const message = error instanceof Error ? error.message : typeof error === 'string' ? error : '';
  return CONNECTION_MESSAGES.test(message);
}

/**
 * Whether an error is a temporary failure of the PostgreSQL store: the
 * server unreachable, restarted or overloaded, or a transaction that lost a
 * race (serialization failure, deadlock). Looks through `cause` chains and
 * the errors of an AggregateError (Node's connect to several addresses).
 */
export function isTemporaryPgError(error: unknown, depth = 0): boolean {
  if (error === null || error === undefined || depth > 8) return false;
  if (temporaryItself(error)) return true;
  if (error instanceof AggregateError && error.errors.some((inner) => isTemporaryPgError(inner, depth + 1))) return true;
  return isTemporaryPgError((error as { cause?: unknown }).cause, depth + 1);
}

/** What a person should do about a temporary PostgreSQL failure. */
export const PG_RETRY_ADVICE = 'check that the PostgreSQL server is running and reachable from this host (host, port, pg_hba.conf, max_connections)';

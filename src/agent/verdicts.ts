// What became of one recipient of a mail, and the one table that says how each
// door tells the MTA: the pipe by its exit code (sysexits(3)), the LMTP and
// SMTP listeners by their reply code (RFC 5321 section 4.2, RFC 2033 section
// 4.2). The transaction service decides the verdict; a door only looks it up.
//
// The rule behind the table: 2xx / 0 only once the store committed (fsync)
// and the copy went on; a failure that may pass (the store, the mailbox
// server) is temporary, 4xx / 75, and the journal makes the retry a no-op for
// what did commit; 5xx / 6x only for what will never work.

export type VerdictKind =
  /** The store transactions committed and the copy was handed on. */
  | 'done'
  /** The address can be no calendar user's (refused at RCPT). */
  | 'not-an-address'
  /** Longer than RFC 5321 section 4.5.3.1 allows (refused at RCPT). */
  | 'address-too-long'
  /** The delivery target cannot take mail for this name, e.g. no maildir folder may have it. */
  | 'no-mailbox-name'
  /** No store for this address, and the administrator refuses unknown users (unknownUsers: refuse). */
  | 'unknown-user'
  /** A store transaction could not commit (a full disk): try again later. */
  | 'store-failed'
  /** Onward delivery failed, or was refused where unknown users are not refused: try again later. */
  | 'delivery-failed'
  /** The mailbox server refused the recipient for good, and unknown users are refused here. */
  | 'delivery-refused';

export interface Verdict {
  recipient: string;
  kind: VerdictKind;
  /** Why, for the reply text and the log; empty for `done`. */
  reason: string;
  /** The error behind a failure, for the log and the door's own wording. */
  error?: unknown;
}

/** sysexits(3), as the pipe uses them. */
export const SYSEXITS = { OK: 0, USAGE: 64, NOUSER: 67, TEMPFAIL: 75 } as const;

/**
 * Every verdict with its exit code (pipe) and reply code (LMTP, SMTP). 501 for
 * an overlong path is RFC 5321 section 4.5.3.1's answer; a permanent onward
 * refusal is 67 / 550 only because the administrator chose to refuse unknown
 * users (DESIGN: 67 only where the configuration says so).
 */
export const VERDICT_CODES: Readonly<Record<VerdictKind, { exit: number; reply: number }>> = {
  done: { exit: SYSEXITS.OK, reply: 250 },
  'not-an-address': { exit: SYSEXITS.USAGE, reply: 550 },
  'address-too-long': { exit: SYSEXITS.USAGE, reply: 501 },
  'no-mailbox-name': { exit: SYSEXITS.USAGE, reply: 550 },
  'unknown-user': { exit: SYSEXITS.NOUSER, reply: 550 },
  'store-failed': { exit: SYSEXITS.TEMPFAIL, reply: 451 },
  'delivery-failed': { exit: SYSEXITS.TEMPFAIL, reply: 451 },
  'delivery-refused': { exit: SYSEXITS.NOUSER, reply: 550 },
};

/** The pipe's exit code for a verdict. */
export function exitCodeOf(kind: VerdictKind): number {
  return VERDICT_CODES[kind].exit;
}

/** The LMTP/SMTP reply code for a verdict. */
export function replyCodeOf(kind: VerdictKind): number {
  return VERDICT_CODES[kind].reply;
}

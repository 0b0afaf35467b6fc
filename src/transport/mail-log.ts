// The one log line each mail gets, at every door (the pipe, LMTP, SMTP), so
// that an administrator can follow a mail from the MTA's log into ours: the
// MTA's queue id where the MTA passes it (Postfix `${queue_id}` on the pipe,
// XFORWARD IDENT over LMTP/SMTP; Exim `$message_exim_id`), the listener's
// session id otherwise, the client the MTA got the mail from, and for each
// recipient where its onward copy went (or why it did not) and the answer.

import type { TransactionResult } from '../agent/transaction-service.js';
import type { ArrivalFacts } from '../mail/authentication.js';

/** What the door knows about a mail besides its envelope. */
export interface MailContext {
  protocol: 'pipe' | 'lmtp' | 'smtp';
  /** The MTA's queue id of the mail, when it says. */
  queueId?: string;
  /** The listener's session (connection) id. */
  session?: string;
  /** The connected peer: the MTA itself for LMTP/SMTP. */
  peer?: string;
}

/** One recipient's answer: the exit code (pipe) or reply code (LMTP/SMTP), with the reason of a failure. */
export interface RecipientAnswer {
  recipient: string;
  code: number;
  reason?: string;
}

/**
 * The client that handed the mail to the MTA, as a log value: its address,
 * `local` for mail submitted on the MTA's host, undefined when the MTA did not say.
 */
export function clientOf(arrival: ArrivalFacts): string | undefined {
  if (arrival.clientAddress === undefined) return undefined;
  return arrival.clientAddress === '' ? 'local' : arrival.clientAddress;
}

export interface MailLogInput {
  context: MailContext;
  sender: string | undefined;
  recipients: string[];
  arrival: ArrivalFacts;
  result: Pick<TransactionResult, 'messageId' | 'calendar' | 'users' | 'onward'>;
  answers: RecipientAnswer[];
  seconds: number;
}

/** The level, message and fields of the mail's line: warn when a recipient was not done. */
export function mailLogLine(input: MailLogInput): { level: 'info' | 'warn'; msg: string; fields: Record<string, unknown> } {
  const { context, result } = input;
  const failed = input.answers.some((answer) => answer.code !== 0 && answer.code !== 250);
  const fields: Record<string, unknown> = {
    protocol: context.protocol,
    queueId: context.queueId,
    session: context.session,
    client: clientOf(input.arrival),
    login: input.arrival.authenticatedUser,
    peer: context.peer,
    messageId: result.messageId,
    sender: input.sender ?? '<>',
    recipients: input.recipients,
    calendar: result.calendar,
    outcomes: result.users.flatMap(({ user, entries }) => entries.map((entry) => ({ user, method: entry.method || undefined, uid: entry.uid || undefined, outcome: entry.outcome }))),
    onward: result.onward.map((delivery) =>
      delivery.ok ? { recipient: delivery.recipient, ok: true, to: delivery.to } : { recipient: delivery.recipient, ok: false, error: delivery.error.message },
    ),
    answers: input.answers.map((answer) => (answer.reason ? answer : { recipient: answer.recipient, code: answer.code })),
    seconds: Math.round(input.seconds * 1000) / 1000,
  };
  return { level: failed ? 'warn' : 'info', msg: failed ? 'mail not done for every recipient' : 'mail done', fields };
}

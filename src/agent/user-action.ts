// The user's own scheduling actions (respond, delegate, counter, refresh, put,
// delete: RFC 6638 section 3.2, implicit scheduling) as the transaction
// service runs them: one store transaction for the acting user reads what the
// core needs, runs act(), applies its effects and journals the outcome, so
// that the object, the free/busy, the request queue and the outbox change
// together or not at all. The messages go out through the outbox like every
// other message the agent makes.
//
// Recipients that are calendar users of this installation get their copy
// processed at once, after the commit, as incoming iTIP mail from the acting
// user: the same mail the outbox sends, through the same mail path. RFC 6638
// section 3.2 lets a server deliver to its own users internally; the outbox
// still mails the copy, so the mailbox holds the message too, and when that
// copy comes back through the MTA it changes nothing (an older or equal
// version, RFC 5546 section 2.1.5).

import { randomBytes } from 'node:crypto';
import { addressDomain, mailAddress } from '../ical/address.js';
import { scheduledComponentsOf, parseCalendar, uidOf } from '../ical/calendar.js';
import { formatUtc } from '../ical/times.js';
import { act } from '../itip/actions/act.js';
import type { ActionInput, UserAction } from '../itip/actions/action.js';
import { type ItipResult, result } from '../itip/effects.js';
import type { JournalEntry, Outcome, OutboxItem, Role } from '../itip/model.js';
import type { ArrivalFacts } from '../mail/authentication.js';
import { composeOutboxItem } from '../mail/compose-outbox-item.js';
import type { Store, UserTx } from '../store/store.js';
import { applyEffects } from './apply-effects.js';
import { HandlerError } from './handler-errors.js';
import type { AgentPolicy } from './policy.js';
import { processParsedMail, type UserOutcome } from './process-message.js';
import { readIncoming } from './read-incoming.js';
import type { LogFn } from './transaction-service.js';
import type { Verdict } from './verdicts.js';

/** A user's action as a door hands it over (the command line; later the web manager and CalDAV). */
export interface ActionWork {
  kind: 'action';
  /** The acting calendar user, a lower-case mailto: URI. */
  user: string;
  action: UserAction;
  /** The entity tag of the version the user saw (objects --json, a CalDAV If-Match); absent: any. */
  ifMatch?: string;
  /** For a put that makes a new object: its name, the CalDAV resource it was PUT to (UserTx.nameNewObject). */
  name?: string;
}

export interface ActionResult {
  /** What the core decided; `error` for a fault in the handlers (nothing was written). */
  outcome: Outcome;
  reason: string;
  /** The outbox items the action made, in order; empty unless it committed. */
  queued: OutboxItem[];
  /** The journal entry written with the action; absent when nothing was written. */
  entry?: JournalEntry;
  /** The store could not commit: nothing was applied, and the same action may work later. */
  failure?: Verdict;
  /** What the stores of local recipients made of their copies, processed after the commit. */
  local: UserOutcome[];
}

export interface ActionContext {
  /** The store with the handlers' own faults marked (markHandlerErrors). */
  store: Store;
  now: number;
  policy: AgentPolicy;
  /** Domains of the calendar users; empty: any user with a store counts as local. */
  localDomains: ReadonlySet<string>;
  log: LogFn;
}

/** The UID an action is about; for a PUT, the one its calendar carries ('' when it has none or does not parse). */
export function actionUid(action: UserAction): string {
  if (action.kind !== 'put') return action.uid;
  try {
    for (const event of scheduledComponentsOf(parseCalendar(action.ics))) {
      const uid = uidOf(event);
      if (uid) return uid;
    }
  } catch {
    // The core refuses a calendar that does not parse, with the parser's words.
  }
  return '';
}

/**
 * The journal's Message-ID of an action. It names the kind and the time, and
 * a random part: an action is no mail that may be redelivered, so a second
 * identical action must not be taken for a copy of the first (the core's
 * outcome says whether it changed anything), and the outbox item ids derived
 * from it must not collide with those of an earlier action at the same second.
 */
export function actionMessageId(work: ActionWork, now: number): string {
  const stamp = formatUtc(now).replace(/[-:]/g, '');
  return `action-${work.action.kind}-${stamp}-${randomBytes(6).toString('hex')}@${addressDomain(work.user) || 'localhost'}`;
}

interface Committed {
  decided: ItipResult;
  queued: OutboxItem[];
  entry?: JournalEntry;
}

/** What the core reads besides the action, from the acting user's transaction (ActionInput). */
function actionInput(tx: UserTx, work: ActionWork, role: Role, uid: string, now: number, policy: AgentPolicy): ActionInput {
  const input: ActionInput = {
    action: work.action,
    user: work.user,
    role,
    prefs: tx.getPrefs(),
    stored: uid ? tx.getObject(uid) : undefined,
    counters: uid ? tx.listCounters(uid) : [],
    requests: uid ? tx.listRequests(uid) : [],
    now,
    expansionLimits: policy.expansionLimits,
  };
  if (work.ifMatch !== undefined) input.ifMatch = work.ifMatch;
  return input;
}

/** Runs one action: one transaction for the acting user, then the local recipients' copies. */
export async function runUserAction(work: ActionWork, context: ActionContext): Promise<ActionResult> {
  const { store, now, policy, log } = context;
  const at = formatUtc(now);
  const messageId = actionMessageId(work, now);
  const uid = actionUid(work.action);
  let committed: Committed;
  try {
    committed = await store.transact(work.user, (tx): Committed => {
      const role = tx.getRole();
      // An action needs a calendar: a store is made by mail or by `user add`, never by a typo in --user.
      if (role === undefined) {
        return { decided: result('refused', `${work.user} is no calendar user of this installation; nothing was changed`), queued: [] };
      }
      if (work.name !== undefined && uid) tx.nameNewObject(uid, work.name);
      const decided = act(actionInput(tx, work, role, uid, now, policy));
      const queued: OutboxItem[] = [];
      // The core returns no change for a stale, refused or ignored action; what it returns applies as a whole.
      if (decided.outcome !== 'error') {
        applyEffects(tx, decided.effects, { messageId, messageKey: `action:${messageId}`, received: at }, { next: 0 }, queued);
      }
      const entry: JournalEntry = { messageId, recipient: tx.user, method: work.action.kind, uid, outcome: decided.outcome, reason: decided.reason, at };
      tx.addJournal(entry);
      return { decided, queued, entry };
    });
  } catch (error) {
    if (error instanceof HandlerError) {
      // A fault would come back on every try: said as such, with nothing written.
      log('error', `the ${work.action.kind} could not be done; nothing was changed`, { error: error.cause, user: work.user, uid });
      return { outcome: 'error', reason: `the ${work.action.kind} could not be done: ${error.message}; nothing was changed`, queued: [], local: [] };
    }
    const cause = error instanceof Error ? error.message : String(error);
    const failure: Verdict = { recipient: work.user, kind: 'store-failed', reason: `the calendar store could not commit, try again later: ${cause}`, error };
    return { outcome: 'error', reason: failure.reason, queued: [], failure, local: [] };
  }
  const { decided, queued, entry } = committed;
  log('info', `${work.action.kind} ${decided.outcome}`, { user: work.user, uid, messageId, reason: decided.reason, queued: queued.length });
  const local = await handToLocalRecipients(work.user, queued, context);
  return { outcome: decided.outcome, reason: decided.reason, queued, ...(entry ? { entry } : {}), local };
}

/** The recipients of an item that are calendar users here, other than its sender. */
async function localRecipients(item: OutboxItem, context: ActionContext): Promise<string[]> {
  const local: string[] = [];
  for (const to of item.to) {
    if (to === item.from) continue;
    if (context.localDomains.size > 0 && !context.localDomains.has(addressDomain(to))) continue;
    if ((await context.store.getRole(to)) !== undefined) local.push(to);
  }
  return local;
}

/**
 * Each queued message goes to its local recipients' stores as incoming mail
 * from the acting user, submitted from inside (a logged-in user of ours). A
 * copy that cannot be processed now is no failure of the action, which has
 * committed: the outbox mails it, and it is processed when it arrives.
 */
export async function handToLocalRecipients(user: string, queued: OutboxItem[], context: ActionContext): Promise<UserOutcome[]> {
  const { store, now, policy, log } = context;
  const outcomes: UserOutcome[] = [];
  const arrival: ArrivalFacts = { authenticatedUser: mailAddress(user), clientAddress: '' };
  for (const item of queued) {
    const recipients = await localRecipients(item, context);
    if (recipients.length === 0) continue;
    try {
      const prefs = await store.getPrefs(user);
      const mail = await composeOutboxItem(item, { fromName: prefs.CN, lang: prefs.LANG, fallbackDate: new Date(now) });
      const incoming = await readIncoming(mail.raw, arrival, policy, now);
      for (const recipient of recipients) {
        try {
          const processed = await processParsedMail(store, incoming.mail, { recipients: [recipient], sender: mailAddress(user), arrival: incoming.arrival }, now, policy);
          for (const outcome of processed.users) {
            for (const entry of outcome.entries) {
              log('info', `${entry.method} ${entry.outcome} (local copy)`, { user: outcome.user, uid: entry.uid, messageId: entry.messageId, reason: entry.reason });
            }
          }
          outcomes.push(...processed.users);
        } catch (error) {
          log('warn', `the copy for ${recipient} could not be processed now; it arrives by mail from the outbox`, { error, outbox: item.id, recipient });
        }
      }
    } catch (error) {
      log('warn', 'a queued message could not be read back for the local recipients; it arrives by mail from the outbox', { error, outbox: item.id, recipients });
    }
  }
  return outcomes;
}

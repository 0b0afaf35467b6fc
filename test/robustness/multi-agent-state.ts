// The end state of a store as the multi-agent test compares it: per user,
// everything the Store's read side shows, read through the Store interface
// (so an LMDB directory and a PostgreSQL database read alike), with only what
// legitimately differs between a run with faults and a clean run taken out:
//
// - journal entries of outcome `duplicate`: a mail that was committed and then
//   not answered (its agent was killed) is delivered again, and the second
//   delivery is journalled as a duplicate. Every other entry must be there,
//   as often as in the clean run; entries are compared as a sorted list,
//   since concurrent mails of different events are journalled in either order.
// - in the journal entry of a mail a local organizer sent, the delivery codes
//   it noted (SCHEDULE-STATUS 1.2 for the local attendees whose stores took
//   the mail at once, 1.1 for the others): when a fault made an attendee's
//   store take it only on the MTA's retry, the first entry says 1.1 for that
//   attendee, and the retry raises the stored event's code to 1.2 under a
//   duplicate entry. The entry is kept without that note; the codes
//   themselves are compared in full on the stored events (objects).
// - outbox items' attempts, nextAttempt and lastError: an item a killed sender
//   had taken is sent by a later attempt. Their state, recipients, per
//   recipient status, ids and iCalendar text must be equal.
//
// Times and Message-IDs need no other treatment: every process runs on the
// same fixed clock (ITIP_AGENT_NOW), and the ids of inbox and outbox items
// and of the agent's own messages are derived from the mail and the user, not
// drawn at random (src/agent/apply-effects.ts), so they are equal in both runs.

import type { JournalEntry, OutboxItem } from '../../src/itip/model.js';
import type { Store } from '../../src/store/store.js';
import { userSnapshot } from '../store/store-contract-fixtures.js';

const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function outboxView(item: OutboxItem) {
  const { attempts: _attempts, nextAttempt: _next, lastError: _error, ...kept } = item;
  return kept;
}

/** The delivery-code note a sent mail's entry ends with (src/agent/sent-record.ts). */
const SENT_STATUS_NOTE = /; SCHEDULE-STATUS \d\.\d+ \((?:sent|delivered)\) for .*$/s;

function journalKey(entry: JournalEntry): string {
  const reason = entry.reason?.replace(SENT_STATUS_NOTE, '');
  return JSON.stringify([entry.recipient, entry.uid, entry.messageId, entry.method, entry.outcome, reason, entry.at]);
}

export interface UserState {
  user: string;
  role: unknown;
  prefs: unknown;
  objects: unknown;
  own: unknown;
  others: unknown;
  requests: unknown;
  counters: unknown;
  inbox: unknown;
  outbox: unknown;
  journal: string[];
  seen: unknown;
}

/** The compared end state of every user of the store. */
export async function endState(store: Store): Promise<UserState[]> {
  const users = [...(await store.listUsers())].sort(byText);
  const states: UserState[] = [];
  for (const user of users) {
    const read = await userSnapshot(store, user);
    states.push({
      ...read,
      outbox: read.outbox.map(outboxView).sort((a, b) => byText(a.id, b.id)),
      journal: read.journal.filter((entry) => entry.outcome !== 'duplicate').map(journalKey).sort(byText),
      seen: await store.listSeen(user),
    });
  }
  return states;
}

/** Counts for the report: how much state the comparison covered. */
export function tally(states: UserState[]) {
  const count = (key: keyof UserState) => states.reduce((sum, s) => sum + (Array.isArray(s[key]) ? (s[key] as unknown[]).length : 0), 0);
  return {
    users: states.length,
    objects: count('objects'),
    own: count('own'),
    others: count('others'),
    requests: count('requests'),
    counters: count('counters'),
    inbox: count('inbox'),
    outbox: count('outbox'),
    journal: count('journal'),
  };
}

/**
 * Where two end states differ, per user and part: what one has that the other
 * lacks (list parts compared as JSON texts), so that a failing run says which
 * mails went astray instead of a bare count.
 */
export function differences(actual: UserState[], expected: UserState[]): Array<{ user: string; part: string; missing: string[]; extra: string[] }> {
  const out: Array<{ user: string; part: string; missing: string[]; extra: string[] }> = [];
  const texts = (value: unknown) => (Array.isArray(value) ? value : [value]).map((v) => (typeof v === 'string' ? v : JSON.stringify(v)));
  const byUser = new Map(actual.map((state) => [state.user, state]));
  for (const want of expected) {
    const have = byUser.get(want.user);
    byUser.delete(want.user);
    for (const part of Object.keys(want) as Array<keyof UserState>) {
      if (part === 'user') continue;
      const left = texts(have?.[part] ?? []);
      const right = texts(want[part]);
      const counts = new Map<string, number>();
      for (const t of right) counts.set(t, (counts.get(t) ?? 0) + 1);
      const extra: string[] = [];
      for (const t of left) {
        const n = counts.get(t) ?? 0;
        if (n > 0) counts.set(t, n - 1);
        else extra.push(t);
      }
      const missing = [...counts].flatMap(([t, n]) => Array<string>(n).fill(t));
      if (missing.length > 0 || extra.length > 0 || (have === undefined && right.length > 0)) out.push({ user: want.user, part, missing, extra });
    }
  }
  for (const user of byUser.keys()) out.push({ user, part: 'user', missing: [], extra: [user] });
  return out;
}

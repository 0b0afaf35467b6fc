// Statements shared by write transactions and the store's own writes, and
// the outbox rows they write (a transaction's own writes: pg-write-set.ts).

import type { OutboxItem } from '../itip/model.js';
import { parseInstant } from '../ical/times.js';
import { KEPT_REMOVALS } from './store.js';

/** A parameterised statement: data only ever in `values`. */
export interface Statement {
  text: string;
  values: unknown[];
  /** Given the rows the statement returned. */
  collect?: (rows: Array<Record<string, unknown>>) => void;
}

export interface OutboxRow {
  data: string;
  next_attempt: string | null;
}

/** The instant of a time, 0 when there is none or it does not parse (an item due at once, sorted first). */
function instantOrZero(time: string | undefined): number {
  const ms = typeof time === 'string' ? parseInstant(time) : Number.NaN;
  return Number.isNaN(ms) ? 0 : ms;
}

/** The item's columns: its next attempt apart, so that a claim sets it with one UPDATE. */
export function outboxColumns(item: OutboxItem): { data: string; nextAttempt: string | null; dueMs: number; createdMs: number } {
  const { nextAttempt, ...rest } = item;
  return {
    data: JSON.stringify(rest),
    nextAttempt: nextAttempt === undefined ? null : JSON.stringify(nextAttempt),
    dueMs: instantOrZero(nextAttempt),
    createdMs: instantOrZero(item.created),
  };
}

export function outboxFromRow(row: OutboxRow): OutboxItem {
  const item = JSON.parse(row.data) as OutboxItem;
  if (row.next_attempt !== null) item.nextAttempt = JSON.parse(row.next_attempt) as string;
  return item;
}

/** The table a statement writes: the target of its INSERT, UPDATE or DELETE. */
function targetOf(text: string): string | undefined {
  return /^\s*(?:INSERT INTO|UPDATE|DELETE FROM)\s+(\w+)/.exec(text)?.[1];
}

/**
 * Joins consecutive statements that write different tables into one, as
 * data-modifying WITH parts (PostgreSQL runs each part once, on one snapshot):
 * a mail's writes then take a few round trips instead of one per write.
 * Statements on one table stay apart and in order (a part does not see
 * another's rows), as do statements with a WITH of their own; a statement
 * whose rows are wanted (collect) ends its group, as the part that answers.
 */
export function combine(statements: readonly Statement[]): Statement[] {
  const out: Statement[] = [];
  let group: Statement[] = [];
  let tables = new Set<string>();
  const flush = (): void => {
    if (group.length === 1) out.push(group[0]!);
    else if (group.length > 1) out.push(joined(group));
    group = [];
    tables = new Set();
  };
  for (const statement of statements) {
    const table = targetOf(statement.text);
    if (table === undefined) {
      flush();
      out.push(statement);
      continue;
    }
    if (tables.has(table)) flush();
    group.push(statement);
    tables.add(table);
    if (statement.collect) flush();
  }
  flush();
  return out;
}

function joined(group: readonly Statement[]): Statement {
  const values: unknown[] = [];
  const texts = group.map((statement) => {
    const offset = values.length;
    values.push(...statement.values);
    return statement.text.replace(/\$(\d+)/g, (_, n: string) => `$${Number(n) + offset}`);
  });
  const last = texts.pop()!;
  const parts = texts.map((text, i) => `w${i} AS (${text})`);
  return { text: `WITH ${parts.join(', ')} ${last}`, values, collect: group[group.length - 1]!.collect };
}

/** Keeps the user's latest KEPT_REMOVALS removals; forgetting older ones raises the floor (Store.objectChanges). */
export function pruneTombstones(userId: number): Statement {
  return {
    text: `WITH doomed AS (
             DELETE FROM object_changes WHERE seq IN (
               SELECT seq FROM object_changes WHERE user_id = $1 AND deleted ORDER BY seq DESC OFFSET $2)
             RETURNING seq)
           UPDATE users SET change_floor = GREATEST(change_floor, (SELECT MAX(seq) FROM doomed))
           WHERE id = $1 AND EXISTS (SELECT 1 FROM doomed)`,
    values: [userId, KEPT_REMOVALS],
  };
}

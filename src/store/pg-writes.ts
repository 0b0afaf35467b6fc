// Statements shared by write transactions and the store's own writes, and
// the outbox rows they write.

import type { OutboxItem } from '../itip/model.js';
import { parseInstant } from '../ical/times.js';
import { key } from './pg-rows.js';

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

/** Adds or replaces an item of the user (an id is global: the sender finds items by id alone). */
export function outboxUpsert(userId: number, item: OutboxItem): Statement {
  const columns = outboxColumns(item);
  return {
    text: `INSERT INTO outbox (id, user_id, state, created_ms, due_ms, next_attempt, data) VALUES ($1, $2, $3, $4, $5, $6, $7)
           ON CONFLICT (id) DO UPDATE SET user_id = EXCLUDED.user_id, state = EXCLUDED.state, created_ms = EXCLUDED.created_ms,
             due_ms = EXCLUDED.due_ms, next_attempt = EXCLUDED.next_attempt, data = EXCLUDED.data`,
    values: [key(item.id), userId, item.state, columns.createdMs, columns.dueMs, columns.nextAttempt, columns.data],
  };
}

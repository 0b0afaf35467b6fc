// What a write transaction's runs fetched (pg-user-tx.ts), kept across runs,
// and what a run asks to be fetched next.

import type { Role } from '../itip/model.js';
import type { TimedPeriod } from './pg-rows.js';

/** Something a run needs fetched before it can go on. */
export type Need =
  | { kind: 'uid'; uid: string }
  | { kind: 'name'; name: string }
  | { kind: 'periods'; fromMs: number; toMs: number }
  | { kind: 'inbox'; id: string }
  | { kind: 'sent'; messageId: string }
  | { kind: 'seen'; messageKey: string };

/** Thrown by a read that needs rows not fetched yet; the store fetches them and runs again. */
export class MissingData extends Error {
  override name = 'MissingData';
}

/** An object as the transaction knows it: its JSON text (undefined: none) and its name. */
export interface ObjectState {
  data: string | undefined;
  name: string | undefined;
}

/** Rows fetched in the SQL transaction, kept across runs. */
export class Fetched {
  readonly objects = new Map<string, ObjectState>();
  /** name -> UID holding it, null when free */
  readonly names = new Map<string, string | null>();
  /** UID -> JSON texts of its entries */
  readonly requests = new Map<string, string[]>();
  readonly counters = new Map<string, string[]>();
  /** range key -> own periods overlapping it */
  readonly periods = new Map<string, TimedPeriod[]>();
  readonly inbox = new Map<string, boolean>();
  readonly sent = new Map<string, string | null>();
  readonly seen = new Map<string, boolean>();

  constructor(
    readonly userId: number,
    readonly role: Role | undefined,
    /** preference entries as stored */
    readonly prefs: Array<[string, string]>,
  ) {}
}

export const rangeKey = (fromMs: number, toMs: number): string => `${fromMs}/${toMs}`;

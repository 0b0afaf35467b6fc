// The port through which the web pages run a user's action (answer, propose,
// delegate, answer a proposal or a refresh, delete). The agent supplies the
// runner (WebOptions.runAction): it reads the user's stored copy in a store
// transaction, asks the core (src/itip/actions/act.ts), applies the effects and
// queues the messages. The pages only build the action from a form and show
// what came of it; they never write calendar data themselves.

import type { UserAction } from '../itip/actions/action.js';

export interface ActionReport {
  /** The core's outcome (src/itip/model.ts OUTCOMES): applied, stale, refused, ... */
  outcome: string;
  /** Why, in words a person can act on. */
  reason: string;
  /** The messages queued in the outbox for sending. */
  queued: Array<{ id: string; method: string; to: string[] }>;
}

/**
 * Runs one action for `user` (a lower-case mailto: URI). `ifMatch` is the
 * entity tag of the stored copy the page showed (etagOf): when the copy
 * changed since, the action is refused as stale and nothing is applied.
 */
export type ActionRunner = (user: string, action: UserAction, ifMatch?: string) => Promise<ActionReport>;

// Mail a user sends (the outgoing rule, imip-agent's "outgoing handler"): the
// user's own client already decided, so the store follows it. Every outgoing
// message for a UID clears the user's request entries for it (DESIGN.md).
// Not to be confused with a `send` effect, which is mail the agent queues.

import type { Context } from '../context.js';
import { type Effect, type ItipResult, result } from '../effects.js';

export function clearRequests(context: Context): Effect {
  return { type: 'remove-requests', uid: context.input.uid };
}

export function notOrganizer(context: Context, organizer: string | undefined): ItipResult {
  const { input } = context;
  return result(
    'ignored',
    `${input.user} sent a ${input.method} for an event organized by ${organizer ?? 'nobody'}; only the request entry is cleared`,
    [clearRequests(context)],
  );
}

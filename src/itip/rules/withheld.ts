// Messages the user's preferences keep out before any method rule runs:
// `participating=no-participation` (imip-agent's switch: the agent handles no
// scheduling for this user at all; their mail still arrives) and the
// `incoming` tier (src/itip/rules/incoming-tier.ts). Both give outcome
// `ignored` with the reason, and no calendar change; the only effect is the
// request-queue entry a user may ask for with `incoming_queue=yes`.

import { organizerOf } from '../../ical/calendar.js';
import { formatUtc } from '../../ical/times.js';
import { type Effect, type ItipResult, type ScheduleInput, result } from '../effects.js';
import type { Preferences } from '../model.js';
import { judgedByTier, outsideTier, queuesOutsideTier } from './incoming-tier.js';

/** Whether the user takes part in scheduling (`participating`, default participate). */
export function participates(prefs: Preferences): boolean {
  return (prefs.participating ?? 'participate').trim().toLowerCase() !== 'no-participation';
}

/** The organizer a message names, as written in its first component that has one. */
function organizerNamed(input: ScheduleInput): string | undefined {
  if (input.kind === 'VFREEBUSY') return organizerOf(input.component);
  for (const component of input.components) {
    const organizer = organizerOf(component);
    if (organizer) return organizer;
  }
  return undefined;
}

/** Whether the incoming tier judges this input (an invitation to something not stored, or a free/busy request or publication). */
export function tierApplies(input: ScheduleInput): boolean {
  if (input.kind === 'VFREEBUSY') {
    return judgedByTier({ ...input, method: input.method === 'REQUEST' || input.method === 'PUBLISH' ? 'REQUEST' : 'REPLY' }, false);
  }
  return judgedByTier(input, !!input.stored);
}

/** The addresses whose correspondence with the user the tier reads (src/itip/snapshot.ts). */
export function tierLookups(input: ScheduleInput): string[] {
  if (!tierApplies(input)) return [];
  const organizer = organizerNamed(input);
  return organizer ? [organizer] : [];
}

/** The outcome for a message the preferences keep out, or undefined. Pure; never throws. */
export function withheldByPreferences(input: ScheduleInput): ItipResult | undefined {
  if (!participates(input.prefs)) {
    return result(
      'ignored',
      `participating=no-participation: ${input.user} takes no part in scheduling, so the ${input.method} changes nothing and the mail is delivered as it came`,
    );
  }
  if (!tierApplies(input)) return undefined;
  const organizer = organizerNamed(input);
  const what = input.kind === 'VFREEBUSY' ? `free/busy ${input.method}` : input.method === 'REQUEST' ? 'invitation' : `${input.method}`;
  const why = outsideTier(
    {
      user: input.user,
      prefs: input.prefs,
      localDomains: input.sender.trust?.localDomains ?? [],
      correspondents: input.correspondents ?? [],
    },
    organizer,
    what,
  );
  if (!why) return undefined;
  const effects: Effect[] = [];
  if (input.kind !== 'VFREEBUSY' && input.method === 'REQUEST' && queuesOutsideTier(input.prefs) && organizer) {
    effects.push({
      type: 'put-request',
      entry: { uid: input.uid, recurrenceId: null, method: input.method, from: organizer, received: formatUtc(input.now) },
    });
  }
  return result('ignored', why, effects);
}

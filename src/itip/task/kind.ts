// One UID names one calendar object of one kind: a VEVENT series or a VTODO
// series, never both (RFC 4791 section 4.1 keeps one component type per
// calendar object resource, and RFC 5546 section 3.4 schedules to-dos by the
// same UIDs and RECURRENCE-IDs as events). A message of the other kind than
// what is stored for its UID would turn an event into a task or back.

import type { Context } from '../context.js';

/** Why the message cannot apply to what is stored, if its kind differs. */
export function kindProblem(context: Context): string | undefined {
  const incoming = context.incoming.list()[0]?.name;
  const stored = context.stored?.list()[0]?.name;
  if (!incoming || !stored || incoming === stored) return undefined;
  const name = (kind: string) => kind.toUpperCase();
  return `the ${context.input.method} carries a ${name(incoming)} but ${context.input.uid} is stored as a ${name(stored)}; one UID names one kind of component (RFC 4791 section 4.1), so nothing changed`;
}

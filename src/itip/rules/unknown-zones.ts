// A TZID that names no VTIMEZONE of the message and no zone we know (RFC 5545
// section 3.2.19 lets a sender leave the VTIMEZONE out only for a zone the
// receiver knows; "American/New_York" is a typo of America/New_York) is read
// as floating time in the user's zone (src/ical/zones.ts). The times may then
// be hours off, so the journal says which TZID it was and what was done.

import type { Context } from '../context.js';
import { zoneOf } from '../preferences.js';

/** Every TZID parameter of the message's components and their alarms. */
function tzidsOf(context: Context): Set<string> {
  const tzids = new Set<string>();
  const visit = (component: import('ical.js').default.Component) => {
    for (const prop of component.getAllProperties()) {
      const tzid = prop.getParameter('tzid');
      if (typeof tzid === 'string' && tzid) tzids.add(tzid);
    }
    for (const sub of component.getAllSubcomponents()) visit(sub);
  };
  for (const component of context.incoming.list()) visit(component);
  return tzids;
}

/** The journal note for the unknown TZIDs of the message, or undefined when every one was known. */
export function unknownZoneNote(context: Context): string | undefined {
  const zones = context.incoming.zones;
  // Resolving records the TZIDs that fall back to the user's zone in `unknown`.
  const unknown = [...tzidsOf(context)].filter((tzid) => (zones.zone(tzid), zones.unknown.has(tzid)));
  if (unknown.length === 0) return undefined;
  const userTzid = zoneOf(context.input.prefs);
  const how = context.floating && userTzid ? `in the user's zone ${userTzid}` : 'as UTC, as the user has no TZID preference';
  const names = unknown.sort().map((tzid) => JSON.stringify(tzid.replace(/[\r\n]+/g, ' ').slice(0, 80)));
  return `the TZID ${names.join(', ')} is neither defined by a VTIMEZONE of the message nor a zone we know; its times were read ${how}`;
}

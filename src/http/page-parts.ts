// Pieces several pages share: links to an event, the summary of another event
// of the user's (read once per page), and the list of clashes.

import { html, type Html } from './html.js';
import type { Clash, Span } from './clashes.js';
import { readEvent } from './event-view.js';
import { linkFor, type PageUser } from './page-user.js';

/** The most clashes a card names before "and N more". */
const CLASHES_SHOWN = 5;

/** The detail page of an event (an instance with `rid`). */
export function eventLink(who: PageUser, uid: string, recurrenceId?: string | null): string {
  return linkFor(who, `/event/${encodeURIComponent(uid)}`, { rid: recurrenceId ?? undefined });
}

/**
 * The summaries of the user's events that these lists of clashes show (the
 * first CLASHES_SHOWN of each), each read once, for clashList.
 */
export async function summaryReader(who: PageUser, clashLists: Iterable<Clash[]>): Promise<(uid: string) => string> {
  const known = new Map<string, string>();
  for (const clashes of clashLists) {
    for (const { uid } of clashes.slice(0, CLASHES_SHOWN)) {
      if (known.has(uid)) continue;
      const stored = await who.store.getObject(who.user, uid);
      const event = stored && readEvent(stored, who.floating);
      known.set(uid, event ? event.summary() : UNREADABLE);
    }
  }
  return (uid) => known.get(uid) ?? UNREADABLE;
}

const UNREADABLE = '(an event that cannot be read)';

const FBTYPE_TEXT: Record<string, string> = { BUSY: 'busy', 'BUSY-TENTATIVE': 'tentative', 'BUSY-UNAVAILABLE': 'unavailable' };

export function fbtypeText(fbtype: string): string {
  return FBTYPE_TEXT[fbtype] ?? fbtype.toLowerCase();
}

export function spanText(who: PageUser, span: Span): string {
  return who.time.span(span.start, span.end, span.allDay);
}

/** What a time clashes with in the user's own free/busy, or that it is free. */
export function clashList(who: PageUser, clashes: Clash[], summaryOf: (uid: string) => string, checked: boolean): Html {
  if (!checked) return html``;
  if (clashes.length === 0) return html`<p class="free">No clash with your calendar.</p>`;
  const items = clashes.slice(0, CLASHES_SHOWN).map(
    (clash) => html`<li><a href="${eventLink(who, clash.uid, clash.recurrenceId)}">${summaryOf(clash.uid)}</a>: ${who.time.span(clash.start, clash.end, false)} (${fbtypeText(clash.fbtype)})</li>`,
  );
  const more = clashes.length > CLASHES_SHOWN ? html`<li>and ${clashes.length - CLASHES_SHOWN} more</li>` : '';
  return html`<div class="clash"><p><strong>Clashes with</strong> ${clashes.length === 1 ? 'one event' : `${clashes.length} busy times`} in your calendar:</p><ul>${items}${more}</ul></div>`;
}

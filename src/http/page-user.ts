// Whose calendar a page shows, and whether the signed-in person may see it.
//
// Every page shows the signed-in user's own data unless its URL names another
// calendar user (`?user=ADDR`, or the address in the path of /bookings/ADDR);
// then mayActFor (access.ts) decides, and anyone it does not allow gets 403
// before anything of that user is read.

import type { FastifyReply, FastifyRequest } from 'fastify';
import { normalizeAddress } from '../ical/address.js';
import type { Zone } from '../ical/zones.js';
import { zoneOf } from '../itip/preferences.js';
import { userZone } from '../ical/zones.js';
import type { Preferences, Role } from '../itip/model.js';
import type { Store } from '../store/store.js';
import { mayActFor, storeOwners } from './access.js';
import type {} from './context.js';
import { html, notice } from './html.js';
import { sendPage } from './respond.js';
import { TimeText } from './time-text.js';

export interface PageUser {
  store: Store;
  /** The calendar user whose data the page shows (lower-case mailto: URI). */
  user: string;
  /** The user is the signed-in person themself. */
  self: boolean;
  role: Role | undefined;
  prefs: Preferences;
  /** The user's zone for floating times and dates, and the times of the page. */
  floating: Zone | null;
  time: TimeText;
  now: number;
  csrf: string;
}

/** The bare address of a calendar user address. */
export function bare(address: string): string {
  return address.replace(/^mailto:/i, '');
}

/** A link of the pages for the user a page shows: `?user=` only when it is not the signed-in person. */
export function linkFor(who: Pick<PageUser, 'user' | 'self'>, path: string, query: Record<string, string | undefined> = {}): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) if (value !== undefined && value !== '') params.set(name, value);
  if (!who.self) params.set('user', bare(who.user));
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

export function forbiddenPage(reply: FastifyReply, address: string): FastifyReply {
  return sendPage(reply, 403, {
    title: 'Not your calendar',
    body: html`${notice('error', html`You may not see or change the calendar of <strong class="address">${bare(address)}</strong>.`)}
<p>Each person sees their own calendar, and the owners of a resource (a room, a projector) see the resource's: its <code>owners</code> preference names them.</p>
<p><a href="/">Go to your requests</a></p>`,
  });
}

export function noStorePage(reply: FastifyReply, status = 503): FastifyReply {
  return sendPage(reply, status, {
    title: 'The calendar is not available',
    body: html`${notice('error', 'This web listener has no calendar store, so there is no calendar to show.')}
<p>Tell the administrator: the web pages show calendars when they run inside <code>itip-agent serve</code> with its store.</p>`,
  });
}

/**
 * The user a page is about: the signed-in person, or `asked` when they may act
 * for it. Sends the 403 (or the page saying there is no store) itself and
 * returns undefined when the page must not go on.
 */
export async function pageUser(request: FastifyRequest, reply: FastifyReply, asked?: unknown): Promise<PageUser | undefined> {
  const web = request.server.web;
  const me = request.user!;
  let user = me;
  if (typeof asked === 'string' && asked.trim() !== '') {
    const address = normalizeAddress(asked);
    const owners = address ? await storeOwners(web.store, address) : [];
    if (!address || !mayActFor(me, address, () => owners)) {
      forbiddenPage(reply, address ?? asked);
      return undefined;
    }
    user = address;
  } else if (asked !== undefined && typeof asked !== 'string') {
    forbiddenPage(reply, String(asked));
    return undefined;
  }
  const store = web.store;
  if (!store) {
    noStorePage(reply);
    return undefined;
  }
  const prefs = await store.getPrefs(user);
  const tzid = zoneOf(prefs);
  return {
    store,
    user,
    self: user === me,
    role: await store.getRole(user),
    prefs,
    floating: userZone(tzid),
    time: new TimeText(tzid),
    now: web.now(),
    csrf: request.session?.csrf ?? '',
  };
}

/** A line that says whose calendar this is when it is not the signed-in person's. */
export function actingNote(who: PageUser) {
  return who.self ? '' : html`<p class="acting">You are looking at the calendar of <strong class="address">${bare(who.user)}</strong>${who.role === 'resource' ? ' (a resource)' : ''}.</p>`;
}

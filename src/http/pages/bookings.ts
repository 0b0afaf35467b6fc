// Resources (rooms, equipment) and their bookings. /bookings lists the
// resources the signed-in person may act for (their `owners` preference names
// them, or the person is the resource); /bookings/ADDR shows one resource's
// bookings for the coming weeks. Anyone else gets 403 (access.ts mayActFor).

import type { FastifyInstance } from 'fastify';
import { resourceOwners } from '../../itip/preferences.js';
import type {} from '../context.js';
import { html, notice } from '../html.js';
import { actingNote, bare, noStorePage, pageUser } from '../page-user.js';
import { errorPage, sendPage } from '../respond.js';
import { busyDays, rangeOf, rangePager } from './freebusy.js';

/** The resources a person may act for: themself if a resource, and those whose owners name them. */
async function resourcesOf(store: NonNullable<FastifyInstance['web']['store']>, user: string): Promise<string[]> {
  const found: string[] = [];
  for (const address of await store.listUsers()) {
    if ((await store.getRole(address)) !== 'resource') continue;
    if (address === user || resourceOwners(await store.getPrefs(address)).includes(user)) found.push(address);
  }
  return found.sort();
}

export async function bookingsPages(app: FastifyInstance): Promise<void> {
  app.get('/bookings', async (request, reply) => {
    const store = request.server.web.store;
    if (!store) return noStorePage(reply);
    const resources = await resourcesOf(store, request.user!);
    const list = resources.map((address) => html`<li><a href="/bookings/${encodeURIComponent(bare(address))}">${bare(address)}</a></li>`);
    return sendPage(reply, 200, {
      title: 'Resources',
      body: resources.length
        ? html`<p>The resources you manage. Open one to see its bookings, its calendar and its settings.</p><ul class="resources">${list}</ul>`
        : html`<p>You manage no resource. A resource (a room, a projector) names the people who manage it in its <code>owners</code> preference, set with <code>itip-agent prefs ROOM owners ${bare(request.user!)}</code>.</p>`,
    });
  });

  app.get<{ Params: { address: string } }>('/bookings/:address', async (request, reply) => {
    const query = request.query as Record<string, unknown>;
    const who = await pageUser(request, reply, request.params.address);
    if (!who) return reply;
    if (who.role !== 'resource') return errorPage(reply, 404, notice('error', `${bare(who.user)} is not a resource, so it has no bookings.`));
    const range = rangeOf(who, query);
    if (typeof range === 'string') return sendPage(reply, 400, { title: 'Bookings', body: notice('error', range) });
    const path = `/bookings/${encodeURIComponent(bare(who.user))}`;
    // The pager adds ?user= for a resource that is not the signed-in person; the path names it already.
    const pager = rangePager({ ...who, self: true }, path, range.first, range.weeks);
    const days = range.weeks * 7;
    const user = encodeURIComponent(bare(who.user));
    return sendPage(reply, 200, {
      title: `Bookings of ${bare(who.user)}`,
      body: html`${actingNote(who)}
<p>Also: <a href="/calendar?user=${user}">its calendar</a>, <a href="/preferences?user=${user}">its settings</a>, <a href="/?user=${user}">its requests</a>.</p>
${pager}
<p class="range">${who.time.date(range.first)} to ${who.time.date(range.first + days - 1)} <span class="muted">(${who.time.label})</span></p>
${await busyDays(who, range.first, days, { organizer: true })}`,
    });
  });
}

// The user's own free/busy (/free-busy): the busy periods the agent keeps for
// them (the same the agent answers free/busy requests with), a list per day
// for the coming weeks, each with the event it comes from.

import type { FastifyInstance } from 'fastify';
import { formatUtc, parseInstant } from '../../ical/times.js';
import type { Period } from '../../itip/model.js';
import type {} from '../context.js';
import { readEvent, personText } from '../event-view.js';
import { html, notice, type Html } from '../html.js';
import { eventLink, fbtypeText } from '../page-parts.js';
import { actingNote, linkFor, pageUser, type PageUser } from '../page-user.js';
import { sendPage } from '../respond.js';
import { dayKey, parseDay } from '../time-text.js';

const DEFAULT_WEEKS = 4;
const MAX_WEEKS = 26;

interface EventFacts {
  summary: string;
  organizer: string;
}

/** Summary and organizer of the user's events of these periods, each read once. */
async function readFacts(who: PageUser, periods: readonly Period[]): Promise<Map<string, EventFacts>> {
  const known = new Map<string, EventFacts>();
  for (const { uid } of periods) {
    if (known.has(uid)) continue;
    const stored = await who.store.getObject(who.user, uid);
    const event = stored && readEvent(stored, who.floating);
    known.set(uid, event ? { summary: event.summary(), organizer: personText(event.organizer()) } : GONE);
  }
  return known;
}

const GONE: EventFacts = { summary: '(an event no longer stored)', organizer: '' };

/** The busy periods of `days` days from `first`, a list per day, in the user's zone. */
export async function busyDays(who: PageUser, first: number, days: number, options: { organizer?: boolean } = {}): Promise<Html> {
  const time = who.time;
  const from = time.dayStart(first);
  const to = time.dayStart(first + days);
  const periods = (await who.store.freeBusy(who.user, { from: formatUtc(from), to: formatUtc(to) })) as Period[];
  const byDay = new Map<number, Html[]>();
  const factsOf = await readFacts(who, periods);
  for (const period of periods) {
    const start = parseInstant(period.start);
    const end = parseInstant(period.end);
    const facts = factsOf.get(period.uid) ?? GONE;
    const lastDay = time.day(Math.max(start, end - 1));
    for (let day = Math.max(time.day(start), first); day <= Math.min(lastDay, first + days - 1); day++) {
      const dayFrom = Math.max(start, time.dayStart(day));
      const dayTo = Math.min(end, time.dayStart(day + 1));
      const span = dayFrom === time.dayStart(day) && dayTo === time.dayStart(day + 1) ? 'all day' : `${time.time(dayFrom)}-${dayTo === time.dayStart(day + 1) ? '24:00' : time.time(dayTo)}`;
      const item = html`<li><span class="time">${span}</span> <span class="tag fb-${period.fbtype.toLowerCase()}">${fbtypeText(period.fbtype)}</span> <a href="${eventLink(who, period.uid, period.recurrenceId)}">${facts.summary}</a>${
        options.organizer && facts.organizer ? html` <span class="muted">booked by ${facts.organizer}</span>` : ''
      }</li>`;
      const list = byDay.get(day);
      if (list) list.push(item);
      else byDay.set(day, [item]);
    }
  }
  const items: Html[] = [];
  for (let day = first; day < first + days; day++) {
    const list = byDay.get(day);
    items.push(html`<li class="day"><h3>${time.date(day)}</h3>${list ? html`<ul class="entries">${list}</ul>` : html`<p class="muted nothing">Free</p>`}</li>`);
  }
  return html`<ol class="busy-days">${items}</ol>`;
}

/** The first day and the number of weeks a list asks for (?from=2026-12-01&weeks=4), or a problem. */
export function rangeOf(who: PageUser, query: Record<string, unknown>): { first: number; weeks: number } | string {
  const today = who.time.day(who.now);
  const first = query.from === undefined ? today : typeof query.from === 'string' ? parseDay(query.from) : undefined;
  if (first === undefined) return `${JSON.stringify(String(query.from))} is no day; write it like ${dayKey(today)}.`;
  const weeks = query.weeks === undefined ? DEFAULT_WEEKS : Number(query.weeks);
  if (!Number.isInteger(weeks) || weeks < 1 || weeks > MAX_WEEKS) return `Show 1 to ${MAX_WEEKS} weeks at a time.`;
  return { first, weeks };
}

export function rangePager(who: PageUser, path: string, first: number, weeks: number): Html {
  const links: Array<[string, string]> = [
    [linkFor(who, path, { from: dayKey(first - weeks * 7), weeks: String(weeks) }), `Previous ${weeks} weeks`],
    [linkFor(who, path, {}), 'From today'],
    [linkFor(who, path, { from: dayKey(first + weeks * 7), weeks: String(weeks) }), `Next ${weeks} weeks`],
  ];
  return html`<nav class="pager" aria-label="Other weeks"><ul>${links.map(([href, label]) => html`<li><a href="${href}">${label}</a></li>`)}</ul></nav>`;
}

export async function freeBusyPage(app: FastifyInstance): Promise<void> {
  app.get('/free-busy', async (request, reply) => {
    const query = request.query as Record<string, unknown>;
    const who = await pageUser(request, reply, query.user);
    if (!who) return reply;
    const range = rangeOf(who, query);
    if (typeof range === 'string') return sendPage(reply, 400, { title: 'Free/busy', body: html`${notice('error', range)}<p><a href="/free-busy">Show the coming weeks</a></p>` });
    const days = range.weeks * 7;
    return sendPage(reply, 200, {
      title: 'Free/busy',
      body: html`${actingNote(who)}
<p>The times the agent counts as busy: the events you organize and those you accepted (tentative ones as tentative). When you share your free/busy (the preference <code>freebusy_sharing</code>), others see these times, without the titles.</p>
${rangePager(who, '/free-busy', range.first, range.weeks)}
<p class="range">${who.time.date(range.first)} to ${who.time.date(range.first + days - 1)} <span class="muted">(${who.time.label})</span></p>
${await busyDays(who, range.first, days)}`,
    });
  });
}

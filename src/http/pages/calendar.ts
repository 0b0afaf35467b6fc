// The calendar: a week (?week=2026-W49) or a month (?month=2026-12), by
// default the week of the calendar clock's today, in the user's zone. Series
// are expanded (src/ical/expand.ts) within the days shown; cancelled events
// and instances stay, struck through and labelled; each entry links to the
// event's detail.

import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Instance } from '../../ical/expand.js';
import type {} from '../context.js';
import { html, notice, type Html } from '../html.js';
import { isCancelled, readEvent } from '../event-view.js';
import { eventLink } from '../page-parts.js';
import { actingNote, linkFor, pageUser, type PageUser } from '../page-user.js';
import { sendPage } from '../respond.js';
import { MONTH_NAMES, dateOf, dayNumber, isoWeekOf, monthKey, parseMonth, parseWeek, weekdayOf, weekKey } from '../time-text.js';

/** The most days one instance is shown on (an event of many weeks is shown on the days in view only). */
const MAX_DAYS_PER_INSTANCE = 62;

interface Entry {
  uid: string;
  key: string;
  summary: string;
  /** Sort key within the day: all-day first, then by start. */
  order: number;
  time: string;
  cancelled: boolean;
  /** The user's answer when it is not a plain yes. */
  mark?: string;
}

const MARKS: Record<string, string> = { 'NEEDS-ACTION': 'not answered', TENTATIVE: 'tentative', DECLINED: 'declined', DELEGATED: 'delegated' };

/** The entries of each day from `first` for `days` days. */
async function entriesByDay(who: PageUser, first: number, days: number): Promise<Map<number, Entry[]>> {
  const byDay = new Map<number, Entry[]>();
  const from = who.time.dayStart(first);
  const to = who.time.dayStart(first + days);
  for (const stored of await who.store.listObjects(who.user)) {
    const view = readEvent(stored, who.floating);
    if (!view) continue;
    const { instances } = view.instances({ from, to });
    for (const instance of instances) {
      if (instance.end <= from && instance.start < from) continue;
      if (instance.start >= to) continue;
      addInstance(who, byDay, instance, view.summary(instance.component), view.uid, view.partstatOf(who.user, instance.component), first, days);
    }
  }
  for (const list of byDay.values()) list.sort((a, b) => a.order - b.order || (a.summary < b.summary ? -1 : a.summary > b.summary ? 1 : 0));
  return byDay;
}

function addInstance(who: PageUser, byDay: Map<number, Entry[]>, instance: Instance, summary: string, uid: string, partstat: string | undefined, first: number, days: number): void {
  const time = who.time;
  const startDay = time.day(instance.start);
  const lastDay = instance.end > instance.start ? time.day(instance.end - 1) : startDay;
  const cancelled = isCancelled(instance.component);
  const mark = partstat ? MARKS[partstat] : undefined;
  const from = Math.max(startDay, first);
  const to = Math.min(lastDay, first + days - 1, from + MAX_DAYS_PER_INSTANCE);
  for (let day = from; day <= to; day++) {
    let text: string;
    if (instance.allDay) text = 'all day';
    else if (day === startDay && day === lastDay) text = instance.end > instance.start ? `${time.time(instance.start)}-${time.time(instance.end)}` : time.time(instance.start);
    else if (day === startDay) text = `from ${time.time(instance.start)}`;
    else if (day === lastDay) text = `until ${time.time(instance.end)}`;
    else text = 'all day (continues)';
    const order = instance.allDay || day !== startDay ? -1 : instance.start;
    const entry: Entry = { uid, key: instance.key, summary, order, time: text, cancelled, ...(mark ? { mark } : {}) };
    const list = byDay.get(day);
    if (list) list.push(entry);
    else byDay.set(day, [entry]);
  }
}

function entryItem(who: PageUser, entry: Entry): Html {
  const label = html`<span class="time">${entry.time}</span> ${entry.summary}`;
  return html`<li class="entry${entry.cancelled ? ' cancelled' : ''}"><a href="${eventLink(who, entry.uid, entry.key || undefined)}">${entry.cancelled ? html`<del>${label}</del>` : label}</a>${
    entry.cancelled ? html` <span class="tag cancelled">cancelled</span>` : ''
  }${entry.mark && !entry.cancelled ? html` <span class="tag">${entry.mark}</span>` : ''}</li>`;
}

function dayCell(who: PageUser, day: number, entries: Entry[] | undefined, today: number, withYear: boolean): Html {
  const list = entries?.length ? html`<ul class="entries">${entries.map((e) => entryItem(who, e))}</ul>` : html`<p class="muted nothing">Nothing</p>`;
  return html`<li class="day${day === today ? ' today' : ''}"${day === today ? html` aria-current="date"` : ''}>
<h3>${who.time.date(day, withYear)}${day === today ? html` <span class="tag">today</span>` : ''}</h3>
${list}
</li>`;
}

function pager(links: Array<[string, string]>): Html {
  return html`<nav class="pager" aria-label="Other weeks and months"><ul>${links.map(([href, label]) => html`<li><a href="${href}">${label}</a></li>`)}</ul></nav>`;
}

async function weekView(who: PageUser, monday: number, today: number): Promise<{ title: string; body: Html }> {
  const byDay = await entriesByDay(who, monday, 7);
  const { week, year } = isoWeekOf(monday);
  const sunday = monday + 6;
  const title = `Week ${week} of ${year}`;
  const month = dateOf(monday + 3);
  const nav = pager([
    [linkFor(who, '/calendar', { week: weekKey(monday - 7) }), 'Previous week'],
    [linkFor(who, '/calendar', { week: weekKey(today) }), 'This week'],
    [linkFor(who, '/calendar', { week: weekKey(monday + 7) }), 'Next week'],
    [linkFor(who, '/calendar', { month: monthKey(month.year, month.month) }), 'Month view'],
  ]);
  const days = Array.from({ length: 7 }, (_, i) => dayCell(who, monday + i, byDay.get(monday + i), today, false));
  return {
    title,
    body: html`${nav}<p class="range">${who.time.date(monday)} to ${who.time.date(sunday)} <span class="muted">(${who.time.label})</span></p><ol class="week">${days}</ol>`,
  };
}

async function monthView(who: PageUser, year: number, month: number, today: number): Promise<{ title: string; body: Html }> {
  const first = dayNumber(year, month, 1);
  const next = month === 12 ? dayNumber(year + 1, 1, 1) : dayNumber(year, month + 1, 1);
  const byDay = await entriesByDay(who, first, next - first);
  const before = month === 1 ? monthKey(year - 1, 12) : monthKey(year, month - 1);
  const after = month === 12 ? monthKey(year + 1, 1) : monthKey(year, month + 1);
  const now = dateOf(today);
  const nav = pager([
    [linkFor(who, '/calendar', { month: before }), 'Previous month'],
    [linkFor(who, '/calendar', { month: monthKey(now.year, now.month) }), 'This month'],
    [linkFor(who, '/calendar', { month: after }), 'Next month'],
    [linkFor(who, '/calendar', { week: weekKey(first <= today && today < next ? today : first) }), 'Week view'],
  ]);
  // Empty cells before the 1st keep the weekday columns on wide screens; they are hidden on phones.
  const pads = Array.from({ length: weekdayOf(first) }, () => html`<li class="pad" aria-hidden="true"></li>`);
  const days = Array.from({ length: next - first }, (_, i) => dayCell(who, first + i, byDay.get(first + i), today, false));
  const heads = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'].map((d) => html`<li aria-hidden="true">${d}</li>`);
  return {
    title: `${MONTH_NAMES[month - 1]} ${year}`,
    body: html`${nav}<p class="range muted">Times in ${who.time.label}</p><ul class="weekdays">${heads}</ul><ol class="month">${pads}${days}</ol>`,
  };
}

export async function calendarPage(app: FastifyInstance): Promise<void> {
  app.get('/calendar', async (request, reply) => {
    const query = request.query as Record<string, unknown>;
    const who = await pageUser(request, reply, query.user);
    if (!who) return reply;
    const today = who.time.day(who.now);
    let view: { title: string; body: Html };
    if (query.month !== undefined) {
      const month = typeof query.month === 'string' ? parseMonth(query.month) : undefined;
      if (!month) return badQuery(reply, `${JSON.stringify(String(query.month))} is no month; write it like ${monthKey(dateOf(today).year, dateOf(today).month)}.`);
      view = await monthView(who, month.year, month.month, today);
    } else {
      const monday = query.week === undefined ? today - weekdayOf(today) : typeof query.week === 'string' ? parseWeek(query.week) : undefined;
      if (monday === undefined) return badQuery(reply, `${JSON.stringify(String(query.week))} is no week; write it like ${weekKey(today)}.`);
      view = await weekView(who, monday, today);
    }
    return sendPage(reply, 200, { title: view.title, body: html`${actingNote(who)}${view.body}` });
  });
}

function badQuery(reply: FastifyReply, problem: string): FastifyReply {
  return sendPage(reply, 400, { title: 'Calendar', body: html`${notice('error', problem)}<p><a href="/calendar">Go to this week</a></p>` });
}

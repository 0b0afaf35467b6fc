// The requests page, where a signed-in person lands: the invitations that
// wait for their answer (what each would change, what it clashes with), the
// proposals attendees made for their events, and the refresh requests that
// wait for the current version. Every answer is a form (forms.ts).

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type {} from '../context.js';
import { takeFlash } from '../flash.js';
import { answerForms, counterForms, refreshForm, type FailedForm, type FormContext } from '../forms.js';
import { html, type Html } from '../html.js';
import { partstatText, personText, type EventView } from '../event-view.js';
import { clashList, eventLink, spanText, summaryReader } from '../page-parts.js';
import { actingNote, bare, linkFor, noStorePage, pageUser, type PageUser } from '../page-user.js';
import { readQueue, type Card, type CounterCard } from '../request-view.js';
import { sendPage } from '../respond.js';

/** The most cards of one kind on the page; the rest wait until some are answered. */
const MAX_CARDS = 1_000;

export interface RenderOptions {
  status?: number;
  notice?: Html;
  failed?: FailedForm;
  query?: Record<string, unknown>;
}

function organizerOf(card: Card): string {
  const organizer = card.event?.organizer();
  return organizer && organizer.address === card.entry.from ? personText(organizer) : bare(card.entry.from);
}

function whenLine(who: PageUser, card: { when?: { start: number; end: number; allDay: boolean }; event?: EventView; key: string }): Html {
  if (!card.when) return html`<p class="when muted">No time given.</p>`;
  const series = card.key
    ? html` <span class="muted">(one instance of a repeating event)</span>`
    : card.event?.isRecurring
      ? html` <span class="muted">(repeats; the next instance shown)</span>`
      : '';
  return html`<p class="when">${spanText(who, card.when)}${series}</p>`;
}

function invitationCard(who: PageUser, form: FormContext, card: Card, index: number, summaryOf: (uid: string) => string): Html {
  const id = `invitation-${index}`;
  const partstat = card.event?.partstatOf(who.user, card.event.component(card.key) ?? card.event.reference);
  const answered = partstat && partstat !== 'NEEDS-ACTION' ? html`<p>Your answer so far: <strong>${partstatText(partstat)}</strong>.</p>` : '';
  const body = card.problem
    ? html`<p class="notice error">${card.problem}</p>`
    : html`${answered}
<ul class="changes">${card.changes.map((line) => html`<li>${line}</li>`)}</ul>
${clashList(who, card.clashes, summaryOf, true)}
${answerForms(form, { uid: card.entry.uid, recurrenceId: card.key, etag: card.event!.etag }, card.when)}`;
  return html`<article class="card" aria-labelledby="${id}">
<h3 id="${id}"><a href="${eventLink(who, card.entry.uid, card.entry.recurrenceId)}">${card.summary}</a></h3>
${whenLine(who, card)}
<p class="muted">From ${organizerOf(card)}; received ${who.time.at(Date.parse(card.entry.received))}.</p>
${body}
</article>`;
}

function counterCard(who: PageUser, form: FormContext, card: CounterCard, index: number, summaryOf: (uid: string) => string): Html {
  const id = `proposal-${index}`;
  const attendee = card.event?.attendees(card.event.component(card.key) ?? card.event.reference).find((a) => a.address === card.counter.attendee);
  const proposer = attendee ? personText(attendee) : bare(card.counter.attendee);
  const times = html`<ul class="changes">
<li>Now: ${card.current ? spanText(who, card.current) : 'no time'}</li>
<li>Proposed: ${card.proposed ? spanText(who, card.proposed) : 'no time (the proposal changes something else)'}</li>
</ul>`;
  const comment = card.comment ? html`<p>Their comment: <q class="quoted">${card.comment}</q></p>` : '';
  const body = card.problem
    ? html`<p class="notice error">${card.problem}</p>`
    : html`${times}${comment}
${card.proposed ? clashList(who, card.clashes, summaryOf, card.spans.length > 0) : ''}
${counterForms(form, { uid: card.counter.uid, recurrenceId: card.key, etag: card.event!.etag }, card.counter.attendee)}`;
  return html`<article class="card" aria-labelledby="${id}">
<h3 id="${id}"><a href="${eventLink(who, card.counter.uid, card.counter.recurrenceId)}">${card.summary}</a></h3>
<p>${proposer} proposes another time; received ${who.time.at(Date.parse(card.counter.received))}.</p>
${body}
</article>`;
}

function refreshCard(who: PageUser, form: FormContext, card: Card, index: number): Html {
  const id = `refresh-${index}`;
  const body = card.problem
    ? html`<p class="notice error">${card.problem}</p>`
    : refreshForm(form, { uid: card.entry.uid, recurrenceId: card.key, etag: card.event!.etag }, card.entry.from);
  return html`<article class="card" aria-labelledby="${id}">
<h3 id="${id}"><a href="${eventLink(who, card.entry.uid, card.entry.recurrenceId)}">${card.summary}</a></h3>
${whenLine(who, card)}
<p>${bare(card.entry.from)} asks for the current version of this event; received ${who.time.at(Date.parse(card.entry.received))}.</p>
${body}
</article>`;
}

function otherCard(who: PageUser, card: Card, index: number): Html {
  const id = `other-${index}`;
  const what =
    card.entry.method === 'REPLY'
      ? html`<p>${bare(card.entry.from)}, who is not among the attendees, answered this event. These pages cannot add them to it; your calendar program can.</p>`
      : html`<p>A ${card.entry.method} from ${bare(card.entry.from)} waits here; these pages cannot answer it.</p>`;
  return html`<article class="card" aria-labelledby="${id}">
<h3 id="${id}"><a href="${eventLink(who, card.entry.uid, card.entry.recurrenceId)}">${card.summary}</a></h3>
${what}
</article>`;
}

function section<T>(title: string, items: T[], render: (item: T, index: number) => Html, empty: string): Html {
  const shown = items.slice(0, MAX_CARDS);
  const more = items.length > MAX_CARDS ? html`<p class="muted">${items.length - MAX_CARDS} more are not shown; answer some of these to see them.</p>` : '';
  return html`<section aria-labelledby="${title.replace(/\W+/g, '-').toLowerCase()}">
<h2 id="${title.replace(/\W+/g, '-').toLowerCase()}">${title} <span class="count">(${items.length})</span></h2>
${items.length === 0 ? html`<p class="muted">${empty}</p>` : html`<div class="cards">${shown.map(render)}</div>${more}`}
</section>`;
}

/** Renders the requests page (also after a form came back with a problem). */
export async function renderRequests(request: FastifyRequest, reply: FastifyReply, options: RenderOptions = {}): Promise<FastifyReply> {
  const query = options.query ?? (request.query as Record<string, unknown>);
  if (!request.server.web.store && query.user === undefined) return noStorePage(reply, 200);
  const who = await pageUser(request, reply, query.user);
  if (!who) return reply;
  const queue = await readQueue(who.store, who.user, who.floating, who.now, who.time);
  const summaryOf = await summaryReader(who, [...queue.invitations, ...queue.counters].map((card) => card.clashes));
  const form: FormContext = { who, back: linkFor(who, '/'), ...(options.failed ? { failed: options.failed } : {}) };
  const notice = options.notice ?? takeFlash(request) ?? '';
  const zone = html`<p class="muted">Times are in ${who.time.label}${who.self ? html` (<a href="/preferences">change the time zone</a>)` : ''}.</p>`;
  return sendPage(reply, options.status ?? 200, {
    title: 'Requests',
    body: html`${actingNote(who)}${notice}${zone}
${section('Invitations', queue.invitations, (card, i) => invitationCard(who, form, card, i, summaryOf), 'No invitation waits for your answer.')}
${section('Proposals from attendees', queue.counters, (card, i) => counterCard(who, form, card, i, summaryOf), 'No attendee proposed another time.')}
${section('Refresh requests', queue.refreshes, (card, i) => refreshCard(who, form, card, i), 'Nobody asked for the current version of an event.')}
${queue.others.length > 0 ? section('Other messages', queue.others, (card, i) => otherCard(who, card, i), '') : ''}`,
  });
}

export async function requestsPage(app: FastifyInstance): Promise<void> {
  app.get('/', async (request, reply) => renderRequests(request, reply));
}

// The detail of one event (/event/UID, one instance with ?rid=): its time,
// place, organizer, the attendees with their answers and the delivery status
// of the organizer's messages to them (SCHEDULE-STATUS, RFC 6638 section
// 3.2.9), the description as text, and the forms the user's side of the event
// allows: answering as an attendee, deleting or cancelling.

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type {} from '../context.js';
import { takeFlash } from '../flash.js';
import { answerForms, askRefreshForm, deleteForm, type FormContext } from '../forms.js';
import { html, notice, type Html } from '../html.js';
import { isCancelled, partstatText, personText, readEvent, statusMeaning, type EventView } from '../event-view.js';
import { eventLink, spanText } from '../page-parts.js';
import { actingNote, bare, linkFor, pageUser, type PageUser } from '../page-user.js';
import type { Span } from '../clashes.js';
import { instanceSpan } from '../request-view.js';
import { errorPage, sendPage } from '../respond.js';
import { DAY } from '../time-text.js';
import type { RenderOptions } from './requests.js';

/** How many upcoming instances of a series the page lists. */
const INSTANCES_LISTED = 12;

function attendeeTable(view: EventView, user: string, component = view.reference): Html {
  const rows = view.attendees(component);
  if (rows.length === 0) return html`<p class="muted">No attendees.</p>`;
  const body = rows.map((row) => {
    const delegation = [row.delegatedTo ? `delegated to ${bare(row.delegatedTo)}` : '', row.delegatedFrom ? `for ${bare(row.delegatedFrom)}` : ''].filter(Boolean).join('; ');
    const status = row.scheduleStatus.length
      ? row.scheduleStatus.map((code) => html`<span class="status"><code>${code}</code> ${statusMeaning(code)}</span>`)
      : html`<span class="muted">none recorded</span>`;
    return html`<tr>
<td class="address" data-label="Who">${personText(row)}${row.address === user ? html` <strong>(you)</strong>` : ''}</td>
<td data-label="Role">${row.role ? row.role.toLowerCase().replace(/-/g, ' ') : 'required participant'}</td>
<td data-label="Answer"><span class="partstat partstat-${row.partstat.toLowerCase().replace(/[^a-z-]/g, '')}">${partstatText(row.partstat)}</span>${delegation ? html` <span class="muted">(${delegation})</span>` : ''}</td>
<td data-label="Delivery">${status}</td>
</tr>`;
  });
  return html`<div class="table-wrap"><table class="people">
<caption>Attendees and their answers</caption>
<thead><tr><th scope="col">Who</th><th scope="col">Role</th><th scope="col">Answer</th><th scope="col">Delivery of the last message (SCHEDULE-STATUS)</th></tr></thead>
<tbody>${body}</tbody>
</table></div>`;
}

function instanceList(who: PageUser, view: EventView): Html {
  if (!view.isRecurring) return html``;
  const { instances, truncated } = view.instances({ from: who.now, to: who.now + 366 * DAY });
  const listed = instances.slice(0, INSTANCES_LISTED).map((instance) => {
    const cancelled = isCancelled(instance.component);
    const text = spanText(who, instance);
    const link = html`<a href="${eventLink(who, view.uid, instance.key)}">${cancelled ? html`<del>${text}</del>` : text}</a>`;
    return html`<li>${link}${cancelled ? html` <span class="tag cancelled">cancelled</span>` : ''}</li>`;
  });
  const rule = String(view.master?.getFirstPropertyValue('rrule') ?? '');
  const more = instances.length > INSTANCES_LISTED || truncated ? html`<p class="muted">Later instances are in the <a href="${linkFor(who, '/calendar')}">calendar</a>.</p>` : '';
  return html`<h2>Instances</h2>
${rule ? html`<p>Repeats: <code>${rule}</code></p>` : ''}
${listed.length ? html`<ul class="instances">${listed}</ul>` : html`<p class="muted">No instance in the coming year.</p>`}${more}`;
}

/** Renders the event page (also after a form came back with a problem). */
export async function renderEvent(request: FastifyRequest, reply: FastifyReply, uid: string, options: RenderOptions = {}): Promise<FastifyReply> {
  const query = options.query ?? (request.query as Record<string, unknown>);
  const who = await pageUser(request, reply, query.user);
  if (!who) return reply;
  const stored = await who.store.getObject(who.user, uid);
  if (!stored) return errorPage(reply, 404, notice('error', 'There is no event with this UID in the calendar.'));
  const view = readEvent(stored, who.floating);
  if (!view) return errorPage(reply, 500, notice('error', 'The stored event cannot be read; the agent\'s log says why.'));

  const asked = typeof query.rid === 'string' ? query.rid : '';
  let key = '';
  let problem: Html | string = '';
  if (asked !== '') {
    const span = instanceSpan(view, asked);
    if (view.component(asked) || (view.isRecurring && span)) key = asked;
    else problem = notice('error', 'The event has no such instance; the whole event is shown.');
  }
  const component = view.component(key) ?? view.reference;
  const span: Span | undefined = instanceSpan(view, key);
  const side = view.sideOf(who.user);
  const cancelled = component ? isCancelled(component) : false;
  const form: FormContext = { who, back: eventLink(who, uid, key || undefined), ...(options.failed ? { failed: options.failed } : {}) };
  const target = { uid, recurrenceId: key, etag: view.etag };
  const partstat = view.partstatOf(who.user, component);
  const location = view.location(component);
  const description = view.description(component);
  const organizer = view.organizer(component);

  const facts = html`<dl class="facts">
<dt>When</dt><dd>${span ? (cancelled ? html`<del>${spanText(who, span)}</del>` : spanText(who, span)) : 'no time given'} <span class="muted">(${who.time.label})</span>${cancelled ? html` <span class="tag cancelled">cancelled</span>` : ''}</dd>
${key ? html`<dt>Instance</dt><dd>one instance of a repeating event (<a href="${eventLink(who, uid)}">the whole series</a>)</dd>` : ''}
${location ? html`<dt>Where</dt><dd>${location}</dd>` : ''}
<dt>Organizer</dt><dd class="address">${organizer ? personText(organizer) : 'none: a personal event'}</dd>
${side === 'attendee' ? html`<dt>Your answer</dt><dd>${partstat ? partstatText(partstat) : 'not on the list of this instance'}</dd>` : ''}
<dt>UID</dt><dd class="address"><code>${uid}</code></dd>
</dl>`;

  const answer = side === 'attendee' && !cancelled ? html`<h2>Your answer</h2>${answerForms(form, target, span)}${askRefreshForm(form, target)}` : '';
  const remove = side === 'organizer' || side === 'attendee' ? html`<h2>${side === 'organizer' ? 'Cancel' : 'Delete'}</h2>${deleteForm(form, target, side)}` : '';
  return sendPage(reply, options.status ?? 200, {
    title: view.summary(component),
    body: html`${actingNote(who)}${options.notice ?? takeFlash(request) ?? ''}${problem}
${facts}
${description ? html`<h2>Description</h2><div class="description">${description}</div>` : ''}
<h2>Attendees</h2>
${attendeeTable(view, who.user, component)}
${instanceList(who, view)}
${answer}
${remove}`,
  });
}

export async function eventPage(app: FastifyInstance): Promise<void> {
  app.get<{ Params: { uid: string } }>('/event/:uid', async (request, reply) => renderEvent(request, reply, request.params.uid));
}

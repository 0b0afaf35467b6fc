// The page a signed answer link opens (signed-links.ts): `GET /answer/TOKEN`
// shows the one waiting invitation the token names, read-only, with Accept,
// Tentative and Decline buttons; `POST /answer/TOKEN` answers it as the
// token's user, through the same action runner as the signed-in pages, and
// shows what came of it.
//
// Public routes: the token is the only credential. So:
// - a GET changes nothing (mail scanners open links to look at them); only the
//   form's POST answers, and it must carry the form token that only a page
//   served for this link holds (there is no session to tie a CSRF token to);
// - a token that is not ours (unreadable, or its mac does not check out)
//   gets 404 and counts as a failure of the client's address: after
//   http.maxFailuresPerAddress of them in the window, 429 (login-limits.ts);
// - a token of ours that expired, or whose request was answered or changed
//   since (the stored copy's entity tag differs, or the entry is gone), gets
//   410 and the way to go on: sign in. The page of a failed token shows
//   nothing of any calendar.

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { mailAddress } from '../ical/address.js';
import { attendeesOf, scheduledComponentsOf, organizerOf, parseCalendar, recurrenceKey, textOf } from '../ical/calendar.js';
import { ZoneResolver, userZone } from '../ical/zones.js';
import { etagOf, type Answer, type UserAction } from '../itip/actions/action.js';
import type { RequestEntry, StoredObject } from '../itip/model.js';
import { zoneOf } from '../itip/preferences.js';
import { whenText } from '../mail/compose-imip.js';
import type {} from './context.js';
import { html, notice, type Html } from './html.js';
import { clientKey } from './login-limits.js';
import { sendPage } from './respond.js';
import { requestKey, REQUESTS_PATH } from './signed-links.js';

const ANSWERS: Record<string, { partstat: Answer; label: string; done: string }> = {
  accept: { partstat: 'ACCEPTED', label: 'Accept', done: 'accepted' },
  tentative: { partstat: 'TENTATIVE', label: 'Tentative', done: 'tentatively accepted' },
  decline: { partstat: 'DECLINED', label: 'Decline', done: 'declined' },
};

/** The answer a form or a link names; only the three (a name such as __proto__ is none). */
function answerNamed(value: unknown): (typeof ANSWERS)[string] | undefined {
  return typeof value === 'string' && Object.hasOwn(ANSWERS, value) ? ANSWERS[value] : undefined;
}

const PARTSTAT_TEXT: Record<string, string> = {
  ACCEPTED: 'accepted',
  DECLINED: 'declined',
  TENTATIVE: 'tentative',
  DELEGATED: 'delegated',
  'NEEDS-ACTION': 'no answer yet',
};

interface Opened {
  user: string;
  entry: RequestEntry;
  stored: StoredObject;
  token: string;
}

const SIGN_IN = `/login?next=${encodeURIComponent(REQUESTS_PATH)}`;

function gone(reply: FastifyReply, why: string): FastifyReply {
  return sendPage(reply, 410, {
    title: 'This link is no longer valid',
    body: html`${notice('error', why)}
<p>Sign in to see the invitations that wait for your answer, or answer in your calendar program.</p>
<p><a href="${SIGN_IN}">Sign in</a></p>`,
  });
}

function invalid(reply: FastifyReply): FastifyReply {
  return sendPage(reply, 404, {
    title: 'This link is not valid',
    body: html`${notice('error', 'This link does not open anything here. It may have been cut off or changed on its way to you.')}
<p>Copy the whole link from the mail, or sign in to see the invitations that wait for your answer.</p>
<p><a href="${SIGN_IN}">Sign in</a></p>`,
  });
}

/** Checks the token; the opened request, or undefined when an answer page was sent. */
async function open(request: FastifyRequest, reply: FastifyReply, token: string): Promise<Opened | undefined> {
  const web = request.server.web;
  const client = clientKey(request.peer.clientAddress);
  const blockedUntil = web.answerFailures.blockedUntil(client);
  if (blockedUntil !== undefined) {
    const wait = Math.max(0, blockedUntil - web.clock());
    reply.header('Retry-After', String(Math.ceil(wait / 1000)));
    await sendPage(reply, 429, {
      title: 'Too many invalid links',
      body: html`${notice('error', html`Too many links that are not valid came from your network address, so answer links are paused for it. Try again after ${new Date(blockedUntil).toISOString().slice(11, 16)} UTC.`)}
<p><a href="${SIGN_IN}">Sign in</a> to answer instead.</p>`,
    });
    return undefined;
  }
  if (!web.links || !web.store) {
    await invalid(reply);
    return undefined;
  }
  const checked = web.links.check(token, web.now());
  if (!checked.ok && checked.why !== 'expired') {
    web.answerFailures.failed(client);
    web.log('warn', 'an answer link that is not valid was refused', { client: request.peer.clientAddress, why: checked.why });
    await invalid(reply);
    return undefined;
  }
  if (!checked.ok) {
    await gone(reply, 'This link has expired: answer links work for two weeks.');
    return undefined;
  }
  const { user, request: key, etag } = checked.claims;
  const entry = (await web.store.listRequests(user)).find((e) => e.method === 'REQUEST' && requestKey(e.uid, e.recurrenceId) === key);
  const stored = entry ? await web.store.getObject(user, entry.uid) : undefined;
  if (!entry || !stored || etagOf(stored) !== etag) {
    await gone(reply, 'This link is no longer valid: the invitation was answered or changed since the link was made.');
    return undefined;
  }
  return { user, entry, stored, token };
}

function details(opened: Opened, tzid: string | undefined): { summary: string; body: Html } {
  const vcalendar = parseCalendar(opened.stored.ics);
  const zones = new ZoneResolver(vcalendar, userZone(tzid));
  const events = scheduledComponentsOf(vcalendar);
  const { recurrenceId } = opened.entry;
  const event =
    (recurrenceId !== null ? events.find((e) => recurrenceKey(e, zones) === recurrenceId) : undefined) ??
    events.find((e) => !e.hasProperty('recurrence-id')) ??
    events[0];
  if (!event) return { summary: '(no title)', body: html`` };
  const summary = textOf(event, 'summary') || '(no title)';
  const organizer = organizerOf(event);
  const cn = event.getFirstProperty('organizer')?.getParameter('cn');
  const location = textOf(event, 'location');
  const description = (textOf(event, 'description') ?? '').slice(0, 4000);
  const repeats = event.hasProperty('rrule');
  const attendees = attendeesOf(event);
  return {
    summary,
    body: html`<dl>
  <dt>Event</dt><dd>${summary}</dd>
  <dt>When</dt><dd>${whenText(event, zones) ?? 'no time given'}${repeats ? ' (repeating)' : ''}${recurrenceId ? html`<br>this instance: ${recurrenceId}` : ''}</dd>
  ${location ? html`<dt>Where</dt><dd>${location}</dd>` : ''}
  <dt>Organizer</dt><dd class="address">${typeof cn === 'string' && cn ? `${cn} ` : ''}${organizer ? `<${mailAddress(organizer)}>` : 'not named'}</dd>
  <dt>Invited</dt><dd class="address">${mailAddress(opened.user)}</dd>
</dl>
${attendees.length > 0
  ? html`<h2>Attendees</h2><ul>${attendees.slice(0, 200).map((a) => html`<li><span class="address">${mailAddress(a.address)}</span>: ${PARTSTAT_TEXT[a.partstat] ?? a.partstat.toLowerCase()}</li>`)}</ul>${attendees.length > 200 ? html`<p class="muted">and ${attendees.length - 200} more</p>` : ''}`
  : ''}
${description ? html`<h2>Description</h2><p>${description.split(/\r?\n/).map((line, i) => (i === 0 ? line : html`<br>${line}`))}</p>` : ''}`,
  };
}

function answerForm(opened: Opened, formToken: string, preselected: string | undefined): Html {
  return html`<form method="post" action="/answer/${opened.token}" class="stacked">
  <input type="hidden" name="_csrf" value="${formToken}">
  <label for="comment">A comment for the organizer (optional)
    <input type="text" id="comment" name="comment" maxlength="1000">
  </label>
  <div class="answers">
    ${Object.entries(ANSWERS).map(([value, answer]) => html`<button type="submit" name="answer" value="${value}"${value === preselected ? html` autofocus` : ''}>${answer.label}</button> `)}
  </div>
</form>
<p class="muted">Nothing is sent until you press a button. This page needs no sign-in; it opens this one invitation only. <a href="${SIGN_IN}">Sign in</a> to see all of them.</p>`;
}

function field(body: unknown, name: string): string | undefined {
  const value = body && typeof body === 'object' ? (body as Record<string, unknown>)[name] : undefined;
  return typeof value === 'string' ? value : undefined;
}

export async function signedLinkPages(app: FastifyInstance): Promise<void> {
  app.get<{ Params: { token: string }; Querystring: { answer?: string } }>('/answer/:token', { config: { public: true } }, async (request, reply) => {
    const opened = await open(request, reply, request.params.token);
    if (!opened) return reply;
    const web = request.server.web;
    const shown = details(opened, zoneOf(await web.store!.getPrefs(opened.user)));
    const preselected = answerNamed(request.query.answer) ? request.query.answer : undefined;
    return sendPage(reply, 200, {
      title: `Invitation: ${shown.summary}`,
      body: html`${shown.body}${answerForm(opened, web.links!.formToken(opened.token), preselected)}`,
    });
  });

  // The form token stands in for the session's CSRF token (see the top of this file).
  app.post<{ Params: { token: string } }>('/answer/:token', { config: { public: true, csrf: false } }, async (request, reply) => {
    const opened = await open(request, reply, request.params.token);
    if (!opened) return reply;
    const web = request.server.web;
    if (!web.links!.sameFormToken(opened.token, field(request.body, '_csrf'))) {
      web.log('warn', 'an answer without the form token of its page was refused', { client: request.peer.clientAddress });
      return sendPage(reply, 403, {
        title: 'This answer cannot be accepted',
        body: html`${notice('error', 'The answer did not come from this link\'s own page, so nothing was sent.')}
<p><a href="/answer/${opened.token}">Open the invitation again</a> and press the button there.</p>`,
      });
    }
    const answer = answerNamed(field(request.body, 'answer'));
    if (!answer) {
      return sendPage(reply, 400, {
        title: 'Choose an answer',
        body: html`${notice('error', 'Press Accept, Tentative or Decline.')}<p><a href="/answer/${opened.token}">Back to the invitation</a></p>`,
      });
    }
    if (!web.runAction) {
      return sendPage(reply, 503, {
        title: 'Answering here is not available',
        body: html`${notice('error', 'This site cannot send answers from this page. Nothing was sent.')}
<p>Answer in your calendar program, or <a href="${SIGN_IN}">sign in</a>.</p>`,
      });
    }
    const comment = (field(request.body, 'comment') ?? '').trim().slice(0, 1000);
    const action: UserAction = {
      kind: 'respond',
      uid: opened.entry.uid,
      ...(opened.entry.recurrenceId !== null ? { recurrenceId: opened.entry.recurrenceId } : {}),
      partstat: answer.partstat,
      ...(comment ? { comment } : {}),
    };
    const result = await web.runAction(opened.user, action, etagOf(opened.stored));
    web.log('info', `answer link: ${result.outcome}`, { user: opened.user, uid: opened.entry.uid, partstat: answer.partstat, reason: result.reason });
    const sentTo = result.queued.flatMap((item) => item.to.map(mailAddress));
    if (result.outcome === 'applied') {
      return sendPage(reply, 200, {
        title: 'Answer sent',
        body: html`${notice('info', `You ${answer.done} the invitation.`)}
${sentTo.length > 0 ? html`<p>Your answer goes to <span class="address">${[...new Set(sentTo)].join(', ')}</span>.</p>` : ''}
<p class="muted">${result.reason}</p>
<p>This link has done its work and no longer opens the invitation. <a href="${SIGN_IN}">Sign in</a> to see your calendar.</p>`,
      });
    }
    const status = result.outcome === 'stale' ? 409 : result.outcome === 'error' ? 500 : 422;
    return sendPage(reply, status, {
      title: 'The answer was not sent',
      body: html`${notice('error', result.reason)}
<p><a href="${SIGN_IN}">Sign in</a> to see the invitation as it is now, or answer in your calendar program.</p>`,
    });
  });
}

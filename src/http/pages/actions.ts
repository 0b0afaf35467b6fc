// POST /actions: the answer forms of the pages (forms.ts) arrive here. The
// fields are checked first; a form with a problem comes back as the page it
// was sent from, with the problem said and what was typed kept (400). A good
// one becomes a UserAction (src/itip/actions/action.ts) that the agent's
// runner carries out (action-port.ts); its outcome is left as a notice for
// the page the browser is sent back to (303, redirect after POST).

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Answer, UserAction } from '../../itip/actions/action.js';
import { loginAddress } from '../access.js';
import type { ActionReport } from '../action-port.js';
import type {} from '../context.js';
import { setFlash, type Flash } from '../flash.js';
import type { FailedForm } from '../forms.js';
import { html, notice } from '../html.js';
import { bare, pageUser } from '../page-user.js';
import { localPath, sendPage } from '../respond.js';
import type { TimeText } from '../time-text.js';
import { renderEvent } from './event.js';
import { renderRequests } from './requests.js';

const KINDS = ['respond', 'propose', 'delegate', 'ask-refresh', 'counter-accept', 'counter-decline', 'refresh-answer', 'delete'] as const;
type FormKind = (typeof KINDS)[number];
const ANSWERS: readonly Answer[] = ['ACCEPTED', 'TENTATIVE', 'DECLINED'];
/** A recurrence id as the pages write it: an instant in UTC, or a date (all-day series). */
const RECURRENCE_ID = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?Z)?$/;
/** An entity tag as etagOf writes it. */
const ETAG = /^"[A-Za-z0-9_-]{1,64}"$/;
const MAX_COMMENT = 1_000;

type Fields = Record<string, string>;

/** The form's fields as text; a field sent twice (not something our forms do) counts as absent. */
function fieldsOf(body: unknown): Fields {
  const fields: Fields = {};
  if (!body || typeof body !== 'object') return fields;
  for (const [name, value] of Object.entries(body as Record<string, unknown>)) if (typeof value === 'string') fields[name] = value;
  return fields;
}

class FormProblem extends Error {}

function comment(fields: Fields): string | undefined {
  const text = (fields.comment ?? '').trim();
  if (text.length > MAX_COMMENT) throw new FormProblem(`The comment is longer than ${MAX_COMMENT} characters; shorten it and send again.`);
  return text === '' ? undefined : text;
}

function address(value: string | undefined, what: string): string {
  const found = loginAddress(value ?? '', []);
  if (!found) {
    throw new FormProblem(value?.trim() ? `${JSON.stringify(value.trim())} is not a mail address; write ${what} like bob@example.com.` : `Give ${what}.`);
  }
  return found;
}

/** The action a form asks for, or a FormProblem that says what is wrong with it. */
function actionOf(kind: FormKind, fields: Fields, user: string, time: TimeText): UserAction {
  const uid = fields.uid ?? '';
  if (uid === '') throw new FormProblem('The form names no event. Reload the page and try again.');
  const rid = fields.recurrence_id ?? '';
  if (rid !== '' && !RECURRENCE_ID.test(rid)) throw new FormProblem('The form names an instance in a form these pages do not write. Reload the page and try again.');
  const instance = rid === '' ? {} : { recurrenceId: rid };
  switch (kind) {
    case 'respond': {
      const partstat = fields.partstat as Answer;
      if (!ANSWERS.includes(partstat)) throw new FormProblem('Choose Accept, Tentative or Decline.');
      const text = comment(fields);
      return { kind, uid, ...instance, partstat, ...(text ? { comment: text } : {}) };
    }
    case 'propose': {
      const start = time.parseInput(fields.start ?? '');
      const end = time.parseInput(fields.end ?? '');
      if (start === undefined) throw new FormProblem('Give the new start as a date and a time, like 2026-12-01T09:00.');
      if (end === undefined) throw new FormProblem('Give the new end as a date and a time, like 2026-12-01T10:00.');
      if (end <= start) throw new FormProblem(`The end (${time.at(end)}) must be after the start (${time.at(start)}).`);
      const text = comment(fields);
      const iso = (ms: number) => new Date(ms).toISOString().replace(/\.000Z$/, 'Z');
      return { kind, uid, ...instance, start: iso(start), end: iso(end), ...(text ? { comment: text } : {}) };
    }
    case 'delegate': {
      const to = address(fields.to, 'the address of the person to delegate to');
      if (to === user) throw new FormProblem('You cannot delegate to yourself; give the address of someone else.');
      return { kind, uid, ...instance, to };
    }
    case 'ask-refresh':
      return { kind, uid, ...instance };
    case 'counter-accept':
      return { kind, uid, ...instance, attendee: address(fields.attendee, 'the attendee') };
    case 'counter-decline': {
      const text = comment(fields);
      return { kind, uid, ...instance, attendee: address(fields.attendee, 'the attendee'), ...(text ? { comment: text } : {}) };
    }
    case 'refresh-answer':
      return { kind, uid, attendee: address(fields.attendee, 'the attendee') };
    case 'delete':
      return { kind, uid, ...instance };
  }
}

const clause = (text: string) => text.trim().replace(/[.\s]+$/, '');

/** The notice for what the runner did: what was sent, or why nothing was done and what to do. */
export function outcomeFlash(report: ActionReport): Flash {
  const sent = report.queued.map((item) => `${item.method} sent to ${item.to.map(bare).join(', ')}`);
  const reason = clause(report.reason);
  switch (report.outcome) {
    case 'applied':
    case 'queued':
      return { kind: 'info', text: `Done: ${[reason, ...sent].filter(Boolean).join('. ')}.` };
    case 'duplicate':
      return { kind: 'info', text: `Nothing to do: ${reason}.` };
    case 'stale':
      return { kind: 'error', text: `Not done: ${reason}. The page shows the event as it is now; decide again.` };
    case 'error':
      return { kind: 'error', text: `It could not be done: ${reason}. Nothing was changed; try again, and if it keeps failing, tell the administrator (the agent's log says why).` };
    default:
      return { kind: 'error', text: `Not done: ${reason}.` };
  }
}

/** Shows the page the form came from again, with the problem and the fields typed. */
async function formCameBack(request: FastifyRequest, reply: FastifyReply, back: string, problem: string, failed: FailedForm): Promise<FastifyReply> {
  const url = new URL(back, 'http://local');
  const query = Object.fromEntries(url.searchParams);
  const options = { status: 400, notice: notice('error', problem), failed, query };
  const event = /^\/event\/([^/]+)$/.exec(url.pathname);
  if (event) {
    let uid: string;
    try {
      uid = decodeURIComponent(event[1]!);
    } catch {
      return renderRequests(request, reply, options);
    }
    return renderEvent(request, reply, uid, options);
  }
  return renderRequests(request, reply, options);
}

export async function actionRoutes(app: FastifyInstance): Promise<void> {
  app.post('/actions', async (request, reply) => {
    const web = request.server.web;
    const runAction = web.runAction;
    const fields = fieldsOf(request.body);
    const back = localPath(fields.back) ?? '/';
    // Acting for a resource one owns: the same check as every page's.
    const who = await pageUser(request, reply, fields.user || undefined);
    if (!who) return reply;
    const user = who.user;
    const kind = fields.kind as FormKind;
    const failed: FailedForm = { kind: fields.kind ?? '', uid: fields.uid ?? '', recurrenceId: fields.recurrence_id ?? '', fields };
    if (!KINDS.includes(kind)) return formCameBack(request, reply, back, 'The form asks for something these pages do not do. Reload the page and use its buttons.', failed);
    let action: UserAction;
    try {
      action = actionOf(kind, fields, user, who.time);
    } catch (error) {
      if (error instanceof FormProblem) return formCameBack(request, reply, back, error.message, failed);
      throw error;
    }
    const ifMatch = fields.if_match ?? '';
    if (!ETAG.test(ifMatch)) return formCameBack(request, reply, back, 'The form does not say which version of the event you saw. Reload the page and answer again.', failed);
    if (!runAction) {
      web.log('warn', 'an answer from the web pages cannot be carried out: no action runner is set up', { user, kind });
      return sendPage(reply, 503, {
        title: 'Answering is not available',
        body: html`${notice('error', 'Answers from these pages cannot be carried out in this installation, so nothing was changed.')}
<p>Answer with your calendar program for now, and tell the administrator.</p><p><a href="${back}">Go back</a></p>`,
      });
    }
    let flash: Flash;
    try {
      const report = await runAction(user, action, ifMatch);
      web.log('info', 'web action', { user, by: request.user, kind, uid: action.kind === 'put' ? undefined : action.uid, outcome: report.outcome, reason: report.reason });
      flash = outcomeFlash(report);
    } catch (error) {
      web.log('error', `a web action failed: ${(error as Error).message}`, { user, kind, error });
      flash = { kind: 'error', text: 'It could not be done: the calendar could not be changed just now. Nothing was changed; try again in a minute, and if it keeps failing, tell the administrator (the agent\'s log says why).' };
    }
    setFlash(request, flash);
    return reply.redirect(back, 303);
  });
}

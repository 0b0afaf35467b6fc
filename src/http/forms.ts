// The answer forms of the pages. Each is a real form with real buttons that
// POSTs to /actions (pages/actions.ts) with the session's CSRF token, the
// event's UID and instance, the version the page showed (`if_match`, the
// stored copy's entity tag: an answer to an older version is refused as
// stale) and the kind of action. Inputs sit inside their labels, so every
// field is named for screen readers without ids.

import { html, type Html } from './html.js';
import { bare, type PageUser } from './page-user.js';
import type { Span } from './clashes.js';

/** A form sent back with a problem: its fields, so that what the person typed is kept. */
export interface FailedForm {
  kind: string;
  uid: string;
  recurrenceId: string;
  fields: Record<string, string>;
}

export interface FormTarget {
  uid: string;
  /** The instance ('' for the whole event). */
  recurrenceId: string;
  etag: string;
}

export interface FormContext {
  who: PageUser;
  /** Where the answer sends the browser back to (a path of this site). */
  back: string;
  failed?: FailedForm;
}

function hidden(context: FormContext, target: FormTarget, kind: string): Html {
  return html`<input type="hidden" name="_csrf" value="${context.who.csrf}">
<input type="hidden" name="kind" value="${kind}">
<input type="hidden" name="uid" value="${target.uid}">
<input type="hidden" name="recurrence_id" value="${target.recurrenceId}">
<input type="hidden" name="if_match" value="${target.etag}">
<input type="hidden" name="back" value="${context.back}">
${context.who.self ? '' : html`<input type="hidden" name="user" value="${bare(context.who.user)}">`}`;
}

/** What the person typed into this form before it came back with a problem, else the default. */
function typed(context: FormContext, target: FormTarget, kinds: string[], field: string, fallback = ''): string {
  const failed = context.failed;
  if (failed && kinds.includes(failed.kind) && failed.uid === target.uid && failed.recurrenceId === target.recurrenceId) {
    return failed.fields[field] ?? fallback;
  }
  return fallback;
}

function isFailed(context: FormContext, target: FormTarget, kind: string): boolean {
  const failed = context.failed;
  return !!failed && failed.kind === kind && failed.uid === target.uid && failed.recurrenceId === target.recurrenceId;
}

/** Accept, Tentative, Decline (one form, three buttons, an optional comment); Propose a new time; Delegate. */
export function answerForms(context: FormContext, target: FormTarget, span: Span | undefined): Html {
  const time = context.who.time;
  const start = typed(context, target, ['propose'], 'start', span ? time.inputValue(span.start) : '');
  const end = typed(context, target, ['propose'], 'end', span ? time.inputValue(span.end) : '');
  return html`<form method="post" action="/actions" class="answer">
${hidden(context, target, 'respond')}
<label>Comment to the organizer (optional)
  <input type="text" name="comment" maxlength="1000" value="${typed(context, target, ['respond'], 'comment')}">
</label>
<div class="buttons">
  <button type="submit" name="partstat" value="ACCEPTED">Accept</button>
  <button type="submit" name="partstat" value="TENTATIVE" class="secondary">Tentative</button>
  <button type="submit" name="partstat" value="DECLINED" class="secondary">Decline</button>
</div>
</form>
<details${isFailed(context, target, 'propose') ? html` open` : ''}>
<summary>Propose a new time</summary>
<form method="post" action="/actions" class="stacked">
${hidden(context, target, 'propose')}
<label>Start (${time.label})
  <input type="datetime-local" name="start" required value="${start}">
</label>
<label>End (${time.label})
  <input type="datetime-local" name="end" required value="${end}">
</label>
<label>Comment (optional)
  <input type="text" name="comment" maxlength="1000" value="${typed(context, target, ['propose'], 'comment')}">
</label>
<div><button type="submit">Propose this time</button></div>
</form>
</details>
<details${isFailed(context, target, 'delegate') ? html` open` : ''}>
<summary>Delegate to someone else</summary>
<form method="post" action="/actions" class="stacked">
${hidden(context, target, 'delegate')}
<label>Their mail address
  <input type="email" name="to" required autocomplete="email" value="${typed(context, target, ['delegate'], 'to')}">
</label>
<div><button type="submit">Delegate</button></div>
</form>
</details>`;
}

/** The organizer's answer to an attendee's proposal: take it (an updated REQUEST to everyone) or turn it down. */
export function counterForms(context: FormContext, target: FormTarget, attendee: string): Html {
  return html`<div class="form-row">
<form method="post" action="/actions" class="inline-form">
${hidden(context, target, 'counter-accept')}
<input type="hidden" name="attendee" value="${bare(attendee)}">
<button type="submit">Accept the proposal</button>
</form>
<form method="post" action="/actions" class="inline-form">
${hidden(context, target, 'counter-decline')}
<input type="hidden" name="attendee" value="${bare(attendee)}">
<label>Comment (optional)
  <input type="text" name="comment" maxlength="1000" value="${typed(context, target, ['counter-decline'], 'comment')}">
</label>
<button type="submit" class="secondary">Decline the proposal</button>
</form>
</div>`;
}

/** The organizer sends the current version to the attendee who asked for it (REFRESH, RFC 5546 section 3.2.6). */
export function refreshForm(context: FormContext, target: FormTarget, attendee: string): Html {
  return html`<form method="post" action="/actions" class="inline-form">
${hidden(context, target, 'refresh-answer')}
<input type="hidden" name="attendee" value="${bare(attendee)}">
<button type="submit">Send the current version</button>
</form>`;
}

/** An attendee asks the organizer for the current version. */
export function askRefreshForm(context: FormContext, target: FormTarget): Html {
  return html`<form method="post" action="/actions" class="inline-form">
${hidden(context, target, 'ask-refresh')}
<button type="submit" class="secondary">Ask the organizer for the current version</button>
</form>`;
}

/** Delete (attendee: a DECLINED REPLY) or cancel (organizer: CANCEL to every attendee). */
export function deleteForm(context: FormContext, target: FormTarget, side: 'organizer' | 'attendee' | 'other'): Html {
  const what = target.recurrenceId ? 'this instance' : 'the event';
  const label = side === 'organizer' ? `Cancel ${what}` : `Delete ${what} from the calendar`;
  const explain =
    side === 'organizer'
      ? 'The attendees are told that it is cancelled.'
      : side === 'attendee'
        ? 'The organizer is told that you decline.'
        : 'It is removed from the calendar.';
  return html`<form method="post" action="/actions" class="inline-form danger">
${hidden(context, target, 'delete')}
<button type="submit" class="danger">${label}</button>
<span class="muted">${explain}</span>
</form>`;
}

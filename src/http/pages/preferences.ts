// The preferences page: each key the agent accepts (imip-agent's set and our
// own, src/agent/preferences.ts), what it means, its value now and its
// default, and a form to change or remove it. A value is checked exactly as
// `itip-agent prefs` checks it (validatePreference), so a typo is refused
// here too, with the same words.

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { PREFERENCES, PreferenceError, findPreference, validatePreference, type PreferenceSpec } from '../../agent/preferences.js';
import type {} from '../context.js';
import { setFlash, takeFlash } from '../flash.js';
import { html, notice, type Html } from '../html.js';
import { actingNote, bare, linkFor, pageUser, type PageUser } from '../page-user.js';
import { sendPage } from '../respond.js';

interface Failed {
  key: string;
  value: string;
}

function meaning(spec: PreferenceSpec): string {
  const text = spec.description.replace(/^for resources(?: and resource groups)?:\s*/i, '');
  return text.charAt(0).toUpperCase() + text.slice(1) + (text.endsWith('.') ? '' : '.');
}

function hidden(who: PageUser, key: string): Html {
  return html`<input type="hidden" name="_csrf" value="${who.csrf}">
<input type="hidden" name="key" value="${key}">
${who.self ? '' : html`<input type="hidden" name="user" value="${bare(who.user)}">`}`;
}

function preferenceItem(who: PageUser, spec: PreferenceSpec, failed: Failed | undefined): Html {
  const id = `pref-${spec.key}`;
  const value = who.prefs[spec.key];
  const typed = failed?.key === spec.key ? failed.value : value ?? '';
  const now =
    value !== undefined
      ? html`<strong class="value">${value}</strong>`
      : html`<span class="muted">not set${spec.default !== undefined ? html`; the default applies` : ''}</span>`;
  return html`<section class="card pref" aria-labelledby="${id}">
<h3 id="${id}"><code>${spec.key}</code></h3>
<p>${meaning(spec)}</p>
<dl class="facts">
<dt>Now</dt><dd>${now}</dd>
<dt>Default</dt><dd>${spec.default !== undefined ? html`<code>${spec.default}</code>` : html`<span class="muted">none</span>`}</dd>
</dl>
<form method="post" action="/preferences" class="pref-form">
${hidden(who, spec.key)}
<label>New value of ${spec.key}
  <input type="text" name="value" value="${typed}" spellcheck="false" autocapitalize="none"${failed?.key === spec.key ? html` aria-invalid="true"` : ''}>
</label>
<div class="buttons">
  <button type="submit" name="op" value="set">Save</button>
  ${value !== undefined ? html`<button type="submit" name="op" value="unset" class="secondary">Remove (use the default)</button>` : ''}
</div>
</form>
</section>`;
}

function renderPreferences(request: FastifyRequest, reply: FastifyReply, who: PageUser, options: { status?: number; notice?: Html; failed?: Failed } = {}): FastifyReply {
  const resource = who.role === 'resource';
  const known = PREFERENCES.filter((spec) => resource || !spec.forResources);
  const unknown = Object.keys(who.prefs)
    .filter((key) => !findPreference(key))
    .sort();
  const others = unknown.length
    ? html`<h2>Other stored keys</h2><p>These keys are stored but the agent does not know them (an old name, or a typo made before values were checked). They do nothing.</p>
${unknown.map(
  (key) => html`<form method="post" action="/preferences" class="inline-form">${hidden(who, key)}<code>${key}</code> = <span class="value">${who.prefs[key]!}</span>
<button type="submit" name="op" value="unset" class="secondary">Remove ${key}</button></form>`,
)}`
    : '';
  return sendPage(reply, options.status ?? 200, {
    title: 'Preferences',
    body: html`${actingNote(who)}${options.notice ?? takeFlash(request) ?? ''}
<p>How the agent handles ${who.self ? 'your' : 'this'} calendar. ${resource ? 'This is a resource: the settings for resources decide on its bookings.' : ''} The pages show times in the zone of <code>TZID</code>. The same keys are set with <code>itip-agent prefs</code>.</p>
<div class="cards">${known.map((spec) => preferenceItem(who, spec, options.failed))}</div>
${others}`,
  });
}

export async function preferencesPage(app: FastifyInstance): Promise<void> {
  app.get('/preferences', async (request, reply) => {
    const who = await pageUser(request, reply, (request.query as Record<string, unknown>).user);
    if (!who) return reply;
    return renderPreferences(request, reply, who);
  });

  app.post('/preferences', async (request, reply) => {
    const body = (request.body ?? {}) as Record<string, unknown>;
    const text = (name: string) => (typeof body[name] === 'string' ? (body[name] as string) : '');
    const who = await pageUser(request, reply, text('user') || undefined);
    if (!who) return reply;
    const key = text('key');
    const value = text('value');
    const problem = (message: string) =>
      renderPreferences(request, reply, who, { status: 400, notice: notice('error', message), failed: { key: findPreference(key)?.key ?? key, value } });
    let change: { key: string; value: string | null };
    if (text('op') === 'unset') {
      const name = findPreference(key)?.key ?? Object.keys(who.prefs).find((k) => k === key);
      if (!name) return problem(`There is no preference ${JSON.stringify(key)} to remove.`);
      change = { key: name, value: null };
    } else if (text('op') === 'set') {
      if (value.trim() === '') return problem(`Give a value for ${key}, or remove it to use the default.`);
      try {
        change = validatePreference(key, value);
      } catch (error) {
        if (error instanceof PreferenceError) return problem(`${error.message.replace(/; to remove it use --unset$/, '')}. Nothing was changed.`);
        throw error;
      }
    } else {
      return problem('Use the Save or Remove button of a preference.');
    }
    try {
      await who.store.transact(who.user, (tx) => {
        // Setting a preference of an unknown user makes it a person, as a first mail would (and as `prefs` does).
        if (tx.getRole() === undefined) tx.setRole('person');
        tx.setPref(change.key, change.value);
      });
    } catch (error) {
      request.server.web.log('error', `a preference could not be saved: ${(error as Error).message}`, { user: who.user, key: change.key, error });
      return renderPreferences(request, reply, who, {
        status: 503,
        notice: notice('error', 'The preference could not be saved just now; nothing was changed. Try again in a minute; if it keeps failing, tell the administrator (the agent\'s log says why).'),
        failed: { key: change.key, value },
      });
    }
    request.server.web.log('info', 'preference changed in the web pages', { user: who.user, by: request.user, key: change.key });
    setFlash(request, { kind: 'info', text: change.value === null ? `Removed ${change.key}; the default applies.` : `Saved: ${change.key} is now ${change.value}.` });
    return reply.redirect(linkFor(who, '/preferences'), 303);
  });
}

// The sign-in page, the sign-in itself and signing out.
//
// A wrong login or password gets the same answer whichever was wrong (no
// telling which accounts exist). Too many failures get 429 with Retry-After
// and the time to try again; a service that cannot check passwords gets 503.
// Signing in makes a new session (and a new id), so an id someone planted
// before sign-in is worth nothing after it.

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { html, notice, type Html } from './html.js';
import type { Blocked } from './login-limits.js';
import { cookieOptions, sessionCookieName } from './sessions.js';
import type {} from './context.js';
import { csrfToken, localPath, sendPage } from './respond.js';

const ENDED: Record<string, string> = {
  idle: 'You were signed out because the page was not used for a while. Sign in again.',
  max: 'Your sign-in had lasted as long as one may. Sign in again.',
};

function field(body: unknown, name: string): string {
  const value = body && typeof body === 'object' ? (body as Record<string, unknown>)[name] : undefined;
  return typeof value === 'string' ? value : '';
}

function loginForm(request: FastifyRequest, reply: FastifyReply, options: { login?: string; next?: string; message?: Html }): Html {
  const web = request.server.web;
  const ways: string[] = [];
  if (web.settings.passwordLogins) ways.push('the password the administrator set for you');
  if (web.settings.dovecotAuth) ways.push('your mail password');
  const hint = ways.length ? html`<p class="muted">Use your mail address and ${ways.join(', or ')}.</p>` : '';
  return html`${options.message ?? ''}
<form method="post" action="/login" class="stacked">
  <input type="hidden" name="_csrf" value="${csrfToken(request, reply)}">
  ${options.next ? html`<input type="hidden" name="next" value="${options.next}">` : ''}
  <label for="login">Mail address
    <input type="text" id="login" name="login" value="${options.login ?? ''}" autocomplete="username" autocapitalize="none" spellcheck="false" required autofocus>
  </label>
  <label for="password">Password
    <input type="password" id="password" name="password" autocomplete="current-password" required>
  </label>
  <div><button type="submit">Sign in</button></div>
</form>
${hint}`;
}

function minutesText(ms: number): string {
  const minutes = Math.max(1, Math.ceil(ms / 60_000));
  return minutes === 1 ? 'about a minute' : `about ${minutes} minutes`;
}

function limitedPage(request: FastifyRequest, reply: FastifyReply, blocked: Blocked): FastifyReply {
  const wait = Math.max(0, blocked.until - request.server.web.clock());
  const at = new Date(blocked.until).toISOString().slice(11, 16);
  const whose = blocked.by === 'account' ? 'for this account' : 'from your network address';
  reply.header('Retry-After', String(Math.ceil(wait / 1000)));
  return sendPage(reply, 429, {
    title: 'Too many failed sign-ins',
    body: html`${notice('error', html`There were too many failed sign-ins ${whose}, so signing in is paused. Try again after ${at} UTC (in ${minutesText(wait)}).`)}
<p>If you have forgotten your password, ask the administrator to set a new one.</p>`,
  });
}

export async function loginPages(app: FastifyInstance): Promise<void> {
  app.get('/login', { config: { public: true } }, async (request, reply) => {
    const query = request.query as Record<string, unknown>;
    const next = localPath(query.next);
    if (request.user) return reply.redirect(next ?? '/', 303);
    const web = request.server.web;
    let message: Html | undefined;
    if (typeof query.ended === 'string' && ENDED[query.ended]) message = notice('info', ENDED[query.ended]!);
    else if (query.signedout !== undefined) message = notice('info', 'You are signed out.');
    if (!web.authenticator.takesPasswords) {
      return sendPage(reply, 503, {
        title: 'Sign in',
        body: html`${notice('error', 'Signing in with a password is not set up on this site.')}
<p>If a web server in front of this site signs you in, go through it. Otherwise tell the administrator: the settings http.passwordLogins and http.dovecotAuth turn password sign-in on.</p>`,
      });
    }
    return sendPage(reply, 200, { title: 'Sign in', body: loginForm(request, reply, { next, ...(message ? { message } : {}) }) });
  });

  app.post('/login', { config: { public: true } }, async (request, reply) => {
    const web = request.server.web;
    const login = field(request.body, 'login');
    const password = field(request.body, 'password');
    const next = localPath(field(request.body, 'next'));
    if (!web.authenticator.takesPasswords) return reply.redirect('/login', 303);
    const outcome = await web.authenticator.check(login, password, { address: request.peer.clientAddress, protected: request.peer.protected });
    if (outcome.ok) {
      if (request.session) web.sessions.destroy(request.session.id);
      const session = web.sessions.create(outcome.user, outcome.via);
      const secure = request.peer.secure;
      // The sign-in form's cookie stays: a sign-in form still open in another tab keeps working.
      reply.setCookie(sessionCookieName(secure), session.id, cookieOptions(secure));
      return reply.redirect(next ?? '/', 303);
    }
    if (outcome.kind === 'limited') return limitedPage(request, reply, outcome.blocked);
    if (outcome.kind === 'unavailable') {
      return sendPage(reply, 503, {
        title: 'Sign in',
        body: loginForm(request, reply, {
          login,
          ...(next ? { next } : {}),
          message: notice('error', 'Your password cannot be checked right now. Try again in a few minutes; if it keeps happening, tell the administrator (the agent\'s log says why).'),
        }),
      });
    }
    return sendPage(reply, 401, {
      title: 'Sign in',
      body: loginForm(request, reply, {
        login,
        ...(next ? { next } : {}),
        message: notice('error', `The mail address or the password is wrong. Check both and try again; after ${web.settings.loginLimits.perAccount} failed tries, signing in pauses for a while.`),
      }),
    });
  });

  app.post('/logout', async (request, reply) => {
    const web = request.server.web;
    const session = request.session!;
    web.sessions.destroy(session.id);
    reply.clearCookie(sessionCookieName(request.peer.secure), cookieOptions(request.peer.secure));
    web.log('info', 'signed out', { user: session.user, client: request.peer.clientAddress });
    if (session.via === 'proxy') {
      request.user = undefined;
      request.session = undefined;
      return sendPage(reply, 200, {
        title: 'Signed out here',
        body: html`<p>The web server in front of this site signed you in; it signs you in again on your next visit. Sign out there to end your sign-in.</p>`,
      });
    }
    return reply.redirect('/login?signedout=1', 303);
  });
}

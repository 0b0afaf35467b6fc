// The hooks every request passes: who is signed in (identify, onRequest), and
// whether the route may be used (guard, preHandler: sign-in and CSRF).

import type { FastifyReply, FastifyRequest } from 'fastify';
import type {} from './context.js';
import { loginAddress } from './access.js';
import { html } from './html.js';
import { peerOf } from './peer.js';
import { localPath, sendPage } from './respond.js';
import { cookieOptions, loginCookieName, sameToken, sessionCookieName } from './sessions.js';

const warnedPeers = new Set<string>();

/** Finds the signed-in user of a request: a trusted proxy's header, else the session cookie. */
export function identify(request: FastifyRequest, reply: FastifyReply): void {
  const { settings, sessions, log, localDomains } = request.server.web;
  const peer = peerOf(request.raw, settings.trustedProxies);
  request.peer = peer;
  const cookieName = sessionCookieName(peer.secure);
  const cookie = request.cookies[cookieName];
  const header = settings.proxyUserHeader ? request.headers[settings.proxyUserHeader.toLowerCase()] : undefined;
  const named = typeof header === 'string' && header.trim() !== '' ? header.trim() : undefined;

  if (named !== undefined && !peer.trustedProxy) {
    // Anyone can write the header; only a trusted proxy's counts. Said once per peer, not per request.
    const who = peer.peerAddress ?? 'the unix socket';
    if (!warnedPeers.has(who) && warnedPeers.size < 1000) {
      warnedPeers.add(who);
      log('warn', `a ${settings.proxyUserHeader} header from ${who} is ignored: that peer is not in http.trustedProxies`, { peer: who });
    }
  } else if (named !== undefined) {
    const user = loginAddress(named, localDomains);
    if (!user) {
      log('warn', `the proxy named the user ${JSON.stringify(named)}, which is no mail address; set localDomains so that a bare name gets a domain`, { peer: peer.peerAddress });
    } else {
      const found = sessions.lookup(cookie);
      let session = 'session' in found && found.session.user === user && found.session.via === 'proxy' ? found.session : undefined;
      if (!session) {
        // The proxy signed this person in: a session of ours carries the CSRF token of their forms.
        if ('session' in found) sessions.destroy(found.session.id);
        session = sessions.create(user, 'proxy');
        reply.setCookie(cookieName, session.id, cookieOptions(peer.secure));
        log('info', 'signed in', { user, via: 'proxy', client: peer.clientAddress });
      }
      request.session = session;
      request.user = user;
      return;
    }
  }
  if (cookie === undefined) return;
  const found = sessions.lookup(cookie);
  if ('session' in found) {
    request.session = found.session;
    request.user = found.session.user;
  } else {
    request.sessionEnded = found.ended;
    reply.clearCookie(cookieName, cookieOptions(peer.secure));
  }
}

function forbidden(reply: FastifyReply): FastifyReply {
  return sendPage(reply, 403, {
    title: 'This form cannot be accepted',
    body: html`<p class="notice error" role="alert">The form did not carry this site's security token, or carried a wrong or old one, so nothing was changed.
      This happens when a page was open for a long time, after a restart of the agent, or when another site tried to send the form in your name.</p>
      <p>Go back, reload the page and send the form again.</p>`,
  });
}

/** Sign-in and CSRF, after the body is read (the token is in it). */
export async function guard(request: FastifyRequest, reply: FastifyReply): Promise<void> {
  if (request.is404) return;
  const config = request.routeOptions.config;
  if (!config.public && !request.user) {
    const query = new URLSearchParams();
    if (request.sessionEnded === 'idle' || request.sessionEnded === 'max') query.set('ended', request.sessionEnded);
    const next = request.method === 'GET' ? localPath(request.url) : undefined;
    if (next && next !== '/') query.set('next', next);
    const search = query.toString();
    await reply.redirect(`/login${search ? `?${search}` : ''}`, 303);
    return;
  }
  if (request.method !== 'POST' || config.csrf === false) return;
  const body = request.body as Record<string, unknown> | undefined;
  const sent = body && typeof body === 'object' && typeof body._csrf === 'string' ? body._csrf : undefined;
  const expected: string[] = [];
  if (request.session) expected.push(request.session.csrf);
  // The sign-in form's own token: before sign-in, and on a public page (the sign-in form of a
  // second tab, sent after the first tab signed in). It is as unguessable to another site.
  if (!request.session || config.public) {
    const nonce = request.cookies[loginCookieName(request.peer.secure)];
    if (nonce) expected.push(request.server.web.sessions.loginToken(nonce));
  }
  if (!expected.some((token) => sameToken(sent, token))) {
    request.server.web.log('warn', 'a form without a valid CSRF token was refused', { path: request.url, user: request.user, client: request.peer.clientAddress });
    await forbidden(reply);
  }
}


// Answers of the web pages: whole pages with the security headers, the CSRF
// token of a form, error pages, and the one check on where to go after sign-in.

import type { FastifyReply, FastifyRequest } from 'fastify';
import type {} from './context.js';
import { html, page, type Html, type PageOptions } from './html.js';
import { navigation } from './navigation.js';
import { cookieOptions, loginCookieName } from './sessions.js';

export const CONTENT_SECURITY_POLICY = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/** Headers on every response (OWASP Secure Headers): nothing runs inline, nothing frames us, nothing leaks the address. */
export function securityHeaders(reply: FastifyReply): void {
  reply.header('Content-Security-Policy', CONTENT_SECURITY_POLICY);
  reply.header('X-Content-Type-Options', 'nosniff');
  reply.header('Referrer-Policy', 'no-referrer');
  reply.header('X-Frame-Options', 'DENY');
  reply.header('Cross-Origin-Opener-Policy', 'same-origin');
  // Pages show one person's calendar: no shared cache keeps them.
  if (!reply.hasHeader('Cache-Control')) reply.header('Cache-Control', 'no-store');
}

/** Sends a whole page (see html.ts: every value in it is escaped). */
export function sendPage(reply: FastifyReply, status: number, options: Omit<PageOptions, 'user' | 'csrf' | 'canSignOut' | 'nav'>): FastifyReply {
  const request = reply.request;
  const full: PageOptions = {
    ...options,
    user: request.user,
    csrf: request.session?.csrf,
    canSignOut: request.session?.via !== 'proxy',
    ...(request.user ? { nav: navigation(request.url.split('?')[0]!) } : {}),
  };
  return reply.code(status).type('text/html; charset=utf-8').send(page(full).text);
}

/** The CSRF token for a form on this page: the session's, or before sign-in the sign-in form's (sessions.ts). */
export function csrfToken(request: FastifyRequest, reply: FastifyReply): string {
  if (request.session) return request.session.csrf;
  const sessions = request.server.web.sessions;
  const name = loginCookieName(request.peer.secure);
  let nonce = request.cookies[name];
  if (!nonce || !/^[A-Za-z0-9_-]{43}$/.test(nonce)) {
    nonce = sessions.newLoginNonce();
    reply.setCookie(name, nonce, cookieOptions(request.peer.secure));
  }
  return sessions.loginToken(nonce);
}

/** A path of this site to go to after sign-in; anything else (another site, a scheme) is dropped. */
export function localPath(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length > 2000) return undefined;
  // "//host" and "/\host" are other sites to a browser; control characters have no place in a path.
  if (!value.startsWith('/') || value.startsWith('//') || value.startsWith('/\\') || /[\x00-\x1f\x7f]/.test(value)) return undefined;
  return value;
}

const ERROR_TEXT: Record<number, [string, string]> = {
  400: ['The request cannot be read', 'Go back and try again.'],
  404: ['There is no page here', 'Check the address, or go to the start page.'],
  405: ['This page cannot be used that way', 'Go back and use the page\'s own forms and links.'],
  413: ['What you sent is too large', 'Send less at once.'],
  415: ['This form was sent in a way this site does not read', 'Use the page\'s own form.'],
};

export function errorPage(reply: FastifyReply, status: number, detail?: Html): FastifyReply {
  const [title, todo] = ERROR_TEXT[status] ?? (status >= 500 ? ['Something went wrong here', 'Try again in a minute. If it keeps happening, tell the administrator: the agent\'s log says what failed.'] : ['The request was not accepted', 'Go back and try again.']);
  return sendPage(reply, status, { title, body: html`${detail ?? ''}<p>${todo}</p><p><a href="/">Go to the start page</a></p>` });
}


// The notice a form's answer leaves for the page it redirects to (redirect
// after POST, 303): kept beside the session in memory and shown once. A
// notice never travels in the URL, so no link can make a page say something.

import type { FastifyRequest } from 'fastify';
import { notice, type Html } from './html.js';
import type { Session } from './sessions.js';
import type {} from './context.js';

export interface Flash {
  kind: 'error' | 'info';
  text: string;
}

const flashes = new WeakMap<Session, Flash>();

export function setFlash(request: FastifyRequest, flash: Flash): void {
  if (request.session) flashes.set(request.session, flash);
}

/** The notice left for this page, removed as it is shown. */
export function takeFlash(request: FastifyRequest): Html | undefined {
  const session = request.session;
  const flash = session ? flashes.get(session) : undefined;
  if (!flash) return undefined;
  flashes.delete(session!);
  return notice(flash.kind, flash.text);
}

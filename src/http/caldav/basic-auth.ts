// Who a CalDAV request is from: HTTP Basic (RFC 7617) checked by the same
// Authenticator as the sign-in form, so the same password file, Dovecot and
// sign-in limits apply; or a trusted proxy's user header. A session cookie
// does not count: CalDAV requests carry no CSRF token, so a browser's cookie
// must not be able to make them.
//
// A client sends the password with every request, and the password file's
// scrypt costs tens of milliseconds: a successful check is remembered for a
// short while under a digest of the header (never the password itself), so
// that the many requests of one sync do not each pay it.

import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';

const REMEMBER_MS = 5 * 60_000;
const MAX_REMEMBERED = 1000;
const remembered = new Map<string, { user: string; until: number }>();

export const REALM = 'Basic realm="itip-agent CalDAV", charset="UTF-8"';

/** Sets request.user from Basic or the proxy; answers 401/429/503 itself and returns false when the request may not go on. */
export async function authenticate(request: FastifyRequest, reply: FastifyReply): Promise<boolean> {
  const web = request.server.web;
  const viaProxy = request.session?.via === 'proxy' ? request.user : undefined;
  request.user = undefined;
  const header = request.headers.authorization;
  if (typeof header === 'string' && /^basic\s+/i.test(header)) {
    const key = createHash('sha256').update(header).digest('base64');
    const now = web.clock();
    const known = remembered.get(key);
    if (known && known.until > now) {
      request.user = known.user;
      return true;
    }
    remembered.delete(key);
    const decoded = Buffer.from(header.replace(/^basic\s+/i, ''), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const outcome =
      colon < 0
        ? ({ ok: false, kind: 'wrong' } as const)
        : await web.authenticator.check(decoded.slice(0, colon), decoded.slice(colon + 1), { address: request.peer.clientAddress, protected: request.peer.protected });
    if (outcome.ok) {
      if (remembered.size >= MAX_REMEMBERED) remembered.delete(remembered.keys().next().value!);
      remembered.set(key, { user: outcome.user, until: now + REMEMBER_MS });
      request.user = outcome.user;
      return true;
    }
    if (outcome.kind === 'limited') {
      const seconds = Math.max(1, Math.ceil((outcome.blocked.until - now) / 1000));
      await reply.code(429).header('Retry-After', String(seconds)).type('text/plain; charset=utf-8').send(`Too many failed sign-ins; try again in ${seconds} seconds.\n`);
      return false;
    }
    if (outcome.kind === 'unavailable') {
      await reply.code(503).header('Retry-After', '60').type('text/plain; charset=utf-8').send('The password cannot be checked right now; try again in a minute.\n');
      return false;
    }
  } else if (viaProxy) {
    request.user = viaProxy;
    return true;
  }
  await reply.code(401).header('WWW-Authenticate', REALM).type('text/plain; charset=utf-8').send('Sign in with your calendar login and password.\n');
  return false;
}

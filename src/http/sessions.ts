// Server-side sessions of the web pages, and the tokens that keep other sites
// from submitting our forms (cross-site request forgery).
//
// The browser holds only a random session id (256 bits) in a cookie that is
// HttpOnly (no script reads it), SameSite=Strict (no other site's page sends
// it), Path=/, and Secure when the client's connection is TLS; a Secure cookie
// is named with the __Host- prefix, which browsers accept only from a secure
// origin, for this host alone, with Path=/ (RFC 6265bis section 4.1.3.2), so a
// neighbour subdomain cannot plant one. Everything else stays here, in memory:
// a session ends after `idleMs` without a request and `maxMs` after sign-in,
// and at a restart (people sign in again).
//
// Each session has its own random CSRF token (the synchronizer token pattern):
// every form carries it and every POST must send it back. Before sign-in there
// is no session, so the sign-in form's token is an HMAC of a random value in a
// second cookie under a key that lives only in this process: a page of another
// site can neither read the cookie nor compute the token.
//
// Security timers run on the real clock, never on ITIP_AGENT_NOW: a fixed
// calendar clock must not keep sessions alive for ever.

import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export type LoginMethod = 'password' | 'dovecot' | 'proxy';

export interface Session {
  id: string;
  /** The signed-in calendar user address (lower-case mailto: URI). */
  user: string;
  via: LoginMethod;
  csrf: string;
  created: number;
  lastSeen: number;
}

export type SessionLookup = { session: Session } | { ended: 'idle' | 'max' | 'unknown' };

const MAX_SESSIONS = 100_000;

const token = () => randomBytes(32).toString('base64url');

/** Compares two tokens in time that does not depend on where they differ. */
export function sameToken(a: string | undefined, b: string | undefined): boolean {
  if (typeof a !== 'string' || typeof b !== 'string') return false;
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

export class SessionStore {
  private readonly sessions = new Map<string, Session>();
  private readonly loginKey = randomBytes(32);
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly idleMs: number,
    private readonly maxMs: number,
    private readonly clock: () => number = Date.now,
  ) {
    this.timer = setInterval(() => this.sweep(), Math.min(idleMs, 60_000));
    this.timer.unref();
  }

  /** A new session for a user who just signed in (a fresh id: an id known before sign-in is worth nothing after). */
  create(user: string, via: LoginMethod): Session {
    const now = this.clock();
    const session: Session = { id: token(), user, via, csrf: token(), created: now, lastSeen: now };
    this.sessions.set(session.id, session);
    if (this.sessions.size > MAX_SESSIONS) {
      // The least recently used go first (a Map iterates in insertion order; use re-inserts).
      for (const id of this.sessions.keys()) {
        if (this.sessions.size <= MAX_SESSIONS) break;
        this.sessions.delete(id);
      }
    }
    return session;
  }

  /** The live session of an id, marked as used now; or why there is none. */
  lookup(id: string | undefined): SessionLookup {
    const session = id ? this.sessions.get(id) : undefined;
    if (!session) return { ended: 'unknown' };
    const now = this.clock();
    if (now - session.created >= this.maxMs) {
      this.sessions.delete(session.id);
      return { ended: 'max' };
    }
    if (now - session.lastSeen >= this.idleMs) {
      this.sessions.delete(session.id);
      return { ended: 'idle' };
    }
    session.lastSeen = now;
    this.sessions.delete(session.id);
    this.sessions.set(session.id, session);
    return { session };
  }

  destroy(id: string): void {
    this.sessions.delete(id);
  }

  get size(): number {
    return this.sessions.size;
  }

  /** A random value for the sign-in form's cookie. */
  newLoginNonce(): string {
    return token();
  }

  /** The sign-in form's CSRF token for the nonce in its cookie. */
  loginToken(nonce: string): string {
    return createHmac('sha256', this.loginKey).update(`login\0${nonce}`).digest('base64url');
  }

  sweep(): void {
    const now = this.clock();
    for (const session of this.sessions.values()) {
      if (now - session.lastSeen >= this.idleMs || now - session.created >= this.maxMs) this.sessions.delete(session.id);
    }
  }

  close(): void {
    clearInterval(this.timer);
    this.sessions.clear();
  }
}

/** The session cookie's name: with __Host- when it is Secure (browsers refuse that prefix otherwise). */
export function sessionCookieName(secure: boolean): string {
  return secure ? '__Host-itip-agent-session' : 'itip-agent-session';
}

/** The sign-in form's cookie (see the file comment). */
export function loginCookieName(secure: boolean): string {
  return secure ? '__Host-itip-agent-login' : 'itip-agent-login';
}

export function cookieOptions(secure: boolean) {
  return { httpOnly: true, sameSite: 'strict' as const, path: '/', secure };
}

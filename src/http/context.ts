// What every route of the web listener finds on the app and the request (see
// server.ts for where each is set).

import type { ActionResult, ActionWork } from '../agent/user-action.js';
import type { Store } from '../store/store.js';
import type { FailureLimiter } from './login-limits.js';
import type { ActionRunner } from './action-port.js';
import type { Authenticator } from './logins.js';
import type { Peer } from './peer.js';
import type { Session, SessionStore } from './sessions.js';
import type { HttpLog, HttpSettings } from './settings.js';
import type { AnswerLinks } from './signed-links.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The signed-in calendar user address (lower-case mailto: URI), or undefined. */
    user: string | undefined;
    session: Session | undefined;
    /** A session cookie came with the request, but its session has ended (and why). */
    sessionEnded: 'idle' | 'max' | 'unknown' | undefined;
    peer: Peer;
  }
  interface FastifyContextConfig {
    /** The route is for everyone; without it, only for signed-in people. */
    public?: boolean;
    /** false: POSTs need no CSRF token (only for clients that do not use the session cookie). */
    csrf?: boolean;
  }
  interface FastifyInstance {
    web: WebContext;
  }
}

export interface WebContext {
  settings: HttpSettings;
  localDomains: readonly string[];
  log: HttpLog;
  store?: Store;
  /** Carries out the user's answers (action-port.ts); without it the answer forms say so. */
  runAction?: ActionRunner;
  /** Runs a user's action (CalDAV PUT and DELETE) through the transaction service. */
  actions?: (work: ActionWork) => Promise<ActionResult>;
  /** Tells the outbox sender that an item was queued outside the transaction service (CalDAV free/busy POST). */
  outboxQueued?: () => void;
  now: () => number;
  clock: () => number;
  sessions: SessionStore;
  authenticator: Authenticator;
  /** Signed answer links (http.linkSecretFile); absent: /answer/ opens nothing. */
  links?: AnswerLinks;
  /** Answer links that did not check out, per client address (signed-links-pages.ts). */
  answerFailures: FailureLimiter;
}


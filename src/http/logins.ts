// Checking a login and password: the password file (`itip-agent user passwd`)
// and Dovecot's auth service (mail passwords), behind the sign-in limits. The
// sign-in form uses it, and so can any door that takes a password (HTTP Basic
// for CalDAV clients): all share the same limits.
//
// Order: the password file first, then Dovecot; either one saying yes is
// enough. The counts of the limits are kept per client and per account (the
// calendar user address the login names, or the login itself when it names
// none), and only a wrong password counts: a service that cannot answer is
// nobody's failure.

import type { HttpLog } from './settings.js';
import { checkDovecotLogin, type DovecotAuthOptions } from './dovecot-auth.js';
import { clientKey, LoginLimiter, type Blocked } from './login-limits.js';
import { loginAddress } from './access.js';
import { PasswordFileError, verifyPassword } from './password-file.js';
import type { LoginMethod } from './sessions.js';

/** Longer than any real login or password; nothing longer is hashed or sent on. */
const MAX_LOGIN = 320;
const MAX_PASSWORD = 1024;

export interface LoginBackends {
  /** The password file, when password-file sign-in is on. */
  passwordFile?: string;
  dovecot?: DovecotAuthOptions;
  localDomains: readonly string[];
}

export interface LoginClient {
  /** The client's IP address (behind a trusted proxy, the one it forwarded). */
  address?: string;
  /** TLS or this host: passed on to Dovecot as `secured`. */
  protected: boolean;
}

export type LoginOutcome =
  | { ok: true; user: string; via: LoginMethod }
  /** The login or password is wrong (one failure counted). */
  | { ok: false; kind: 'wrong' }
  /** Too many failures: nothing was checked. */
  | { ok: false; kind: 'limited'; blocked: Blocked }
  /** No service could say yes or no; `reason` is for the log, not for the person. */
  | { ok: false; kind: 'unavailable'; reason: string };

export class Authenticator {
  constructor(
    private readonly backends: LoginBackends,
    readonly limiter: LoginLimiter,
    private readonly log: HttpLog,
  ) {}

  /** Whether any way of signing in with a password is configured. */
  get takesPasswords(): boolean {
    return !!this.backends.passwordFile || !!this.backends.dovecot;
  }

  async check(login: string, password: string, client: LoginClient): Promise<LoginOutcome> {
    const trimmed = login.trim();
    const address = loginAddress(trimmed, this.backends.localDomains);
    const account = address ?? trimmed.toLowerCase();
    const from = clientKey(client.address);
    const blocked = this.limiter.blocked(from, account);
    if (blocked) {
      this.log('warn', 'sign-in refused: too many failed sign-ins', { login: account, client: client.address, by: blocked.by, until: new Date(blocked.until).toISOString() });
      return { ok: false, kind: 'limited', blocked };
    }
    const outcome = trimmed === '' || password === '' || trimmed.length > MAX_LOGIN || password.length > MAX_PASSWORD ? { ok: false as const, kind: 'wrong' as const } : await this.ask(trimmed, address, password, client);
    if (outcome.ok) {
      this.limiter.succeeded(account);
      this.log('info', 'signed in', { user: outcome.user, via: outcome.via, client: client.address });
    } else if (outcome.kind === 'wrong') {
      this.limiter.failed(from, account);
      this.log('warn', 'sign-in failed: wrong login or password', { login: account, client: client.address });
    } else if (outcome.kind === 'unavailable') {
      this.log('error', `sign-in could not be checked: ${outcome.reason}`, { login: account, client: client.address });
    }
    return outcome;
  }

  private async ask(login: string, address: string | undefined, password: string, client: LoginClient): Promise<LoginOutcome> {
    let trouble: string | undefined;
    if (this.backends.passwordFile && address) {
      try {
        const result = await verifyPassword(this.backends.passwordFile, address, password, (lines) =>
          this.log('warn', `the password file ${this.backends.passwordFile} has lines that are not "mailto:ADDRESS $scrypt$..."; they are ignored`, { lines }),
        );
        if (result.ok) return { ok: true, user: address, via: 'password' };
      } catch (error) {
        if (!(error instanceof PasswordFileError)) throw error;
        trouble = error.message;
      }
    }
    if (this.backends.dovecot) {
      const result = await checkDovecotLogin(this.backends.dovecot, { login, password, clientAddress: client.address, secured: client.protected });
      if (result.ok) {
        const user = loginAddress(result.user, this.backends.localDomains);
        if (!user) {
          return {
            ok: false,
            kind: 'unavailable',
            reason: `Dovecot accepted the login as ${JSON.stringify(result.user)}, which is no mail address; set localDomains so that a bare name gets a domain`,
          };
        }
        return { ok: true, user, via: 'dovecot' };
      }
      // A definite no from Dovecot leaves a password file that could not be read still unchecked.
      if (result.temporary) trouble = result.reason;
    }
    return trouble ? { ok: false, kind: 'unavailable', reason: trouble } : { ok: false, kind: 'wrong' };
  }
}

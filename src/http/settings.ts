// The settings of the web listener (the `http.*` keys of the configuration,
// read by src/cli/config.ts), in the form the HTTP layer uses them.

/** Where the HTTP layer logs: the command line's JSON lines on stderr. */
export type HttpLog = (level: 'debug' | 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => void;

export interface LoginLimits {
  /** Failed sign-ins from one client address (an IPv6 /64) within the window before it must wait. */
  perAddress: number;
  /** Failed sign-ins for one account within the window before it must wait. */
  perAccount: number;
  windowMinutes: number;
}

export interface HttpSettings {
  /** Sign-in with a password from the password file (`itip-agent user passwd`). */
  passwordLogins: boolean;
  /** The password file; the default is `passwords` in the store directory. */
  passwordFile: string;
  /** Dovecot's auth client socket (e.g. /run/dovecot/auth-client): mail passwords work. */
  dovecotAuth?: string;
  /** The request header in which a trusted reverse proxy names the signed-in user (e.g. X-Remote-User). */
  proxyUserHeader?: string;
  /**
   * Peers whose proxy headers (the user header, X-Forwarded-For, X-Forwarded-Proto)
   * are believed: addresses and CIDR ranges, and `unix` for a peer on the unix socket.
   */
  trustedProxies: string[];
  /** Serve HTTPS with listen.tlsKey and listen.tlsCert. */
  tls: boolean;
  /** A session ends after this many minutes without a request. */
  sessionIdleMinutes: number;
  /** A session ends this many hours after sign-in, used or not. */
  sessionMaxHours: number;
  loginLimits: LoginLimits;
  /**
   * The secret of signed answer links (signed-links.ts), made on first use;
   * the default is `link-secret` in the store directory. Absent: no links.
   */
  linkSecretFile?: string;
  /**
   * Where people reach the web pages, e.g. https://calendar.example.com: the
   * links in the agent's mail (notices) start with it. Absent: no links in mail.
   */
  publicUrl?: string;
}

export const DEFAULT_LOGIN_LIMITS: LoginLimits = { perAddress: 20, perAccount: 5, windowMinutes: 15 };

export const PASSWORD_FILE_NAME = 'passwords';
/** The default http.linkSecretFile, in the store directory. */
export const LINK_SECRET_FILE_NAME = 'link-secret';

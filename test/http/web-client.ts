// A small browser for the web tests: real HTTP (TCP on loopback, TLS or a unix
// socket), a cookie jar, form posts, and the CSRF token read out of a page the
// way a browser would send it back. No redirects are followed on their own: the
// tests look at each answer.

import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';

export interface WebResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  /** The Set-Cookie lines, as sent. */
  setCookies: string[];
}

export interface Target {
  host?: string;
  port?: number;
  socketPath?: string;
  tls?: boolean;
}

export interface Send {
  method?: 'GET' | 'POST' | 'HEAD';
  headers?: Record<string, string>;
  /** Sent as application/x-www-form-urlencoded. */
  form?: Record<string, string>;
}

/** One HTTP request, nothing else: no cookies, no redirects. */
export function send(target: Target, path: string, options: Send & { cookie?: string } = {}): Promise<WebResponse> {
  const body = options.form ? new URLSearchParams(options.form).toString() : undefined;
  const headers: Record<string, string> = { ...options.headers };
  if (body !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded';
  if (options.cookie) headers.cookie = options.cookie;
  const request = target.tls ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(
      {
        ...(target.socketPath ? { socketPath: target.socketPath } : { host: target.host ?? '127.0.0.1', port: target.port }),
        path,
        method: options.method ?? (body !== undefined ? 'POST' : 'GET'),
        headers,
        // A test certificate: the tests check what we send, not who we are.
        ...(target.tls ? { rejectUnauthorized: false } : {}),
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const setCookie = res.headers['set-cookie'];
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8'), setCookies: setCookie ?? [] });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** The parts of a Set-Cookie line: name, value and the attributes (lower-case names). */
export function parseSetCookie(line: string): { name: string; value: string; attributes: Map<string, string> } {
  const [pair = '', ...rest] = line.split(';');
  const eq = pair.indexOf('=');
  const attributes = new Map<string, string>();
  for (const part of rest) {
    const [key = '', ...value] = part.trim().split('=');
    attributes.set(key.toLowerCase(), value.join('='));
  }
  return { name: pair.slice(0, eq).trim(), value: pair.slice(eq + 1).trim(), attributes };
}

/** A browser's memory of cookies for one site (expiry only by Max-Age=0, which is all the server sends). */
export class Browser {
  readonly cookies = new Map<string, string>();
  constructor(
    readonly target: Target,
    private readonly extraHeaders: Record<string, string> = {},
  ) {}

  async request(path: string, options: Send = {}): Promise<WebResponse> {
    const cookie = [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    const response = await send(this.target, path, { ...options, headers: { ...this.extraHeaders, ...options.headers }, ...(cookie ? { cookie } : {}) });
    for (const line of response.setCookies) {
      const { name, value, attributes } = parseSetCookie(line);
      if (attributes.get('max-age') === '0' || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return response;
  }

  get(path: string, headers?: Record<string, string>): Promise<WebResponse> {
    return this.request(path, headers ? { headers } : {});
  }

  post(path: string, form: Record<string, string>, headers?: Record<string, string>): Promise<WebResponse> {
    return this.request(path, { form, ...(headers ? { headers } : {}) });
  }

  /** Signs in through the form: GET /login for the token, then POST it with the login and password. */
  async signIn(login: string, password: string): Promise<WebResponse> {
    const form = await this.get('/login');
    return this.post('/login', { _csrf: csrfOf(form.body), login, password });
  }
}

/** The CSRF token of the first form in a page. */
export function csrfOf(page: string): string {
  const match = /name="_csrf" value="([^"]*)"/.exec(page);
  if (!match) throw new Error(`the page has no form with a CSRF token:\n${page}`);
  return match[1]!;
}

// Checks a login and password with Dovecot's auth service, so that people sign
// in to the web pages with their mail password. It speaks the Dovecot
// authentication protocol (version 1) on the auth client socket
// (auth_socket_path, usually /run/dovecot/auth-client), as Postfix's SASL does:
//
//   C: VERSION 1 2          S: VERSION 1 2
//   C: CPID <pid>           S: MECH PLAIN ..., SPID, CUID, COOKIE, DONE
//   C: AUTH 1 PLAIN service=itip-agent [secured] rip=<client> resp=<base64>
//   S: OK 1 user=<name> ... | FAIL 1 [reason=...] [temp] ...
//
// Fields are separated by TAB and lines end with LF. The PLAIN response (RFC
// 4616: authzid NUL authcid NUL password) travels in base64, so no login or
// password can break a line. `rip` tells Dovecot the client's address: its
// failure delay and its own penalties work per client, as for IMAP. `secured`
// says the client's connection is protected (TLS, or on this host): Dovecot
// refuses plaintext logins without it when disable_plaintext_auth says so.
// One connection per check: sign-ins are rare, and nothing is left open.

import { connect, isIP } from 'node:net';

export interface DovecotAuthOptions {
  socket: string;
  /** The service name Dovecot sees (passdb rules can match it); default itip-agent. */
  service?: string;
  /** Give up after this long; Dovecot delays a failure by auth_failure_delay (2 s by default). */
  timeoutMs?: number;
}

export interface DovecotCheck {
  login: string;
  password: string;
  /** The client's IP address, when known. */
  clientAddress?: string;
  /** The client's connection is protected (TLS, or a peer on this host). */
  secured: boolean;
}

export type DovecotResult =
  | { ok: true; user: string }
  | { ok: false; temporary: false; reason?: string }
  | { ok: false; temporary: true; reason: string };

/** Dovecot's tab-escaping (\001 is the escape character), for reading values of a reply. */
function unescapeValue(value: string): string {
  return value.replace(/\x01(.)/g, (_, c: string) => ({ '0': '\0', '1': '\x01', t: '\t', r: '\r', n: '\n', l: '\n' })[c] ?? c);
}

function replyFields(parts: string[]): Map<string, string | true> {
  const fields = new Map<string, string | true>();
  for (const part of parts) {
    const eq = part.indexOf('=');
    if (eq < 0) fields.set(part, true);
    else fields.set(part.slice(0, eq), unescapeValue(part.slice(eq + 1)));
  }
  return fields;
}

/** Asks Dovecot whether the password is right for the login. Trouble reaching it is a temporary result, not a throw. */
export function checkDovecotLogin(options: DovecotAuthOptions, check: DovecotCheck): Promise<DovecotResult> {
  const service = options.service ?? 'itip-agent';
  // A NUL would end the login early inside the PLAIN response and sign in as someone else.
  if (check.login.includes('\0') || check.password.includes('\0') || check.login === '') {
    return Promise.resolve({ ok: false, temporary: false, reason: 'the login or password holds a NUL character' });
  }
  return new Promise((resolve) => {
    const socket = connect(options.socket);
    let buffer = '';
    let handshakeDone = false;
    let settled = false;
    const finish = (result: DovecotResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const trouble = (reason: string) => finish({ ok: false, temporary: true, reason });
    const timer = setTimeout(() => trouble(`Dovecot's auth service at ${options.socket} did not answer within ${options.timeoutMs ?? 15_000} ms`), options.timeoutMs ?? 15_000);
    timer.unref();

    socket.setEncoding('utf8');
    socket.on('connect', () => socket.write(`VERSION\t1\t2\nCPID\t${process.pid}\n`));
    socket.on('error', (error) => trouble(`Dovecot's auth service at ${options.socket} cannot be reached: ${error.message}`));
    socket.on('close', () => trouble(`Dovecot's auth service at ${options.socket} closed the connection before answering`));
    const mechanisms = new Set<string>();
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      if (buffer.length > 65_536) return trouble(`Dovecot's auth service at ${options.socket} sent an overlong line`);
      let end;
      while (!settled && (end = buffer.indexOf('\n')) >= 0) {
        const [command, ...rest] = buffer.slice(0, end).split('\t');
        buffer = buffer.slice(end + 1);
        if (!handshakeDone) {
          if (command === 'VERSION' && rest[0] !== '1') return trouble(`Dovecot's auth service speaks protocol version ${rest[0]}, not 1`);
          if (command === 'MECH' && rest[0]) mechanisms.add(rest[0].toUpperCase());
          if (command !== 'DONE') continue;
          handshakeDone = true;
          if (!mechanisms.has('PLAIN')) return trouble('Dovecot does not offer the PLAIN mechanism to this client; add plain to auth_mechanisms');
          const response = Buffer.from(`\0${check.login}\0${check.password}`, 'utf8').toString('base64');
          const params = [`service=${service}`];
          if (check.secured) params.push('secured');
          if (check.clientAddress && isIP(check.clientAddress)) params.push(`rip=${check.clientAddress}`);
          socket.write(`AUTH\t1\tPLAIN\t${params.join('\t')}\tresp=${response}\n`);
          continue;
        }
        if (rest[0] !== '1') continue;
        const fields = replyFields(rest.slice(1));
        if (command === 'OK') {
          const user = fields.get('user');
          return finish({ ok: true, user: typeof user === 'string' && user !== '' ? user : check.login });
        }
        if (command === 'FAIL') {
          const reason = typeof fields.get('reason') === 'string' ? (fields.get('reason') as string) : undefined;
          if (fields.has('temp')) return trouble(`Dovecot could not check the password now${reason ? `: ${reason}` : ''}`);
          return finish({ ok: false, temporary: false, ...(reason ? { reason } : {}) });
        }
        // CONT: PLAIN with its initial response needs no second round; anything else is not ours to continue.
        return trouble(`Dovecot's auth service answered ${command} to a PLAIN login`);
      }
    });
  });
}

// Authentication-Results header fields (RFC 8601): what the receiving MTA, or a
// milter beside it, found out about SPF, DKIM and DMARC.
//
// A header field of this name is only as trustworthy as whoever wrote it, and
// anyone can write one into a mail before sending it (RFC 8601 section 7.1).
// This module only reads the syntax; which authserv-ids to believe is a
// decision of the administrator, taken in `authentication.ts`.

/** One method's result, e.g. `dkim=pass header.d=example.com`. */
export interface AuthResult {
  /** Lower case: spf, dkim, dmarc, auth, iprev, arc, ... */
  method: string;
  /** Lower case: pass, fail, softfail, neutral, none, temperror, permerror, policy. */
  result: string;
  reason?: string;
  /** `ptype.property` (lower case) to value, e.g. `header.from` -> `example.com`. */
  properties: Record<string, string>;
}

export interface AuthResultsHeader {
  /** Lower case, as RFC 8601 section 2.5 compares it. */
  authservId: string;
  results: AuthResult[];
}

/** Removes RFC 5322 comments, which may nest, leaving quoted strings intact. */
function stripComments(value: string): string {
  let out = '';
  let depth = 0;
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (c === '\\' && (quoted || depth > 0)) {
      if (depth === 0) out += c + (value[i + 1] ?? '');
      i++;
      continue;
    }
    if (depth === 0 && c === '"') quoted = !quoted;
    if (!quoted && c === '(') {
      depth++;
      continue;
    }
    if (!quoted && c === ')' && depth > 0) {
      depth--;
      out += ' ';
      continue;
    }
    if (depth === 0) out += c;
  }
  return out;
}

/** Splits on a separator outside quoted strings. */
function splitOutsideQuotes(value: string, separator: RegExp): string[] {
  const parts: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (c === '\\' && quoted) {
      current += c + (value[i + 1] ?? '');
      i++;
      continue;
    }
    if (c === '"') quoted = !quoted;
    if (!quoted && separator.test(c)) {
      parts.push(current);
      current = '';
      continue;
    }
    current += c;
  }
  parts.push(current);
  return parts;
}

function unquote(value: string): string {
  const trimmed = value.trim();
  if (trimmed.length >= 2 && trimmed.startsWith('"') && trimmed.endsWith('"')) {
    return trimmed.slice(1, -1).replace(/\\(.)/g, '$1');
  }
  return trimmed;
}

/**
 * The `key=value` items of one resinfo, tolerating the spaces some writers put
 * around "=" (`dkim = pass`), which RFC 8601 allows as CFWS.
 */
function items(resinfo: string): Array<[string, string]> {
  const joined = resinfo.replace(/\s*=\s*/g, '=');
  const out: Array<[string, string]> = [];
  for (const word of splitOutsideQuotes(joined, /\s/)) {
    if (!word) continue;
    const eq = word.indexOf('=');
    if (eq <= 0) continue;
    out.push([word.slice(0, eq).toLowerCase(), unquote(word.slice(eq + 1))]);
  }
  return out;
}

/**
 * Parses one Authentication-Results field body. Returns undefined when it has
 * no authserv-id; results that do not parse are left out rather than guessed.
 */
export function parseAuthResults(value: string): AuthResultsHeader | undefined {
  const [head = '', ...resinfos] = splitOutsideQuotes(stripComments(value).replace(/\r?\n/g, ' '), /;/);
  const written = head.trim().split(/\s+/)[0] ?? '';
  // An authserv-id is a host or domain name (RFC 8601 section 2.5), which needs
  // no quoted-pair. One written with a backslash is kept as written, so that it
  // never equals a trusted id: the MTA's removal of forged fields (section 5)
  // matches the id as written, and "mx.ex\ample.com" would slip past it.
  const authservId = (written.includes('\\') ? written : unquote(written)).toLowerCase();
  if (!authservId) return undefined;
  const results: AuthResult[] = [];
  for (const resinfo of resinfos) {
    const [first, ...rest] = items(resinfo);
    if (!first) continue; // "none", or an empty item
    const [methodSpec, result] = first;
    const method = methodSpec.split('/')[0]!;
    if (!/^[a-z0-9_-]+$/.test(method) || !/^[a-z0-9_-]+$/i.test(result)) continue;
    const entry: AuthResult = { method, result: result.toLowerCase(), properties: {} };
    for (const [key, val] of rest) {
      if (key === 'reason') entry.reason = val;
      else if (key.includes('.')) entry.properties[key] = val;
    }
    results.push(entry);
  }
  return { authservId, results };
}

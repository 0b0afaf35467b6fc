// Forged Authentication-Results (RFC 8601 section 5): the shipped MTA
// configurations remove fields that carry the trusted authserv-id from mail
// arriving at the MTA, and together with the agent's reading of the field no
// forged form gets through. Postfix's regexp table is read here the way
// Postfix reads it (POSIX extended syntax, case-insensitive, "." matching the
// line breaks of a folded field) and applied with JavaScript's engine; the
// integration suite runs the real Postfix and Exim on the same files.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAuthResults } from '../../src/mail/auth-results.js';

const CONFIGS = join(import.meta.dirname, '..', '..', 'mta-configs');
/** The authserv-id the shipped files use as their example, and the integration suite's Postfix and Exim are. */
const ID = 'mx.example.com';

interface Rule {
  pattern: RegExp;
  action: string;
}

/**
 * A Postfix regexp table (regexp_table(5)): `/pattern/flags action` lines.
 * Flags toggle: i (on by default: case-insensitive), m (off by default:
 * without it "." matches a newline and ^ $ match only at the ends).
 */
function regexpTable(text: string): Rule[] {
  const rules: Rule[] = [];
  for (const line of text.split('\n')) {
    if (/^\s*(#|$)/.test(line)) continue;
    const match = /^\/(.+)\/([imx]*)\s+(.+)$/.exec(line.trim());
    if (!match) throw new Error(`not a regexp table line: ${line}`);
    const [, source, flags, action] = match;
    // POSIX bracket classes: the one class the shipped table uses.
    const js = source!.replace(/\[:space:\]/g, '\\s');
    const caseless = !flags!.includes('i');
    const multiline = flags!.includes('m');
    rules.push({ pattern: new RegExp(js, `${caseless ? 'i' : ''}${multiline ? 'm' : 's'}`), action: action!.trim() });
  }
  return rules;
}

const table = regexpTable(readFileSync(join(CONFIGS, 'postfix', 'itip_header_checks'), 'utf8'));

/** What Postfix does with one logical header field (folds kept as "\n", as cleanup hands them to header_checks). */
function postfixAction(field: string): string | undefined {
  return table.find((rule) => rule.pattern.test(field))?.action;
}

/** The field's value as the agent reads it (read-mail.ts unfolds by dropping the line break before the fold's white space). */
function agentId(field: string): string | undefined {
  const value = field.slice(field.indexOf(':') + 1).replace(/\r?\n(?=[ \t])/g, '').trim();
  return parseAuthResults(value)?.authservId;
}

/** Fields a sender could write to claim the MTA's verdict, in the forms RFC 8601 and RFC 5322 allow. */
const FORGED = [
  `Authentication-Results: ${ID}; dmarc=pass header.from=example.com`,
  `Authentication-Results: MX.Example.COM; dkim=pass header.d=example.com`,
  `authentication-results: ${ID}; spf=pass smtp.mailfrom=example.com`,
  `Authentication-Results : ${ID}; dmarc=pass header.from=example.com`,
  `Authentication-Results: "${ID}"; dmarc=pass header.from=example.com`,
  `Authentication-Results: ${ID} 1; dmarc=pass header.from=example.com`,
  `Authentication-Results: (forged) ${ID}; dmarc=pass header.from=example.com`,
  `Authentication-Results: (a; b) ${ID}; dmarc=pass header.from=example.com`,
  `Authentication-Results: ${ID}(comment); dmarc=pass header.from=example.com`,
  `Authentication-Results:\n ${ID};\n\tdmarc=pass header.from=example.com`,
  `Authentication-Results:${ID};auth=pass smtp.auth=boss@example.com`,
];

describe('the shipped Postfix header_checks', () => {
  it('is a regexp table that main.cf names, with one IGNORE rule for the example authserv-id', () => {
    expect(readFileSync(join(CONFIGS, 'postfix', 'main.cf'), 'utf8')).toMatch(/^header_checks = regexp:\/etc\/postfix\/itip_header_checks$/m);
    expect(table.map((rule) => rule.action)).toEqual(['IGNORE']);
  });

  it('removes every field a sender can write that the agent would read as the trusted authserv-id', () => {
    for (const field of FORGED) {
      expect(agentId(field), field).toBe(ID);
      expect(postfixAction(field), field).toBe('IGNORE');
    }
  });

  it('leaves what the agent does not read as the trusted id: other ids, other fields', () => {
    for (const field of [
      'Authentication-Results: relay.example.net; dkim=pass header.d=example.org',
      `X-Authentication-Results: ${ID}; dmarc=pass header.from=example.com`,
      `Received: from client.example.org by ${ID} with ESMTP`,
      `Subject: Authentication-Results: ${ID}; dmarc=pass`,
    ]) {
      expect(postfixAction(field), field).toBeUndefined();
    }
  });

  it('lets no forged form through: a field that the rule keeps is one the agent does not trust', () => {
    const variants = [
      ...FORGED,
      // A quoted-pair inside a quoted id hides it from the rule; the agent keeps such an id as written.
      `Authentication-Results: "mx.ex\\ample.com"; dmarc=pass header.from=example.com`,
      `Authentication-Results: "mx\\.example\\.com"; dmarc=pass header.from=example.com`,
      // A comment or a fold inside the id splits it, for the rule and for the agent.
      'Authentication-Results: mx.example(x).com; dmarc=pass header.from=example.com',
      'Authentication-Results: mx.example\n .com; dmarc=pass header.from=example.com',
      `Authentication-Results: other.example; dmarc=pass header.from=example.com`,
    ];
    for (const field of variants) {
      if (postfixAction(field) !== 'IGNORE') expect(agentId(field), field).not.toBe(ID);
    }
  });
});

describe('the shipped Exim DATA ACL lines', () => {
  it('remove every Authentication-Results field that came with the mail', () => {
    const text = readFileSync(join(CONFIGS, 'exim', 'itip-agent', 'acl_check_data'), 'utf8');
    const statements = text.split('\n').filter((line) => !/^\s*(#|$)/.test(line)).map((line) => line.trim().split(/\s+/).join(' '));
    expect(statements).toEqual(['warn remove_header = Authentication-Results']);
  });
});

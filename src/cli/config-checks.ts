// What `config check` (and `serve` at start) says about settings that were
// read without error: files that the settings name but that cannot be read
// (errors: serve would stop on them), and what is allowed but probably wrong
// (warnings). Also how the commands report the problems of the settings.

import { readFileSync } from 'node:fs';
import { isPgUrl } from '../store/store-url.js';
import { problemAt, type ConfigProblem, type Resolved } from './config.js';
import { logger } from './log.js';
import { CliError, EXIT } from './output.js';

export interface ConfigWarning {
  /** The setting the warning is about. */
  setting: string;
  message: string;
  /** Where the setting was written, when it was written in the file. */
  file?: string;
  line?: number;
}

/** The settings' value by dotted name. */
function valueOf(resolved: Resolved, name: string): unknown {
  return resolved.entries.find((entry) => entry.name === name)?.value;
}

/**
 * The text of the warning about an empty localDomains. The sender rules
 * (src/itip/rules/sender.ts) refuse mail that came in from outside but
 * claims a local sender; which senders are local, only localDomains says.
 */
export function emptyLocalDomainsWarning(resolved: Resolved): string {
  const where = resolved.file.read ? `"localDomains": ["example.com"] in ${resolved.file.path}` : `"localDomains": ["example.com"] in the configuration file`;
  return (
    'localDomains is empty: the agent cannot tell its own users\' addresses from outside ones, so mail from outside that claims ' +
    'to come from one of your users is believed: a REPLY forged as alice@example.com changes the answer on Bob\'s event, a ' +
    'CANCEL forged as the organizer removes it. Set localDomains to the domains your MTA delivers here (Postfix: mydestination ' +
    `and virtual_mailbox_domains; Exim: local_domains), e.g. ${where} or ITIP_AGENT_LOCAL_DOMAINS=example.com, and pass the ` +
    'client facts (mta-configs/postfix/README.md, mta-configs/exim/README.md)'
  );
}

/**
 * What is allowed but probably wrong in a configuration that resolved. An
 * Authentication-Results field is believed for its authserv-id alone, and a
 * sender can write one with any id (RFC 8601 section 7.1); only the MTA's
 * removal of such fields from incoming mail (RFC 8601 section 5) makes a
 * trusted id the MTA's word. The agent cannot see whether the MTA does that,
 * so the administrator says so with auth.forgedHeadersRemoved.
 */
export function configWarnings(resolved: Resolved): ConfigWarning[] {
  const warnings: ConfigWarning[] = [];
  const warn = (setting: string, message: string) => {
    const line = resolved.lines.get(setting);
    const inFile = resolved.entries.find((entry) => entry.name === setting)?.source === 'file';
    warnings.push({ setting, message, ...(inFile ? { file: resolved.file.path, ...(line !== undefined ? { line } : {}) } : {}) });
  };
  if (((valueOf(resolved, 'localDomains') as string[] | undefined) ?? []).length === 0) warn('localDomains', emptyLocalDomainsWarning(resolved));
  const trusted = (valueOf(resolved, 'auth.trustedAuthservIds') as string[] | undefined) ?? [];
  if (trusted.length > 0 && valueOf(resolved, 'auth.forgedHeadersRemoved') !== true) {
    warn(
      'auth.forgedHeadersRemoved',
      `auth.trustedAuthservIds trusts ${trusted.join(', ')}, but auth.forgedHeadersRemoved is not set: unless the MTA removes ` +
        'Authentication-Results fields that carry these ids from incoming mail (RFC 8601 section 5), any sender can write a verdict ' +
        'the agent believes. Set up the removal (mta-configs/postfix/README.md or mta-configs/exim/README.md, "Forged ' +
        'Authentication-Results"), then set auth.forgedHeadersRemoved to true',
    );
  }
  const { web } = resolved.settings;
  if (web.proxyUserHeader && web.trustedProxies.length === 0) {
    warn(
      'http.proxyUserHeader',
      `http.proxyUserHeader names ${web.proxyUserHeader}, but http.trustedProxies is empty: the header is believed from no peer, ` +
        'so nobody signs in through the proxy; name the proxy\'s address (or unix for the unix socket) in http.trustedProxies',
    );
  }
  if (resolved.settings.http && !web.passwordLogins && !web.dovecotAuth && !web.proxyUserHeader) {
    warn(
      'http.passwordLogins',
      'the web listener (listen.http) has no way to sign in: http.passwordLogins is off and neither http.dovecotAuth nor ' +
        'http.proxyUserHeader is set; turn one of them on',
    );
  }
  const unset = ['http.passwordFile', 'http.linkSecretFile'].filter((name) => resolved.entries.find((entry) => entry.name === name)?.source === 'default');
  if (resolved.settings.http && isPgUrl(resolved.settings.store) && unset.length > 0) {
    warn(
      unset[0]!,
      `the store is a PostgreSQL database, but ${unset.join(' and ')} ${unset.length > 1 ? 'are' : 'is'} not set: the web's files are files on this host, ` +
        'by default in ./var/itip-agent relative to where serve starts; set them to the same files on every host that serves the web pages',
    );
  }
  return warnings;
}

/**
 * Files the settings name that serve reads at start (the TLS key and
 * certificate, the relay's password file) and that cannot be read by this
 * user: serve stops on them with 78, so the check reports them as errors.
 */
export function unreadableFiles(resolved: Resolved): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const name of ['listen.tlsKey', 'listen.tlsCert', 'relay.passwordFile', 'metrics.tokenFile']) {
    const path = valueOf(resolved, name);
    if (typeof path !== 'string' || path === '') continue;
    try {
      readFileSync(path);
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      problems.push(problemAt(resolved, name, `${name} ${path} cannot be read (${reason}) by this user; serve reads it at start: check the path and that the user serve runs as may read it`));
    }
  }
  return problems;
}

const CONFIG_ADVICE = 'fix it, or name another file with --config (or ITIP_AGENT_CONFIG)';

/** The log fields of a problem: which setting, and where it was written. */
export function problemFields(problem: ConfigProblem): Record<string, unknown> {
  return { setting: problem.setting, source: problem.source, file: problem.file, line: problem.line };
}

/**
 * Logs the settings' problems, all of them, and gives the error that ends the
 * command: one problem is one error line, as before; several are one line
 * each and a last line that counts them. `exitCode`: 78, or 75 for a command
 * an MTA runs per mail (the MTA keeps the mail and tries again).
 */
export function configFailure(problems: ConfigProblem[], exitCode: number): CliError {
  const retry = exitCode === EXIT.TEMPFAIL ? '; the MTA keeps the mail and tries again' : '';
  if (problems.length === 1) {
    const [problem] = problems;
    return new CliError(`${problem!.message}; ${CONFIG_ADVICE}${retry}`, exitCode, problemFields(problem!));
  }
  for (const problem of problems) logger.error(problem.message, { ...problemFields(problem), exitCode });
  return new CliError(`the settings have ${problems.length} problems, each in a line above; ${CONFIG_ADVICE.replace('fix it', 'fix them')}${retry}`, exitCode, {
    problems: problems.length,
  });
}

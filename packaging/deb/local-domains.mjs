// The domains this host receives mail for, from the MTA's own settings, so
// that the package ships with `localDomains` set: with it, mail from outside
// that claims a local sender changes no calendar (SECURITY.md).
//
// Run by the package's postinst as
//   node /usr/lib/itip-agent/packaging/local-domains.mjs --fill /etc/itip-agent/config.json
// and by hand with --print (what it would write). Plain Node, no packages: it
// runs before anything else of the agent is known to work.
//
// Sources, first that answers:
// - Postfix: `postconf` (every parameter), then mydestination and
//   virtual_mailbox_domains with their $parameter references expanded, and
//   the source files of hash:/texthash:-style tables read for their keys.
// - Exim: `exim4 -bP local_domains` (`@` is the primary host name), else the
//   debconf answer dc_other_hostnames in /etc/exim4/update-exim4.conf.conf.
// Names that are no mail domain of users (localhost, names without a dot,
// address literals) and entries that cannot be listed (SQL, LDAP, regular
// expressions, wildcards) are left out.

import { spawnSync } from 'node:child_process';
import { readFileSync, renameSync, statSync, writeFileSync, chmodSync, chownSync } from 'node:fs';

/** A domain a calendar user can have: a dotted name, not localhost. */
export function isUserDomain(name) {
  return /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+$/.test(name) && !/^localhost(\.|$)/.test(name);
}

function tidy(names) {
  return [...new Set(names.map((name) => name.trim().toLowerCase().replace(/\.$/, '')).filter(isUserDomain))].sort();
}

/** `postconf` output ("name = value" lines) as a map. */
export function parsePostconf(text) {
  const params = new Map();
  for (const line of text.split('\n')) {
    const match = /^([A-Za-z0-9_]+)\s*=\s*(.*)$/.exec(line);
    if (match) params.set(match[1], match[2].trim());
  }
  return params;
}

/**
 * A Postfix parameter value with $name, ${name} and $(name) replaced, as
 * postconf(5) describes, including ${name?text} (text when name is not empty)
 * and ${name:text} (text when it is empty). Unknown names are empty.
 */
export function expandPostfix(value, params, depth = 0) {
  if (depth > 20) return value;
  return value.replace(/\$(?:\{([A-Za-z0-9_]+)(?:([?:])([^}]*))?\}|\(([A-Za-z0-9_]+)(?:([?:])([^)]*))?\)|([A-Za-z0-9_]+)|\$)/g, (whole, ...groups) => {
    if (whole === '$$') return '$';
    const name = groups[0] ?? groups[3] ?? groups[6];
    const operator = groups[1] ?? groups[4];
    const text = groups[2] ?? groups[5] ?? '';
    const own = expandPostfix(params.get(name) ?? '', params, depth + 1);
    if (operator === '?') return own === '' ? '' : expandPostfix(text, params, depth + 1);
    if (operator === ':') return own === '' ? expandPostfix(text, params, depth + 1) : '';
    return own;
  });
}

/** The keys of a table source file: the first word of each line that is not a comment. */
function tableKeys(path, readFile) {
  try {
    return readFile(path)
      .split('\n')
      .map((line) => line.replace(/#.*/, '').trim())
      .filter((line) => line !== '' && !/^\s/.test(line))
      .map((line) => line.split(/\s+/)[0]);
  } catch {
    return [];
  }
}

/** One list of domains in a Postfix parameter: names, /files, and type:table entries. */
function postfixList(value, readFile) {
  const names = [];
  for (let item of value.split(/[\s,]+/).filter(Boolean)) {
    // proxymap(8) serves the same table: look at the table itself.
    item = item.replace(/^proxy:/, '');
    const table = /^([a-z]+):(.+)$/.exec(item);
    if (table) {
      const [, type, name] = table;
      // Indexed tables are built from a text file by postmap; texthash/inline read text directly.
      if (['hash', 'btree', 'lmdb', 'cdb', 'dbm', 'sdbm'].includes(type)) names.push(...tableKeys(name, readFile));
      else if (type === 'texthash') names.push(...tableKeys(name, readFile));
      else if (type === 'inline') names.push(...name.replace(/^\{|\}$/g, '').split(/[\s,]+/).map((kv) => kv.split('=')[0]));
      // SQL, LDAP, regular expressions and the like cannot be listed.
    } else if (item.startsWith('/')) {
      // A file holding more names, as in mydestination = /etc/postfix/destinations.
      try {
        names.push(...postfixList(readFile(item).replace(/#.*/g, ' '), readFile));
      } catch {
        // Missing: nothing to add.
      }
    } else {
      names.push(item);
    }
  }
  return names;
}

/** Postfix: mydestination and virtual_mailbox_domains, from full `postconf` output. */
export function postfixDomains(postconfOutput, readFile = (path) => readFileSync(path, 'utf8')) {
  const params = parsePostconf(postconfOutput);
  const names = ['mydestination', 'virtual_mailbox_domains'].flatMap((name) =>
    postfixList(expandPostfix(params.get(name) ?? '', params), readFile),
  );
  return tidy(names);
}

/**
 * Exim: the value of `exim -bP local_domains` ("domainlist local_domains = @:localhost:example.com").
 * `@` is the primary host name; `<;` at the start sets another separator (Exim's spec, "Changing list separators").
 */
export function eximDomains(bpOutput, primaryHostname = '', readFile = (path) => readFileSync(path, 'utf8')) {
  let value = bpOutput.replace(/^[^=]*=\s*/, '').trim();
  let separator = ':';
  const custom = /^<\s*(\S)\s*/.exec(value);
  if (custom) {
    separator = custom[1];
    value = value.slice(custom[0].length);
  }
  // A doubled separator stands for the character itself; no domain holds one.
  const items = value.split(separator + separator).join('\u0000').split(separator).map((item) => item.trim());
  const names = [];
  for (const item of items) {
    if (item === '@') names.push(primaryHostname);
    else if (/^lsearch;/.test(item)) names.push(...tableKeys(item.slice('lsearch;'.length).trim(), readFile).map((key) => key.replace(/:$/, '')));
    else if (item.startsWith('/')) names.push(...tableKeys(item, readFile));
    // Negations, named lists, lookups of other kinds, wildcards and regular expressions cannot be listed.
    else if (/^[!+^*@]|;|\*/.test(item)) continue;
    else names.push(item);
  }
  return tidy(names);
}

/** Debian's debconf answers for Exim: dc_other_hostnames='example.com:example.org'. */
export function debconfEximDomains(updateEximConf) {
  const match = /^dc_other_hostnames\s*=\s*'([^']*)'/m.exec(updateEximConf) ?? /^dc_other_hostnames\s*=\s*"?([^"\n]*)"?/m.exec(updateEximConf);
  return match ? tidy(match[1].split(/[:;]/)) : [];
}

/** The shipped empty list, as the shipped file writes it; anything else is the administrator's. */
const SHIPPED_EMPTY = /("localDomains"\s*:\s*)\[\s*\]/;

/** The configuration text with the domains filled in, or undefined when it is not the shipped empty value. */
export function fillConfig(text, domains) {
  if (domains.length === 0 || !SHIPPED_EMPTY.test(text)) return undefined;
  return text.replace(SHIPPED_EMPTY, (_, key) => `${key}${JSON.stringify(domains).replace(/,/g, ', ')}`);
}

function run(command, args) {
  const result = spawnSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 30_000 });
  return result.status === 0 ? result.stdout : undefined;
}

/** What this host's MTA says, and which MTA said it. */
export function detectDomains() {
  const postconf = run('postconf', []);
  if (postconf !== undefined) return { mta: 'postfix', domains: postfixDomains(postconf) };
  for (const exim of ['exim4', 'exim']) {
    const local = run(exim, ['-bP', 'local_domains']);
    if (local === undefined) continue;
    const primary = (run(exim, ['-bP', 'primary_hostname']) ?? '').replace(/^[^=]*=\s*/, '').trim();
    return { mta: 'exim', domains: eximDomains(local, primary) };
  }
  try {
    return { mta: 'exim (debconf)', domains: debconfEximDomains(readFileSync('/etc/exim4/update-exim4.conf.conf', 'utf8')) };
  } catch {
    return { mta: undefined, domains: [] };
  }
}

function main(argv) {
  const [mode, file] = argv;
  const { mta, domains } = detectDomains();
  if (mode === '--print') {
    process.stdout.write(`${JSON.stringify({ mta: mta ?? null, localDomains: domains })}\n`);
    return 0;
  }
  if (mode !== '--fill' || !file) {
    process.stderr.write('usage: local-domains.mjs --fill CONFIG.json | --print\n');
    return 64;
  }
  const text = readFileSync(file, 'utf8');
  if (!SHIPPED_EMPTY.test(text)) return 0;
  const filled = fillConfig(text, domains);
  if (!filled) {
    process.stderr.write(
      `itip-agent: localDomains in ${file} is empty and ${mta ? `${mta} names no domain of users` : 'no MTA (Postfix or Exim) was found'}; ` +
        'set it to your mail domains, e.g. "localDomains": ["example.com"], then run: itip-agent config check\n',
    );
    return 0;
  }
  // Atomic, with the file's owner and mode kept: the agent reads it at any moment.
  const { mode: fileMode, uid, gid } = statSync(file);
  const temporary = `${file}.dpkg-tmp`;
  writeFileSync(temporary, filled);
  chmodSync(temporary, fileMode & 0o7777);
  chownSync(temporary, uid, gid);
  renameSync(temporary, file);
  process.stdout.write(`itip-agent: localDomains set to ${domains.join(', ')} from ${mta} in ${file}\n`);
  return 0;
}

// Run as a program (postinst), not when a test imports it.
if (/local-domains\.mjs$/.test(process.argv[1] ?? '')) process.exitCode = main(process.argv.slice(2));

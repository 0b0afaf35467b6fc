// The package's postinst fills localDomains from the MTA's own settings
// (packaging/deb/local-domains.mjs): the derivation on real-looking `postconf`
// and `exim -bP` output, and the program as postinst runs it, with a stand-in
// `postconf` or `exim4` first on PATH.

import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  debconfEximDomains,
  eximDomains,
  expandPostfix,
  fillConfig,
  parsePostconf,
  postfixDomains,
} from '../../packaging/deb/local-domains.mjs';

const SCRIPT = join(import.meta.dirname, '..', '..', 'packaging', 'deb', 'local-domains.mjs');
const SHIPPED_CONFIG = readFileSync(join(import.meta.dirname, '..', '..', 'packaging', 'deb', 'config.json'), 'utf8');
const work = mkdtempSync(join(tmpdir(), 'itip-local-domains-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

// What `postconf` prints on a Debian 12 host set up for example.com (an excerpt; the real output has every parameter).
const DEBIAN_POSTCONF = [
  'alias_maps = hash:/etc/aliases',
  'mydestination = $myhostname, example.com, localhost.$mydomain, localhost',
  'mydomain = example.com',
  'myhostname = mail.example.com',
  'myorigin = /etc/mailname',
  'virtual_mailbox_domains = $virtual_mailbox_maps',
  'virtual_mailbox_maps =',
  '',
].join('\n');

describe('Postfix: mydestination and virtual_mailbox_domains', () => {
  it('expands $name, ${name} and $(name), and the conditional forms', () => {
    const params = parsePostconf('a = one\nb = $a-two\nc = ${b}/$(a)\nempty =\n');
    expect(expandPostfix('$c', params)).toBe('one-two/one');
    expect(expandPostfix('${a?set}|${empty?set}|${a:unset}|${empty:unset}', params)).toBe('set|||unset');
    expect(expandPostfix('$$a costs $unknown', params)).toBe('$a costs ');
  });

  it('a stock Debian host: its own name and the domains written in mydestination, not localhost', () => {
    expect(postfixDomains(DEBIAN_POSTCONF)).toEqual(['example.com', 'mail.example.com']);
  });

  it('reads the source files of hash: and texthash: tables, and files named in the list', () => {
    const vdomains = join(work, 'vdomains');
    writeFileSync(vdomains, '# hosted domains\nexample.org   OK\nExample.NET OK\n\n   continued-line\n');
    const more = join(work, 'destinations');
    writeFileSync(more, 'example.info # comment\nexample.biz\n');
    const output = [
      `mydestination = localhost, ${more}`,
      'myhostname = mx',
      `virtual_mailbox_domains = proxy:hash:${vdomains}, mysql:/etc/postfix/sql.cf, texthash:${vdomains}`,
    ].join('\n');
    // mx (no dot) is no mail domain of users; SQL tables cannot be listed.
    expect(postfixDomains(output)).toEqual(['example.biz', 'example.info', 'example.net', 'example.org']);
  });

  it('a host that only relays gives no domain', () => {
    expect(postfixDomains('mydestination =\nmyhostname = relay.example.com\nvirtual_mailbox_domains =\n')).toEqual([]);
  });
});

describe('Exim: local_domains and the debconf answer', () => {
  it('@ is the primary host name; localhost, address literals and lookups of other kinds are left out', () => {
    const keys = join(work, 'exim-domains');
    writeFileSync(keys, 'example.org: yes\n# comment\nexample.net\n');
    const output = `domainlist local_domains = @:localhost:@[]:example.com:lsearch;${keys}:*.wild.example:!bad.example:+other_list:dsearch;/etc/exim4/virtual`;
    expect(eximDomains(output, 'mail.example.com')).toEqual(['example.com', 'example.net', 'example.org', 'mail.example.com']);
  });

  it('a list with its own separator', () => {
    expect(eximDomains('local_domains = <; example.com ; example.org', '')).toEqual(['example.com', 'example.org']);
  });

  it('Debian\'s update-exim4.conf.conf', () => {
    const conf = "dc_eximconfig_configtype='internet'\ndc_other_hostnames='example.com:example.org'\ndc_local_interfaces='127.0.0.1'\n";
    expect(debconfEximDomains(conf)).toEqual(['example.com', 'example.org']);
    expect(debconfEximDomains("dc_other_hostnames=''\n")).toEqual([]);
  });
});

describe('filling the shipped configuration', () => {
  it('replaces only the shipped empty list, and keeps the rest of the file as it was', () => {
    const filled = fillConfig(SHIPPED_CONFIG, ['example.com', 'example.org']);
    expect(filled).toBeDefined();
    expect(JSON.parse(filled!).localDomains).toEqual(['example.com', 'example.org']);
    expect(filled!.replace(/"localDomains": \[[^\]]*\]/, '"localDomains": []')).toBe(SHIPPED_CONFIG);
  });

  it('leaves a value the administrator set, and an empty derivation, alone', () => {
    const own = SHIPPED_CONFIG.replace('"localDomains": []', '"localDomains": ["corp.example"]');
    expect(fillConfig(own, ['example.com'])).toBeUndefined();
    expect(fillConfig(SHIPPED_CONFIG, [])).toBeUndefined();
  });
});

/** Runs the program as postinst does, with `tool` (a shell script printing `output`) first on PATH. */
function runWithTool(tool: string, script: string, config: string) {
  const bin = mkdtempSync(join(work, 'bin-'));
  writeFileSync(join(bin, tool), `#!/bin/sh\n${script}\n`);
  chmodSync(join(bin, tool), 0o755);
  return spawnSync(process.execPath, [SCRIPT, '--fill', config], {
    encoding: 'utf8',
    // The MTAs' programs live in /usr/sbin, which is left out: only the stand-in answers.
    env: { PATH: `${bin}:/usr/bin:/bin` },
    timeout: 60_000,
  });
}

describe('the program postinst runs', () => {
  it('fills the file from postconf, keeping its mode', () => {
    const config = join(work, 'postfix-config.json');
    writeFileSync(config, SHIPPED_CONFIG, { mode: 0o640 });
    const result = runWithTool('postconf', `cat <<'EOF'\n${DEBIAN_POSTCONF}EOF`, config);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toContain('localDomains set to example.com, mail.example.com from postfix');
    expect(JSON.parse(readFileSync(config, 'utf8')).localDomains).toEqual(['example.com', 'mail.example.com']);
    expect(statSync(config).mode & 0o777).toBe(0o640);
    // A second run (an upgrade) finds the list set and changes nothing.
    const again = runWithTool('postconf', "echo 'mydestination = other.example'", config);
    expect(again.status).toBe(0);
    expect(JSON.parse(readFileSync(config, 'utf8')).localDomains).toEqual(['example.com', 'mail.example.com']);
  });

  it('fills the file from exim4 -bP when there is no Postfix', () => {
    const config = join(work, 'exim-config.json');
    writeFileSync(config, SHIPPED_CONFIG);
    const script = [
      'case "$2" in',
      '  local_domains) echo "domainlist local_domains = @:localhost:example.org" ;;',
      '  primary_hostname) echo "primary_hostname = mx.example.org" ;;',
      'esac',
    ].join('\n');
    const result = runWithTool('exim4', script, config);
    expect(result.status, result.stderr).toBe(0);
    expect(JSON.parse(readFileSync(config, 'utf8')).localDomains).toEqual(['example.org', 'mx.example.org']);
  });

  it('says what to do when the MTA names no domain, and leaves the file as shipped', () => {
    const config = join(work, 'relay-config.json');
    writeFileSync(config, SHIPPED_CONFIG);
    const result = runWithTool('postconf', "printf 'mydestination = localhost\\nmyhostname = relay\\n'", config);
    expect(result.status).toBe(0);
    expect(result.stderr).toContain('set it to your mail domains');
    expect(readFileSync(config, 'utf8')).toBe(SHIPPED_CONFIG);
  });
});

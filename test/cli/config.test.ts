// Where settings come from: flags > ITIP_AGENT_* environment > configuration
// file > defaults, as `config show` reports and as the commands use them.

import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fixture, tempDir } from './run-cli.js';
import { cli, errors, json, ok } from './helpers.js';

interface Shown {
  file: { path: string; read: boolean; source: string };
  settings: Record<string, { value: unknown; source: string }>;
}

describe('config show and precedence', () => {
  const dir = tempDir();
  const file = join(dir.path, 'config.json');
  const other = join(dir.path, 'other.json');
  afterAll(() => dir.remove());
  writeFileSync(
    file,
    JSON.stringify({
      store: join(dir.path, 'file-store'),
      deliver: `maildir:${dir.path}/mail/{user}`,
      localDomains: ['Example.com', 'example.org'],
      relay: { host: 'relay.example.com', port: 587, user: 'agent', passwordFile: '/etc/itip-agent/relay.pass' },
      listen: { lmtp: '/run/itip-agent/lmtp.sock', socketMode: '0666' },
      limits: { maxMessageBytes: 1048576 },
      logLevel: 'warn',
    }),
  );
  writeFileSync(other, JSON.stringify({ store: join(dir.path, 'other-store') }));

  it('reads the file named by --config; what it leaves out comes from the defaults', () => {
    const shown = json<Shown>(['--config', file, 'config', 'show']);
    expect(shown.file).toEqual({ path: file, read: true, source: 'flag' });
    expect(shown.settings.store).toEqual({ value: join(dir.path, 'file-store'), source: 'file' });
    expect(shown.settings.localDomains).toEqual({ value: ['example.com', 'example.org'], source: 'file' });
    expect(shown.settings['relay.port']).toEqual({ value: 587, source: 'file' });
    expect(shown.settings['relay.secure']).toEqual({ value: false, source: 'default' });
    expect(shown.settings['listen.socketMode']).toEqual({ value: 0o666, source: 'file' });
    expect(shown.settings['listen.smtp']).toEqual({ value: null, source: 'default' });
    expect(shown.settings['limits.maxMessageBytes']).toEqual({ value: 1048576, source: 'file' });
    expect(shown.settings.sendmail).toEqual({ value: '/usr/sbin/sendmail', source: 'default' });
  });

  it('lets the environment beat the file, and flags beat the environment', () => {
    const env = { ITIP_AGENT_STORE: join(dir.path, 'env-store'), ITIP_AGENT_LOG_LEVEL: 'debug', ITIP_AGENT_RELAY_PORT: '2525' };
    const fromEnv = json<Shown>(['--config', file, 'config', 'show'], { env });
    expect(fromEnv.settings.store).toEqual({ value: join(dir.path, 'env-store'), source: 'env' });
    expect(fromEnv.settings.logLevel).toEqual({ value: 'debug', source: 'env' });
    expect(fromEnv.settings['relay.port']).toEqual({ value: 2525, source: 'env' });
    const fromFlag = json<Shown>(['--config', file, '--store', join(dir.path, 'flag-store'), 'config', 'show'], { env });
    expect(fromFlag.settings.store).toEqual({ value: join(dir.path, 'flag-store'), source: 'flag' });
  });

  it('takes ITIP_AGENT_CONFIG when --config is not given, and --config over it', () => {
    expect(json<Shown>(['config', 'show'], { env: { ITIP_AGENT_CONFIG: other } }).settings.store.source).toBe('file');
    const both = json<Shown>(['--config', file, 'config', 'show'], { env: { ITIP_AGENT_CONFIG: other } });
    expect(both.settings.store.value).toBe(join(dir.path, 'file-store'));
  });

  it('prints a table with the source of each setting', () => {
    const text = ok(['--config', file, 'config', 'show'], { env: { ITIP_AGENT_STORE: join(dir.path, 'env-store') } }).stdout;
    expect(text).toMatch(/^SETTING\s+VALUE\s+SOURCE\s+ENV/);
    expect(text).toMatch(new RegExp(`\\nstore\\s+${join(dir.path, 'env-store').replace(/[/.]/g, '\\$&')}\\s+env\\s+ITIP_AGENT_STORE`));
    expect(text).toMatch(/\nlisten\.socketMode\s+0666\s+file/);
    expect(text).toMatch(/\nrelay\.host\s+relay\.example\.com\s+file/);
  });

  it('keeps --store and ITIP_AGENT_STORE working as before, with no file at all', () => {
    const shown = json<Shown>(['config', 'show'], { env: { ITIP_AGENT_CONFIG: undefined } });
    expect(shown.file.source).toBe('default');
    // An empty ITIP_AGENT_STORE counts as unset.
    expect(json<Shown>(['--config', file, 'config', 'show'], { env: { ITIP_AGENT_STORE: '' } }).settings.store.source).toBe('file');
  });

  it('uses the store and delivery target of the file in process', () => {
    ok(['--config', file, 'process', '--recipient', 'alice@example.com'], { input: fixture('request-alice.eml') });
    expect(existsSync(join(dir.path, 'file-store'))).toBe(true);
    expect(readdirSync(join(dir.path, 'mail/alice@example.com/new'))).toHaveLength(1);
    // --deliver still wins over the file.
    ok(['--config', file, 'process', '--recipient', 'bob@example.com', '--deliver', 'none'], { input: fixture('request-alice.eml') });
    expect(existsSync(join(dir.path, 'mail/bob@example.com'))).toBe(false);
  });

  it('exits 78 for a named file that is missing, not JSON, or holds an unknown setting', () => {
    const bad = join(dir.path, 'bad.json');
    const cases: Array<[string, RegExp]> = [
      ['', /cannot be read/],
      ['{ "store": ', /not JSON/],
      ['{ "stroe": "/tmp" }', /unknown setting "stroe"/],
      ['{ "limits": { "maxMessageBytes": "lots" } }', /maxMessageBytes.*whole number/],
      ['{ "listen": { "tlsKey": "/k.pem" } }', /tlsKey and listen.tlsCert/],
    ];
    for (const [text, message] of cases) {
      if (text) writeFileSync(bad, text);
      const result = cli(['--config', text ? bad : join(dir.path, 'missing.json'), 'config', 'show']);
      expect(result.code, result.stderr).toBe(78);
      expect(String(errors(result)[0].msg)).toMatch(message);
    }
    // An environment value that does not parse is named too.
    const env = cli(['--config', file, 'config', 'show'], { env: { ITIP_AGENT_MAX_MESSAGE_BYTES: 'many' } });
    expect(env.code).toBe(78);
    expect(String(errors(env)[0].msg)).toContain('ITIP_AGENT_MAX_MESSAGE_BYTES');
  });

  it('makes a broken configuration a temporary failure (75) for process, which an MTA runs per mail', () => {
    const bad = join(dir.path, 'broken.json');
    writeFileSync(bad, '{ "stroe": "/tmp" }');
    const result = cli(['--config', bad, 'process', '--recipient', 'alice@example.com'], { input: 'Subject: x\r\n\r\nhi\r\n' });
    expect(result.code, result.stderr).toBe(75);
    expect(String(errors(result)[0].msg)).toMatch(/unknown setting "stroe".*tries again/);
  });

  it('says in --help where settings come from', () => {
    const help = ok(['--help']).stdout;
    expect(help).toContain('/etc/itip-agent/config.json');
    expect(help).toContain('ITIP_AGENT_CONFIG');
    expect(help).toContain('config show');
    expect(ok(['serve', '--help']).stdout).toContain('strongest first');
  });
});

describe('config check', () => {
  const dir = tempDir();
  afterAll(() => dir.remove());
  // localDomains is set in each: without it, config check warns about that too (config-check.test.ts).
  const write = (name: string, settings: object) => {
    const path = join(dir.path, name);
    writeFileSync(path, JSON.stringify({ localDomains: ['example.com'], ...settings }));
    return path;
  };
  const trusting = write('trusting.json', { auth: { trustedAuthservIds: ['mx.example.com'] } });
  const removed = write('removed.json', { auth: { trustedAuthservIds: ['mx.example.com'], forgedHeadersRemoved: true } });
  const quiet = write('quiet.json', { auth: { trustedAuthservIds: ['mx.example.com'] }, logLevel: 'error' });
  const warnings = (result: ReturnType<typeof cli>) => result.logs.filter((record) => record.level === 'warn');

  interface Checked {
    file: { path: string; read: boolean; source: string };
    warnings: Array<{ setting: string; message: string }>;
  }

  it('warns (exit 0) when an authserv-id is trusted but the removal of forged fields is not said to be in place', () => {
    const result = ok(['--config', trusting, 'config', 'check']);
    expect(warnings(result)).toHaveLength(1);
    expect(warnings(result)[0]).toMatchObject({ setting: 'auth.forgedHeadersRemoved' });
    expect(String(warnings(result)[0]!.msg)).toMatch(/mx\.example\.com.*RFC 8601 section 5.*auth\.forgedHeadersRemoved to true/);
    expect(result.stdout).toContain(`${trusting} read; 1 warning`);
    expect(result.stdout).toMatch(/^warning: auth\.forgedHeadersRemoved: /m);

    const checked = json<Checked>(['--config', trusting, 'config', 'check']);
    expect(checked.file).toEqual({ path: trusting, read: true, source: 'flag' });
    expect(checked.warnings.map((w) => w.setting)).toEqual(['auth.forgedHeadersRemoved']);
    // Asking for a check is asking for its warnings, whatever logLevel says.
    expect(warnings(ok(['--config', quiet, 'config', 'check']))).toHaveLength(1);
  });

  it('does not warn once auth.forgedHeadersRemoved is set (file or environment), or when no authserv-id is trusted', () => {
    for (const [args, env] of [
      [['--config', removed], {}],
      [['--config', trusting], { ITIP_AGENT_FORGED_HEADERS_REMOVED: 'true' }],
      [['--config', write('plain.json', { store: join(dir.path, 'store') })], {}],
      [[], { ITIP_AGENT_CONFIG: undefined, ITIP_AGENT_TRUSTED_AUTHSERV_IDS: undefined, ITIP_AGENT_LOCAL_DOMAINS: 'example.com' }],
    ] as Array<[string[], Record<string, string | undefined>]>) {
      const result = ok([...args, 'config', 'check'], { env });
      expect(warnings(result), args.join(' ')).toEqual([]);
      expect(result.stdout).toMatch(/; no problems found\n$/);
      expect(json<Checked>([...args, 'config', 'check'], { env }).warnings).toEqual([]);
    }
    expect(json<Shown>(['--config', removed, 'config', 'show']).settings['auth.forgedHeadersRemoved']).toEqual({ value: true, source: 'file' });
    expect(json<Shown>(['--config', trusting, 'config', 'show']).settings['auth.forgedHeadersRemoved']).toEqual({ value: false, source: 'default' });
  });

  it('exits 78 with the same errors as config show for a file that cannot be used', () => {
    const cases: Array<[string, RegExp]> = [
      ['{ "auth": { "forgedHeadersRemoved": "maybe" } }', /forgedHeadersRemoved.*true or false/],
      ['{ "stroe": "/tmp" }', /unknown setting "stroe"/],
      ['[1, 2]', /one JSON object/],
    ];
    const bad = join(dir.path, 'bad.json');
    for (const [text, message] of cases) {
      writeFileSync(bad, text);
      const check = cli(['--config', bad, 'config', 'check']);
      expect(check.code, check.stderr).toBe(78);
      expect(String(errors(check)[0]!.msg)).toMatch(message);
      // For a person, the errors are listed on stdout too.
      expect(check.stdout).toMatch(/^error: /m);
      expect(errors(cli(['--config', bad, 'config', 'show']))[0]!.msg).toBe(errors(check)[0]!.msg);
    }
  });

  it('is listed in --help', () => {
    expect(ok(['config', '--help']).stdout).toMatch(/check \[options\]\s+check the settings/);
    expect(ok(['config', 'check', '--help']).stdout).toContain('auth.forgedHeadersRemoved');
  });
});

// config check finds every problem of the settings at once, each at the file
// and line of its key, and the commands refuse exactly what it reports: a
// value the pipe cannot use defers the mail (75) with the file's words, never
// a usage error that blames a flag (64, which Postfix bounces).

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli, errors, imipMail, json, ok } from './helpers.js';
import { fixture, tempDir } from './run-cli.js';

interface Problem {
  setting?: string;
  source: string;
  file?: string;
  line?: number;
  message: string;
}
interface Checked {
  file: { path: string; read: boolean; source: string };
  errors: Problem[];
  warnings: Array<{ setting: string; message: string; file?: string; line?: number }>;
}

const dir = tempDir();
afterAll(() => dir.remove());
const write = (name: string, text: string) => {
  const path = join(dir.path, name);
  writeFileSync(path, text);
  return path;
};

/** The line of the first line of `text` that holds `needle`, 1-based: where a problem must be reported. */
const lineOf = (text: string, needle: string) => text.split('\n').findIndex((line) => line.includes(needle)) + 1;

describe('config check: all errors at once, each at FILE:LINE', () => {
  const text = [
    '{',
    '  "stroe": "/tmp/x",',
    '  "deliver": "maildir",',
    '  "localDomains": ["example.com"],',
    '  "relay": {',
    '    "host": "mail.example.com:587",',
    '    "port": "many"',
    '  },',
    '  "listen": { "lmtp": "nowhere", "tlsKey": "/k.pem" },',
    '  "limits": { "maxAttendees": 0 },',
    '  "http": { "publicUrl": "ftp://calendar.example.com" },',
    '  "store": "mysql://agent@db.example.com/itip"',
    '}',
  ].join('\n');
  const file = write('many.json', text);
  const expected: Array<[string, string, RegExp]> = [
    ['stroe', '"stroe"', /unknown setting "stroe"/],
    ['deliver', '"deliver"', /"deliver": "maildir" is not a delivery target; supported targets: none, stdout, maildir:DIR/],
    ['relay.host', '"host"', /holds a port; write the host alone \("mail\.example\.com"\) and the port in relay\.port \(587\)/],
    ['relay.port', '"port"', /whole number from 1 to 65535/],
    ['listen.lmtp', '"lmtp"', /"nowhere" is no listener address/],
    ['limits.maxAttendees', '"maxAttendees"', /whole number from 1 to/],
    ['http.publicUrl', '"publicUrl"', /http or https/],
    ['store', '"store"', /mysql URL, and this build stores in a directory \(the embedded LMDB store\) or in PostgreSQL/],
    ['listen.tlsKey', '"tlsKey"', /listen\.tlsKey and listen\.tlsCert go together/],
    // What serve would read at start is checked too.
    ['listen.tlsKey', '"tlsKey"', /listen\.tlsKey \/k\.pem cannot be read \(ENOENT\)/],
  ];

  it('lists every problem in --json with its setting, file and line, and exits 78', () => {
    const result = cli(['--config', file, 'config', 'check', '--json']);
    expect(result.code, result.stderr).toBe(78);
    const checked = JSON.parse(result.stdout) as Checked;
    expect(checked.errors).toHaveLength(expected.length);
    for (const [setting, needle, message] of expected) {
      const problem = checked.errors.find((p) => p.setting === setting && message.test(p.message));
      expect(problem, setting).toBeDefined();
      expect(problem).toMatchObject({ source: 'file', file, line: lineOf(text, needle) });
      expect(problem!.message.startsWith(`${file}:${lineOf(text, needle)}: `), problem!.message).toBe(true);
      expect(problem!.message).toMatch(message);
    }
    // Every problem is a log line too, then one line that counts them.
    const logged = errors(result);
    expect(logged).toHaveLength(expected.length + 1);
    expect(String(logged.at(-1)!.msg)).toContain(`${expected.length} problems`);
    expect(logged.slice(0, -1).map((record) => record.line)).toEqual(checked.errors.map((p) => p.line));
  });

  it('prints them for a person, one per line, and config show and the commands refuse the same ones', () => {
    const check = cli(['--config', file, 'config', 'check']);
    expect(check.code).toBe(78);
    const lines = check.stdout.trim().split('\n');
    expect(lines[0]).toBe(`${file} read; ${expected.length} errors`);
    for (const [, needle] of expected) expect(lines.some((line) => line.startsWith(`error: ${file}:${lineOf(text, needle)}: `)), needle).toBe(true);
    const show = cli(['--config', file, 'config', 'show']);
    expect(show.code).toBe(78);
    // show stops on the same problems; reading the files serve reads at start is the check's alone.
    const problems = (result: typeof show) => errors(result).slice(0, -1).map((record) => String(record.msg));
    expect(problems(show)).toEqual(problems(check).filter((msg) => !msg.includes('cannot be read')));
    expect(String(errors(show).at(-1)!.msg)).toContain(`${expected.length - 1} problems`);
  });

  it('gives the line and column of a syntax error, and finds keys written twice', () => {
    const broken = write('broken.json', '{\n  "store": "/tmp/x",\n  "deliver": none\n}\n');
    const result = cli(['--config', broken, 'config', 'check', '--json']);
    expect(result.code).toBe(78);
    const [problem] = (JSON.parse(result.stdout) as Checked).errors;
    expect(problem).toMatchObject({ file: broken, line: 3 });
    expect(problem!.message).toMatch(new RegExp(`^${broken.replace(/[/.]/g, '\\$&')}:3:14: the configuration file is not JSON: expected a value`));
    const twice = write('twice.json', '{\n  "localDomains": ["example.com"],\n  "store": "/tmp/a",\n  "store": "/tmp/b"\n}\n');
    const repeated = JSON.parse(cli(['--config', twice, 'config', 'check', '--json']).stdout) as Checked;
    expect(repeated.errors).toEqual([expect.objectContaining({ setting: 'store', line: 3, message: expect.stringMatching(/written 2 times \(lines 3, 4\)/) })]);
  });

  it('reports files serve reads at start that cannot be read', () => {
    const missing = join(dir.path, 'no-such-key.pem');
    const tls = write('tls.json', JSON.stringify({ localDomains: ['example.com'], listen: { tlsKey: missing, tlsCert: missing } }, null, 2));
    const checked = JSON.parse(cli(['--config', tls, 'config', 'check', '--json']).stdout) as Checked;
    expect(checked.errors.map((p) => p.setting)).toEqual(['listen.tlsKey', 'listen.tlsCert']);
    expect(checked.errors[0]!.message).toContain('ENOENT');
  });

  it('names the environment variable for a value from the environment', () => {
    const checked = JSON.parse(cli(['config', 'check', '--json'], { env: { ITIP_AGENT_CONFIG: undefined, ITIP_AGENT_DELIVER: 'lmtp:nowhere' } }).stdout) as Checked;
    expect(checked.errors).toEqual([expect.objectContaining({ setting: 'deliver', source: 'env', message: expect.stringMatching(/^ITIP_AGENT_DELIVER: "lmtp:nowhere": write lmtp:HOST:PORT/) })]);
  });
});

describe('the commands take what config check passes, and refuse what it refuses', () => {
  // Each value alone in a file: config check must fail exactly when process and serve refuse it.
  const cases: Array<[string, unknown, boolean]> = [
    ['deliver', 'maildir', false],
    ['deliver', 'stdout', false],
    ['deliver', 'none', true],
    ['deliver', `maildir:${join(dir.path, 'mail/{user}')}`, true],
    ['deliver', 'maildir:/var/mail/{person}', false],
    ['store', 'mysql://agent@db/itip', false],
    ['relay', { host: 'relay.example.com', port: 587 }, true],
    ['relay', { port: 0 }, false],
    ['listen', { smtp: '127.0.0.1:99999' }, false],
  ];

  it.each(cases)('%s = %j', (key, value, valid) => {
    const file = write(`case-${key}-${JSON.stringify(value).replace(/\W+/g, '_')}.json`, JSON.stringify({ localDomains: ['example.com'], store: join(dir.path, 'store'), [key]: value }, null, 2));
    const check = cli(['--config', file, 'config', 'check']);
    const piped = cli(['--config', file, 'process', '--recipient', 'alice@example.com'], { input: fixture('request-alice.eml') });
    expect(check.code, check.stdout).toBe(valid ? 0 : 78);
    // The pipe defers on a value from the file (the MTA keeps the mail); it never answers 64.
    expect(piped.code, piped.stderr).toBe(valid ? 0 : 75);
    if (!valid) {
      const message = String(errors(piped)[0]!.msg);
      expect(message).toContain(`${file}:`);
      expect(message).not.toMatch(/^--deliver/);
      expect(message).toContain(String(errors(check)[0]!.msg).replace(/; fix it.*$/, ''));
    }
  });

  it('still answers 64 for a wrong --deliver flag, naming the flag', () => {
    const result = cli(['process', '--recipient', 'alice@example.com', '--deliver', 'maildir'], { input: fixture('request-alice.eml'), env: { ITIP_AGENT_CONFIG: undefined } });
    expect(result.code).toBe(64);
    expect(String(errors(result)[0]!.msg)).toMatch(/^--deliver "maildir" is not a delivery target/);
  });
});

describe('localDomains', () => {
  it('config check warns when it is empty, saying what can be forged and what to set', () => {
    const file = write('open.json', JSON.stringify({ store: join(dir.path, 'store') }));
    const result = ok(['--config', file, 'config', 'check']);
    const warning = result.logs.find((record) => record.level === 'warn' && record.setting === 'localDomains');
    expect(String(warning?.msg)).toMatch(/forged as alice@example\.com.*Set localDomains.*mydestination.*local_domains.*"localDomains": \["example\.com"\]/);
    expect(result.stdout).toMatch(/^warning: localDomains: localDomains is empty/m);
  });

  it('is read by the pipe from the same file as serve: a forged local sender from outside is refused', () => {
    const ics = [
      'BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//t//EN', 'METHOD:REQUEST', 'BEGIN:VEVENT', 'UID:forged@example.com',
      'DTSTAMP:20261101T080000Z', 'DTSTART:20261201T090000Z', 'DTEND:20261201T100000Z', 'SEQUENCE:0', 'SUMMARY:Board',
      'ORGANIZER:mailto:boss@example.com', 'ATTENDEE;PARTSTAT=NEEDS-ACTION:mailto:alice@example.com', 'END:VEVENT', 'END:VCALENDAR', '',
    ].join('\r\n');
    const mail = imipMail({ from: 'boss@example.com', to: ['alice@example.com'], subject: 'Board', messageId: 'forged-1@example.net', ics });
    const outcome = (settings: object) => {
      const store = join(dir.path, `store-${Object.keys(settings).length}`);
      const file = write(`pipe-${Object.keys(settings).length}.json`, JSON.stringify({ store, ...settings }));
      ok(['--config', file, 'process', '--recipient', 'alice@example.com', '--sender', 'boss@example.com', '--client-address', '203.0.113.9'], { input: mail });
      return json<Array<{ outcome: string; reason: string }>>(['--config', file, 'journal', '--user', 'alice@example.com'])[0]!;
    };
    expect(outcome({})).toMatchObject({ outcome: 'applied' });
    expect(outcome({ localDomains: ['example.com'] })).toMatchObject({ outcome: 'refused', reason: expect.stringContaining('arrived from outside') });
  });
});

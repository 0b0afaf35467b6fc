// The program as a whole: help on every command, usage errors as JSON log
// lines, the store location (--store, ITIP_AGENT_STORE, ./var/itip-agent), the
// clock (ITIP_AGENT_NOW), and the README's first command.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, ROOT, fixture, tempDir } from './run-cli.js';
import { cli, errors, json, ok, okAsync } from './helpers.js';

describe.concurrent('help', () => {
  const commands: Array<[string, string]> = [
    ['process', 'read one mail on stdin'],
    ['replay', 'process stored mail again'],
    ['user', 'add and list calendar users'],
    ['user add', 'add a calendar user'],
    ['user list', 'list calendar users'],
    ['prefs', 'preferences'],
    ['objects', 'stored calendar objects'],
    ['object', 'one stored calendar object'],
    ['freebusy', 'busy periods'],
    ['requests', 'waiting for the user'],
    ['inbox', 'scheduling messages a user received'],
    ['outbox', 'queued to send'],
    ['journal', 'what happened to each message'],
  ];

  it.each(commands)('%s --help exits 0 and describes the command on stdout', async (command, description) => {
    const result = await okAsync([...command.split(' '), '--help']);
    expect(result.stdout).toContain(`Usage: itip-agent ${command}`);
    expect(result.stdout).toContain(description);
    expect(result.stderr).toBe('');
  });

  it('itip-agent --help lists every command; help COMMAND works too', () => {
    const top = ok(['--help']).stdout;
    for (const command of ['process', 'replay', 'user', 'prefs', 'objects', 'object', 'freebusy', 'requests', 'inbox', 'outbox', 'journal']) {
      expect(top).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
    }
    expect(ok(['help', 'freebusy']).stdout).toContain('Usage: itip-agent freebusy');
  });

  it('--version prints the package version', () => {
    const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(ok(['--version']).stdout.trim()).toBe(version);
  });
});

describe('usage errors', () => {
  it('an unknown command exits 64 with one JSON error line on stderr', () => {
    const result = cli(['frobnicate', '--user', 'alice@example.com']);
    expect(result.code).toBe(64);
    expect(result.stdout).toBe('');
    expect(errors(result)).toHaveLength(1);
    expect(String(errors(result)[0].msg)).toContain('frobnicate');
  });

  it('an unknown option or a missing argument exits 64 with a JSON error line', () => {
    for (const args of [['process', '--recipient', 'alice@example.com', '--colour'], ['object', '--user', 'alice@example.com'], ['replay'], ['user', 'add']]) {
      const result = cli(args);
      expect(result.code, args.join(' ')).toBe(64);
      expect(result.stdout).toBe('');
      expect(errors(result)).toHaveLength(1);
    }
  });

  it('a missing command exits 64: the commands on stdout for a person, a JSON error line on stderr', () => {
    for (const args of [[], ['user']]) {
      const result = cli(args);
      expect(result.code).toBe(64);
      expect(result.stdout).toContain(`Usage: itip-agent${args.length ? ` ${args[0]}` : ''}`);
      expect(errors(result)).toHaveLength(1);
    }
  });
});

describe('the store location', () => {
  const dir = tempDir();
  afterAll(() => dir.remove());
  const envStore = join(dir.path, 'from-env');
  const flagStore = join(dir.path, 'from-flag');

  it('ITIP_AGENT_STORE names the store', () => {
    ok(['process', '--recipient', 'alice@example.com'], { env: { ITIP_AGENT_STORE: envStore }, input: fixture('request-alice.eml') });
    expect(existsSync(envStore)).toBe(true);
    expect(json(['user', 'list'], { env: { ITIP_AGENT_STORE: envStore } })).toEqual([{ address: 'mailto:alice@example.com', role: 'person' }]);
  });

  it('--store wins over ITIP_AGENT_STORE', () => {
    const env = { ITIP_AGENT_STORE: envStore };
    ok(['--store', flagStore, 'process', '--recipient', 'bob@example.com'], { env, input: fixture('request-alice.eml') });
    expect(json(['--store', flagStore, 'user', 'list'], { env })).toEqual([{ address: 'mailto:bob@example.com', role: 'person' }]);
    expect(json(['user', 'list'], { env })).toEqual([{ address: 'mailto:alice@example.com', role: 'person' }]);
  });

  it('an empty ITIP_AGENT_STORE means the default, ./var/itip-agent', () => {
    const cwd = join(dir.path, 'cwd');
    mkdirSync(cwd);
    ok(['user', 'add', 'carol@example.com'], { cwd, env: { ITIP_AGENT_STORE: '' } });
    expect(existsSync(join(cwd, 'var', 'itip-agent'))).toBe(true);
  });
});

describe('the clock', () => {
  const dir = tempDir();
  const store = join(dir.path, 'store');
  afterAll(() => dir.remove());

  it('ITIP_AGENT_NOW stamps the journal and the logs, converted to UTC', () => {
    const env = { ITIP_AGENT_NOW: '2026-11-20T10:30:00+01:00' };
    const result = ok(['process', '--recipient', 'alice@example.com', '--json'], { store, env, input: fixture('request-alice.eml') });
    for (const line of result.logs) expect(line.at).toBe('2026-11-20T09:30:00Z');
    const journal = json<Array<{ at: string }>>(['journal'], { store, env });
    expect(journal.map((e) => e.at)).toEqual(['2026-11-20T09:30:00Z']);
    expect(json<Array<{ received: string }>>(['requests', '--user', 'alice@example.com'], { store, env })[0].received).toBe('2026-11-20T09:30:00Z');
  });

  it('an ITIP_AGENT_NOW that is no ISO 8601 time exits 64 before anything runs', () => {
    for (const value of ['tomorrow', '2026-11-20', '2026-11-20 10:00:00']) {
      const result = cli(['process', '--recipient', 'alice@example.com', '--deliver', 'stdout'], {
        store,
        env: { ITIP_AGENT_NOW: value },
        input: fixture('reply-bob.eml'),
      });
      expect(result.code, value).toBe(64);
      expect(result.stdout).toBe('');
      expect(String(errors(result)[0]?.msg)).toContain('ITIP_AGENT_NOW');
    }
    expect(cli(['journal'], { store, env: { ITIP_AGENT_NOW: 'tomorrow' } }).code).toBe(64);
    expect(json<unknown[]>(['journal'], { store })).toHaveLength(1);
  });
});

describe("the README's first command", () => {
  const dir = tempDir();
  afterAll(() => dir.remove());

  it('files the example invitation in ./var/itip-agent of the working directory and passes the mail on to stdout', () => {
    const input = readFileSync(join(ROOT, 'examples/invitation.eml'));
    // As a person types it: no clock override, no store option.
    const env = { ITIP_AGENT_NOW: undefined };
    const result = ok(['process', '--recipient', 'alice@example.com', '--deliver', 'stdout'], { cwd: dir.path, env, input });
    expect(result.stdoutBytes.equals(input)).toBe(true);
    expect(existsSync(join(dir.path, 'var', 'itip-agent'))).toBe(true);
    const objects = ok(['objects', '--user', 'alice@example.com'], { cwd: dir.path, env }).stdout;
    expect(objects).toContain('planning-2026-12-01@example.com');
  });

  it('bin/itip-agent runs as a command of its own (executable, #!/usr/bin/env node)', () => {
    expect(statSync(BIN).mode & 0o111).toBe(0o111);
    const result = spawnSync(BIN, ['--version'], {
      cwd: dir.path,
      env: { ...process.env, PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}` },
      encoding: 'utf8',
    });
    expect(result.status).toBe(0);
    expect(result.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });
});

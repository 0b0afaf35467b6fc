// The package's /usr/bin/itip-agent (packaging/deb/launcher.sh): every way
// the command can fail to run, or fail without deciding about the mail, ends
// in 75, on which Postfix and Exim keep the mail; decisions and other
// commands' codes pass unchanged. Run here against this checkout's built
// program (ITIP_AGENT_LAUNCHER_APP), and against small stand-in programs
// for crashes and signals.

import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const LAUNCHER = join(ROOT, 'packaging', 'deb', 'launcher.sh');
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const work = mkdtempSync(join(tmpdir(), 'itip-launcher-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

// An empty settings file: the host's /etc/itip-agent/config.json must not matter.
const emptyConfig = join(work, 'config.json');
writeFileSync(emptyConfig, '{}\n');

function launch(args: string[], options: { app?: string; input?: string | Buffer; path?: string } = {}) {
  return spawnSync('/bin/sh', [LAUNCHER, ...args], {
    input: options.input ?? '',
    encoding: 'utf8',
    timeout: 120_000,
    env: {
      PATH: options.path ?? `${dirname(process.execPath)}:/usr/bin:/bin`,
      ITIP_AGENT_LAUNCHER_APP: options.app ?? ROOT,
      ITIP_AGENT_CONFIG: emptyConfig,
      ITIP_AGENT_NOW: '2026-11-15T12:00:00Z',
    },
  });
}

/** A stand-in program in the package's layout whose bin/itip-agent runs `body`. */
function standIn(name: string, body: string): string {
  const app = join(work, name);
  mkdirSync(join(app, 'bin'), { recursive: true });
  writeFileSync(join(app, 'package.json'), '{"type":"commonjs"}\n');
  writeFileSync(join(app, 'bin', 'itip-agent'), body);
  return app;
}

const lastLog = (stderr: string) => JSON.parse(stderr.trim().split('\n').at(-1)!) as { level: string; msg: string; exitCode: number };

describe('the launcher runs the program', () => {
  it('passes the arguments through: --version', () => {
    const result = launch(['--version']);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout.trim()).toBe(VERSION);
  });

  it('a process run that files an invitation exits 0', () => {
    const store = join(work, 'store-ok');
    const result = launch(['--store', store, 'process', '--recipient', 'alice@example.com', '--deliver', 'none'], {
      input: readFileSync(join(ROOT, 'examples', 'invitation.eml')),
    });
    expect(result.status, result.stderr).toBe(0);
  });

  it('the decisions about a mail pass unchanged: 65 for no mail on stdin', () => {
    const result = launch(['--store', join(work, 'store-empty'), 'process', '--recipient', 'alice@example.com', '--deliver', 'none']);
    expect(result.status).toBe(65);
  });
});

describe('failures that are no decision about the mail become 75 for process', () => {
  it('a usage error (a mistyped MTA command line) defers instead of bouncing', () => {
    const result = launch(['--config', emptyConfig, 'process', '--recipient', 'alice@example.com', '--no-such-flag']);
    expect(result.status).toBe(75);
    const log = lastLog(result.stderr);
    expect(log.level).toBe('error');
    expect(log.msg).toContain('failed with exit code 64');
    expect(log.msg).toContain('the MTA keeps the mail and tries again');
  });

  it('other commands keep their own codes: a usage error stays 64', () => {
    const result = launch(['objects', '--no-such-flag']);
    expect(result.status).toBe(64);
  });

  it('a crash (exit 70, or 1 from Node itself) becomes 75', () => {
    expect(launch(['process'], { app: standIn('crash-70', 'process.exit(70);\n') }).status).toBe(75);
    const thrown = launch(['--store', '/x', 'process'], { app: standIn('crash-1', "throw new Error('boom');\n") });
    expect(thrown.status).toBe(75);
    expect(thrown.stderr).toContain('boom');
    // The same fault in another command is left as Node reports it.
    expect(launch(['objects'], { app: join(work, 'crash-1') }).status).toBe(1);
  });

  it('a death by signal becomes 75', () => {
    const result = launch(['process'], { app: standIn('killed', "process.kill(process.pid, 'SIGKILL');\n") });
    expect(result.status).toBe(75);
    expect(lastLog(result.stderr).msg).toContain('killed by signal 9');
  });
});

describe('when the command cannot run at all, every command exits 75', () => {
  it('Node is not installed', () => {
    const result = launch(['process', '--recipient', 'alice@example.com'], { path: '/nonexistent' });
    expect(result.status).toBe(75);
    const log = lastLog(result.stderr);
    expect(log.msg).toContain('node is not installed');
    expect(log.exitCode).toBe(75);
  });

  it('the program\'s files are missing', () => {
    const result = launch(['--version'], { app: join(work, 'not-installed') });
    expect(result.status).toBe(75);
    expect(lastLog(result.stderr).msg).toContain('reinstall the itip-agent package');
  });
});

// The npm tarball: `npm pack` ships the built program (dist/, which git
// ignores), and `npm install -g ./itip-agent-VERSION.tgz` gives a command
// that runs, here into a throwaway prefix. The pack runs with
// --ignore-scripts: the prepack build (npm run build) would rewrite the dist/
// that the other tests are reading; this test packs the build they use.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const PACKAGE = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string; scripts: Record<string, string> };
const work = mkdtempSync(join(tmpdir(), 'itip-npm-pack-'));
const env = { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH ?? '/usr/bin:/bin'}`, npm_config_update_notifier: 'false' };
let files: string[] = [];
let tarball = '';

beforeAll(() => {
  const pack = spawnSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], { cwd: ROOT, encoding: 'utf8', env, timeout: 300_000 });
  if (pack.status !== 0) throw new Error(`npm pack failed: ${pack.stderr}`);
  const [report] = JSON.parse(pack.stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
  files = report!.files.map((file) => file.path);
  tarball = join(work, report!.filename);
}, 300_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('npm pack', () => {
  it('builds before packing', () => {
    expect(PACKAGE.scripts.prepack).toBe('npm run build');
  });

  it('ships the built program and the MTA configuration, without code caches or sources', () => {
    expect(tarball).toBe(join(work, `itip-agent-${PACKAGE.version}.tgz`));
    for (const path of ['bin/itip-agent', 'bin/package.json', 'dist/cli/main.js', 'dist/bundle/itip-agent.cjs', 'mta-configs/postfix/master.cf', 'mta-configs/systemd/itip-agent.service', 'README.md', 'package.json']) {
      expect(files, path).toContain(path);
    }
    expect(files.filter((path) => path.endsWith('.cache') || path.startsWith('src/') || path.startsWith('test/'))).toEqual([]);
  });

  it('installs with npm install -g and runs', () => {
    const prefix = join(work, 'prefix');
    const install = spawnSync('npm', ['install', '-g', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', tarball], {
      encoding: 'utf8',
      env,
      timeout: 600_000,
    });
    expect(install.status, install.stderr).toBe(0);
    const command = join(prefix, 'bin', 'itip-agent');
    const version = spawnSync(command, ['--version'], { encoding: 'utf8', env, timeout: 60_000 });
    expect(version.status, version.stderr).toBe(0);
    expect(version.stdout.trim()).toBe(PACKAGE.version);

    // The store too: lmdb's native addon came along.
    const config = join(work, 'config.json');
    writeFileSync(config, '{}\n');
    const store = join(work, 'store');
    const runEnv = { ...env, ITIP_AGENT_CONFIG: config, ITIP_AGENT_NOW: '2026-11-15T12:00:00Z' };
    const processed = spawnSync(command, ['--store', store, 'process', '--recipient', 'alice@example.com', '--deliver', 'none'], {
      input: readFileSync(join(ROOT, 'examples', 'invitation.eml')),
      encoding: 'utf8',
      env: runEnv,
      timeout: 60_000,
    });
    expect(processed.status, processed.stderr).toBe(0);
    const objects = spawnSync(command, ['--store', store, 'objects', '--user', 'alice@example.com', '--json'], { encoding: 'utf8', env: runEnv, timeout: 60_000 });
    expect(objects.status, objects.stderr).toBe(0);
    expect((JSON.parse(objects.stdout) as unknown[]).length).toBeGreaterThan(0);
  }, 600_000);
});

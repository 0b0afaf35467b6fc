// The store named by a PostgreSQL URL (--store, ITIP_AGENT_STORE, the
// configuration file's "store"): a server that cannot be reached defers the
// mail (exit 75) with words that say what to check, and the URL's password is
// never shown, in errors, logs or config show.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../integration/host.js';
import { cli, errors } from './helpers.js';
import { fixture, tempDir } from './run-cli.js';

const SECRET = 'pa55-word';
const dir = tempDir();
afterAll(() => dir.remove());

/** A URL of a port where nothing listens (taken from the OS, then closed). */
let closedUrl: string;
let masked: string;
beforeAll(async () => {
  const port = await freePort();
  closedUrl = `postgres://agent:${SECRET}@127.0.0.1:${port}/itip`;
  masked = `postgres://agent:***@127.0.0.1:${port}/itip`;
});

const invitation = () => fixture('request-alice.eml');

function expectDeferredWithoutSecret(result: ReturnType<typeof cli>): void {
  expect(result.code, result.stderr).toBe(75);
  expect(result.stderr + result.stdout).not.toContain(SECRET);
  const [error] = errors(result);
  expect(String(error!.msg)).toContain(`the store at ${masked} cannot be opened`);
  expect(String(error!.msg)).toMatch(/ECONNREFUSED/);
  expect(String(error!.msg)).toMatch(/check that the PostgreSQL server is running and reachable/);
  expect(error!.store).toBe(masked);
}

describe('a PostgreSQL store that cannot be reached', () => {
  it('defers the mail from process --store URL with exit 75 and the password masked', () => {
    const result = cli(['process', '--recipient', 'alice@example.com', '--store', closedUrl], { input: invitation() });
    expectDeferredWithoutSecret(result);
  });

  it('stops serve at start with exit 75, before it takes any mail', () => {
    const result = cli(['serve', '--lmtp', '127.0.0.1:0', '--store', closedUrl]);
    expectDeferredWithoutSecret(result);
  });

  it('is taken from ITIP_AGENT_STORE and from the configuration file alike (also postgresql://)', () => {
    expectDeferredWithoutSecret(cli(['process', '--recipient', 'alice@example.com'], { input: invitation(), env: { ITIP_AGENT_STORE: closedUrl } }));
    const config = join(dir.path, 'config.json');
    writeFileSync(config, JSON.stringify({ store: closedUrl.replace(/^postgres:/, 'postgresql:') }));
    const result = cli(['--config', config, 'process', '--recipient', 'alice@example.com'], { input: invitation() });
    expect(result.code, result.stderr).toBe(75);
    expect(result.stderr).not.toContain(SECRET);
    expect(String(errors(result)[0]!.msg)).toContain(masked.replace(/^postgres:/, 'postgresql:'));
  });

  it('is shown masked by config show, for a person and in --json', () => {
    const text = cli(['config', 'show'], { env: { ITIP_AGENT_STORE: closedUrl } });
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).not.toContain(SECRET);
    expect(text.stdout).toContain(masked);
    const shown = cli(['config', 'show', '--json'], { env: { ITIP_AGENT_STORE: closedUrl } });
    expect(shown.stdout).not.toContain(SECRET);
    const settings = (JSON.parse(shown.stdout) as { settings: Record<string, { value: unknown; source: string }> }).settings;
    expect(settings.store).toEqual({ value: masked, source: 'env' });
  });

  it('refuses a PostgreSQL URL without a database or server, with the password masked, and other kinds of URL', () => {
    const noDb = cli(['config', 'check', '--json'], { env: { ITIP_AGENT_STORE: `postgres://agent:${SECRET}@db.example.com` } });
    expect(noDb.code).toBe(78);
    expect(noDb.stdout + noDb.stderr).not.toContain(SECRET);
    const problems = (JSON.parse(noDb.stdout) as { errors: Array<{ setting: string; message: string }> }).errors;
    expect(problems).toEqual([expect.objectContaining({ setting: 'store', message: expect.stringMatching(/agent:\*\*\*@db\.example\.com.* names no database; write postgres:\/\/USER@HOST:PORT\/DB/) })]);
    const other = cli(['process', '--recipient', 'alice@example.com', '--store', 'mysql://agent@db.example.com/itip'], { input: invitation() });
    // A setting the pipe cannot use defers the mail rather than bouncing it.
    expect(other.code).toBe(75);
    expect(String(errors(other)[0]!.msg)).toMatch(/mysql URL, and this build stores in a directory \(the embedded LMDB store\) or in PostgreSQL/);
  });
});

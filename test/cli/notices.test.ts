// notify_requests through the real command line: the preference, the settings
// the notices use (http.publicUrl, http.linkSecretFile, notify.from), and that
// the invitation itself goes on untouched while its notice waits in the outbox.

import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fixture, tempDir } from './run-cli.js';
import { cli, json, ok } from './helpers.js';

interface Shown {
  settings: Record<string, { value: unknown; source: string }>;
}
interface OutboxRow {
  from: string;
  to: string[];
  method: string;
  notice?: { subject: string; text: string };
}

describe('notices of waiting requests', () => {
  const dir = tempDir();
  const store = join(dir.path, 'store');
  afterAll(() => dir.remove());
  const env = { ITIP_AGENT_HTTP_PUBLIC_URL: 'https://calendar.example.com/', ITIP_AGENT_CONFIG: undefined };

  it('are off by default; prefs takes notify_requests yes or no, and freebusy_publishing publish', () => {
    ok(['--store', store, 'user', 'add', 'alice@example.com']);
    expect(cli(['--store', store, 'prefs', 'alice@example.com', 'notify_requests', 'sometimes']).code).not.toBe(0);
    ok(['--store', store, 'prefs', 'alice@example.com', 'notify_requests', 'YES']);
    ok(['--store', store, 'prefs', 'alice@example.com', 'freebusy_publishing', 'publish']);
    const prefs = json<Array<{ key: string; value: string }>>(['--store', store, 'prefs', 'alice@example.com']);
    expect(prefs).toEqual([
      { key: 'freebusy_publishing', value: 'publish' },
      { key: 'notify_requests', value: 'yes' },
    ]);
  });

  it('leave the invitation as it came, and queue one notice whose links start at http.publicUrl', () => {
    const mail = fixture('request-alice.eml');
    const run = ok(['--store', store, 'process', '--recipient', 'alice@example.com', '--deliver', 'stdout'], { input: mail, env });
    expect(run.stdoutBytes.equals(mail)).toBe(true);
    const outbox = json<OutboxRow[]>(['--store', store, 'outbox', '--user', 'alice@example.com']);
    expect(outbox).toHaveLength(1);
    expect(outbox[0]).toMatchObject({ from: 'mailto:alice@example.com', to: ['mailto:alice@example.com'], method: 'REQUEST' });
    expect(outbox[0]!.notice!.text).toMatch(/^ {2}Accept: +https:\/\/calendar\.example\.com\/answer\/[A-Za-z0-9_.-]+\?answer=accept$/m);
    // The key of the links was made on first use, in the store directory, for the owner alone.
    expect(statSync(join(store, 'link-secret')).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(store, 'link-secret'), 'utf8')).toMatch(/^[0-9a-f]{64}\n$/);
  });

  it('come from notify.from when it is set', () => {
    const other = join(dir.path, 'other-store');
    ok(['--store', other, 'user', 'add', 'alice@example.com']);
    ok(['--store', other, 'prefs', 'alice@example.com', 'notify_requests', 'yes']);
    ok(['--store', other, 'process', '--recipient', 'alice@example.com', '--deliver', 'none'], { input: fixture('request-alice.eml'), env: { ...env, ITIP_AGENT_NOTIFY_FROM: 'Calendar@Example.com' } });
    const outbox = json<OutboxRow[]>(['--store', other, 'outbox']);
    expect(outbox.map((row) => row.from)).toEqual(['calendar@example.com']);
  });
});

describe('the settings of notices and links', () => {
  const dir = tempDir();
  afterAll(() => dir.remove());

  it('show where the link secret is, the public address without its trailing slash, and the sender', () => {
    const store = join(dir.path, 'store');
    const shown = json<Shown>(['--store', store, 'config', 'show'], { env: { ITIP_AGENT_CONFIG: undefined } });
    expect(shown.settings['http.linkSecretFile']).toEqual({ value: join(store, 'link-secret'), source: 'default' });
    expect(shown.settings['http.publicUrl']).toEqual({ value: null, source: 'default' });
    const file = join(dir.path, 'config.json');
    writeFileSync(file, JSON.stringify({ http: { publicUrl: 'https://example.com/calendar/', linkSecretFile: '/etc/itip-agent/link-secret' }, notify: { from: 'calendar@example.com' } }));
    const fromFile = json<Shown>(['--config', file, 'config', 'show']);
    expect(fromFile.settings['http.publicUrl']).toEqual({ value: 'https://example.com/calendar', source: 'file' });
    expect(fromFile.settings['http.linkSecretFile']).toEqual({ value: '/etc/itip-agent/link-secret', source: 'file' });
    expect(fromFile.settings['notify.from']).toEqual({ value: 'calendar@example.com', source: 'file' });
  });

  it('refuse a public address that is no http(s) URL, and a sender that is no mail address (exit 78)', () => {
    for (const [name, value, says] of [
      ['ITIP_AGENT_HTTP_PUBLIC_URL', 'calendar.example.com', 'must be the web address people open the pages at'],
      ['ITIP_AGENT_HTTP_PUBLIC_URL', 'https://example.com/?x=1', 'no ?query or #fragment'],
      ['ITIP_AGENT_HTTP_PUBLIC_URL', 'javascript:alert(1)', 'must be the web address'],
      ['ITIP_AGENT_NOTIFY_FROM', 'not an address', 'must be a mail address'],
    ] as const) {
      const result = cli(['config', 'show'], { env: { ITIP_AGENT_CONFIG: undefined, [name]: value } });
      expect(result.code, value).toBe(78);
      expect(result.stderr, value).toContain(says);
    }
  });
});

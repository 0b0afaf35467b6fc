// `itip-agent store copy FROM TO` on the built program, LMDB to LMDB: what
// every inspection command shows is the same on both stores afterwards, the
// summary on stdout is JSON alone, progress goes to stderr as JSON lines, a
// second run changes nothing, and the refusals end with their exit codes.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture, tempDir } from './run-cli.js';
import { cli, errors, json, jsonAsync, ok } from './helpers.js';

const TIMEOUT = 120_000;
const ALICE = 'alice@example.com';
const BOB = 'bob@example.com';
const ROOM = 'room-1@example.com';

/** What the inspection commands show of a store (read side by side: each is a process of its own). */
async function shown(store: string): Promise<Record<string, unknown>> {
  const reads: Record<string, Promise<unknown>> = { users: jsonAsync(['user', 'list'], { store }), outbox: jsonAsync(['outbox'], { store }) };
  for (const user of [ALICE, BOB]) {
    reads[`${user} objects`] = jsonAsync(['objects', '--user', user], { store });
    reads[`${user} freebusy`] = jsonAsync(['freebusy', '--user', user], { store });
    reads[`${user} others`] = jsonAsync(['freebusy', '--user', user, '--others'], { store });
    reads[`${user} requests`] = jsonAsync(['requests', '--user', user], { store });
    reads[`${user} inbox`] = jsonAsync(['inbox', '--user', user], { store });
    reads[`${user} journal`] = jsonAsync(['journal', '--user', user], { store });
  }
  reads.prefs = jsonAsync(['prefs', ALICE], { store });
  const keys = Object.keys(reads);
  const values = await Promise.all(Object.values(reads));
  return Object.fromEntries(keys.map((key, i) => [key, values[i]]));
}

describe('store copy', () => {
  const dir = tempDir();
  const source = join(dir.path, 'source');
  afterAll(() => dir.remove());

  beforeAll(() => {
    ok(['process', '--recipient', ALICE], { store: source, input: fixture('request-alice.eml') });
    ok(['process', '--outgoing', '--sender', ALICE, '--recipient', BOB], { store: source, input: fixture('organizer-request.eml') });
    ok(['process', '--recipient', BOB], { store: source, input: fixture('organizer-request.eml') });
    ok(['process', '--recipient', ALICE], { store: source, input: fixture('reply-bob.eml') });
    ok(['respond', '--user', BOB, 'review-2026-12-02@example.com', '--partstat', 'TENTATIVE'], { store: source });
    ok(['user', 'add', ROOM, '--resource'], { store: source });
    ok(['prefs', ALICE, 'TZID', 'Europe/Berlin'], { store: source });
  }, TIMEOUT);

  it('copies everything the commands show, prints a JSON summary and logs progress per user', async () => {
    const target = join(dir.path, 'target');
    const result = ok(['store', 'copy', source, target, '--json']);
    const summary = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(summary).toMatchObject({ users: 3, copied: 3, unchanged: 0, refused: [] });
    expect(summary.objects).toBeGreaterThanOrEqual(2);
    expect(Object.keys(summary.counts as object).sort()).toEqual(
      ['counters', 'inbox', 'journal', 'objects', 'othersPeriods', 'outbox', 'ownPeriods', 'prefs', 'requests', 'seen', 'sent'],
    );
    const progress = result.logs.filter((record) => typeof record.users === 'number' && typeof record.total === 'number' && typeof record.user === 'string');
    expect(progress.map((record) => [record.users, record.total, record.outcome])).toEqual([
      [1, 3, 'copied'],
      [2, 3, 'copied'],
      [3, 3, 'copied'],
    ]);
    expect(progress.every((record) => typeof record.objects === 'number')).toBe(true);
    expect(await shown(target)).toEqual(await shown(source));

    // Again: nothing to do.
    const again = JSON.parse(ok(['store', 'copy', source, target, '--json']).stdout) as Record<string, unknown>;
    expect(again).toMatchObject({ users: 3, copied: 0, unchanged: 3, refused: [] });
    expect(again.counts).toEqual(summary.counts);
    expect(json(['journal'], { store: target })).toHaveLength((json(['journal'], { store: source }) as unknown[]).length);
    // Without --json a line for people.
    expect(ok(['store', 'copy', source, target]).stdout).toMatch(/^3 users: 0 copied, 3 already equal, 0 refused; \d+ objects\n$/);
  }, TIMEOUT);

  it('refuses a user whose journal in the target has a history of its own (65), and copies the others', () => {
    const target = join(dir.path, 'diverged');
    // A reply first: the source's journal of alice begins with the request.
    ok(['process', '--recipient', ALICE], { store: target, input: fixture('reply-bob.eml') });
    const result = cli(['store', 'copy', source, target, '--json']);
    expect(result.code, result.stderr).toBe(65);
    const summary = JSON.parse(result.stdout) as { copied: number; refused: Array<{ user: string; reason: string }> };
    expect(summary.copied).toBe(2);
    expect(summary.refused.map((r) => r.user)).toEqual([`mailto:${ALICE}`]);
    expect(errors(result).map((e) => e.msg).join('\n')).toMatch(/refused to copy mailto:alice@example\.com: the target's journal/);
    expect(json(['objects', '--user', BOB], { store: target })).toEqual(json(['objects', '--user', BOB], { store: source }));
  }, TIMEOUT);

  it('refuses to copy a store onto itself (64), and a source that is not there or is no store (66), without making anything', () => {
    const same = cli(['store', 'copy', source, `${source}/.`]);
    expect(same.code).toBe(64);
    expect(errors(same)[0]!.msg).toMatch(/same store/);
    // One database however its URL is spelt; the password is not shown.
    const sameDb = cli(['store', 'copy', 'postgres://itip@DB.example.com/itip', 'postgresql://itip:secret@db.example.com:5432/itip']);
    expect(sameDb.code).toBe(64);
    expect(errors(sameDb)[0]!.msg).toMatch(/same store/);
    expect(sameDb.stderr).not.toContain('secret');
    const missing = join(dir.path, 'missing');
    const none = cli(['store', 'copy', missing, join(dir.path, 'never')]);
    expect(none.code).toBe(66);
    expect(errors(none)[0]!.msg).toMatch(/no store at .*missing/);
    expect(existsSync(missing)).toBe(false);
    const empty = cli(['store', 'copy', dir.path, join(dir.path, 'never')]);
    expect(empty.code).toBe(66);
    expect(errors(empty)[0]!.msg).toMatch(/is no store/);
    expect(existsSync(join(dir.path, 'never'))).toBe(false);
  }, TIMEOUT);

  it('says in its help that CalDAV clients resync after a copy', () => {
    const help = ok(['store', 'copy', '--help']).stdout;
    expect(help).toMatch(/sync tokens/);
    expect(help).toMatch(/postgres:\/\//);
  });
});

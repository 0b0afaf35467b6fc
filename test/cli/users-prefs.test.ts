// `itip-agent user add|list` and `itip-agent prefs`: roles and preferences,
// checked against the known keys so that a typo is refused, not ignored.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from './run-cli.js';
import { cli, errors, json, ok, sortedKeys } from './helpers.js';

describe('user add and user list', () => {
  const dir = tempDir();
  const store = join(dir.path, 'store');
  afterAll(() => dir.remove());

  it('lists no users, and makes no store, when there is none yet', () => {
    expect(json(['user', 'list'], { store })).toEqual([]);
    expect(existsSync(store)).toBe(false);
  });

  it('adds people and resources under lower-case mailto: addresses, listed sorted as {address, role}', () => {
    expect(ok(['user', 'add', 'Room-1@Example.com', '--resource'], { store }).stdout).toContain('mailto:room-1@example.com');
    ok(['user', 'add', 'mailto:Alice@example.com'], { store });
    const users = json<Array<Record<string, string>>>(['user', 'list'], { store });
    expect(users).toEqual([
      { address: 'mailto:alice@example.com', role: 'person' },
      { address: 'mailto:room-1@example.com', role: 'resource' },
    ]);
    for (const user of users) expect(sortedKeys(user)).toEqual(['address', 'role']);
    const table = ok(['user', 'list'], { store }).stdout;
    expect(table).toContain('mailto:room-1@example.com');
    expect(table).toContain('resource');
  });

  it('changes a role, and says so; adding again changes nothing', () => {
    expect(ok(['user', 'add', 'alice@example.com', '--resource'], { store }).stdout).toMatch(/person.*resource/);
    expect(ok(['user', 'add', 'room-1@example.com'], { store }).stdout).toMatch(/resource.*person/);
    expect(ok(['user', 'add', 'room-1@example.com'], { store }).stdout).toContain('nothing changed');
    expect(json(['user', 'list'], { store })).toEqual([
      { address: 'mailto:alice@example.com', role: 'resource' },
      { address: 'mailto:room-1@example.com', role: 'person' },
    ]);
  });

  it('refuses an address that is not one (64)', () => {
    for (const address of ['alice', 'Alice <alice@example.com>']) {
      const result = cli(['user', 'add', address], { store });
      expect(result.code).toBe(64);
      expect(errors(result)).toHaveLength(1);
    }
    expect(json<unknown[]>(['user', 'list'], { store })).toHaveLength(2);
  });
});

describe('prefs', () => {
  const dir = tempDir();
  const store = join(dir.path, 'store');
  afterAll(() => dir.remove());
  const alice = 'alice@example.com';

  it('refuses an unknown key (64) and names the known ones, without making a store', () => {
    for (const args of [[alice, 'colour', 'blue'], [alice, 'colour'], [alice, 'colour', '--unset']]) {
      const result = cli(['prefs', ...args], { store });
      expect(result.code).toBe(64);
      expect(result.stdout).toBe('');
      const message = String(errors(result)[0]?.msg);
      expect(message).toContain('colour');
      for (const known of ['TZID', 'event_refreshing', 'add_method_response', 'freebusy_window_days']) expect(message).toContain(known);
    }
    expect(existsSync(store)).toBe(false);
  });

  it('refuses invalid values (64): an unknown time zone, a choice that is not offered', () => {
    for (const [key, value] of [['TZID', 'Mars/Olympus'], ['event_refreshing', 'sometimes'], ['freebusy_window_days', '0']]) {
      const result = cli(['prefs', alice, key, value], { store });
      expect(result.code).toBe(64);
      expect(String(errors(result)[0]?.msg)).toContain(value);
    }
    expect(existsSync(store)).toBe(false);
  });

  it('refuses the keys of imip-agent it does not implement (64), saying so, rather than accepting them to do nothing', () => {
    for (const [key, value, words] of [
      ['freebusy_bundling', 'always', 'freebusy_bundling is not supported'],
      ['freebusy_messages', 'notify', 'freebusy_messages is not supported'],
      ['freebusy_bundling', '', 'freebusy_bundling is not supported'],
    ]) {
      const result = cli(['prefs', alice, key, ...(value ? [value] : [])], { store });
      expect(result.code).toBe(64);
      expect(String(errors(result)[0]?.msg)).toContain(words);
    }
    const spanish = cli(['prefs', alice, 'LANG', 'es'], { store });
    expect(spanish.code).toBe(64);
    expect(String(errors(spanish)[0]?.msg)).toContain('en, de, fr');
    for (const [key, value] of [['incoming', 'friends'], ['incoming_allow', 'not an address!'], ['incoming_queue', 'maybe']]) {
      expect(cli(['prefs', alice, key, value], { store }).code).toBe(64);
    }
    expect(existsSync(store)).toBe(false);
    const help = ok(['prefs', '--help']).stdout;
    for (const key of ['incoming', 'incoming_queue', 'incoming_allow', 'participating', 'freebusy_offers', 'LANG']) expect(help).toContain(key);
    expect(help).not.toContain('freebusy_bundling');
  });

  it('sets a value, which makes the user a person; reads it back by key, in any case of the key', () => {
    expect(ok(['prefs', alice, 'TZID', 'Europe/Berlin'], { store }).stdout).toContain('Europe/Berlin');
    expect(json(['user', 'list'], { store })).toEqual([{ address: 'mailto:alice@example.com', role: 'person' }]);
    expect(ok(['prefs', alice, 'TZID'], { store }).stdout).toBe('Europe/Berlin\n');
    expect(json(['prefs', alice, 'tzid'], { store })).toEqual([{ key: 'TZID', value: 'Europe/Berlin' }]);
  });

  it('keeps the old value when a new one is refused', () => {
    expect(cli(['prefs', alice, 'TZID', 'Mars/Olympus'], { store }).code).toBe(64);
    expect(json(['prefs', alice, 'TZID'], { store })).toEqual([{ key: 'TZID', value: 'Europe/Berlin' }]);
  });

  it('stores choices in their canonical spelling and lists all preferences sorted by key', () => {
    expect(json(['prefs', alice, 'event_refreshing', 'ALWAYS'], { store })).toEqual([{ key: 'event_refreshing', value: 'always' }]);
    ok(['prefs', alice, 'TZID', 'W. Europe Standard Time'], { store });
    const all = json<Array<Record<string, string>>>(['prefs', alice], { store });
    expect(all).toEqual([
      { key: 'TZID', value: 'W. Europe Standard Time' },
      { key: 'event_refreshing', value: 'always' },
    ]);
    for (const row of all) expect(sortedKeys(row)).toEqual(['key', 'value']);
    const table = ok(['prefs', alice], { store }).stdout;
    expect(table).toContain('event_refreshing');
    expect(table).toContain('W. Europe Standard Time');
  });

  it('--unset removes a key; unset, it reads as [] and prints nothing', () => {
    expect(json(['prefs', alice, 'TZID', '--unset'], { store })).toEqual([]);
    expect(json(['prefs', alice, 'TZID'], { store })).toEqual([]);
    expect(ok(['prefs', alice, 'TZID'], { store }).stdout).toBe('');
    expect(json(['prefs', alice], { store })).toEqual([{ key: 'event_refreshing', value: 'always' }]);
  });

  it('refuses --unset without a key, and a value with --unset (64)', () => {
    expect(cli(['prefs', alice, '--unset'], { store }).code).toBe(64);
    expect(cli(['prefs', alice, 'TZID', 'Europe/Berlin', '--unset'], { store }).code).toBe(64);
    expect(json(['prefs', alice], { store })).toEqual([{ key: 'event_refreshing', value: 'always' }]);
  });

  it('shows nothing for an unknown user, and --unset does not create one', () => {
    expect(json(['prefs', 'nobody@example.com'], { store })).toEqual([]);
    expect(json(['prefs', 'nobody@example.com', 'TZID', '--unset'], { store })).toEqual([]);
    expect(json<Array<{ address: string }>>(['user', 'list'], { store }).map((u) => u.address)).toEqual(['mailto:alice@example.com']);
  });

  it('--help lists every known key with what it does', () => {
    const help = ok(['prefs', '--help']).stdout;
    for (const key of ['TZID', 'add_method_response', 'event_refreshing', 'freebusy_window_days', 'sender_aliases']) expect(help).toContain(key);
  });
});

describe('prefs for resources', () => {
  const dir = tempDir();
  const store = join(dir.path, 'store');
  afterAll(() => dir.remove());
  const room = 'room@example.com';

  // Eighteen runs of the program, one after another: slow on a loaded machine.
  it('refuses bad resource settings (64) with a message that names the problem', () => {
    const bad: Array<[string, string, string]> = [
      ['scheduling_function', 'freebusy,teleport', 'teleport'],
      ['scheduling_function', 'delegate,freebusy', 'must come last'],
      ['capacity', '0', 'capacity'],
      ['recurrence_policy', 'some', 'all-or-nothing'],
      ['permitted_times', 'days=mon-fry', 'mon-fry'],
      ['permitted_times', 'hours=18:00-08:00', 'ends before it starts'],
      ['permitted_times', 'hours=8-18', '8'],
      ['permitted_times', 'step=PT7M', 'step'],
      ['permitted_times', 'max=PT1H; min=PT2H', 'min is longer than max'],
      ['permitted_times', 'lunch=12:00', 'lunch=12:00'],
      ['quota', 'PT10H/P2W per organizer', 'P2W'],
      ['quota', 'PT10H/P1W per team', 'per team'],
      ['quota', 'ten hours', 'ten hours'],
      ['access_allow', 'Alice <alice@example.com>', 'neither a mail address nor a domain'],
      ['allowed_domains', 'bob@example.com', 'is an address'],
      ['quota_groups', 'sales', 'quota_groups'],
      ['counter_offers', 'maybe', 'off, on'],
      ['group_members', 'example.com', 'not a mail address'],
    ];
    for (const [key, value, hint] of bad) {
      const result = cli(['prefs', room, key, value], { store });
      expect(result.code, `${key}=${value}`).toBe(64);
      expect(String(errors(result)[0]?.msg), `${key}=${value}`).toContain(hint);
    }
    expect(existsSync(store)).toBe(false);
  }, 120_000);

  it('stores resource settings in canonical form', () => {
    ok(['user', 'add', room, '--resource'], { store });
    const set = (key: string, value: string) => json<Array<{ key: string; value: string }>>(['prefs', room, key, value], { store })[0]?.value;
    expect(set('scheduling_function', 'schedule_in_freebusy\ncheck_quota')).toBe('freebusy,quota');
    expect(set('capacity', '2')).toBe('2');
    expect(set('recurrence_policy', 'Per-Instance')).toBe('per-instance');
    expect(set('permitted_times', 'days=mon-fri\nhours=08:00-18:00')).toBe('days=mon-fri; hours=08:00-18:00');
    expect(set('quota', 'pt10h/p1w per Domain')).toBe('PT10H/P1W per domain');
    expect(set('access_deny', 'Mallory@Example.com, *.Spam.example')).toBe('mallory@example.com,*.spam.example');
    expect(set('group_members', 'mailto:Room1@example.com room2@example.com')).toBe('room1@example.com,room2@example.com');
    expect(set('counter_offers', 'ON')).toBe('on');
    expect(json(['user', 'list'], { store })).toEqual([{ address: 'mailto:room@example.com', role: 'resource' }]);
  });

  it('--help lists the resource keys', () => {
    const help = ok(['prefs', '--help']).stdout;
    for (const key of ['scheduling_function', 'permitted_times', 'capacity', 'recurrence_policy', 'quota', 'access_allow', 'counter_offers', 'group_members']) {
      expect(help).toContain(key);
    }
  });
});

// The Store contract, per-user records: roles, preferences and calendar
// objects, each kept per user and listed in code-unit order.

import { describe, expect, it } from 'vitest';
import type { StoredObject } from '../../src/itip/model.js';
import { ALICE, BOB, byText, CAROL, objectOf } from './store-contract-fixtures.js';
import type { StorePerTest } from './store-per-test.js';

export function describeObjectsContract({ store }: StorePerTest): void {
  describe('roles and preferences', () => {
    it('sets and reads roles, refuses an unknown role, lists users sorted', async () => {
      const users = ['mailto:zed@example.org', 'mailto:Zed@example.org', 'mailto:alice@example.org', 'mailto:éva@example.org', 'mailto:10@example.org'];
      await Promise.all(users.map((user) => store.transact(user, (tx) => tx.setRole('person'))));
      await store.transact('mailto:alice@example.org', (tx) => {
        expect(tx.getRole()).toBe('person');
        tx.setRole('resource');
        expect(tx.getRole()).toBe('resource');
      });
      expect(await store.listUsers()).toStrictEqual([...users].sort(byText));
      expect(await store.getRole('mailto:alice@example.org')).toBe('resource');
      expect(await store.getRole('mailto:zed@example.org')).toBe('person');
      expect(await store.getRole('mailto:nobody@example.org')).toBeUndefined();

      for (const bad of ['admin', '', 'Person', null, undefined]) {
        await expect(store.transact(ALICE, (tx) => tx.setRole(bad as never))).rejects.toThrow();
      }
      expect(await store.getRole(ALICE)).toBe('resource');
      expect(await store.listUsers()).toStrictEqual([...users].sort(byText));
    });

    it('sets and removes preferences, returns them with sorted keys', async () => {
      await store.transact(ALICE, (tx) => {
        tx.setPref('TZID', 'Europe/Berlin');
        tx.setPref('CN', 'Alice');
        tx.setPref('freebusy_sharing', 'share');
        tx.setPref('LANG', 'de');
        tx.setPref('empty', '');
      });
      await store.transact(BOB, (tx) => tx.setPref('CN', 'Bob'));
      const prefs = await store.getPrefs(ALICE);
      expect(prefs).toStrictEqual({ CN: 'Alice', LANG: 'de', TZID: 'Europe/Berlin', empty: '', freebusy_sharing: 'share' });
      expect(Object.keys(prefs)).toStrictEqual(['CN', 'LANG', 'TZID', 'empty', 'freebusy_sharing']);

      await store.transact(ALICE, (tx) => {
        tx.setPref('CN', 'Alice Liddell');
        tx.setPref('LANG', null);
        tx.setPref('never-set', null);
        expect(Object.keys(tx.getPrefs())).toStrictEqual(['CN', 'TZID', 'empty', 'freebusy_sharing']);
      });
      expect(await store.getPrefs(ALICE)).toStrictEqual({ CN: 'Alice Liddell', TZID: 'Europe/Berlin', empty: '', freebusy_sharing: 'share' });
      expect(await store.getPrefs(BOB)).toStrictEqual({ CN: 'Bob' });

      await store.transact(ALICE, (tx) => {
        for (const key of Object.keys(tx.getPrefs())) tx.setPref(key, null);
      });
      expect(await store.getPrefs(ALICE)).toStrictEqual({});
      expect(await store.getPrefs('mailto:unknown@example.org')).toStrictEqual({});
      // The returned object is a copy: changing it changes nothing stored.
      const copy = await store.getPrefs(BOB);
      copy['CN'] = 'Mallory';
      expect(await store.getPrefs(BOB)).toStrictEqual({ CN: 'Bob' });
    });
  });

  describe('objects', () => {
    it('puts, replaces, gets and deletes objects', async () => {
      const marked: StoredObject = {
        ...objectOf('with-marks'),
        replyMarks: {
          '': { [BOB]: { sequence: 1, dtstamp: '2026-03-01T10:00:00Z' } },
          '2026-03-17T09:00:00Z': { [CAROL]: { sequence: 2, dtstamp: '2026-03-02T10:00:00Z' } },
        },
      };
      await store.transact(ALICE, (tx) => {
        tx.putObject(objectOf('one'));
        tx.putObject(objectOf('two'));
        tx.putObject(marked);
        tx.deleteObject('not-there');
      });
      expect(await store.getObject(ALICE, 'one')).toStrictEqual(objectOf('one'));
      expect(await store.getObject(ALICE, 'with-marks')).toStrictEqual(marked);
      expect(await store.getObject(ALICE, 'three')).toBeUndefined();

      await store.transact(ALICE, (tx) => {
        tx.putObject(objectOf('one', 4));
        tx.deleteObject('two');
      });
      expect(await store.getObject(ALICE, 'one')).toStrictEqual(objectOf('one', 4));
      expect(await store.getObject(ALICE, 'two')).toBeUndefined();
      expect(await store.listObjects(ALICE)).toStrictEqual([objectOf('one', 4), marked]);
    });

    it('lists objects sorted by UID in code-unit order', async () => {
      const uids = ['b', 'B', 'a', '10', '9', 'é', 'Z', 'a b', 'a-b', 'ab', 'a', '\u{1F600}', '\uFF5E', 'uid-1', 'uid-10', 'uid-2'];
      const unique = [...new Set(uids)];
      await store.transact(ALICE, (tx) => {
        for (const uid of uids) tx.putObject(objectOf(uid));
      });
      expect(await store.listObjects(ALICE)).toStrictEqual([...unique].sort(byText).map((uid) => objectOf(uid)));
      // A supplementary character sorts by its surrogates (code units), below U+FF5E.
      expect((await store.listObjects(ALICE)).map((o) => o.uid).slice(-2)).toStrictEqual(['\u{1F600}', '\uFF5E']);
    });

    it('keeps users apart', async () => {
      await store.transact(ALICE, (tx) => tx.putObject(objectOf('shared', 1)));
      await store.transact(BOB, (tx) => {
        tx.putObject(objectOf('shared', 2));
        tx.putObject(objectOf('bob-only'));
      });
      expect(await store.getObject(ALICE, 'shared')).toStrictEqual(objectOf('shared', 1));
      expect(await store.getObject(BOB, 'shared')).toStrictEqual(objectOf('shared', 2));
      expect(await store.getObject(ALICE, 'bob-only')).toBeUndefined();
      expect(await store.listObjects(ALICE)).toStrictEqual([objectOf('shared', 1)]);
      await store.transact(BOB, (tx) => tx.deleteObject('shared'));
      expect(await store.getObject(ALICE, 'shared')).toStrictEqual(objectOf('shared', 1));
      expect(await store.listObjects(BOB)).toStrictEqual([objectOf('bob-only')]);
      expect(await store.listObjects(CAROL)).toStrictEqual([]);
    });
  });
}

// The Store contract, hostile keys: strings mail may bring (NUL, lone
// surrogates, very long, names special to JavaScript objects) as UIDs, ids,
// addresses and preference names are kept apart and given back exactly.

import { describe, expect, it } from 'vitest';
import type { OthersPeriod } from '../../src/itip/model.js';
import {
  ALICE,
  byText,
  canonical,
  counterOf,
  DAY,
  H,
  icsOf,
  inboxOf,
  iso,
  journalOf,
  objectOf,
  othersPeriod,
  outboxOf,
  period,
  requestOf,
  seenKeys,
} from './store-contract-fixtures.js';
import type { StorePerTest } from './store-per-test.js';

export function describeHostileKeysContract({ store }: StorePerTest): void {
  const seen = seenKeys(store);

  describe('hostile keys', () => {
    const prefix = 'p'.repeat(200);
    const HOSTILE = [
      'a\u0000b',
      'a',
      'b',
      'a\u0000',
      '\u0000a',
      '\u0000',
      'a\u0001b',
      'tab\there',
      'line\r\nbreak',
      'del\u007f',
      '\u001f',
      '\ud800',
      'x\udc00y',
      '\udc00\ud800',
      '\ud83d',
      'pair\u{1F600}',
      'é',
      'x'.repeat(5000),
      `${'x'.repeat(4999)}y`,
      `${prefix}1`,
      `${prefix}2`,
      prefix,
      'x'.repeat(128),
      'x'.repeat(129),
      `${'y'.repeat(64)}\u007f${'0'.repeat(64)}`,
      // Names that plain JavaScript objects treat specially.
      '__proto__',
      'constructor',
    ];

    it('test strings are distinct', () => {
      expect(new Set(HOSTILE).size).toBe(HOSTILE.length);
    });

    it('stores and lists hostile UIDs, ids and addresses distinctly and exactly', async () => {
      const sorted = [...HOSTILE].sort(byText);
      await store.transact(ALICE, (tx) => {
        for (const [i, s] of HOSTILE.entries()) {
          tx.putObject({ uid: s, ics: icsOf(s), replyMarks: { [s]: { [s]: { sequence: i, dtstamp: s } } } });
          tx.setOwnPeriods(s, [period(s, DAY + i * H, DAY + i * H + H, s)]);
          tx.setOthersPeriods('shared-uid', s, [othersPeriod('shared-uid', s, DAY, DAY + H, null)]);
          tx.putRequest(requestOf(s, s));
          tx.putCounter(counterOf('shared-uid', null, s, i));
          tx.addInbox({ ...inboxOf(s, DAY), messageId: s, from: s });
          tx.addOutbox({ ...outboxOf(s, ALICE, DAY + i), to: [s] });
          tx.addJournal({ ...journalOf(ALICE, i), uid: s, reason: s });
          if (i % 2 === 0) tx.markSeen(s, iso(DAY));
          tx.setPref(s, s);
        }
      });
      // Compared as canonical JSON: an own key named "constructor" (in
      // replyMarks) defeats toStrictEqual's type check, and JSON keeps a lone
      // surrogate visible as an escape.
      expect(canonical(await store.listObjects(ALICE))).toBe(
        canonical(sorted.map((s) => ({ uid: s, ics: icsOf(s), replyMarks: { [s]: { [s]: { sequence: HOSTILE.indexOf(s), dtstamp: s } } } }))),
      );
      for (const s of HOSTILE) expect((await store.getObject(ALICE, s))?.uid).toBe(s);
      expect(await store.freeBusy(ALICE)).toStrictEqual(HOSTILE.map((s, i) => period(s, DAY + i * H, DAY + i * H + H, s)));
      expect(await store.freeBusy(ALICE, { others: true })).toStrictEqual(sorted.map((s) => othersPeriod('shared-uid', s, DAY, DAY + H, null)));
      expect(await store.listRequests(ALICE)).toStrictEqual(sorted.map((s) => requestOf(s, s)));
      expect(await store.listCounters(ALICE)).toStrictEqual(sorted.map((s) => counterOf('shared-uid', null, s, HOSTILE.indexOf(s))));
      expect(await store.listInbox(ALICE)).toStrictEqual(sorted.map((s) => ({ ...inboxOf(s, DAY), messageId: s, from: s })));
      expect(await store.listOutbox(ALICE)).toStrictEqual(HOSTILE.map((s, i) => ({ ...outboxOf(s, ALICE, DAY + i), to: [s] })));
      for (const [i, s] of HOSTILE.entries()) expect(await store.getOutbox(s)).toStrictEqual({ ...outboxOf(s, ALICE, DAY + i), to: [s] });
      expect(await store.listJournal(ALICE)).toStrictEqual(HOSTILE.map((s, i) => ({ ...journalOf(ALICE, i), uid: s, reason: s })));
      expect(await seen(ALICE, HOSTILE)).toStrictEqual(HOSTILE.map((_, i) => i % 2 === 0));
      const prefs = await store.getPrefs(ALICE);
      expect(Object.keys(prefs)).toStrictEqual(sorted);
      for (const s of HOSTILE) expect(prefs[s]).toBe(s);

      // Replacing and removing by a hostile key touches that key only.
      await store.transact(ALICE, (tx) => {
        tx.deleteObject(`${prefix}1`);
        tx.deleteObject('a\u0000');
        tx.setOwnPeriods('\ud800', []);
        tx.removeOthersPeriods('shared-uid', 'a\u0000b');
        tx.removeRequests('x'.repeat(5000));
        tx.removeCounters('shared-uid', null, '\udc00\ud800');
      });
      const without = (...gone: string[]) => sorted.filter((s) => !gone.includes(s));
      expect((await store.listObjects(ALICE)).map((o) => o.uid)).toStrictEqual(without(`${prefix}1`, 'a\u0000'));
      expect((await store.freeBusy(ALICE)).map((p) => p.uid)).toStrictEqual(HOSTILE.filter((s) => s !== '\ud800'));
      expect((await store.freeBusy(ALICE, { others: true })).map((p) => (p as OthersPeriod).participant)).toStrictEqual(without('a\u0000b'));
      expect((await store.listRequests(ALICE)).map((r) => r.uid)).toStrictEqual(without('x'.repeat(5000)));
      expect((await store.listCounters(ALICE)).map((c) => c.attendee)).toStrictEqual(without('\udc00\ud800'));
    });

    it('keeps hostile user addresses apart', async () => {
      await Promise.all(
        HOSTILE.map((user, i) =>
          store.transact(user, (tx) => {
            tx.setRole(i % 2 === 0 ? 'person' : 'resource');
            tx.setPref('CN', user);
            tx.putObject(objectOf(`obj-${i}`));
            tx.setOwnPeriods('uid', [period('uid', DAY + i * H, DAY + i * H + H)]);
            tx.setOthersPeriods('uid', user, [othersPeriod('uid', user, DAY, DAY + H)]);
            tx.putRequest(requestOf('uid', null, 'REQUEST', i));
            tx.putCounter(counterOf('uid', null, user, i));
            tx.addInbox(inboxOf(`inbox-${i}`, DAY));
            tx.addOutbox(outboxOf(`outbox-${i}`, user, DAY + i));
            tx.addJournal(journalOf(user, i));
            tx.markSeen(`seen-${i}`, iso(DAY));
          }),
        ),
      );
      expect(await store.listUsers()).toStrictEqual([...HOSTILE].sort(byText));
      for (const [i, user] of HOSTILE.entries()) {
        expect(await store.getRole(user)).toBe(i % 2 === 0 ? 'person' : 'resource');
        expect(await store.getPrefs(user)).toStrictEqual({ CN: user });
        expect(await store.listObjects(user)).toStrictEqual([objectOf(`obj-${i}`)]);
        expect(await store.freeBusy(user)).toStrictEqual([period('uid', DAY + i * H, DAY + i * H + H)]);
        expect(await store.freeBusy(user, { others: true })).toStrictEqual([othersPeriod('uid', user, DAY, DAY + H)]);
        expect(await store.listRequests(user)).toStrictEqual([requestOf('uid', null, 'REQUEST', i)]);
        expect(await store.listCounters(user)).toStrictEqual([counterOf('uid', null, user, i)]);
        expect(await store.listInbox(user)).toStrictEqual([inboxOf(`inbox-${i}`, DAY)]);
        expect(await store.listOutbox(user)).toStrictEqual([outboxOf(`outbox-${i}`, user, DAY + i)]);
        expect(await store.listJournal(user)).toStrictEqual([journalOf(user, i)]);
        expect(await seen(user, [`seen-${i}`, `seen-${(i + 1) % HOSTILE.length}`])).toStrictEqual([true, false]);
      }
      expect((await store.listOutbox()).map((item) => item.user)).toStrictEqual(HOSTILE);
      expect((await store.listJournal()).map((entry) => entry.recipient).sort(byText)).toStrictEqual([...HOSTILE].sort(byText));
    });

    it('does not take a NUL inside a string for a separator between key parts', async () => {
      await store.transact('a', (tx) => {
        tx.putObject(objectOf('b'));
        tx.putRequest(requestOf('a', 'b'));
        tx.putRequest(requestOf('a\u0000b', null));
        tx.putRequest(requestOf('a', null));
        tx.putCounter(counterOf('a', null, 'b'));
        tx.putCounter(counterOf('a', null, 'b\u0000c'));
        tx.putCounter(counterOf('a\u0000b', null, 'c'));
        tx.setOthersPeriods('u', 'p', [othersPeriod('u', 'p', DAY, DAY + H)]);
        tx.setOthersPeriods('u', 'p\u0000q', [othersPeriod('u', 'p\u0000q', DAY, DAY + H)]);
        tx.setOwnPeriods('u', [period('u', DAY, DAY + H)]);
        tx.setOwnPeriods('u\u0000v', [period('u\u0000v', DAY, DAY + H)]);
        tx.markSeen('m', iso(DAY));
      });
      await store.transact('a\u0000b', (tx) => tx.putObject(objectOf('c')));
      expect(await store.listObjects('a')).toStrictEqual([objectOf('b')]);
      expect(await store.listObjects('a\u0000b')).toStrictEqual([objectOf('c')]);
      expect(await store.getObject('a', 'b\u0000c')).toBeUndefined();
      expect(await seen('a\u0000b', ['m'])).toStrictEqual([false]);

      await store.transact('a', (tx) => {
        tx.removeRequests('a');
        tx.removeCounters('a', null, 'b');
        tx.removeOthersPeriods('u', 'p');
        tx.setOwnPeriods('u', []);
      });
      expect(await store.listRequests('a')).toStrictEqual([requestOf('a\u0000b', null)]);
      expect(await store.listCounters('a')).toStrictEqual([counterOf('a', null, 'b\u0000c'), counterOf('a\u0000b', null, 'c')]);
      expect(await store.freeBusy('a', { others: true })).toStrictEqual([othersPeriod('u', 'p\u0000q', DAY, DAY + H)]);
      expect(await store.freeBusy('a')).toStrictEqual([period('u\u0000v', DAY, DAY + H)]);

      await store.transact('a', (tx) => tx.removeCounters('a'));
      expect(await store.listCounters('a')).toStrictEqual([counterOf('a\u0000b', null, 'c')]);
    });
  });
}

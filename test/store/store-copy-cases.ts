// The cases of `store copy` (src/store/copy-store.ts), from a store filled by
// real mail (LMDB unless a source factory is given) into a target that a
// factory gives: any Store implementation can be the target, or the source,
// by calling describeStoreCopy with its own factory (each call must give a
// new, empty store).

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { processMail } from '../../src/agent/process-message.js';
import { copyStore, type UserReport } from '../../src/store/copy-store.js';
import { openStore } from '../../src/store/open-store.js';
import type { Store } from '../../src/store/store.js';
import { ALICE, BOB, CLIENT_NAME, CLIENT_UID, INCOMING, NOW, ROOM, everyRead, fillSource } from './copy-store-source.js';

const TIMEOUT = 120_000;

async function versions(store: Store, users: string[]): Promise<number[]> {
  return Promise.all(users.map(async (user) => (await store.readUser(user, () => undefined)).version));
}

async function changeLogs(store: Store, users: string[]): Promise<number[]> {
  return Promise.all(users.map(async (user) => (await store.objectChanges(user, 0)).latest));
}

export function describeStoreCopy(name: string, openTarget: () => Promise<Store>, from?: { name: string; open: () => Promise<Store> }): void {
  describe(`store copy from ${from?.name ?? 'LMDB'} into ${name}`, () => {
    let dir: string;
    let source: Store;
    let sourceReads: Record<string, unknown>;
    const opened: Store[] = [];

    async function target(): Promise<Store> {
      const store = await openTarget();
      opened.push(store);
      return store;
    }

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'itip-copy-source-'));
      source = from ? await from.open() : await openStore(dir);
      await fillSource(source);
      sourceReads = await everyRead(source);
    }, TIMEOUT);

    afterEach(async () => {
      await Promise.all(opened.splice(0).map((store) => store.close()));
    });

    afterAll(async () => {
      await source?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('makes every read of the target equal to the source\'s, objects under the names a CalDAV client gave them', async () => {
      const to = await target();
      const reports: Array<[UserReport, number, number]> = [];
      const summary = await copyStore(source, to, { onUser: (...args) => reports.push(args) });
      expect(await everyRead(to)).toEqual(sourceReads);
      expect(await to.objectNamed(ALICE, CLIENT_NAME)).toBe(CLIENT_UID);
      expect(summary).toMatchObject({ users: 3, copied: 3, unchanged: 0, refused: [] });
      expect(summary.objects).toBe((await source.listObjects(ALICE)).length + (await source.listObjects(BOB)).length + (await source.listObjects(ROOM)).length);
      expect(summary.counts.outbox).toBe(4);
      expect(summary.counts.journal).toBe((await source.listJournal()).length);
      expect(reports.map(([report, done, total]) => [report.user, report.outcome, done, total])).toEqual([
        [ALICE, 'copied', 1, 3],
        [BOB, 'copied', 2, 3],
        [ROOM, 'copied', 3, 3],
      ]);
      // The source is only read.
      expect(await everyRead(source)).toEqual(sourceReads);
    }, TIMEOUT);

    it('a second run writes nothing: no user\'s version or change log moves', async () => {
      const to = await target();
      await copyStore(source, to);
      const users = await to.listUsers();
      const before = { versions: await versions(to, users), changes: await changeLogs(to, users) };
      const summary = await copyStore(source, to);
      expect(summary).toMatchObject({ users: 3, copied: 0, unchanged: 3, refused: [] });
      expect({ versions: await versions(to, users), changes: await changeLogs(to, users) }).toEqual(before);
      expect(await everyRead(to)).toEqual(sourceReads);
    }, TIMEOUT);

    it('a mail delivered again after the copy is a no-op on the target: the marks of mails seen came along', async () => {
      const to = await target();
      await copyStore(source, to);
      for (const { raw, envelope } of INCOMING) {
        const result = await processMail(to, raw(), envelope, NOW);
        expect(result.users.flatMap((u) => u.entries.map((e) => e.outcome))).toEqual(['duplicate']);
      }
      // Only the journal says it happened.
      const after = (await everyRead(to)) as Record<string, { journal: unknown[] }>;
      const expected = sourceReads as Record<string, { journal: unknown[] }>;
      expect(after[ALICE]!.journal).toHaveLength(expected[ALICE]!.journal.length + INCOMING.length);
      expect({ ...after, [ALICE]: { ...after[ALICE], journal: [] } }).toEqual({ ...expected, [ALICE]: { ...expected[ALICE], journal: [] } });
    }, TIMEOUT);

    it('a target with data of its own ends equal to the source; a journal that is a beginning of the source\'s is completed', async () => {
      const to = await target();
      const aliceObject = (await source.getObject(ALICE, CLIENT_UID))!;
      const bobJournal = await source.listJournal(BOB);
      const aliceRequests = await source.listRequests(ALICE);
      const aliceInbox = await source.listInbox(ALICE);
      const mailed = (await source.listObjects(ALICE)).find((object) => object.uid !== CLIENT_UID)!;
      await to.transact(ALICE, (tx) => {
        tx.setRole('resource');
        tx.setPref('TZID', 'America/New_York');
        tx.setPref('stray', 'x');
        // The client's object under another name, and an object the source does not have.
        tx.nameNewObject(CLIENT_UID, 'other-name.ics');
        tx.putObject(aliceObject);
        // An object under the name the source gives it, in an older version.
        tx.putObject({ uid: mailed.uid, ics: mailed.ics.replace(/SUMMARY[^\r\n]*/, 'SUMMARY:Older') });
        tx.nameNewObject('stray@example.com', CLIENT_NAME.replace('6F', '00'));
        tx.putObject({ uid: 'stray@example.com', ics: aliceObject.ics.replace(CLIENT_UID, 'stray@example.com') });
        tx.setOwnPeriods('stray@example.com', [{ start: '2026-12-09T10:00:00Z', end: '2026-12-09T11:00:00Z', fbtype: 'BUSY', uid: 'stray@example.com', recurrenceId: null }]);
        tx.setOthersPeriods('stray@example.com', BOB, [{ start: '2026-12-09T10:00:00Z', end: '2026-12-09T11:00:00Z', fbtype: 'BUSY', uid: 'stray@example.com', recurrenceId: null, participant: BOB }]);
        tx.putRequest({ ...aliceRequests[0]!, method: 'ADD', received: '2026-01-01T00:00:00Z' });
        tx.putRequest({ uid: 'stray@example.com', recurrenceId: null, method: 'REQUEST', from: BOB, received: '2026-01-01T00:00:00Z' });
        tx.putCounter({ uid: 'stray@example.com', recurrenceId: null, attendee: BOB, received: '2026-01-01T00:00:00Z', ics: '' });
        tx.addInbox({ ...aliceInbox[0]!, ics: 'changed' });
        tx.addInbox({ ...aliceInbox[0]!, id: 'stray-inbox-item' });
      });
      await to.transact(BOB, (tx) => {
        for (const entry of bobJournal.slice(0, 1)) tx.addJournal(entry);
      });
      expect(await to.objectNamed(ALICE, 'other-name.ics')).toBe(CLIENT_UID);
      expect(await to.objectName(ALICE, mailed.uid)).toBe(await source.objectName(ALICE, mailed.uid));

      const summary = await copyStore(source, to);
      expect(summary).toMatchObject({ users: 3, copied: 3, refused: [] });
      expect(await everyRead(to)).toEqual(sourceReads);
      expect(await to.objectNamed(ALICE, 'other-name.ics')).toBeUndefined();
      expect(await to.listJournal(BOB)).toEqual(bobJournal);
    }, TIMEOUT);

    it('keeps outbox items, seen marks and sent records the source does not have, and says so', async () => {
      const to = await target();
      const item = (await source.listOutbox(BOB))[0]!;
      await to.transact(BOB, (tx) => {
        tx.addOutbox({ ...item, id: 'own-item@example.org' });
        tx.markSeen('own-mark', '2026-01-01T00:00:00Z');
        tx.putSent({ messageId: 'own-sent@example.org', units: [], to: [ALICE], sent: '2026-01-01T00:00:00Z' });
      });
      const reports: UserReport[] = [];
      await copyStore(source, to, { onUser: (report) => reports.push(report) });
      expect(reports.find((r) => r.user === BOB)).toMatchObject({ outcome: 'copied', kept: { outbox: 1, seen: 1, sent: 1 } });
      expect((await to.listOutbox(BOB)).map((i) => i.id).sort()).toEqual([item.id, 'own-item@example.org'].sort());
      expect((await to.listSeen(BOB)).map((m) => m.key)).toContain('own-mark');
      expect(await to.listJournal(BOB)).toEqual(await source.listJournal(BOB));
    }, TIMEOUT);

    it('refuses a user whose journal in the target is not a beginning of the source\'s, leaves it untouched, and copies the others', async () => {
      const to = await target();
      await to.transact(ALICE, (tx) => {
        tx.setRole('person');
        tx.addJournal({ messageId: 'elsewhere@example.com', recipient: ALICE, method: 'REQUEST', uid: 'x@example.com', outcome: 'applied', reason: 'from another store', at: '2026-11-01T00:00:00Z' });
      });
      const before = await to.readUser(ALICE, () => undefined);
      const summary = await copyStore(source, to);
      expect(summary).toMatchObject({ users: 3, copied: 2, unchanged: 0 });
      expect(summary.refused.map((r) => r.user)).toEqual([ALICE]);
      expect(summary.refused[0]!.reason).toMatch(/journal of mailto:alice@example\.com is not a beginning of the source's.*remove the user from the target/);
      expect((await to.readUser(ALICE, () => undefined)).version).toBe(before.version);
      expect(await to.listObjects(ALICE)).toEqual([]);
      const reads = (await everyRead(to)) as Record<string, unknown>;
      expect(reads[BOB]).toEqual(sourceReads[BOB]);
      expect(reads[ROOM]).toEqual(sourceReads[ROOM]);
      // Refused again on the next run: nothing converges by itself.
      expect((await copyStore(source, to)).refused.map((r) => r.user)).toEqual([ALICE]);
    }, TIMEOUT);
  });
}

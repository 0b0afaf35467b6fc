// The Store contract run on the PostgreSQL store, plus what several agents on
// one database need: two stores (two pools, as two hosts would have) writing
// for one user at once, claiming the outbox at once, and the schema check.

import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { PgStore } from '../../src/store/pg-store.js';
import { SCHEMA_VERSION } from '../../src/store/pg-schema.js';
import type { OutboxItem } from '../../src/itip/model.js';
import { StoreCommitError, type Store } from '../../src/store/store.js';
import { newPgDatabase, restartPg } from '../support/postgres.js';
import { describeStoreContract } from './store-contract.js';
import { describeCalDavStoreContract } from './store-caldav-contract.js';
import { describeOptimisticStoreContract } from './store-optimistic-contract.js';
import { describeOutboxCopyStoreContract } from './store-outbox-copy-contract.js';

const urls = new WeakMap<Store, string>();

async function openNew(): Promise<Store> {
  const url = await newPgDatabase();
  const store = await PgStore.open(url);
  urls.set(store, url);
  return store;
}

async function reopen(store: Store): Promise<Store> {
  const url = urls.get(store)!;
  await store.close();
  const again = await PgStore.open(url);
  urls.set(again, url);
  return again;
}

describeStoreContract('PgStore', { open: openNew, reopen });
describeCalDavStoreContract('PgStore', { open: openNew });
describeOptimisticStoreContract('PgStore', { open: openNew, reopen });
describeOutboxCopyStoreContract('PgStore', { open: openNew });

// ---------------------------------------------------------------------------
// Several agents on one database: each PgStore has its own pool, as two hosts would.

const ALICE = 'mailto:alice@example.org';

function dueItem(id: string, created: string): OutboxItem {
  return {
    id,
    user: ALICE,
    method: 'REPLY',
    uid: `uid-${id}`,
    from: ALICE,
    to: ['mailto:organizer@example.org'],
    state: 'unprocessed',
    attempts: 0,
    created,
    ics: 'BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n',
  };
}

async function twoStores(): Promise<[PgStore, PgStore, string]> {
  const url = await newPgDatabase();
  // Both start at once, as agents on two hosts may: the schema is made once.
  const [a, b] = await Promise.all([PgStore.open(url, { maxConnections: 4 }), PgStore.open(url, { maxConnections: 4 })]);
  return [a, b, url];
}

describe('PgStore: several agents on one database', () => {
  it('of two commitIf calls at one version from two stores, exactly one commits', async () => {
    const [a, b] = await twoStores();
    try {
      for (let round = 0; round < 5; round++) {
        const { version } = await a.readUser(ALICE, () => undefined);
        const outcomes = await Promise.all(
          [a, b].map((store, i) => store.commitIf(ALICE, version, (tx) => tx.setPref(`round-${round}`, `store-${i}`))),
        );
        expect(outcomes.filter((o) => o.committed)).toHaveLength(1);
        const loser = outcomes.find((o) => !o.committed);
        expect(loser).toStrictEqual({ committed: false, version: version + 1 });
      }
      expect(Object.keys(await b.getPrefs(ALICE))).toHaveLength(5);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('loses no update when two stores count one preference up at once', async () => {
    const [a, b] = await twoStores();
    try {
      const increment = (store: Store) =>
        store.transact(ALICE, (tx) => {
          tx.setPref('count', String(Number(tx.getPrefs().count ?? '0') + 1));
        });
      await Promise.all(Array.from({ length: 50 }, (_, i) => increment(i % 2 === 0 ? a : b)));
      expect(await a.getPrefs(ALICE)).toStrictEqual({ count: '50' });
      expect((await b.readUser(ALICE, () => undefined)).version).toBe(50);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('never hands one outbox item to two claims running at once', async () => {
    const [a, b] = await twoStores();
    try {
      const ids = Array.from({ length: 60 }, (_, i) => `item-${String(i).padStart(2, '0')}`);
      await a.transact(ALICE, (tx) => {
        for (const [i, id] of ids.entries()) tx.addOutbox(dueItem(id, `2026-03-01T10:${String(i % 60).padStart(2, '0')}:00Z`));
      });
      const claimed: string[] = [];
      const claimAll = async (store: PgStore): Promise<void> => {
        for (;;) {
          const items = await store.claimDueOutbox('2026-03-02T00:00:00Z', '2026-03-02T00:10:00Z', 3);
          if (items.length === 0) return;
          for (const item of items) expect(item.nextAttempt).toBe('2026-03-02T00:10:00Z');
          claimed.push(...items.map((item) => item.id));
        }
      };
      await Promise.all([claimAll(a), claimAll(b), claimAll(a), claimAll(b)]);
      expect([...claimed].sort()).toStrictEqual(ids);
      // Claimed items are not due again before `until`; at `until` they are.
      expect(await b.listDueOutbox('2026-03-02T00:09:59Z')).toStrictEqual([]);
      expect(await b.listDueOutbox('2026-03-02T00:10:00Z')).toHaveLength(60);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('keeps the data when the database is opened again by another store', async () => {
    const [a, b, url] = await twoStores();
    await a.transact(ALICE, (tx) => {
      tx.setRole('resource');
      tx.addJournal({ messageId: 'm1', recipient: ALICE, method: 'REQUEST', uid: 'u1', outcome: 'applied', reason: 'test', at: '2026-03-01T10:00:00Z' });
    });
    await Promise.all([a.close(), b.close()]);
    const c = await PgStore.open(url);
    try {
      expect(await c.listUsers()).toStrictEqual([ALICE]);
      expect(await c.getRole(ALICE)).toBe('resource');
      expect((await c.listJournal()).map((entry) => entry.messageId)).toStrictEqual(['m1']);
    } finally {
      await c.close();
    }
  });
});

describe('PgStore: the callback runs again over fetched rows', () => {
  it('answers every read as stored, writes only what the last run did, and gathers a run\'s reads into one fetch', async () => {
    const store = await PgStore.open(await newPgDatabase());
    try {
      const keys = Array.from({ length: 20 }, (_, i) => `<m${i}@example.org>`);
      await store.transact(ALICE, (tx) => {
        for (const [i, key] of keys.entries()) if (i % 3 === 0) tx.markSeen(key, '2026-03-01T10:00:00Z');
        tx.putObject({ uid: 'u1', ics: 'one' });
        tx.setPref('count', '0');
      });
      let runs = 0;
      const answers = await store.transact(ALICE, (tx) => {
        runs++;
        const seen = keys.map((key) => tx.hasSeen(key));
        const object = tx.getObject('u1');
        // Writes that depend on what was read: only those of the last run count.
        if (object) tx.putObject({ ...object, ics: `${object.ics}+` });
        if (!tx.hasSeen(keys[0]!)) tx.setPref('count', 'wrong');
        return { seen, object: tx.getObject('u1') };
      });
      expect(answers).toStrictEqual({ seen: keys.map((_, i) => i % 3 === 0), object: { uid: 'u1', ics: 'one+' } });
      // The first run gathers all 21 reads, the second has them all.
      expect(runs).toBe(2);
      expect(await store.getObject(ALICE, 'u1')).toStrictEqual({ uid: 'u1', ics: 'one+' });
      expect(await store.getPrefs(ALICE)).toStrictEqual({ count: '0' });
    } finally {
      await store.close();
    }
  });
});

describe('PgStore: schema and faults', () => {
  it('refuses a database of a newer schema version, saying what to do, and changes nothing', async () => {
    const url = await newPgDatabase();
    await (await PgStore.open(url)).close();
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query('UPDATE itip_schema SET version = $1', [SCHEMA_VERSION + 1]);
      await expect(PgStore.open(url)).rejects.toThrow(
        new RegExp(`schema version ${SCHEMA_VERSION + 1}.*reads version ${SCHEMA_VERSION}.*newer version of itip-agent.*run that version again`),
      );
      expect((await client.query('SELECT version FROM itip_schema')).rows).toStrictEqual([{ version: SCHEMA_VERSION + 1 }]);
    } finally {
      await client.end();
    }
  });

  it('rejects with a StoreCommitError saying what to do when no server answers', async () => {
    // A port nothing listens on: take one and let it go.
    const { createServer } = await import('node:net');
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const address = probe.address() as { port: number };
        probe.close(() => resolve(address.port));
      });
    });
    const opening = PgStore.open(`postgres://nobody:secret@127.0.0.1:${port}/none`, { connectTimeoutMs: 2000 });
    await expect(opening).rejects.toMatchObject({
      name: 'StoreCommitError',
      message: expect.stringMatching(/could not connect to the PostgreSQL database postgres:\/\/nobody@127\.0\.0\.1:\d+\/none: .*check that the server runs/),
    });
    await expect(opening).rejects.not.toThrow(/secret/);
  });

  // A restart checkpoints every database of the test server: slow on a loaded machine.
  it('fails a call cut by a server restart with a StoreCommitError, and works again once the server is back', async () => {
    const store = await PgStore.open(await newPgDatabase());
    try {
      await store.transact(ALICE, (tx) => tx.setPref('before', 'yes'));
      await restartPg();
      // Connections the pool held were cut: a call may meet one (then it is a
      // StoreCommitError and wrote nothing); the pool then opens new ones.
      let attempts = 0;
      for (;;) {
        attempts++;
        try {
          await store.transact(ALICE, (tx) => tx.setPref('after', 'yes'));
          break;
        } catch (error) {
          expect(error).toBeInstanceOf(StoreCommitError);
          expect(attempts).toBeLessThan(5);
        }
      }
      expect(await store.getPrefs(ALICE)).toStrictEqual({ after: 'yes', before: 'yes' });
    } finally {
      await store.close();
    }
  }, 180_000);

  it('gives up on a statement past its time limit with a StoreCommitError, and writes nothing', async () => {
    const url = await newPgDatabase();
    const store = await PgStore.open(url, { statementTimeoutMs: 300 });
    const holder = new pg.Client({ connectionString: url });
    await holder.connect();
    try {
      await store.transact(ALICE, (tx) => tx.setPref('n', '1'));
      // Another agent holds Alice's row (its transaction is still open).
      await holder.query('BEGIN');
      await holder.query('SELECT 1 FROM users FOR UPDATE');
      await expect(store.transact(ALICE, (tx) => tx.setPref('n', '2'))).rejects.toMatchObject({
        name: 'StoreCommitError',
        message: expect.stringMatching(/statement timeout.*nothing was written.*tried again/),
      });
      await holder.query('ROLLBACK');
      expect(await store.getPrefs(ALICE)).toStrictEqual({ n: '1' });
      await store.transact(ALICE, (tx) => tx.setPref('n', '3'));
      expect(await store.getPrefs(ALICE)).toStrictEqual({ n: '3' });
    } finally {
      await holder.end();
      await store.close();
    }
  });
});

// A database store whose server goes away while a mail is being read: the
// error met inside the read (as a PostgreSQL store's view meets it) is the
// store's, not the handlers', so LMTP answers 451 and the retry, once the
// server is back, applies the mail once. The error is a real one of the
// PostgreSQL client (a connect to a closed port); the store under it is LMDB.

import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLmdbStore } from '../../src/store/open-store.js';
import type { Store } from '../../src/store/store.js';
import { LmtpClient } from '../../src/transport/lmtp-client.js';
import { startListener, type Listener } from '../../src/transport/listener.js';
import { MailService } from '../../src/transport/mail-service.js';
import { freePort } from '../integration/host.js';
import { NOW, invitation, tempDir } from './support.js';

/** The store, with every read of a user's view failing with `error` while `down.now` is set. */
function storeWithServerDown(store: Store, error: () => unknown, down: { now: boolean }): Store {
  const readUser: Store['readUser'] = (user, fn) =>
    store.readUser(user, (view) => {
      if (!down.now) return fn(view);
      const failing = new Proxy(view, {
        get: () => () => {
          throw error();
        },
      });
      return fn(failing);
    });
  return new Proxy(store, {
    get(target, property) {
      if (property === 'readUser') return readUser;
      const value = Reflect.get(target, property, target) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

describe('LMTP with the database server gone in the middle', () => {
  const dir = tempDir();
  const down = { now: true };
  let refused: unknown;
  let lmdb: Store;
  let listener: Listener;
  let client: LmtpClient;

  beforeAll(async () => {
    const closed = new pg.Client({ connectionString: `postgres://itip@127.0.0.1:${await freePort()}/itip` });
    refused = await closed.connect().then(
      () => new Error('a closed port took a connection'),
      (error: unknown) => error,
    );
    lmdb = openLmdbStore(join(dir.path, 'store'));
    const service = new MailService({ store: storeWithServerDown(lmdb, () => refused, down), target: { kind: 'none' }, now: () => NOW });
    listener = await startListener(service, { protocol: 'lmtp', listen: '127.0.0.1:0', maxMessageBytes: 64 * 1024 });
    client = new LmtpClient({ host: '127.0.0.1', port: listener.port! });
    await client.connect();
  });
  afterAll(async () => {
    await client.close();
    await listener.stop(1000);
    await lmdb.close();
    dir.remove();
  });

  it('answers 451 for each recipient and stores nothing; the retry after the server is back applies the mail once', async () => {
    expect((refused as { code?: string }).code).toBe('ECONNREFUSED');
    const replies = await client.send('boss@example.com', ['alice@example.com', 'bob@example.com'], invitation(1));
    expect(replies.map((r) => r.code)).toEqual([451, 451]);
    expect(replies[0]!.text).toMatch(/try again later.*ECONNREFUSED/);
    expect(await lmdb.listJournal()).toEqual([]);

    down.now = false;
    const retry = await client.send('boss@example.com', ['alice@example.com', 'bob@example.com'], invitation(1));
    expect(retry.map((r) => r.code)).toEqual([250, 250]);
    const journal = await lmdb.listJournal();
    expect(journal.map((e) => [e.recipient, e.outcome])).toEqual([
      ['mailto:alice@example.com', 'applied'],
      ['mailto:bob@example.com', 'applied'],
    ]);
  });
});

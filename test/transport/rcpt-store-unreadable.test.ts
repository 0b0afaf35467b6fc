// The recipient check at RCPT (unknownUsers: refuse) reads the store. A store
// that cannot answer (a database restarting, a host unreachable) makes no
// recipient unknown: it is a temporary failure (451 over LMTP, exit 75 for
// the pipe), and the MTA's retry is accepted once the store answers again.

import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exitCodeOf, replyCodeOf } from '../../src/agent/verdicts.js';
import { LmdbStore } from '../../src/store/lmdb-store.js';
import type { Store } from '../../src/store/store.js';
import { LmtpClient } from '../../src/transport/lmtp-client.js';
import { startListener, type Listener } from '../../src/transport/listener.js';
import { MailService } from '../../src/transport/mail-service.js';
import { parseTarget } from '../../src/transport/deliver.js';
import { NOW, invitation, startSink, tempDir, type Sink } from './support.js';

const ALICE = 'alice@example.com';
const NOBODY = 'nobody@example.com';

describe('the recipient check while the store cannot answer', () => {
  const dir = tempDir();
  let unreadable = false;
  let lmdb: LmdbStore;
  let sink: Sink;
  let service: MailService;
  let listener: Listener;
  let client: LmtpClient;

  beforeAll(async () => {
    lmdb = new LmdbStore(join(dir.path, 'store'));
    await lmdb.transact(`mailto:${ALICE}`, (tx) => tx.setRole('person'));
    // Reads fail while `unreadable` is set, as a store on another host does while it restarts.
    const store: Store = new Proxy(lmdb, {
      get(target, property) {
        if (property === 'getRole') {
          return (user: string) => (unreadable ? Promise.reject(new Error('connection refused')) : target.getRole(user));
        }
        const value = Reflect.get(target, property, target) as unknown;
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
    sink = await startSink();
    service = new MailService({ store, target: parseTarget(`lmtp:127.0.0.1:${sink.port}`), now: () => NOW, refuseUnknownUsers: true });
    listener = await startListener(service, { protocol: 'lmtp', listen: '127.0.0.1:0', maxMessageBytes: 1024 * 1024 });
    client = new LmtpClient({ host: '127.0.0.1', port: listener.port! });
  });
  afterAll(async () => {
    await client.close();
    await listener.stop(1000);
    await service.close();
    await sink.close();
    await lmdb.close();
    dir.remove();
  });

  it('is a temporary failure that says so, never an unknown user; the retry is taken', async () => {
    unreadable = true;
    const verdict = await service.agent.admit(NOBODY);
    expect(verdict?.kind).toBe('store-failed');
    expect(verdict?.reason).toContain('try again later: connection refused');
    expect(exitCodeOf(verdict!.kind)).toBe(75);
    expect((await service.agent.admit(ALICE))?.kind).toBe('store-failed');

    const refused = await client.send('boss@example.com', [ALICE], invitation(41));
    expect(refused.map((reply) => reply.code)).toEqual([replyCodeOf('store-failed')]);
    expect(sink.messages).toHaveLength(0);

    unreadable = false;
    expect(await service.agent.admit(ALICE)).toBeUndefined();
    expect((await service.agent.admit(NOBODY))?.kind).toBe('unknown-user');
    const taken = await client.send('boss@example.com', [ALICE], invitation(41));
    expect(taken.map((reply) => reply.code)).toEqual([250]);
    expect(sink.messages.map((message) => message.to)).toEqual([[ALICE]]);
  });
});

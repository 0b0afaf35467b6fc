// Mails for one user and one UID arriving at once, over concurrent LMTP
// connections: each is scheduled on a read of the user's data outside the
// write transaction, and commits only if nothing changed since that read
// (Store.commitIf); a mail that lost the race is computed again on fresh data.
// No update may be lost: every attendee's REPLY ends merged into the
// organizer's copy, and every recipient gets its 250 only after its commit.
//
// The store here holds the first commits back until every mail has read, so
// that all of them read the same version and the retry path runs every time,
// whatever the machine's timing (a gate on a condition, not a sleep).

import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { processMail } from '../../src/agent/process-message.js';
import { LmtpClient } from '../../src/transport/lmtp-client.js';
import { startListener, type Listener } from '../../src/transport/listener.js';
import { MailService } from '../../src/transport/mail-service.js';
import { openLmdbStore } from '../../src/store/open-store.js';
import type { Store } from '../../src/store/store.js';
import { NOW, tempDir } from '../transport/support.js';

import { BOSS, attendees, partstats, reply, request } from './concurrent-mail.js';

/**
 * The store, with the first `hold` commitIf calls held until all of them have
 * come (then let through together), and the commits and conflicts counted.
 */
function gatedStore(store: Store, hold: number) {
  const counts = { committed: 0, conflicts: 0 };
  let held: Array<() => void> = [];
  let open = false;
  const commitIf: Store['commitIf'] = (user, version, fn) => {
    const go = () =>
      store.commitIf(user, version, fn).then((result) => {
        if (result.committed) counts.committed++;
        else counts.conflicts++;
        return result;
      });
    if (open) return go();
    return new Promise((resolve, reject) => {
      held.push(() => go().then(resolve, reject));
      if (held.length === hold) {
        open = true;
        for (const release of held) release();
        held = [];
      }
    });
  };
  const gated = new Proxy(store, {
    get(target, property) {
      if (property === 'commitIf') return commitIf;
      const value = Reflect.get(target, property, target) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { store: gated, counts };
}

describe('concurrent mails for one user and UID', () => {
  let dir: ReturnType<typeof tempDir>;
  let store: Store;
  let listener: Listener | undefined;
  const clients: LmtpClient[] = [];

  beforeEach(() => {
    dir = tempDir('itip-agent-concurrent-');
    store = openLmdbStore(join(dir.path, 'store'));
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await listener?.stop(1000);
    listener = undefined;
    await store.close();
    dir.remove();
  });

  for (const count of [2, 8]) {
    it(`${count} REPLYs over ${count} LMTP connections at once: every PARTSTAT is merged, each 250 after its commit`, async () => {
      const people = attendees(count);
      // The organizer's copy, as the outgoing rule stores it from the REQUEST he sent.
      await processMail(store, request(people), { recipients: people, sender: BOSS, outgoing: true }, NOW);
      expect(Object.values(await partstats(store))).toEqual(people.map(() => 'NEEDS-ACTION'));

      const gate = gatedStore(store, count);
      const service = new MailService({ store: gate.store, target: { kind: 'none' }, now: () => NOW });
      listener = await startListener(service, { protocol: 'lmtp', listen: '127.0.0.1:0', maxMessageBytes: 64 * 1024 });
      for (let i = 0; i < count; i++) clients.push(new LmtpClient({ host: '127.0.0.1', port: listener.port! }));
      await Promise.all(clients.map((c) => c.connect()));

      const answers = people.map((a, i) => (i % 2 === 0 ? 'ACCEPTED' : 'DECLINED'));
      const replies = await Promise.all(people.map((a, i) => clients[i]!.send(a, [BOSS], reply(a, answers[i]!))));
      expect(replies.map((r) => r.map((x) => x.code))).toEqual(people.map(() => [250]));

      // Every mail read the same version; one committed per round, the others computed again.
      expect(gate.counts.committed).toBe(count);
      expect(gate.counts.conflicts).toBeGreaterThanOrEqual(count - 1);
      expect(await partstats(store)).toEqual(Object.fromEntries(people.map((a, i) => [a, answers[i]!])));
      const journal = (await store.listJournal(`mailto:${BOSS}`)).filter((e) => e.method === 'REPLY');
      expect(journal.map((e) => e.outcome)).toEqual(people.map(() => 'applied'));
      expect(new Set(journal.map((e) => e.messageId)).size).toBe(count);
    });
  }

  it('the same mail delivered twice at once is applied once and journalled once as a duplicate', async () => {
    const people = attendees(2);
    await processMail(store, request(people), { recipients: people, sender: BOSS, outgoing: true }, NOW);
    const gate = gatedStore(store, 2);
    const mail = reply(people[0]!, 'TENTATIVE');
    await Promise.all([0, 1].map(() => processMail(gate.store, mail, { recipients: [BOSS], sender: people[0] }, NOW)));
    expect(gate.counts).toEqual({ committed: 2, conflicts: 1 });
    expect((await partstats(store))[people[0]!]).toBe('TENTATIVE');
    expect((await store.listJournal(`mailto:${BOSS}`)).filter((e) => e.method === 'REPLY').map((e) => e.outcome)).toEqual(['applied', 'duplicate']);
  });
});

// Several `itip-agent process` runs at once on one PostgreSQL database, as an
// MTA's pipe transport starts them, on one or several hosts: REPLYs of several
// attendees to one organizer and UID, and one of them twice, arrive together.
// Each run reads, schedules and commits on its own connection; the user's row
// lock and the version check serialise the commits. No update may be lost and
// none applied twice (issue: several agents on one database).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/open-store.js';
import type { Store } from '../../src/store/store.js';
import { BOSS, attendees, partstats, reply, request } from '../agent/concurrent-mail.js';
import { newPgDatabase } from '../support/postgres.js';
import { runCliAsync } from './run-cli.js';

let url: string;
let store: Store;
beforeAll(async () => {
  url = await newPgDatabase();
  store = await openStore(url);
});
afterAll(async () => {
  await store.close();
});

describe('pipe runs at once on one PostgreSQL database', () => {
  it('six REPLYs and a second copy of one, in seven processes at once: every PARTSTAT merged, the copy journalled as a duplicate', async () => {
    const people = attendees(6);
    const sent = await runCliAsync(['process', '--outgoing', '--sender', BOSS], { store: url, input: request(people) });
    expect(sent.code, sent.stderr).toBe(0);
    expect(Object.values(await partstats(store))).toEqual(people.map(() => 'NEEDS-ACTION'));

    const answers = people.map((_, i) => (i % 3 === 0 ? 'DECLINED' : 'ACCEPTED'));
    const runs = [...people.map((a, i) => reply(a, answers[i]!)), reply(people[0]!, answers[0]!)].map((mail, i) =>
      runCliAsync(['process', '--recipient', BOSS, '--sender', people[i % people.length]!], { store: url, input: mail }),
    );
    const results = await Promise.all(runs);
    expect(results.map((r) => [r.code, r.badLogLines])).toEqual(results.map(() => [0, []]));

    expect(await partstats(store)).toEqual(Object.fromEntries(people.map((a, i) => [a, answers[i]!])));
    const journal = (await store.listJournal(`mailto:${BOSS}`)).filter((entry) => entry.method === 'REPLY');
    expect(journal.map((entry) => entry.outcome).sort()).toEqual([...people.map(() => 'applied'), 'duplicate'].sort());
    expect(new Set(journal.filter((entry) => entry.outcome === 'applied').map((entry) => entry.messageId)).size).toBe(people.length);
  }, 300_000);
});

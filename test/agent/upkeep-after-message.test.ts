// The effects of a message leave free/busy exactly as the upkeep would: the
// upkeep run right after any message changes nothing, own periods and others'
// alike. Checked after every step of every scenario fixture (person and
// resource, incoming and outgoing), with the real mail reader, core and LMDB
// store; the scenario tests themselves check the state those steps reach.

import { basename } from 'node:path';
import { describe, expect, it } from 'vitest';
import { refreshFreeBusy } from '../../src/agent/upkeep.js';
import type { Store } from '../../src/store/store.js';
import { families, familyCases, runCase } from '../scenarios/run-family.js';

/** Every user's own and others' periods, as the inspection commands list them. */
async function freeBusyOfAll(store: Store) {
  return Object.fromEntries(
    await Promise.all(
      (await store.listUsers()).map(async (user) => [user, { own: await store.freeBusy(user), others: await store.freeBusy(user, { others: true }) }]),
    ),
  );
}

describe('the upkeep right after a message changes nothing', () => {
  for (const family of families()) {
    for (const folder of familyCases(family)) {
      it(`${family}/${basename(folder)}`, async () => {
        await runCase(folder, basename(folder), async (store, step) => {
          const before = await freeBusyOfAll(store);
          await refreshFreeBusy(store, step.now);
          expect(await freeBusyOfAll(store), `after step ${step.index + 1} (${step.file})`).toEqual(before);
        }, false);
      });
    }
  }
});

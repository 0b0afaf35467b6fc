// The end of an offer's hold (freebusy_offers): the room's COUNTER holds the
// offered slot as tentative (test/fixtures/scenarios/resource-counter/
// offer-held-as-tentative); the upkeep that `serve` runs every minute frees it
// once the duration is over, and not before.

import { join } from 'node:path';
import { expect, it } from 'vitest';
import { releaseExpiredOffers } from '../../src/agent/offers-upkeep.js';
import { refreshFreeBusy } from '../../src/agent/upkeep.js';
import type { Store } from '../../src/store/store.js';
import { runCase } from '../scenarios/run-family.js';

const CASE = join(import.meta.dirname, '..', 'fixtures', 'scenarios', 'resource-counter', 'offer-held-as-tentative');
const ROOM = 'mailto:room@example.com';
const MINUTE = 60_000;

const tentative = async (store: Store) => (await store.freeBusy(ROOM)).filter((p) => p.fbtype === 'BUSY-TENTATIVE');

it('frees the held slot when freebusy_offers is over, and withdraws the offer', async () => {
  let checked = false;
  await runCase(
    CASE,
    'offer-held-as-tentative',
    async (store, step) => {
      if (step.index !== 3) return;
      // The COUNTER was made at step.now; PT1H later the hold ends.
      expect(await tentative(store)).toEqual([{ start: '2026-12-01T13:00:00Z', end: '2026-12-01T14:00:00Z', fbtype: 'BUSY-TENTATIVE', uid: 'a1', recurrenceId: null }]);
      expect(await releaseExpiredOffers(store, step.now + 59 * MINUTE)).toEqual([]);
      // The daily window upkeep keeps a hold still running.
      await refreshFreeBusy(store, step.now + 59 * MINUTE);
      expect(await tentative(store)).toHaveLength(1);
      expect(await store.listCounters(ROOM)).toHaveLength(1);

      expect(await releaseExpiredOffers(store, step.now + 60 * MINUTE)).toEqual([{ user: ROOM, uid: 'a1', recurrenceId: null }]);
      expect(await tentative(store)).toEqual([]);
      expect(await store.listCounters(ROOM)).toEqual([]);
      // The room's other bookings stay as they were.
      expect((await store.freeBusy(ROOM)).map((p) => p.uid)).toEqual(['b1', 'b2', 'b3']);
      // Nothing is left to release a second time.
      expect(await releaseExpiredOffers(store, step.now + 120 * MINUTE)).toEqual([]);
      checked = true;
    },
    false,
  );
  expect(checked).toBe(true);
});

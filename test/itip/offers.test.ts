// freebusy_offers as `prefs` accepts it: every value it takes holds an offer
// for that long (src/itip/resource/offers.ts), none is accepted and ignored.

import { describe, expect, it } from 'vitest';
import { validatePreference } from '../../src/agent/preferences.js';
import { offerHoldMs } from '../../src/itip/resource/offers.js';

describe('freebusy_offers', () => {
  it('reads every duration prefs accepts, PT1D as imip-agent users write it included', () => {
    const cases: Array<[string, number]> = [
      ['PT10M', 10 * 60_000],
      ['PT1H', 3_600_000],
      ['P1D', 86_400_000],
      ['PT1D', 86_400_000],
      ['pt1d2h', 26 * 3_600_000],
      ['P1W', 7 * 86_400_000],
    ];
    for (const [value, ms] of cases) {
      const stored = validatePreference('freebusy_offers', value).value;
      expect(offerHoldMs({ freebusy_offers: stored }), value).toBe(ms);
    }
  });

  it('holds nothing when unset', () => {
    expect(offerHoldMs({})).toBeUndefined();
  });
});

// The core's limits are counts, never times: the same series under a tight
// budget is cut at the same instance on every run, in every store, whatever
// else the machine is doing, and the journal says which limit cut it and where.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_AGENT_POLICY } from '../../src/agent/policy.js';
import { processMail } from '../../src/agent/process-message.js';
import { DEFAULT_EXPANSION_LIMITS } from '../../src/ical/expand.js';
import { LmdbStore } from '../../src/store/lmdb-store.js';
import { imipMail } from '../cli/helpers.js';

const NOW = Date.parse('2026-11-15T12:00:00Z');
const ALICE = 'mailto:alice@example.com';

/** Every minute from 09:00 to 09:59, each day: 1,440 candidate minutes a day for ical.js to test. */
const series = imipMail({
  from: 'boss@example.com',
  to: ['alice@example.com'],
  subject: 'Standing call',
  messageId: 'standing-call@example.com',
  ics: [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'PRODID:-//test//EN',
    'METHOD:REQUEST',
    'BEGIN:VEVENT',
    'UID:standing-call',
    'DTSTAMP:20261101T080000Z',
    'DTSTART:20261201T000000Z',
    'DURATION:PT1M',
    'RRULE:FREQ=MINUTELY;BYHOUR=9',
    'SUMMARY:Standing call',
    'ORGANIZER:mailto:boss@example.com',
    'ATTENDEE;PARTSTAT=ACCEPTED:mailto:alice@example.com',
    'END:VEVENT',
    'END:VCALENDAR',
    '',
  ].join('\r\n'),
});

const TIGHT = { ...DEFAULT_AGENT_POLICY, expansionLimits: { ...DEFAULT_EXPANSION_LIMITS, maxCandidates: 3_000 } };

async function runOnce() {
  const dir = mkdtempSync(join(tmpdir(), 'itip-deterministic-'));
  const store = new LmdbStore(dir);
  try {
    const result = await processMail(store, series, { recipients: ['alice@example.com'], sender: 'boss@example.com' }, NOW, TIGHT);
    const [entry] = result.users.flatMap((u) => u.entries);
    return { outcome: entry!.outcome, reason: entry!.reason, own: await store.freeBusy(ALICE), others: await store.freeBusy(ALICE, { others: true }) };
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('a series cut by a counted limit', () => {
  it('is cut at the same instance on every run, and the journal says where', async () => {
    const runs = [await runOnce(), await runOnce(), await runOnce()];
    for (const run of runs) expect(run).toEqual(runs[0]);
    expect(runs[0]!.outcome).toBe('applied');
    expect(runs[0]!.reason).toContain(
      'the recurrence was expanded only up to a limit, so free/busy holds part of it (the limit of 3000 candidate times stopped it after the instance at 2026-12-02T09:59:00Z)',
    );
    // The organizer's periods: DTSTART itself and the two days' 60 minutes each, nothing later.
    expect(runs[0]!.others).toHaveLength(1 + 2 * 60);
    expect(runs[0]!.others.at(-1)!.start).toBe('2026-12-02T09:59:00Z');
  });
});

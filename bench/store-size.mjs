// The benchmarks of a user with much stored: the per-mail cost with 100,000
// stored objects against 1,000 (store growth), and free/busy queries over one
// month and one year for a user with 10,000 events and with 50,000 (20% weekly
// without end, expanded over the default window), the two stores queried in turns.

import { rmSync } from 'node:fs';
import { DAY, NOW_MS, envelopeOf, median, scratch } from './common.mjs';
import { generateMails } from './generate.mjs';
import { timePerMail } from './in-process.mjs';

const BIG_USER = 'big@example.com';

/** A stored event as the agent keeps it: one VCALENDAR, master only. */
function storedEvent(uid, startMs, rrule) {
  const stamp = (ms) => new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  const attendees = [1, 2, 3, 4].map((i) => `ATTENDEE;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:user${(uid.length + i) % 50}@example.com`);
  return [
    'BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//bench//EN', 'BEGIN:VEVENT', `UID:${uid}`, 'DTSTAMP:20261101T080000Z', 'SEQUENCE:0',
    `SUMMARY:Stored ${uid}`, `DTSTART:${stamp(startMs)}`, `DTEND:${stamp(startMs + 3_600_000)}`, ...(rrule ? [rrule] : []),
    'ORGANIZER:mailto:user0@example.com', `ATTENDEE;PARTSTAT=ACCEPTED:mailto:${BIG_USER}`, ...attendees, 'END:VEVENT', 'END:VCALENDAR', '',
  ].join('\r\n');
}

/** Fills a user's store with `count` events and their periods, in batches. */
export async function fillUser(store, user, count, { recurringShare = 0, periods = true } = {}) {
  const windowStart = NOW_MS - 365 * DAY;
  const windowEnd = NOW_MS + 365 * DAY;
  const iso = (ms) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
  for (let done = 0; done < count; ) {
    const batch = Math.min(5000, count - done);
    await store.transact(user, (tx) => {
      for (let i = done; i < done + batch; i++) {
        const uid = `stored-${i}@bench.example`;
        // Spread over two years around now, on the half hour.
        const startMs = windowStart + Math.floor(((i * 7919) % (730 * 48)) * 1_800_000);
        const weekly = i % 100 < recurringShare * 100;
        tx.putObject({ uid, ics: storedEvent(uid, startMs, weekly ? 'RRULE:FREQ=WEEKLY' : undefined) });
        if (!periods) continue;
        const list = [];
        if (weekly) {
          for (let t = startMs; t < windowEnd; t += 7 * DAY) {
            if (t + 3_600_000 > windowStart) list.push({ start: iso(t), end: iso(t + 3_600_000), fbtype: 'BUSY', uid, recurrenceId: iso(t) });
          }
        } else {
          list.push({ start: iso(startMs), end: iso(startMs + 3_600_000), fbtype: 'BUSY', uid, recurrenceId: null });
        }
        tx.setOwnPeriods(uid, list);
      }
    });
    done += batch;
  }
}

export async function benchStoreGrowth({ LmdbStore, processMail }) {
  const sizes = { small: 1_000, large: 100_000 };
  const stores = {};
  try {
    for (const [name, count] of Object.entries(sizes)) {
      const dir = scratch(`growth-${name}`);
      stores[name] = { dir, store: new LmdbStore(dir) };
      await fillUser(stores[name].store, `mailto:${BIG_USER}`, count);
      for (const m of generateMails(30, 700, { focus: BIG_USER })) {
        await processMail(stores[name].store, m.raw, envelopeOf(m), NOW_MS);
      }
    }
    const runs = [];
    for (let r = 0; r < 5; r++) {
      const mails = generateMails(200, 50 + r, { focus: BIG_USER });
      const cost = {};
      // Alternating order between runs evens out drift.
      for (const name of r % 2 ? ['large', 'small'] : ['small', 'large']) {
        cost[name] = await timePerMail(mails, (m) => processMail(stores[name].store, m.raw, envelopeOf(m), NOW_MS));
      }
      runs.push({ smallMs: cost.small, largeMs: cost.large });
    }
    const largeMs = median(runs.map((r) => r.largeMs));
    const smallMs = median(runs.map((r) => r.smallMs));
    const ratio = median(runs.map((r) => r.largeMs / r.smallMs));
    return { id: 'store-growth', name: 'store growth: 100k objects', figure: `${largeMs.toFixed(2)} ms`, floor: `${smallMs.toFixed(2)} ms (1k objects)`, ratio, target: '<= 1.2', met: ratio <= 1.2, largeMs, smallMs, runs };
  } finally {
    for (const { dir, store } of Object.values(stores)) {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

/** Free/busy queries over windows that move through the year, on each store in turns. */
export async function queryInTurns(stores, user, days, query = (store, range) => store.freeBusy(user, range)) {
  const iso = (ms) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const times = stores.map(() => []);
  const counts = stores.map(() => []);
  for (let i = 0; i < 21; i++) {
    // Windows that move through the year, so that no answer is cached.
    const from = NOW_MS + ((i * 13) % 300) * DAY;
    const order = i % 2 ? [...stores.keys()].reverse() : [...stores.keys()];
    for (const s of order) {
      const start = process.hrtime.bigint();
      counts[s].push((await query(stores[s], { from: iso(from), to: iso(from + days * DAY) })).length);
      times[s].push(Number(process.hrtime.bigint() - start) / 1e6);
    }
  }
  // The first query of each store is left out (code not compiled yet, no UID name read).
  return stores.map((_, s) => ({
    ms: median(times[s].slice(1)), found: Math.round(median(counts[s].slice(1))), foundMin: Math.min(...counts[s]), foundMax: Math.max(...counts[s]),
    // Against the first store, query by query; the first store has none.
    ratio: s === 0 ? null : median(times[s].slice(1).map((t, i) => t / times[0][i + 1])),
  }));
}

export async function benchFreeBusy({ LmdbStore }) {
  const user = 'mailto:busy@example.com';
  const opened = [];
  try {
    for (const count of [10_000, 50_000]) {
      const dir = scratch(`freebusy-${count}`);
      const store = new LmdbStore(dir);
      opened.push({ dir, store });
      await fillUser(store, user, count, { recurringShare: 0.2 });
    }
    const stores = opened.map((o) => o.store);
    const totals = await Promise.all(stores.map(async (store) => (await store.freeBusy(user)).length));
    // What published free/busy, a VFREEBUSY REPLY and the resource checks ask:
    // busy time (Store.busyTime, joined per FBTYPE) for the published and
    // answered ranges; the periods themselves (Store.freeBusy) for a month of
    // bookings and for the `freebusy` listing, a reference row over a year.
    const busyTime = (store, range) => store.busyTime(user, range);
    const [month] = await queryInTurns(stores.slice(0, 1), user, 30);
    const [year, year50] = await queryInTurns(stores, user, 365, busyTime);
    const [listYear, listYear50] = await queryInTurns(stores, user, 365);
    const of = (q, total) => `${q.found} periods (median) of ${total}`;
    const joined = (q, total) => `${q.found} busy intervals from ${total} periods`;
    return [
      { id: 'freebusy-month', name: 'free/busy: periods of one month, 10k events', figure: `${month.ms.toFixed(2)} ms`, floor: of(month, totals[0]), ratio: null, target: '<= 10 ms', met: month.ms <= 10, ...month, periodsTotal: totals[0] },
      { id: 'freebusy-year', name: 'free/busy: busy time of one year, 10k events', figure: `${year.ms.toFixed(2)} ms`, floor: joined(year, totals[0]), ratio: null, target: '<= 20 ms', met: year.ms <= 20, ...year, periodsTotal: totals[0] },
      // Queried in turns with the 10k store; the ratio is the median of the pairs' ratios.
      { id: 'freebusy-year-50k', name: 'free/busy: busy time of one year, 50k events', figure: `${year50.ms.toFixed(2)} ms (${joined(year50, totals[1])})`, floor: `${year.ms.toFixed(2)} ms (10k events)`, ratio: year50.ratio, target: '<= 2.0', met: year50.ratio <= 2.0, ...year50, periodsTotal: totals[1] },
      { id: 'freebusy-list-year', name: 'free/busy reference: every period of one year, 10k events', figure: `${listYear.ms.toFixed(2)} ms`, floor: of(listYear, totals[0]), ratio: null, target: '-', met: null, ...listYear },
      { id: 'freebusy-list-year-50k', name: 'free/busy reference: every period of one year, 50k events', figure: `${listYear50.ms.toFixed(2)} ms (${of(listYear50, totals[1])})`, floor: `${listYear.ms.toFixed(2)} ms (10k events)`, ratio: listYear50.ratio, target: '-', met: null, ...listYear50 },
    ];
  } finally {
    for (const { dir, store } of opened) {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

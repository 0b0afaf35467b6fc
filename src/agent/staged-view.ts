// A user's read view with the effects of a mail's earlier UIDs laid over it.
// In one write transaction, the second UID of a mail saw what the first one
// wrote: a resource judging two REQUESTs for the same hour in one mail must
// find the first one booked. The plan (user-plan.ts) reads outside the write
// transaction and writes nothing until the end, so it stages each UID's
// effects here, and the reads the core's input is made of (the stored object,
// the counters, the own busy periods) answer as if they had been written.
// The other reads (role, preferences, requests, the redelivery mark) are not
// changed by any effect of the core and pass through.

import { parseInstant } from '../ical/times.js';
import { compareText } from '../ical/text-order.js';
import type { Effect } from '../itip/effects.js';
import type { CounterEntry, Period, StoredObject } from '../itip/model.js';
import type { BusyTime, TimeRange, UserView } from '../store/store.js';
import { formatUtc } from '../ical/times.js';

type CounterOp = Extract<Effect, { type: 'put-counter' | 'remove-counters' }>;

export class StagedView implements UserView {
  /** UID -> its object as staged; null: deleted. */
  private readonly objects = new Map<string, StoredObject | null>();
  /** UID -> its own periods as staged (all of them: own-periods replaces the UID's). */
  private readonly periods = new Map<string, Period[]>();
  /** UID -> the counter changes staged, in order. */
  private readonly counters = new Map<string, CounterOp[]>();

  constructor(private readonly base: UserView) {}

  get user(): string {
    return this.base.user;
  }

  /** Lays the effects over what later reads answer. */
  stage(effects: readonly Effect[]): void {
    for (const effect of effects) {
      switch (effect.type) {
        case 'put-object':
          this.objects.set(effect.object.uid, effect.object);
          break;
        case 'delete-object':
          this.objects.set(effect.uid, null);
          break;
        case 'own-periods':
          this.periods.set(effect.uid, effect.periods.map((p) => canonicalPeriod(p, effect.uid)));
          break;
        case 'put-counter':
          this.counterOps(effect.entry.uid).push(effect);
          break;
        case 'remove-counters':
          this.counterOps(effect.uid).push(effect);
          break;
        default:
          break;
      }
    }
  }

  getRole = () => this.base.getRole();
  getPrefs = () => this.base.getPrefs();
  listRequests = (uid: string) => this.base.listRequests(uid);
  hasSeen = (messageKey: string) => this.base.hasSeen(messageKey);

  async getObject(uid: string): Promise<StoredObject | undefined> {
    const staged = this.objects.get(uid);
    if (staged !== undefined) return staged ?? undefined;
    return this.base.getObject(uid);
  }

  async listCounters(uid: string): Promise<CounterEntry[]> {
    const ops = this.counters.get(uid);
    const base = await this.base.listCounters(uid);
    if (!ops) return base;
    let entries = base;
    for (const op of ops) {
      if (op.type === 'put-counter') {
        const e = op.entry;
        entries = [...entries.filter((c) => !(c.recurrenceId === e.recurrenceId && c.attendee === e.attendee)), e];
      } else {
        entries = entries.filter(
          (c) => !((op.recurrenceId === undefined || c.recurrenceId === op.recurrenceId) && (op.attendee === undefined || c.attendee === op.attendee)),
        );
      }
    }
    return entries.sort(compareCounters);
  }

  async freeBusy(query: Partial<TimeRange> = {}): Promise<Period[]> {
    const base = await this.base.freeBusy(query);
    if (this.periods.size === 0) return base;
    const from = query.from === undefined ? -Infinity : parseInstant(query.from);
    const to = query.to === undefined ? Infinity : parseInstant(query.to);
    const kept = base.filter((p) => !this.periods.has(p.uid));
    for (const periods of this.periods.values()) {
      for (const p of periods) if (parseInstant(p.start) < to && parseInstant(p.end) > from) kept.push(p);
    }
    return kept.sort(comparePeriods);
  }

  /** Busy time; once a UID's periods are staged, merged here from the staged periods and the stored ones. */
  async busyTime(range: TimeRange): Promise<BusyTime[]> {
    if (this.periods.size === 0) return this.base.busyTime(range);
    return mergeBusy(await this.freeBusy(range), parseInstant(range.from), parseInstant(range.to));
  }

  private counterOps(uid: string): CounterOp[] {
    let ops = this.counters.get(uid);
    if (!ops) this.counters.set(uid, (ops = []));
    return ops;
  }
}

/** Store.busyTime's answer from periods: per fbtype, overlapping or touching ones joined, cut to [from, to). */
function mergeBusy(periods: Period[], from: number, to: number): BusyTime[] {
  const parts = periods
    .map((p) => ({ fbtype: p.fbtype, start: Math.max(parseInstant(p.start), from), end: Math.min(parseInstant(p.end), to) }))
    .filter((p) => p.end > p.start)
    .sort((a, b) => compareText(a.fbtype, b.fbtype) || a.start - b.start || a.end - b.end);
  const out: Array<{ fbtype: Period['fbtype']; start: number; end: number }> = [];
  for (const part of parts) {
    const last = out[out.length - 1];
    if (last && last.fbtype === part.fbtype && part.start <= last.end) last.end = Math.max(last.end, part.end);
    else out.push({ ...part });
  }
  out.sort((a, b) => a.start - b.start || a.end - b.end || compareText(a.fbtype, b.fbtype));
  return out.map((b) => ({ start: formatUtc(b.start), end: formatUtc(b.end), fbtype: b.fbtype }));
}

/** As the store keeps it: UTC times in canonical form, the UID of the effect. */
function canonicalPeriod(p: Period, uid: string): Period {
  return { start: formatUtc(parseInstant(p.start)), end: formatUtc(parseInstant(p.end)), fbtype: p.fbtype, uid, recurrenceId: p.recurrenceId ?? null };
}

function compareRid(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  return compareText(a, b);
}

/** The order of Store.freeBusy: start, uid, recurrence id (master first), end, fbtype. */
function comparePeriods(p: Period, q: Period): number {
  return (
    parseInstant(p.start) - parseInstant(q.start) ||
    compareText(p.uid, q.uid) ||
    compareRid(p.recurrenceId, q.recurrenceId) ||
    parseInstant(p.end) - parseInstant(q.end) ||
    compareText(p.fbtype, q.fbtype)
  );
}

/** The order of Store.listCounters: recurrence id (master first), then attendee. */
function compareCounters(a: CounterEntry, b: CounterEntry): number {
  return compareText(a.uid, b.uid) || compareRid(a.recurrenceId, b.recurrenceId) || compareText(a.attendee, b.attendee);
}

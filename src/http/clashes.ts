// What a time clashes with in the user's own free/busy: the busy periods of
// their other events (RFC 5545 section 3.2.9 types) that overlap it. The
// pages read the periods once for all the times they ask about, then look
// each time up in memory.

import { parseInstant } from '../ical/times.js';
import type { FbType, Period } from '../itip/model.js';
import type { Store } from '../store/store.js';
import { formatUtc } from '../ical/times.js';

export interface Span {
  start: number;
  end: number;
  allDay: boolean;
}

export interface Clash {
  uid: string;
  recurrenceId: string | null;
  start: number;
  end: number;
  fbtype: FbType;
}

export class ClashFinder {
  private readonly starts: number[];
  private readonly ends: number[];
  /** The latest end among the periods up to each index: how far back a search must look. */
  private readonly reach: number[];

  constructor(private readonly periods: Period[]) {
    this.starts = periods.map((p) => parseInstant(p.start));
    this.ends = periods.map((p) => parseInstant(p.end));
    this.reach = [];
    let max = -Infinity;
    for (const end of this.ends) this.reach.push((max = Math.max(max, end)));
  }

  /** The own periods of other UIDs that overlap the span (start < its end, end > its start). */
  find(span: Span, exceptUid: string): Clash[] {
    // The first period that starts at or after the span's end; every overlap lies before it.
    let low = 0;
    let high = this.starts.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (this.starts[mid]! < span.end) low = mid + 1;
      else high = mid;
    }
    const found: Clash[] = [];
    for (let i = low - 1; i >= 0 && this.reach[i]! > span.start; i--) {
      const period = this.periods[i]!;
      if (this.ends[i]! > span.start && period.uid !== exceptUid) {
        found.push({ uid: period.uid, recurrenceId: period.recurrenceId, start: this.starts[i]!, end: this.ends[i]!, fbtype: period.fbtype });
      }
    }
    return found.reverse();
  }
}

/** A finder over the user's own periods in the range the spans cover (none read when there are no spans). */
export async function clashFinderFor(store: Store, user: string, spans: readonly Span[]): Promise<ClashFinder> {
  if (spans.length === 0) return new ClashFinder([]);
  let from = Infinity;
  let to = -Infinity;
  for (const span of spans) {
    from = Math.min(from, span.start);
    to = Math.max(to, span.end);
  }
  if (!(to > from)) to = from + 1;
  return new ClashFinder((await store.freeBusy(user, { from: formatUtc(from), to: formatUtc(to) })) as Period[]);
}

// The request queue as the requests page shows it (DESIGN.md, requests): for
// each invitation, what it would change in the user's calendar and what it
// clashes with in their own free/busy; the counter-proposals the user's events
// received; the refresh requests that wait for an answer.
//
// What an invitation changes: the stored copy holds the new version already
// (RFC 5546 section 3.2.2: a REQUEST updates the attendee's copy; the answer
// is what waits), so it is compared with the version before it, the previous
// REQUEST, ADD or PUBLISH of the UID in the scheduling inbox. Without one the
// invitation is new.

import ICAL from 'ical.js';
import { timeKey } from '../ical/calendar.js';
import { expandObject } from '../ical/expand.js';
import { parseInstant, propertyInstant, tzidOf } from '../ical/times.js';
import type { Zone } from '../ical/zones.js';
import type { CounterEntry, InboxItem, RequestEntry } from '../itip/model.js';
import type { Store } from '../store/store.js';
import { clashFinderFor, type Clash, type Span } from './clashes.js';
import { EventView, isCancelled, PAGE_EXPANSION_LIMITS, readEvent, singleLine } from './event-view.js';
import { DAY, type TimeText } from './time-text.js';

/** How far ahead the instances of a series are checked for clashes. */
export const CLASH_HORIZON_DAYS = 366;
/** The most instances of one series checked for clashes. */
const MAX_SPANS = 200;
/** The most items a list in a card names before "and N more". */
const LIST_MAX = 5;

export interface Card {
  entry: RequestEntry;
  event?: EventView;
  /** The instance the entry is about ('' for the whole event). */
  key: string;
  summary: string;
  /** The time shown: the instance, or the first upcoming instance of the event. */
  when?: Span;
  /** What would change, one line each. */
  changes: string[];
  /** The spans checked for clashes, and what they clash with. */
  spans: Span[];
  clashes: Clash[];
  /** Why the card cannot be answered here, if so. */
  problem?: string;
}

export interface CounterCard {
  counter: CounterEntry;
  event?: EventView;
  key: string;
  summary: string;
  current?: Span;
  proposed?: Span;
  comment: string;
  spans: Span[];
  clashes: Clash[];
  problem?: string;
}

export interface RequestQueue {
  /** Invitations (REQUEST, ADD) that wait for the user's answer. */
  invitations: Card[];
  counters: CounterCard[];
  /** REFRESH requests that wait for the organizer to send the current version. */
  refreshes: Card[];
  /** Anything else in the queue (a REPLY from someone not invited). */
  others: Card[];
}

const VERSION_METHODS = new Set(['REQUEST', 'ADD', 'PUBLISH']);

/** The span of one component by its own DTSTART and DTEND or DURATION. */
export function componentSpan(component: ICAL.Component, event: EventView): Span | undefined {
  const dtstart = component.getFirstProperty('dtstart');
  const start = propertyInstant(dtstart, event.zones);
  if (start === undefined) return undefined;
  const allDay = (dtstart!.getFirstValue() as ICAL.Time).isDate === true;
  const end = propertyInstant(component.getFirstProperty('dtend'), event.zones);
  if (end !== undefined) return { start, end: Math.max(start, end), allDay };
  const duration = component.getFirstPropertyValue('duration');
  if (duration instanceof ICAL.Duration) return { start, end: start + duration.toSeconds() * 1000, allDay };
  return { start, end: allDay ? start + DAY : start, allDay };
}

/** The span of an instance: its override, or the master's length from its recurrence id. */
export function instanceSpan(event: EventView, key: string): Span | undefined {
  const own = event.component(key);
  if (own) return componentSpan(own, event);
  const master = event.master;
  if (!master) return undefined;
  if (key === '') return componentSpan(master, event);
  const at = /^\d{4}-\d{2}-\d{2}$/.test(key) ? Date.parse(`${key}T00:00:00Z`) : parseInstant(key);
  if (Number.isNaN(at)) return undefined;
  const found = expandObject([master], event.zones, { from: at - DAY, to: at + 2 * DAY }, PAGE_EXPANSION_LIMITS).instances.find((i) => i.key === key);
  if (found) return { start: found.start, end: found.end, allDay: found.allDay };
  const length = componentSpan(master, event);
  return length ? { start: at, end: at + (length.end - length.start), allDay: length.allDay } : undefined;
}

/** Upcoming instances (not cancelled) within the horizon, for the clash check. */
function upcoming(event: EventView, key: string, now: number): { spans: Span[]; first?: Span } {
  if (key !== '') {
    const span = instanceSpan(event, key);
    const component = event.component(key);
    const cancelled = component ? isCancelled(component) : false;
    return { spans: span && !cancelled && span.end > now ? [span] : [], ...(span ? { first: span } : {}) };
  }
  const { instances } = event.instances({ from: now, to: now + CLASH_HORIZON_DAYS * DAY });
  const live = instances.filter((i) => i.end > now && !isCancelled(i.component));
  const spans = live.slice(0, MAX_SPANS).map((i) => ({ start: i.start, end: i.end, allDay: i.allDay }));
  const first = spans[0] ?? (instances[0] ? { start: instances[0].start, end: instances[0].end, allDay: instances[0].allDay } : undefined);
  return { spans, ...(first ? { first } : {}) };
}

function listed(items: string[]): string {
  const shown = items.slice(0, LIST_MAX).join('; ');
  return items.length > LIST_MAX ? `${shown}; and ${items.length - LIST_MAX} more` : shown;
}

function exdateKeys(component: ICAL.Component | undefined, event: EventView): Set<string> {
  const keys = new Set<string>();
  for (const prop of component?.getAllProperties('exdate') ?? []) {
    for (const value of prop.getValues()) {
      if (value instanceof ICAL.Time) keys.add(timeKey(value, tzidOf(prop), event.zones));
    }
  }
  return keys;
}

function keyText(key: string, event: EventView, time: TimeText): string {
  const span = instanceSpan(event, key);
  return span ? time.span(span.start, span.end, span.allDay) : key;
}

/** What the current version changes against the one before it, in lines a person reads. */
export function changesOf(current: EventView, previous: EventView | undefined, key: string, method: string, time: TimeText): string[] {
  const before = previous && (previous.component(key) ?? (key !== '' ? previous.master : undefined));
  if (!previous || !before) {
    const lines = [method === 'ADD' ? 'Adds instances to an event in your calendar' : key === '' ? 'New invitation' : 'New invitation to one instance of a series'];
    const cancelled = current.components.filter((c) => c.key !== '' && (key === '' || c.key === key) && isCancelled(c.component)).map((c) => keyText(c.key, current, time));
    if (cancelled.length > 0) lines.push(`Cancelled already: ${cancelled.length === 1 ? 'the instance' : 'the instances'} on ${listed(cancelled)}`);
    return lines;
  }
  const lines: string[] = [];
  const now = current.component(key) ?? current.master;
  const from = instanceSpan(previous, key);
  const to = instanceSpan(current, key);
  if (from && to && (from.start !== to.start || from.end !== to.end || from.allDay !== to.allDay)) {
    const what = key === '' && current.isRecurring ? 'The series moved (its first instance)' : 'Moved';
    lines.push(`${what}: from ${time.span(from.start, from.end, from.allDay)} to ${time.span(to.start, to.end, to.allDay)}`);
  }
  if (key === '' && now) {
    const rule = (c: ICAL.Component | undefined) => String(c?.getFirstPropertyValue('rrule') ?? '');
    if (rule(before) !== rule(now)) lines.push(rule(now) ? 'The repeat rule changed' : 'It no longer repeats');
    const removed = [...exdateKeys(now, current)].filter((k) => !exdateKeys(before, previous).has(k)).sort();
    if (removed.length > 0) lines.push(`Removes ${removed.length === 1 ? 'the instance' : 'the instances'} on ${listed(removed.map((k) => keyText(k, current, time)))}`);
  }
  const cancelled = current.components
    .filter((c) => c.key !== '' && (key === '' || c.key === key) && isCancelled(c.component))
    .filter((c) => {
      const old = previous.component(c.key);
      return !old || !isCancelled(old);
    })
    .map((c) => keyText(c.key, current, time));
  if (cancelled.length > 0) lines.push(`Cancels ${cancelled.length === 1 ? 'the instance' : 'the instances'} on ${listed(cancelled)}`);
  if (now) {
    const place = (e: EventView, c: ICAL.Component) => e.location(c);
    if (place(previous, before) !== place(current, now)) {
      lines.push(`The place changed: from ${JSON.stringify(place(previous, before) || 'none')} to ${JSON.stringify(place(current, now) || 'none')}`);
    }
    if (previous.summary(before) !== current.summary(now)) lines.push(`The title changed: it was ${JSON.stringify(previous.summary(before))}`);
  }
  if (lines.length === 0) lines.push('Updated; the time and the place are the same');
  return lines;
}

/** Inbox items of the given UIDs, oldest first. */
async function inboxByUid(store: Store, user: string, uids: Set<string>): Promise<Map<string, InboxItem[]>> {
  const byUid = new Map<string, InboxItem[]>();
  if (uids.size === 0) return byUid;
  for (const item of await store.listInbox(user)) {
    if (!uids.has(item.uid) || !VERSION_METHODS.has(item.method)) continue;
    const list = byUid.get(item.uid);
    if (list) list.push(item);
    else byUid.set(item.uid, [item]);
  }
  return byUid;
}

/** The version before the one that queued the entry: the latest earlier message that speaks of the instance. */
function previousVersion(items: InboxItem[] | undefined, entry: RequestEntry, key: string, floating: Zone | null): EventView | undefined {
  if (!items) return undefined;
  const received = parseInstant(entry.received);
  let tries = 0;
  for (let i = items.length - 1; i >= 0 && tries < 3; i--) {
    const item = items[i]!;
    if (!(parseInstant(item.received) < received)) continue;
    tries++;
    const view = readEvent({ uid: item.uid, ics: item.ics }, floating);
    if (view && (view.component(key) || view.master)) return view;
  }
  return undefined;
}

async function card(entry: RequestEntry, store: Store, user: string, floating: Zone | null, now: number): Promise<Card> {
  const key = entry.recurrenceId ?? '';
  const stored = await store.getObject(user, entry.uid);
  const base: Card = { entry, key, summary: '(no title)', changes: [], spans: [], clashes: [] };
  if (!stored) return { ...base, problem: 'The event is no longer in the calendar.' };
  const event = readEvent(stored, floating);
  if (!event) return { ...base, problem: 'The stored event cannot be read; the agent\'s log says why.' };
  const { spans, first } = upcoming(event, key, now);
  return { ...base, event, summary: event.summary(event.component(key) ?? event.reference), spans, ...(first ? { when: first } : {}) };
}

async function counterCard(counter: CounterEntry, store: Store, user: string, floating: Zone | null, now: number): Promise<CounterCard> {
  const key = counter.recurrenceId ?? '';
  const base: CounterCard = { counter, key, summary: '(no title)', comment: '', spans: [], clashes: [] };
  const proposal = readEvent({ uid: counter.uid, ics: counter.ics }, floating);
  const proposed = proposal && (proposal.component(key) ?? proposal.reference);
  const proposedSpan = proposal && proposed ? componentSpan(proposed, proposal) : undefined;
  const comment = proposed ? singleLine(String(proposed.getFirstPropertyValue('comment') ?? '')) : '';
  const stored = await store.getObject(user, counter.uid);
  const event = stored && readEvent(stored, floating);
  const withProposal = { ...base, comment, ...(proposedSpan ? { proposed: proposedSpan, spans: proposedSpan.end > now ? [proposedSpan] : [] } : {}) };
  if (!event) return { ...withProposal, problem: stored ? 'The stored event cannot be read.' : 'The event is no longer in the calendar.' };
  const current = instanceSpan(event, key);
  return { ...withProposal, event, summary: event.summary(event.component(key) ?? event.reference), ...(current ? { current } : {}) };
}

/** The whole queue of one user, with what each invitation changes and clashes with. */
export async function readQueue(store: Store, user: string, floating: Zone | null, now: number, time: TimeText): Promise<RequestQueue> {
  const queue: RequestQueue = { invitations: [], counters: [], refreshes: [], others: [] };
  const entries = await store.listRequests(user);
  const counters = await store.listCounters(user);
  const proposed = new Set(counters.map((c) => `${c.uid}\u0000${c.recurrenceId ?? ''}`));
  const invitationUids = new Set(entries.filter((e) => e.method === 'REQUEST' || e.method === 'ADD').map((e) => e.uid));
  const inbox = await inboxByUid(store, user, invitationUids);
  for (const entry of entries) {
    // A COUNTER's entry stands for the proposals kept in the counters list, shown from there.
    if (entry.method === 'COUNTER' && proposed.has(`${entry.uid}\u0000${entry.recurrenceId ?? ''}`)) continue;
    const built = await card(entry, store, user, floating, now);
    if (entry.method === 'REQUEST' || entry.method === 'ADD') {
      if (built.event) built.changes = changesOf(built.event, previousVersion(inbox.get(entry.uid), entry, built.key, floating), built.key, entry.method, time);
      queue.invitations.push(built);
    } else if (entry.method === 'REFRESH') {
      built.spans = [];
      queue.refreshes.push(built);
    } else {
      built.spans = [];
      queue.others.push(built);
    }
  }
  for (const counter of counters) queue.counters.push(await counterCard(counter, store, user, floating, now));

  const finder = await clashFinderFor(store, user, [...queue.invitations, ...queue.counters].flatMap((c) => c.spans));
  for (const item of [...queue.invitations, ...queue.counters]) {
    const uid = 'entry' in item ? item.entry.uid : item.counter.uid;
    const seen = new Set<string>();
    for (const span of item.spans) {
      for (const clash of finder.find(span, uid)) {
        const id = `${clash.uid}\u0000${clash.recurrenceId ?? ''}`;
        if (seen.has(id)) continue;
        seen.add(id);
        item.clashes.push(clash);
      }
    }
  }
  const byTime = (a: { when?: Span }, b: { when?: Span }) => (a.when?.start ?? Infinity) - (b.when?.start ?? Infinity);
  queue.invitations.sort((a, b) => byTime(a, b) || (a.entry.uid < b.entry.uid ? -1 : a.entry.uid > b.entry.uid ? 1 : 0));
  return queue;
}

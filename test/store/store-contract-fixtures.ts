// The data the Store contract suite writes and the orders it expects back,
// built from the model types, shared by the parts of the suite
// (store-contract-*.ts).

import type {
  CounterEntry,
  FbType,
  InboxItem,
  JournalEntry,
  OthersPeriod,
  OutboxItem,
  Period,
  RequestEntry,
  StoredObject,
} from '../../src/itip/model.js';
import type { Store, UserTx } from '../../src/store/store.js';

export const ALICE = 'mailto:alice@example.org';
export const BOB = 'mailto:bob@example.org';
export const CAROL = 'mailto:carol@example.org';

export const H = 60 * 60 * 1000;
export const D = 24 * H;
export const W = 7 * D;
/** 2026-03-10T00:00:00Z: the start of the query day in the free/busy tests. */
export const DAY = Date.UTC(2026, 2, 10);

export function iso(ms: number): string {
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}

export function icsOf(uid: string, sequence = 0): string {
  return [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'PRODID:-//itip-agent//store contract//EN',
    'BEGIN:VEVENT',
    `UID:${uid}`,
    `SEQUENCE:${sequence}`,
    'DTSTAMP:20260301T120000Z',
    'DTSTART:20260310T090000Z',
    'DTEND:20260310T100000Z',
    'SUMMARY:Contract',
    'END:VEVENT',
    'END:VCALENDAR',
    '',
  ].join('\r\n');
}

export function objectOf(uid: string, sequence = 0): StoredObject {
  return { uid, ics: icsOf(uid, sequence) };
}

export function period(uid: string, startMs: number, endMs: number, recurrenceId: string | null = null, fbtype: FbType = 'BUSY'): Period {
  return { start: iso(startMs), end: iso(endMs), fbtype, uid, recurrenceId };
}

export function othersPeriod(
  uid: string,
  participant: string,
  startMs: number,
  endMs: number,
  recurrenceId: string | null = null,
  fbtype: FbType = 'BUSY',
): OthersPeriod {
  return { start: iso(startMs), end: iso(endMs), fbtype, uid, recurrenceId, participant };
}

export function requestOf(uid: string, recurrenceId: string | null, method: RequestEntry['method'] = 'REQUEST', n = 0): RequestEntry {
  return { uid, recurrenceId, method, from: 'mailto:organizer@example.org', received: iso(DAY + n * 1000) };
}

export function counterOf(uid: string, recurrenceId: string | null, attendee: string, n = 0): CounterEntry {
  return { uid, recurrenceId, attendee, received: iso(DAY + n * 1000), ics: `${icsOf(uid, n)}X-PROPOSAL:${n}` };
}

export function inboxOf(id: string, receivedMs: number, uid = 'inbox-uid'): InboxItem {
  return {
    id,
    method: 'REQUEST',
    uid,
    from: 'mailto:organizer@example.org',
    received: iso(receivedMs),
    messageId: `<${id.length}-${receivedMs}@example.org>`,
    ics: icsOf(uid),
  };
}

export function outboxOf(id: string, user: string, createdMs: number, uid = 'outbox-uid'): OutboxItem {
  return {
    id,
    user,
    method: 'REPLY',
    uid,
    from: user,
    to: ['mailto:organizer@example.org', 'mailto:second@example.org'],
    state: 'unprocessed',
    attempts: 0,
    created: iso(createdMs),
    ics: icsOf(uid),
  };
}

export function journalOf(recipient: string, n: number, uid = 'journal-uid'): JournalEntry {
  return {
    messageId: `<message-${n}@example.org>`,
    recipient,
    method: 'REQUEST',
    uid,
    outcome: n % 2 === 0 ? 'applied' : 'stale',
    reason: `reason ${n}`,
    at: iso(DAY + n * 1000),
  };
}

/** Code-unit order, as the contract asks for every listing sorted by text. */
export function byText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function byRid(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  return byText(a, b);
}

/** The documented free/busy order: start, then uid, then recurrence id (master first), then participant. */
export function byPeriod(a: Period, b: Period): number {
  return (
    Date.parse(a.start) - Date.parse(b.start) ||
    byText(a.uid, b.uid) ||
    byRid(a.recurrenceId, b.recurrenceId) ||
    byText((a as Partial<OthersPeriod>).participant ?? '', (b as Partial<OthersPeriod>).participant ?? '')
  );
}

export function overlapping<P extends Period>(periods: P[], fromMs: number, toMs: number): P[] {
  return periods.filter((p) => Date.parse(p.start) < toMs && Date.parse(p.end) > fromMs).sort(byPeriod);
}

/** JSON with object keys sorted, so that equal data gives equal text whatever the key order. */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => byText(a, b)))
      : v,
  );
}

/** Settles a promise into a value at once, so that a rejection is never left unhandled. */
export function settle<T>(promise: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  return promise.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
}

/** Everything the read side of the Store shows about one user. */
export async function userSnapshot(store: Store, user: string) {
  return {
    user,
    role: await store.getRole(user),
    prefs: await store.getPrefs(user),
    objects: await store.listObjects(user),
    own: await store.freeBusy(user),
    others: await store.freeBusy(user, { others: true }),
    requests: await store.listRequests(user),
    counters: await store.listCounters(user),
    inbox: await store.listInbox(user),
    outbox: await store.listOutbox(user),
    journal: await store.listJournal(user),
  };
}

/** Everything the read side of the Store shows about these users. */
export async function snapshot(store: Store, users: string[]) {
  return {
    users: await store.listUsers(),
    outbox: await store.listOutbox(),
    journal: await store.listJournal(),
    perUser: await Promise.all(users.map((user) => userSnapshot(store, user))),
  };
}

/** One write of every kind for the user, tagged so that two users' data differ. */
export function fillUser(tx: UserTx, tag: string): void {
  tx.setRole('person');
  tx.setPref('LANG', `en-${tag}`);
  tx.setPref('TZID', 'Europe/Berlin');
  tx.putObject(objectOf(`${tag}-1`));
  tx.putObject({ ...objectOf(`${tag}-2`), replyMarks: { '': { [BOB]: { sequence: 2, dtstamp: '2026-03-01T12:00:00Z' } } } });
  tx.setOwnPeriods(`${tag}-1`, [period(`${tag}-1`, DAY + 9 * H, DAY + 10 * H), period(`${tag}-1`, DAY - 2 * W, DAY + W)]);
  tx.setOthersPeriods(`${tag}-2`, BOB, [othersPeriod(`${tag}-2`, BOB, DAY + 11 * H, DAY + 12 * H, null, 'BUSY-TENTATIVE')]);
  tx.putRequest(requestOf(`${tag}-1`, null));
  tx.putRequest(requestOf(`${tag}-1`, '2026-03-17T09:00:00Z', 'ADD', 1));
  tx.putCounter(counterOf(`${tag}-2`, null, BOB));
  tx.addInbox(inboxOf(`${tag}-inbox`, DAY));
  tx.addOutbox(outboxOf(`${tag}-outbox`, tx.user, DAY));
  tx.addJournal(journalOf(tx.user, 1, `${tag}-1`));
  tx.markSeen(`<${tag}@example.org> sha256:1`, iso(DAY));
}

/** Changes every kind of data of a user filled by fillUser. */
export function changeEverything(tx: UserTx, tag: string): void {
  tx.setRole('resource');
  tx.setPref('LANG', null);
  tx.setPref('CN', 'Changed');
  tx.putObject(objectOf(`${tag}-1`, 5));
  tx.deleteObject(`${tag}-2`);
  tx.putObject(objectOf(`${tag}-new`));
  tx.setOwnPeriods(`${tag}-1`, []);
  tx.setOwnPeriods(`${tag}-new`, [period(`${tag}-new`, DAY, DAY + H)]);
  tx.setOthersPeriods(`${tag}-2`, BOB, [othersPeriod(`${tag}-2`, BOB, DAY, DAY + H)]);
  tx.removeOthersPeriods(`${tag}-2`);
  tx.setOthersPeriods(`${tag}-new`, CAROL, [othersPeriod(`${tag}-new`, CAROL, DAY, DAY + H)]);
  tx.removeRequests(`${tag}-1`);
  tx.putRequest(requestOf(`${tag}-new`, null, 'COUNTER'));
  tx.removeCounters(`${tag}-2`);
  tx.putCounter(counterOf(`${tag}-new`, null, CAROL));
  tx.addInbox(inboxOf(`${tag}-inbox-2`, DAY + H));
  tx.addOutbox(outboxOf(`${tag}-outbox-2`, tx.user, DAY + H));
  tx.addJournal(journalOf(tx.user, 2));
  tx.markSeen('<changed@example.org> sha256:2', iso(DAY));
}

// ---------------------------------------------------------------------------

/** Whether the user's store has seen each of these message keys, read in a transaction. */
export function seenKeys(store: Store): (user: string, keys: string[]) => Promise<boolean[]> {
  return (user, keys) => store.transact(user, (tx) => keys.map((key) => tx.hasSeen(key)));
}

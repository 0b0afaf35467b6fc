// The inspection commands: objects, object, freebusy, requests, inbox, outbox,
// journal. Scripts drive them through --json, so each JSON row is built here
// key by key, in the order DESIGN.md lists, and every array is sorted (the
// journal and outbox in the order things happened).

import ICAL from 'ical.js';
import { describeObject } from '../../ical/describe.js';
import { addressLengthProblem, mailAddress, normalizeAddress, shortAddress } from '../../ical/address.js';
import { etagOf } from '../../itip/actions/action.js';
import type { InboxItem, JournalEntry, OthersPeriod, OutboxItem, Period, RequestEntry } from '../../itip/model.js';
import type { Store } from '../../store/store.js';
import { formatUtcSeconds } from '../../ical/times.js';
import { parseIsoInstant } from '../clock.js';
import { logger } from '../log.js';
import type { CommandContext } from '../main.js';
import { CliError, EXIT, errorText, printJson, printTable, usageError, writeStdout, type Column } from '../output.js';

interface InspectOptions {
  user?: string;
  json?: boolean;
}

/** Ascending order with null (a master, no recurrence id) first. */
function compareNullable(a: string | null | undefined, b: string | null | undefined): number {
  if (a === b) return 0;
  if (a == null) return -1;
  if (b == null) return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

function byKeys<T>(...keys: Array<(row: T) => string | null | undefined>): (a: T, b: T) => number {
  return (a, b) => {
    for (const key of keys) {
      const order = compareNullable(key(a), key(b));
      if (order !== 0) return order;
    }
    return 0;
  };
}

/**
 * A bare mail address after `mailto:`: one @, nothing a display name or a list
 * brings ("Alice <alice@example.com>", "a@x, b@y"). Without this check such a
 * value would become a calendar user of its own.
 */
const BARE_ADDRESS = /^[^\s<>()[\],;:"\\@]+@[^\s<>()[\],;:"\\@]+$/;

/** A calendar user address given on the command line, as a lower-case mailto: URI; a usage error otherwise. */
export function userAddress(value: string, option = '--user'): string {
  const address = normalizeAddress(value);
  if (!address || !BARE_ADDRESS.test(mailAddress(address))) {
    throw usageError(`${option} ${JSON.stringify(shortAddress(value))} is not a mail address; write it like alice@example.com`);
  }
  // Refused before anything is stored: such an address reaches no mailbox and
  // cannot name a maildir folder (RFC 5321 4.5.3.1).
  const tooLong = addressLengthProblem(address);
  if (tooLong) throw usageError(`${option} ${JSON.stringify(shortAddress(value))} is longer than a mail address may be: ${tooLong}`);
  return address;
}

export function unknownUserNote(user: string): string {
  return `no calendar user ${user} is known; add one with: itip-agent user add ${mailAddress(user)}`;
}

/** The store, or undefined (with a note) when there is none yet: inspecting must not create one. */
async function readableStore(context: CommandContext): Promise<Store | undefined> {
  if (context.storeExists()) return context.store();
  logger.warn(`there is no store at ${context.storeDir} yet; it is made by the first processed mail or by: itip-agent user add ADDR`, {
    store: context.storeDir,
  });
  return undefined;
}

async function isKnown(store: Store, user: string): Promise<boolean> {
  return (await store.getRole(user)) !== undefined || (await store.listUsers()).includes(user);
}

/** The store and user for a per-user listing, or undefined when the output is empty. */
async function forUser(context: CommandContext, value: string): Promise<{ store: Store; user: string } | undefined> {
  const user = userAddress(value);
  const store = await readableStore(context);
  if (!store) return undefined;
  if (!(await isKnown(store, user))) {
    logger.warn(unknownUserNote(user), { user });
    return undefined;
  }
  return { store, user };
}

async function emit<T>(options: InspectOptions, rows: T[], columns: Array<Column<T>>, nothing: string): Promise<void> {
  if (options.json) return printJson(rows);
  if (rows.length === 0) {
    logger.info(nothing);
    return;
  }
  return printTable(rows, columns);
}

// --- JSON shapes (key order is part of the contract) ---

export function journalJson(e: JournalEntry) {
  return { messageId: e.messageId, recipient: e.recipient, method: e.method, uid: e.uid, outcome: e.outcome, reason: e.reason, at: e.at };
}

function periodJson(p: Period | OthersPeriod, others: boolean) {
  const row: Record<string, unknown> = { start: p.start, end: p.end, fbtype: p.fbtype, uid: p.uid, recurrenceId: p.recurrenceId ?? null };
  if (others) row.participant = (p as OthersPeriod).participant;
  return row as { start: string; end: string; fbtype: string; uid: string; recurrenceId: string | null; participant?: string };
}

function requestJson(r: RequestEntry) {
  return { uid: r.uid, recurrenceId: r.recurrenceId ?? null, method: r.method, from: r.from, received: r.received };
}

function inboxJson(i: InboxItem) {
  return { id: i.id, method: i.method, uid: i.uid, from: i.from, received: i.received, messageId: i.messageId, ics: i.ics };
}

export interface OutboxJson {
  id: string;
  method: string;
  uid: string;
  from: string;
  to: string[];
  state: string;
  attempts: number;
  ics: string;
  created: string;
  status?: Record<string, string>;
  /** A notice of the agent to its user (notify_requests) rather than an iTIP message: its subject and text. */
  notice?: { subject: string; text: string };
}

/** An outbox item as `outbox --json` and the action commands print it. */
export function outboxJson(o: OutboxItem): OutboxJson {
  const row: OutboxJson = {
    id: o.id,
    method: o.method,
    uid: o.uid,
    from: o.from,
    to: o.to,
    state: o.state,
    attempts: o.attempts,
    ics: o.ics,
    created: o.created,
  };
  if (o.status !== undefined) row.status = o.status;
  if (o.notice !== undefined) row.notice = o.notice;
  return row;
}

// --- commands ---

export async function runObjects(context: CommandContext, options: InspectOptions): Promise<void> {
  const found = await forUser(context, options.user!);
  const rows: Array<ReturnType<typeof describeObject>[number] & { etag: string }> = [];
  if (found) {
    const tzid = (await found.store.getPrefs(found.user)).TZID;
    for (const object of await found.store.listObjects(found.user)) {
      try {
        // The version an action may name with --if-match: the object's, on each of its components.
        const etag = etagOf(object);
        rows.push(...describeObject(object.ics, tzid).map((component) => ({ ...component, etag })));
      } catch (error) {
        logger.warn(`the stored object ${object.uid} cannot be read: ${errorText(error)}`, { user: found.user, uid: object.uid });
      }
    }
  }
  const json = rows
    .map((c) => ({
      uid: c.uid,
      recurrenceId: c.recurrenceId,
      component: c.component,
      sequence: c.sequence,
      status: c.status,
      summary: c.summary,
      organizer: c.organizer,
      attendees: c.attendees.map((a) => ({ address: a.address, partstat: a.partstat })),
      start: c.start,
      end: c.end,
      rrule: c.rrule,
      exdates: c.exdates,
      etag: c.etag,
    }))
    .sort(byKeys((c) => c.uid, (c) => c.recurrenceId));
  await emit(options, json, [
    { title: 'UID', value: (c) => c.uid },
    { title: 'RECURRENCE-ID', value: (c) => c.recurrenceId },
    { title: 'SEQ', value: (c) => c.sequence },
    { title: 'STATUS', value: (c) => c.status },
    { title: 'START', value: (c) => c.start },
    { title: 'END', value: (c) => c.end },
    { title: 'RRULE', value: (c) => c.rrule },
    { title: 'SUMMARY', value: (c) => c.summary },
  ], 'no stored objects');
}

export async function runObject(context: CommandContext, uid: string, options: InspectOptions): Promise<void> {
  const user = userAddress(options.user!);
  const store = await readableStore(context);
  const object = await store?.getObject(user, uid);
  if (!object) {
    const known = store ? await isKnown(store, user) : false;
    const hint = known
      ? `list the stored UIDs with: itip-agent objects --user ${mailAddress(user)}`
      : unknownUserNote(user);
    throw new CliError(`no object with UID ${JSON.stringify(uid)} is stored for ${user}; ${hint}`, EXIT.FAILURE, { user, uid });
  }
  if (options.json) return printJson(ICAL.parse(object.ics));
  const text = object.ics.endsWith('\n') ? object.ics : `${object.ics}\r\n`;
  return writeStdout(text);
}

/** An ISO 8601 time for --from/--to (a date means its midnight UTC), as ISO 8601 UTC text. */
function timeOption(name: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  const ms = /^\d{4}-\d{2}-\d{2}$/.test(text) ? Date.parse(`${text}T00:00:00Z`) : parseIsoInstant(text);
  if (Number.isNaN(ms)) {
    throw usageError(`${name} ${JSON.stringify(value)} is not an ISO 8601 time; write it like 2026-12-01T09:00:00Z or 2026-12-01`);
  }
  return formatUtcSeconds(ms);
}

export async function runFreeBusy(
  context: CommandContext,
  options: InspectOptions & { others?: boolean; from?: string; to?: string },
): Promise<void> {
  const from = timeOption('--from', options.from);
  const to = timeOption('--to', options.to);
  if (from && to && from >= to) throw usageError(`--from ${from} is not before --to ${to}; give a range that ends after it starts`);
  const others = !!options.others;
  const found = await forUser(context, options.user!);
  const periods = found ? await found.store.freeBusy(found.user, { others, ...(from ? { from } : {}), ...(to ? { to } : {}) }) : [];
  const rows = periods
    .map((p) => periodJson(p, others))
    .sort(byKeys((p) => p.start, (p) => p.end, (p) => p.uid, (p) => p.recurrenceId, (p) => p.participant));
  const columns: Array<Column<(typeof rows)[number]>> = [
    { title: 'START', value: (p) => p.start },
    { title: 'END', value: (p) => p.end },
    { title: 'FBTYPE', value: (p) => p.fbtype },
    { title: 'UID', value: (p) => p.uid },
    { title: 'RECURRENCE-ID', value: (p) => p.recurrenceId },
  ];
  if (others) columns.push({ title: 'PARTICIPANT', value: (p) => p.participant });
  await emit(options, rows, columns, others ? 'no periods of others' : 'no busy periods');
}

export async function runRequests(context: CommandContext, options: InspectOptions): Promise<void> {
  const found = await forUser(context, options.user!);
  const rows = (found ? await found.store.listRequests(found.user) : [])
    .map(requestJson)
    .sort(byKeys((r) => r.uid, (r) => r.recurrenceId, (r) => r.received));
  await emit(options, rows, [
    { title: 'UID', value: (r) => r.uid },
    { title: 'RECURRENCE-ID', value: (r) => r.recurrenceId },
    { title: 'METHOD', value: (r) => r.method },
    { title: 'FROM', value: (r) => r.from },
    { title: 'RECEIVED', value: (r) => r.received },
  ], 'no requests waiting');
}

export async function runInbox(context: CommandContext, options: InspectOptions): Promise<void> {
  const found = await forUser(context, options.user!);
  const rows = (found ? await found.store.listInbox(found.user) : []).map(inboxJson).sort(byKeys((i) => i.received, (i) => i.id));
  await emit(options, rows, [
    { title: 'ID', value: (i) => i.id },
    { title: 'RECEIVED', value: (i) => i.received },
    { title: 'METHOD', value: (i) => i.method },
    { title: 'UID', value: (i) => i.uid },
    { title: 'FROM', value: (i) => i.from },
    { title: 'MESSAGE-ID', value: (i) => i.messageId },
  ], 'the scheduling inbox is empty');
}

/** Store for --user (or all users): undefined when the output is empty. */
async function forOptionalUser(context: CommandContext, value: string | undefined) {
  if (value !== undefined) return forUser(context, value);
  const store = await readableStore(context);
  return store ? { store, user: undefined } : undefined;
}

export async function runOutbox(context: CommandContext, options: InspectOptions): Promise<void> {
  const found = await forOptionalUser(context, options.user);
  const rows = (found ? await found.store.listOutbox(found.user) : []).map(outboxJson).sort(byKeys((o) => o.created, (o) => o.id));
  await emit(options, rows, [
    { title: 'ID', value: (o) => o.id },
    { title: 'CREATED', value: (o) => o.created },
    { title: 'STATE', value: (o) => o.state },
    { title: 'ATTEMPTS', value: (o) => o.attempts },
    // A notice (notify_requests) tells of a message; it is none itself.
    { title: 'METHOD', value: (o) => (o.notice ? `notice (${o.method})` : o.method) },
    { title: 'UID', value: (o) => o.uid },
    { title: 'FROM', value: (o) => o.from },
    { title: 'TO', value: (o) => o.to },
  ], 'the outbox is empty');
}

export async function runJournal(context: CommandContext, options: InspectOptions): Promise<void> {
  const found = await forOptionalUser(context, options.user);
  // The journal keeps the order it was written in: that order is its meaning.
  const rows = (found ? await found.store.listJournal(found.user) : []).map(journalJson);
  await emit(options, rows, [
    { title: 'AT', value: (e) => e.at },
    { title: 'RECIPIENT', value: (e) => e.recipient },
    { title: 'METHOD', value: (e) => e.method },
    { title: 'UID', value: (e) => e.uid },
    { title: 'OUTCOME', value: (e) => e.outcome },
    { title: 'MESSAGE-ID', value: (e) => e.messageId },
    { title: 'REASON', value: (e) => e.reason },
  ], 'the journal is empty');
}

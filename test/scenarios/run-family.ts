// Table-driven scenario tests. Each case is a folder under
// test/fixtures/scenarios/<family>/<case>/ with a case.json that lists the
// messages in order (an .ics wrapped into a plain iMIP mail, or a whole .eml),
// the outcome expected for each, and the expected state of users afterwards.
// The messages go through the real mail reader and core, and every family runs
// twice with the same cases and expectations: once on an LMDB store, once on a
// PostgreSQL store (a new database per case on the test run's own server,
// test/support/postgres.ts), so that both stores keep the same behaviour.

import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { processMail } from '../../src/agent/process-message.js';
import { describeObject } from '../../src/ical/describe.js';
import { normalizeAddress } from '../../src/ical/address.js';
import { openLmdbStore } from '../../src/store/open-store.js';
import { PgStore } from '../../src/store/pg-store.js';
import type { Store } from '../../src/store/store.js';
import { newPgDatabase } from '../support/postgres.js';

const SCENARIOS = join(import.meta.dirname, '..', 'fixtures', 'scenarios');

interface Step {
  /** An .ics (wrapped into a mail) or an .eml file of the case folder. */
  file: string;
  /** Header From and envelope sender. */
  from?: string;
  /** Envelope recipients (and the To header for .ics steps). */
  to: string[];
  outgoing?: boolean;
  /** Clock for this step; defaults to the case's `now`. */
  now?: string;
  /** The Content-Type `method` parameter for .ics steps; the calendar's METHOD by default. */
  methodParam?: string;
  /** Message-ID for .ics steps; a step-unique one by default. */
  messageId?: string;
  /** Expected journal entries of this step (subset of fields), in order. */
  journal?: Array<Record<string, unknown>>;
}

interface UserExpectation {
  objects?: unknown[];
  freebusy?: unknown[];
  others?: unknown[];
  requests?: unknown[];
  counters?: unknown[];
  inbox?: Array<Record<string, unknown>>;
  outbox?: Array<Record<string, unknown>>;
  /** Per UID: text the stored VCALENDAR must contain (unfolded), and must not. */
  stored?: Record<string, { contains?: string[]; lacks?: string[] } | null>;
}

interface Case {
  description: string;
  now: string;
  users?: Record<string, { role?: 'person' | 'resource'; prefs?: Record<string, string> }>;
  steps: Step[];
  expect: Record<string, UserExpectation>;
}

function wrapIcs(ics: string, step: Step, index: number, caseName: string): Buffer {
  const method = /^METHOD:(.*)$/im.exec(ics)?.[1]?.trim() ?? 'REQUEST';
  const messageId = step.messageId ?? `${caseName}-${index + 1}@scenario.test`;
  const headers = [
    `From: <${step.from ?? 'nobody@example.net'}>`,
    `To: ${step.to.map((t) => `<${t}>`).join(', ')}`,
    `Subject: ${method} (${caseName})`,
    `Message-ID: <${messageId}>`,
    'MIME-Version: 1.0',
    `Content-Type: text/calendar; charset=utf-8; method=${step.methodParam ?? method}`,
    'Content-Transfer-Encoding: 8bit',
  ];
  return Buffer.from(`${headers.join('\r\n')}\r\n\r\n${ics.replace(/\r?\n/g, '\r\n')}`);
}

function pick(record: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(keys.map((k) => [k, record[k]]));
}

async function stateOf(store: Store, user: string, wanted: UserExpectation) {
  const address = normalizeAddress(user)!;
  const tzid = (await store.getPrefs(address)).TZID;
  const state: Record<string, unknown> = {};
  if (wanted.objects) {
    state.objects = (await store.listObjects(address)).flatMap((o) => describeObject(o.ics, tzid));
  }
  if (wanted.stored) {
    const stored: Record<string, unknown> = {};
    for (const [uid, check] of Object.entries(wanted.stored)) {
      const object = await store.getObject(address, uid);
      stored[uid] = object ? check : null;
      if (!object || !check) continue;
      const text = object.ics.replace(/\r\n[ \t]/g, '');
      for (const part of check.contains ?? []) expect(text, `stored ${uid}`).toContain(part);
      for (const part of check.lacks ?? []) expect(text, `stored ${uid}`).not.toContain(part);
    }
    state.stored = stored;
  }
  if (wanted.freebusy) state.freebusy = await store.freeBusy(address);
  if (wanted.others) state.others = await store.freeBusy(address, { others: true });
  if (wanted.requests) state.requests = await store.listRequests(address);
  if (wanted.counters) state.counters = (await store.listCounters(address)).map((c) => pick(c as never, ['uid', 'recurrenceId', 'attendee']));
  if (wanted.inbox) {
    state.inbox = (await store.listInbox(address)).map((item, i) => pick(item as never, Object.keys(wanted.inbox![i] ?? { method: 1, uid: 1, from: 1 })));
  }
  if (wanted.outbox) {
    state.outbox = (await store.listOutbox(address)).map((item, i) => {
      const keys = Object.keys(wanted.outbox![i] ?? { method: 1, uid: 1, to: 1 });
      const picked = pick(item as never, keys.filter((k) => k !== 'icsContains'));
      if (keys.includes('icsContains')) picked.icsContains = wanted.outbox![i].icsContains;
      const contains = (wanted.outbox![i]?.icsContains as string[] | undefined) ?? [];
      for (const text of contains) expect(item.ics.replace(/\r\n[ \t]/g, '')).toContain(text);
      return picked;
    });
  }
  return state;
}

/** The store implementations every family runs on. */
export type StoreKind = 'LMDB' | 'PostgreSQL';
export const STORE_KINDS: readonly StoreKind[] = ['LMDB', 'PostgreSQL'];

/** A new, empty store of `kind`, and how to close it and remove what it left. */
async function openCaseStore(kind: StoreKind): Promise<{ store: Store; dispose: () => Promise<void> }> {
  if (kind === 'PostgreSQL') {
    const store = await PgStore.open(await newPgDatabase());
    return { store, dispose: () => store.close() };
  }
  const dir = await mkdtemp(join(tmpdir(), 'itip-scenario-'));
  const store = openLmdbStore(dir);
  return {
    store,
    dispose: async () => {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Called after each step of a case with the store, the step and its clock. */
export type AfterStep = (store: Store, step: { index: number; file: string; now: number }) => Promise<void>;

/**
 * Runs the messages of a case in a new store of `kind` (LMDB unless told),
 * checking each step's journal; then the expected state, unless `checkState`
 * is false (a caller that looks at something else after each step).
 */
export async function runCase(folder: string, caseName: string, afterStep?: AfterStep, checkState = true, kind: StoreKind = 'LMDB'): Promise<void> {
  const spec = JSON.parse(await readFile(join(folder, 'case.json'), 'utf8')) as Case;
  const { store, dispose } = await openCaseStore(kind);
  try {
    for (const [user, setup] of Object.entries(spec.users ?? {})) {
      await store.transact(normalizeAddress(user)!, (tx) => {
        tx.setRole(setup.role ?? 'person');
        for (const [key, value] of Object.entries(setup.prefs ?? {})) tx.setPref(key, value);
      });
    }
    for (const [index, step] of spec.steps.entries()) {
      const text = await readFile(join(folder, step.file));
      const raw = step.file.endsWith('.eml') ? text : wrapIcs(text.toString('utf8'), step, index, caseName);
      const now = Date.parse(step.now ?? spec.now);
      const result = await processMail(store, raw, { recipients: step.to, sender: step.from, outgoing: step.outgoing }, now);
      if (step.journal) {
        const entries = result.users.flatMap((u) => u.entries);
        const got = entries.map((entry, i) => pick(entry as never, Object.keys(step.journal![i] ?? { outcome: 1 })));
        expect(got, `journal of step ${index + 1} (${step.file})`).toEqual(step.journal);
      }
      await afterStep?.(store, { index, file: step.file, now });
    }
    if (!checkState) return;
    for (const [user, wanted] of Object.entries(spec.expect)) {
      expect(await stateOf(store, user, wanted), `state of ${user}`).toEqual(wanted);
    }
  } finally {
    await dispose();
  }
}

/**
 * One describe block per family and store, one test per case folder: a
 * failure's name says the family, the store and the case.
 */
export function runFamily(family: string): void {
  const root = join(SCENARIOS, family);
  const cases = existsSync(root) ? readdirSyncSorted(root) : [];
  for (const kind of STORE_KINDS) {
    describe(`scenarios: ${family} on ${kind}`, () => {
      it('has cases', () => expect(cases.length).toBeGreaterThan(0));
      for (const name of cases) {
        it(name, async () => runCase(join(root, name), name, undefined, true, kind));
      }
    });
  }
}

/** Every family of scenario fixtures, discovered at collection time. */
export function families(): string[] {
  return readdirSyncSorted(SCENARIOS);
}

/** The case folders of a family, discovered at collection time. */
export function familyCases(family: string): string[] {
  const root = join(SCENARIOS, family);
  return existsSync(root) ? readdirSyncSorted(root).map((name) => join(root, name)) : [];
}

/** Case folders, discovered at collection time. */
function readdirSyncSorted(root: string): string[] {
  return readdirSync(root).filter((n) => statSync(join(root, n)).isDirectory()).sort();
}

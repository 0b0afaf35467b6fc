// The Store contract run on the embedded LMDB store, plus what only LMDB has:
// several processes sharing one store folder, a process killed right after a
// commit, and the on-disk format check.
//
// The child processes run the built JavaScript (dist/), not the TypeScript
// sources: `npm test` builds before running vitest.

import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { open, type Database, type Key, type RootDatabase } from 'lmdb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LmdbStore } from '../../src/store/lmdb-store.js';
import { migrate } from '../../src/store/lmdb-migrate.js';
import type { StoreDbs } from '../../src/store/lmdb-user-tx.js';
import type { JournalEntry } from '../../src/itip/model.js';
import type { Store } from '../../src/store/store.js';
import { describeStoreContract } from './store-contract.js';
import { describeCalDavStoreContract } from './store-caldav-contract.js';
import { describeOptimisticStoreContract } from './store-optimistic-contract.js';
import { describeOutboxCopyStoreContract } from './store-outbox-copy-contract.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const BUILT_STORE = join(ROOT, 'dist/store/lmdb-store.js');

const base = mkdtempSync(join(tmpdir(), 'itip-agent-store-test-'));
let folders = 0;
function newFolder(): string {
  return join(base, `store-${++folders}`);
}

afterAll(() => {
  rmSync(base, { recursive: true, force: true });
});

describeStoreContract('LmdbStore', {
  open: () => new LmdbStore(newFolder()),
  async reopen(store: Store): Promise<Store> {
    const dir = (store as LmdbStore).dir;
    await store.close();
    return new LmdbStore(dir);
  },
});

describeCalDavStoreContract('LmdbStore', { open: () => new LmdbStore(newFolder()) });

describeOutboxCopyStoreContract('LmdbStore', { open: () => new LmdbStore(newFolder()) });

describeOptimisticStoreContract('LmdbStore', {
  open: () => new LmdbStore(newFolder()),
  async reopen(store: Store): Promise<Store> {
    const dir = (store as LmdbStore).dir;
    await store.close();
    return new LmdbStore(dir);
  },
});

/** Fails early, and says why, when dist/ is missing or older than the store sources. */
function checkBuilt(): void {
  const src = join(ROOT, 'src/store');
  for (const file of readdirSync(src).filter((name) => name.endsWith('.ts'))) {
    const built = join(ROOT, 'dist/store', file.replace(/\.ts$/, '.js'));
    if (!existsSync(built) || statSync(built).mtimeMs < statSync(join(src, file)).mtimeMs) {
      throw new Error(`${built} is missing or older than src/store/${file}: run \`npm run build\` first`);
    }
  }
}

interface Child {
  process: ChildProcess;
  /** Resolves with the first stdout line that equals `line`. */
  waitFor(line: string): Promise<void>;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
}

/** Runs an ES module script with `node -e`; `env` reaches it as process.env. */
function runChild(script: string, env: Record<string, string>): Child {
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    env: { ...process.env, STORE_MODULE: pathToFileURL(BUILT_STORE).href, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const waiters: Array<{ line: string; resolve: () => void }> = [];
  const check = (): void => {
    const lines = stdout.split('\n');
    for (const waiter of [...waiters]) {
      if (lines.includes(waiter.line)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
  };
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    check();
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((done) => {
    child.on('exit', (code, signal) => done({ code, signal, stderr }));
  });
  return {
    process: child,
    waitFor: (line) =>
      new Promise<void>((resolveWait, rejectWait) => {
        waiters.push({ line, resolve: resolveWait });
        check();
        void exit.then((result) => rejectWait(new Error(`child exited (${result.code ?? result.signal}) before "${line}": ${result.stderr}`)));
      }),
    exit,
  };
}

const ICS = 'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//itip-agent//store test//EN\r\nEND:VCALENDAR\r\n';

describe('LmdbStore across processes', () => {
  beforeAll(checkBuilt);

  it('keeps a commit of a process killed right after transact resolved', async () => {
    const dir = newFolder();
    // After the first commit, the child keeps writing so that the kill lands
    // in the middle of later transactions.
    const script = `
      const { LmdbStore } = await import(process.env.STORE_MODULE);
      const store = new LmdbStore(process.env.STORE_DIR);
      const user = 'mailto:killed@example.org';
      const ics = ${JSON.stringify(ICS)};
      const journal = (uid) => ({ messageId: '<' + uid + '@example.org>', recipient: user, method: 'REQUEST', uid, outcome: 'applied', reason: '', at: '2026-03-10T00:00:00Z' });
      await store.transact(user, (tx) => {
        tx.setRole('resource');
        tx.putObject({ uid: 'before-kill', ics });
        tx.setOwnPeriods('before-kill', [{ start: '2026-03-10T09:00:00Z', end: '2026-03-10T10:00:00Z', fbtype: 'BUSY', uid: 'before-kill', recurrenceId: null }]);
        tx.addJournal(journal('before-kill'));
        tx.markSeen('<before-kill@example.org>', '2026-03-10T00:00:00Z');
      });
      process.stdout.write('committed\\n');
      for (let i = 0; ; i++) {
        await store.transact(user, (tx) => {
          tx.putObject({ uid: 'after-' + i, ics: ics + 'X'.repeat(20000) });
          tx.addJournal(journal('after-' + i));
        });
      }
    `;
    const child = runChild(script, { STORE_DIR: dir });
    await child.waitFor('committed');
    child.process.kill('SIGKILL');
    const { signal } = await child.exit;
    expect(signal).toBe('SIGKILL');

    const store = new LmdbStore(dir);
    try {
      const user = 'mailto:killed@example.org';
      expect(await store.getRole(user)).toBe('resource');
      expect(await store.getObject(user, 'before-kill')).toStrictEqual({ uid: 'before-kill', ics: ICS });
      expect(await store.freeBusy(user)).toStrictEqual([
        { start: '2026-03-10T09:00:00Z', end: '2026-03-10T10:00:00Z', fbtype: 'BUSY', uid: 'before-kill', recurrenceId: null },
      ]);
      // Whatever later transactions made it, each one is whole: its object and its journal entry.
      const objects = (await store.listObjects(user)).map((object) => object.uid);
      const journal = (await store.listJournal(user)).map((entry) => entry.uid);
      expect(journal[0]).toBe('before-kill');
      const later = journal.slice(1);
      expect(later).toStrictEqual(later.map((_, i) => `after-${i}`));
      expect([...objects].sort()).toStrictEqual([...journal].sort());
      // The killed process holds no lock that blocks the next writer.
      expect(await store.transact(user, (tx) => tx.hasSeen('<before-kill@example.org>'))).toBe(true);
      await store.transact(user, (tx) => tx.putObject({ uid: 'next', ics: ICS }));
      expect(await store.getObject(user, 'next')).toStrictEqual({ uid: 'next', ics: ICS });
    } finally {
      await store.close();
    }
  });

  it('loses nothing when two processes write at the same time, and never repeats a journal number', async () => {
    const dir = newFolder();
    const perChild = 50;
    const script = `
      const { LmdbStore } = await import(process.env.STORE_MODULE);
      const store = new LmdbStore(process.env.STORE_DIR);
      const id = process.env.CHILD_ID;
      process.stdout.write('ready\\n');
      await new Promise((go) => process.stdin.once('data', go));
      for (let i = 0; i < ${perChild}; i++) {
        const user = 'mailto:w' + id + '-' + i + '@example.org';
        const uid = 'w' + id + '-' + i;
        await store.transact(user, (tx) => {
          tx.setRole('person');
          tx.putObject({ uid, ics: ${JSON.stringify(ICS)} });
          tx.addJournal({ messageId: '<' + uid + '@example.org>', recipient: user, method: 'REQUEST', uid, outcome: 'applied', reason: '', at: '2026-03-10T00:00:00Z' });
        });
      }
      await store.close();
      process.stdout.write('done\\n');
      process.exit(0);
    `;
    const children = ['a', 'b'].map((id) => runChild(script, { STORE_DIR: dir, CHILD_ID: id }));
    await Promise.all(children.map((child) => child.waitFor('ready')));
    for (const child of children) child.process.stdin!.write('go\n');
    const exits = await Promise.all(children.map((child) => child.exit));
    expect(exits.map(({ code, stderr }) => ({ code, stderr }))).toStrictEqual([
      { code: 0, stderr: '' },
      { code: 0, stderr: '' },
    ]);

    const store = new LmdbStore(dir);
    try {
      const journal = await store.listJournal();
      expect(journal).toHaveLength(2 * perChild);
      for (const id of ['a', 'b']) {
        // Each writer's entries appear in the order it wrote them.
        expect(journal.filter((entry) => entry.uid.startsWith(`w${id}-`)).map((entry) => entry.uid)).toStrictEqual(
          Array.from({ length: perChild }, (_, i) => `w${id}-${i}`),
        );
        for (let i = 0; i < perChild; i++) {
          const user = `mailto:w${id}-${i}@example.org`;
          expect(await store.getRole(user)).toBe('person');
          expect(await store.listObjects(user)).toStrictEqual([{ uid: `w${id}-${i}`, ics: ICS }]);
          expect((await store.listJournal(user)).map((entry) => entry.uid)).toStrictEqual([`w${id}-${i}`]);
        }
      }
      expect(await store.listUsers()).toHaveLength(2 * perChild);
      // The numbering goes on after both writers: a new entry is appended, not overwriting.
      await store.transact('mailto:last@example.org', (tx) =>
        tx.addJournal({ messageId: '<last@example.org>', recipient: 'mailto:last@example.org', method: 'REPLY', uid: 'last', outcome: 'applied', reason: '', at: '2026-03-10T00:00:00Z' }),
      );
      expect((await store.listJournal()).map((entry) => entry.uid)).toStrictEqual([...journal.map((entry) => entry.uid), 'last']);
    } finally {
      await store.close();
    }
  });
});

describe('LmdbStore folder', () => {
  it('is a directory even when its name has a dot in it', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'itip-store-dot-'));
    try {
      const dir = join(parent, 'itip-agent.d');
      const store = new LmdbStore(dir);
      await store.transact('mailto:alice@example.com', (tx) => tx.setRole('person'));
      await store.close();
      expect(readdirSync(dir).sort()).toEqual(['data.mdb', 'lock.mdb']);
    } finally {
      rmSync(parent, { recursive: true, force: true });
    }
  });

  it('refuses a store written in another format, and opens it again once the format matches', async () => {
    const dir = newFolder();
    const first = new LmdbStore(dir);
    await first.transact('mailto:alice@example.org', (tx) => tx.setRole('person'));
    await first.close();

    const raw = open({ path: dir, maxDbs: 32 });
    const meta = raw.openDB<number, string>('meta', {});
    const current = meta.get('format');
    expect(typeof current).toBe('number');
    await meta.put('format', current! + 1);
    await raw.close();

    expect(() => new LmdbStore(dir)).toThrow(`has format ${current! + 1}`);

    const again = open({ path: dir, maxDbs: 32 });
    await again.openDB<number, string>('meta', {}).put('format', current!);
    await again.close();

    const reopened = new LmdbStore(dir);
    try {
      expect(await reopened.getRole('mailto:alice@example.org')).toBe('person');
    } finally {
      await reopened.close();
    }
  });

  /** A new folder opened with plain lmdb-js, to write a store the way an earlier format did. */
  const rawStore = () => {
    const dir = newFolder();
    const raw = open({ path: dir, maxDbs: 32 });
    const db = (name: string) => raw.openDB<unknown, Key>(name, { encoding: 'json' });
    return { dir, raw, db };
  };

  /** Journal databases as formats 3 and 4 wrote them: seq -> {user, entry}, [user, seq], [user, message key] -> time. */
  const oldJournal = (ALICE: string, BOB: string) => {
    const entry = (recipient: string, uid: string) => ({ messageId: `<${uid}@x>`, recipient, method: 'REQUEST', uid, outcome: 'applied', reason: 'r', at: '2026-03-10T00:00:00Z' });
    const entries = [entry(ALICE, 'a1'), entry(BOB, 'b1'), entry(ALICE, 'a2')];
    const write = (db: (name: string) => Database<unknown, Key>, meta: Database<number, string>) => {
      entries.forEach((e, i) => {
        db('journal').putSync(i + 1, { user: e.recipient, entry: e });
        db('journal-by-user').putSync([e.recipient, i + 1], true);
      });
      meta.putSync('journal-seq', entries.length);
      db('seen-messages').putSync([ALICE, 'incoming:<a1@x>:d1'], '2026-03-10T00:00:00Z');
      db('seen-messages').putSync([BOB, 'incoming:<b1@x>:d2'], '2026-03-10T00:00:00Z');
    };
    return { entries, write };
  };

  /** What a moved journal must show: every entry in order, per user, the marks of mails seen, and a next number. */
  async function expectJournalMoved(store: LmdbStore, ALICE: string, BOB: string, entries: JournalEntry[]): Promise<void> {
    expect(await store.listJournal()).toStrictEqual(entries);
    expect(await store.listJournal(ALICE)).toStrictEqual([entries[0], entries[2]]);
    expect(await store.listJournal(BOB)).toStrictEqual([entries[1]]);
    const seen = await store.transact(ALICE, (tx) => [tx.hasSeen('incoming:<a1@x>:d1'), tx.hasSeen('incoming:<b1@x>:d2')]);
    expect(seen).toStrictEqual([true, false]);
    expect(await store.transact(BOB, (tx) => tx.hasSeen('incoming:<b1@x>:d2'))).toBe(true);
    const next = { ...entries[1]!, uid: 'b2' };
    await store.transact(BOB, (tx) => tx.addJournal(next));
    expect(await store.listJournal()).toStrictEqual([...entries, next]);
  }

  it('moves a format-3 store to the current format, keeping every period, once', async () => {
    // A store as the previous version wrote it: periods one record each, with
    // the period as the value, and per-UID lists of their keys.
    const { dir, raw, db } = rawStore();
    const ALICE = 'mailto:alice@example.org';
    const LONG_UID = `long-${'x'.repeat(200)}`; // kept as a digest in keys
    const digest = (text: string) => `${text.slice(0, 64)}\u007f${createHash('sha256').update(text, 'utf16le').digest('hex')}`;
    const own = [
      { start: '2026-12-01T09:00:00Z', end: '2026-12-01T10:00:00Z', fbtype: 'BUSY', uid: 'weekly', recurrenceId: '2026-12-01T09:00:00Z' },
      { start: '2026-12-08T09:00:00Z', end: '2026-12-08T10:00:00Z', fbtype: 'BUSY', uid: 'weekly', recurrenceId: '2026-12-08T09:00:00Z' },
      { start: '2026-12-02T00:00:00Z', end: '2026-12-03T00:00:00Z', fbtype: 'BUSY-TENTATIVE', uid: LONG_UID, recurrenceId: null },
    ];
    const others = [
      { start: '2026-12-01T09:00:00Z', end: '2026-12-01T10:00:00Z', fbtype: 'BUSY', uid: 'weekly', recurrenceId: '2026-12-01T09:00:00Z', participant: 'mailto:bob@example.org' },
      { start: '2026-12-08T09:00:00Z', end: '2026-12-08T10:00:00Z', fbtype: 'BUSY', uid: 'weekly', recurrenceId: '2026-12-08T09:00:00Z', participant: 'mailto:bob@example.org' },
    ];
    const uidK = (uid: string) => (uid.length > 128 ? digest(uid) : uid);
    const ownKey = (p: (typeof own)[number]) => [ALICE, 0, Date.parse(p.start), Date.parse(p.end), uidK(p.uid), p.recurrenceId ?? 0, p.fbtype];
    const othersKey = (p: (typeof others)[number]) => [ALICE, 0, Date.parse(p.start), Date.parse(p.end), p.uid, p.recurrenceId ?? 0, p.participant, p.fbtype];
    const BOB = 'mailto:bob@example.org';
    const journal = oldJournal(ALICE, BOB);
    await raw.transaction(() => {
      raw.openDB<number, string>('meta', {}).putSync('format', 3);
      journal.write(db, raw.openDB<number, string>('meta', {}));
      db('users').putSync(ALICE, { user: ALICE, role: 'person' });
      for (const p of own) db('freebusy-own').putSync(ownKey(p), p);
      db('freebusy-own-by-uid').putSync([ALICE, 'weekly'], own.slice(0, 2).map(ownKey));
      db('freebusy-own-by-uid').putSync([ALICE, uidK(LONG_UID)], [ownKey(own[2]!)]);
      for (const p of others) db('freebusy-others').putSync(othersKey(p), p);
      db('freebusy-others-by-uid').putSync([ALICE, 'weekly', 'mailto:bob@example.org'], others.map(othersKey));
    });
    await raw.close();

    const store = new LmdbStore(dir);
    try {
      expect(await store.freeBusy(ALICE)).toStrictEqual([own[0], own[2], own[1]]);
      expect(await store.freeBusy(ALICE, { others: true })).toStrictEqual(others);
      expect(await store.freeBusy(ALICE, { from: '2026-12-05T00:00:00Z', to: '2026-12-10T00:00:00Z' })).toStrictEqual([own[1]]);
      // The moved periods are replaced and removed like any others.
      await store.transact(ALICE, (tx) => {
        tx.setOwnPeriods('weekly', [own[1]! as never]);
        tx.removeOthersPeriods('weekly');
      });
      expect(await store.freeBusy(ALICE)).toStrictEqual([own[2], own[1]]);
      expect(await store.freeBusy(ALICE, { others: true })).toStrictEqual([]);
      await expectJournalMoved(store, ALICE, BOB, journal.entries as JournalEntry[]);
    } finally {
      await store.close();
    }

    // The old databases are gone and the format is the current one: opening again changes nothing.
    const after = open({ path: dir, maxDbs: 32 });
    const names = [...after.getKeys()].filter((name) => typeof name === 'string');
    for (const gone of ['freebusy-own', 'freebusy-others-by-uid', 'journal', 'journal-by-user', 'seen-messages']) expect(names).not.toContain(gone);
    expect(after.openDB<number, string>('meta', {}).get('format')).toBe(7);
    await after.close();
    const again = new LmdbStore(dir);
    try {
      expect(await again.freeBusy(ALICE)).toStrictEqual([own[2], own[1]]);
    } finally {
      await again.close();
    }

    // A process that lost the race to migrate read format 3 before another one
    // moved the store: it finds the format moved on, moves nothing and makes no
    // old database again.
    const late = new LmdbStore(dir);
    try {
      const { root, dbs } = late as unknown as { root: RootDatabase; dbs: StoreDbs };
      migrate(root, dbs, 5);
      expect([...root.getKeys()]).not.toContain('freebusy-own');
      expect([...root.getKeys()]).not.toContain('freebusy-others-by-uid');
      expect([...root.getKeys()]).not.toContain('journal-by-user');
      expect(await late.freeBusy(ALICE)).toStrictEqual([own[2], own[1]]);
      expect((await late.listJournal(BOB)).map((entry) => entry.uid)).toStrictEqual(['b1', 'b2']);
    } finally {
      await late.close();
    }
  });

  it('moves a format-4 store to the current format: others\' periods in compact records, the journal in one database', async () => {
    // Format 4 wrote others' periods out in full, one record per UID and
    // participant, beside an extent index that format 5 keeps as it is.
    const { dir, raw, db } = rawStore();
    const ALICE = 'mailto:alice@example.org';
    const BOB = 'mailto:bob@example.org';
    const LONG_UID = `long-${'y'.repeat(200)}`;
    const digest = (text: string) => `${text.slice(0, 64)}\u007f${createHash('sha256').update(text, 'utf16le').digest('hex')}`;
    const weekly = [
      { start: '2026-12-01T09:00:00Z', end: '2026-12-01T10:00:00Z', fbtype: 'BUSY', uid: 'weekly', recurrenceId: '2026-12-01T09:00:00Z', participant: BOB },
      { start: '2026-12-08T09:30:00Z', end: '2026-12-08T10:00:00Z', fbtype: 'BUSY-TENTATIVE', uid: 'weekly', recurrenceId: '2026-12-08T09:00:00Z', participant: BOB },
    ];
    const allDay = [{ start: '2026-12-24T00:00:00Z', end: '2026-12-25T00:00:00Z', fbtype: 'X-OWN-TYPE', uid: LONG_UID, recurrenceId: '2026-12-24', participant: BOB }];
    const journal = oldJournal(ALICE, BOB);
    await raw.transaction(() => {
      const meta = raw.openDB<number, string>('meta', {});
      meta.putSync('format', 4);
      journal.write(db, meta);
      db('users').putSync(ALICE, { user: ALICE, role: 'person' });
      db('others-periods').putSync([ALICE, 'weekly', BOB], { periods: weekly });
      // Band 1: the extent is longer than a week.
      db('others-extents').putSync([ALICE, 1, Date.parse(weekly[0]!.start), Date.parse(weekly[1]!.end), 'weekly', BOB], true);
      db('others-periods').putSync([ALICE, digest(LONG_UID), BOB], { periods: allDay });
      db('others-extents').putSync([ALICE, 0, Date.parse(allDay[0]!.start), Date.parse(allDay[0]!.end), digest(LONG_UID), BOB], true);
    });
    await raw.close();

    const store = new LmdbStore(dir);
    try {
      expect(await store.freeBusy(ALICE, { others: true })).toStrictEqual([...weekly, ...allDay]);
      expect(await store.freeBusy(ALICE, { others: true, from: '2026-12-08T00:00:00Z', to: '2026-12-09T00:00:00Z' })).toStrictEqual([weekly[1]]);
      await expectJournalMoved(store, ALICE, BOB, journal.entries as JournalEntry[]);
      // A moved record is replaced like any other: its old extent goes with it.
      await store.transact(ALICE, (tx) => tx.setOthersPeriods('weekly', BOB, [weekly[0]! as never]));
      expect(await store.freeBusy(ALICE, { others: true, from: '2026-12-08T00:00:00Z', to: '2026-12-09T00:00:00Z' })).toStrictEqual([]);
      expect(await store.freeBusy(ALICE, { others: true })).toStrictEqual([weekly[0], ...allDay]);
    } finally {
      await store.close();
    }
    const after = open({ path: dir, maxDbs: 32 });
    const names = [...after.getKeys()].filter((name) => typeof name === 'string');
    for (const gone of ['others-periods', 'journal', 'journal-by-user', 'seen-messages']) expect(names).not.toContain(gone);
    expect(after.openDB<number, string>('meta', {}).get('format')).toBe(7);
    await after.close();
  });

  it('moves a format-5 store to the current format: the outbox items still to send are found by due time', async () => {
    const { dir, raw, db } = rawStore();
    const ALICE = 'mailto:alice@example.org';
    const item = (id: string, state: string, created: string, nextAttempt?: string) => ({
      id, user: ALICE, method: 'REPLY', uid: `uid-${id}`, from: ALICE, to: ['mailto:boss@example.org'], state, attempts: nextAttempt ? 1 : 0, created, ics: 'BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n',
      ...(nextAttempt ? { nextAttempt } : {}),
    });
    const items = [
      item('new', 'unprocessed', '2026-03-10T09:00:00Z'),
      item('retry-soon', 'unprocessed', '2026-03-10T08:00:00Z', '2026-03-10T10:00:00Z'),
      item('retry-later', 'unprocessed', '2026-03-10T07:00:00Z', '2026-03-10T12:00:00Z'),
      item('sent', 'processed', '2026-03-10T06:00:00Z'),
      item('given-up', 'failed', '2026-03-10T05:00:00Z', '2026-03-10T09:00:00Z'),
    ];
    await raw.transaction(() => {
      raw.openDB<number, string>('meta', {}).putSync('format', 5);
      for (const each of items) {
        db('outbox').putSync(each.id, each);
        db('outbox-by-user').putSync([ALICE, each.id], true);
      }
    });
    await raw.close();

    const store = new LmdbStore(dir);
    try {
      expect((await store.listDueOutbox('2026-03-10T11:00:00Z')).map((o) => o.id)).toStrictEqual(['retry-soon', 'new']);
      expect((await store.listDueOutbox('2026-03-10T12:00:00Z')).map((o) => o.id)).toStrictEqual(['retry-later', 'retry-soon', 'new']);
      expect(await store.listOutbox(ALICE)).toHaveLength(5);
    } finally {
      await store.close();
    }
    const after = open({ path: dir, maxDbs: 32 });
    expect(after.openDB<number, string>('meta', {}).get('format')).toBe(7);
    await after.close();
  });

  // lmdb-js shares one environment per folder within a process, so this works.
  // Each instance reads from a snapshot that it renews once per event-loop turn
  // (its own commits renew it at once): the other instance's commit shows from
  // the next turn on, which is what a separate process sees too.
  const nextTurn = (): Promise<void> => new Promise((resolveTurn) => setTimeout(resolveTurn, 1));

  it('can be opened by two instances in one process, each seeing the other and surviving its close', async () => {
    const dir = newFolder();
    const one = new LmdbStore(dir);
    const two = new LmdbStore(dir);
    try {
      await one.transact('mailto:alice@example.org', (tx) => tx.setRole('person'));
      await nextTurn();
      expect(await two.getRole('mailto:alice@example.org')).toBe('person');
      await Promise.all([
        one.transact('mailto:alice@example.org', (tx) => tx.addJournal({ messageId: '<1@x>', recipient: 'mailto:alice@example.org', method: 'REQUEST', uid: 'u1', outcome: 'applied', reason: '', at: '2026-03-10T00:00:00Z' })),
        two.transact('mailto:bob@example.org', (tx) => tx.addJournal({ messageId: '<2@x>', recipient: 'mailto:bob@example.org', method: 'REQUEST', uid: 'u2', outcome: 'applied', reason: '', at: '2026-03-10T00:00:00Z' })),
      ]);
      await nextTurn();
      expect((await one.listJournal()).map((entry) => entry.uid).sort()).toStrictEqual(['u1', 'u2']);
      expect((await two.listJournal()).map((entry) => entry.uid).sort()).toStrictEqual(['u1', 'u2']);
      await one.close();
      await two.transact('mailto:bob@example.org', (tx) => tx.setRole('resource'));
      expect(await two.listUsers()).toStrictEqual(['mailto:alice@example.org', 'mailto:bob@example.org']);
    } finally {
      await one.close();
      await two.close();
    }
  });
});

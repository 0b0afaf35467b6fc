// The in-process benchmark: per-mail cost of processMail in a warm process (read,
// schedule, one durable transaction) against the floor of mailparser + ical.js +
// one durable LMDB commit on the same store, mail by mail in turns. On the
// real-client mix (bench/generate.mjs), and on the old mix as a row of its own.

import { rmSync } from 'node:fs';
import { NOW, NOW_MS, envelopeOf, median, scratch, userOf } from './common.mjs';
import { generateClientMails, generateMails } from './generate.mjs';

/** The parsing part of the floor: mailparser, then ical.js for each calendar part. */
export async function parseOnly(mail, { simpleParser, ICAL }) {
  const parsed = await simpleParser(mail.raw, { skipHtmlToText: true, skipTextToHtml: true, skipTextLinks: true, skipImageLinks: true });
  for (const attachment of parsed.attachments) {
    if (attachment.contentType === 'text/calendar') ICAL.parse(attachment.content.toString('utf8'));
  }
}

/** The floor of one mail: mailparser, ical.js, one durable commit. */
async function floorMail(store, mail, index, libs) {
  await parseOnly(mail, libs);
  await store.transact(userOf(mail), (tx) => tx.markSeen(`floor-${index}`, NOW));
}

/**
 * Per-mail cost of two ways of handling the same mails, taken in turns mail
 * by mail, so that both see the same state of a shared machine (its page
 * cache, its other load) rather than one the first half and the other the next.
 */
async function timeInTurns(mails, first, second) {
  const totals = [0n, 0n];
  for (const [index, mail] of mails.entries()) {
    for (const [which, each] of [first, second].entries()) {
      const start = process.hrtime.bigint();
      await each(mail, index);
      totals[which] += process.hrtime.bigint() - start;
    }
  }
  return totals.map((total) => Number(total) / 1e6 / mails.length);
}

export async function timePerMail(mails, each) {
  const start = process.hrtime.bigint();
  for (const [index, mail] of mails.entries()) await each(mail, index);
  return Number(process.hrtime.bigint() - start) / 1e6 / mails.length;
}

/** The store's databases by path ('objects', 'own.byTime', ...), each once. */
function databasesOf(store) {
  const found = new Map();
  const walk = (node, path) => {
    for (const [name, value] of Object.entries(node)) {
      if (value && typeof value.putSync === 'function') {
        if (![...found.values()].includes(value)) found.set(path + name, value);
      } else if (value && typeof value === 'object' && !(value instanceof Map)) walk(value, `${path}${name}.`);
    }
  };
  walk(store.dbs, '');
  return found;
}

/**
 * Runs the mails through processMail on `store`, recording for each mail the
 * writes its transaction made: [[database path, 'putSync' | 'removeSync', key, value]].
 */
async function recordWrites(store, mails, processMail) {
  const current = { ops: undefined };
  for (const [path, db] of databasesOf(store)) {
    for (const op of ['putSync', 'removeSync']) {
      const original = db[op].bind(db);
      db[op] = (key, value) => {
        current.ops?.push([path, op, structuredClone(key), structuredClone(value)]);
        return original(key, value);
      };
    }
  }
  const recorded = [];
  for (const m of mails) {
    current.ops = [];
    await processMail(store, m.raw, envelopeOf(m), NOW_MS);
    recorded.push(current.ops);
  }
  current.ops = undefined;
  return recorded;
}

export async function benchInProcess(libs) {
  const { LmdbStore, processMail } = libs;
  const runs = [];
  const each = (store) => (m) => processMail(store, m.raw, envelopeOf(m), NOW_MS);
  for (let r = 0; r < 5; r++) {
    const stores = [];
    const open = () => {
      const dir = scratch('core');
      const store = new LmdbStore(dir);
      stores.push({ dir, store });
      return store;
    };
    try {
      // Mails first that are not timed: the cost of a mail in a running agent
      // is measured, after V8 has compiled the hot code (the pipe benchmark
      // measures the cold start of one process per mail).
      const warmup = generateClientMails(300, 900 + r);
      const mails = generateClientMails(600, 11 + r);
      const store = open();
      for (const m of warmup) await each(store)(m);
      const [agentMs, floorMs] = await timeInTurns(mails, each(store), (m, i) => floorMail(store, m, i + r * 1000, libs));

      // The reference: the floor's parsing, then a commit of exactly the writes
      // the agent made for that mail, on a store in the same state.
      const recording = open();
      for (const m of warmup) await each(recording)(m);
      const writes = await recordWrites(recording, mails, processMail);
      const replay = open();
      for (const m of warmup) await each(replay)(m);
      const dbs = databasesOf(replay);
      const writesMs = await timePerMail(mails, async (m, i) => {
        await parseOnly(m, libs);
        await replay.transact(userOf(m), () => {
          for (const [path, op, key, value] of writes[i]) dbs.get(path)[op](key, value);
        });
      });

      // The old mix (small bench-shaped mails), on a store of its own.
      const old = open();
      for (const m of generateMails(300, 900 + r)) await each(old)(m);
      const [oldAgentMs, oldFloorMs] = await timeInTurns(generateMails(600, 11 + r), each(old), (m, i) => floorMail(old, m, i + r * 1000, libs));
      runs.push({ agentMs, floorMs, writesMs, oldAgentMs, oldFloorMs });
    } finally {
      for (const { dir, store } of stores) {
        await store.close();
        rmSync(dir, { recursive: true, force: true });
      }
    }
  }
  const at = (key) => median(runs.map((r) => r[key]));
  const ratio = median(runs.map((r) => r.agentMs / r.floorMs));
  const writesRatio = median(runs.map((r) => r.writesMs / r.floorMs));
  const oldRatio = median(runs.map((r) => r.oldAgentMs / r.oldFloorMs));
  const floor = (ms) => `${ms.toFixed(2)} ms (parse + ical + commit)`;
  return [
    { id: 'in-process', name: 'in-process: per mail, real-client mix', figure: `${at('agentMs').toFixed(2)} ms`, floor: floor(at('floorMs')), ratio, target: '<= 1.3', met: ratio <= 1.3, agentMs: at('agentMs'), floorMs: at('floorMs'), runs },
    { id: 'in-process-writes', name: "in-process reference: the agent's writes", figure: `${at('writesMs').toFixed(2)} ms`, floor: floor(at('floorMs')), ratio: writesRatio, target: '-', met: null, writesMs: at('writesMs') },
    { id: 'in-process-old-mix', name: 'in-process: per mail, old mix', figure: `${at('oldAgentMs').toFixed(2)} ms`, floor: floor(at('oldFloorMs')), ratio: oldRatio, target: '<= 1.5', met: oldRatio <= 1.5, agentMs: at('oldAgentMs'), floorMs: at('oldFloorMs') },
  ];
}

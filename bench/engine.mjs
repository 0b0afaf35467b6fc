// The engine benchmark: per message, parse + schedule + serialise, without the
// store, through the entry points the agent itself uses (dist/agent/
// calendar-messages.js, dist/itip/schedule.js; the serialised objects and
// messages are in the effects schedule() returns). By method, on the
// real-client mix (bench/generate.mjs).
//
// Each message is run against what its user had stored just before it, so the
// stream is first replayed once through the same calls with an in-memory map of
// stored objects; every message can then be rerun alone, as often as wanted.
//
// With SABRE_VOBJECT=DIR (a checkout of sabre-io/vobject, sabre-io/xml and
// sabre-io/uri beside it, and `php` on the PATH), sabre's ITip\Broker runs the
// same message texts against the same stored texts in one PHP process
// (bench/sabre-broker.php), in blocks that alternate with ours.
//
// Also the VTIMEZONE ratio: the same invitations with and without their
// VTIMEZONE (TZIDs then resolved from the Olson or Windows name), interleaved.
//
// bench/profile-engine.mjs profiles our side alone on one kind of message.

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { generateClientMails } from './generate.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const NOW_MS = Date.parse('2026-11-15T12:00:00Z');
const dist = (path) => import(pathToFileURL(join(ROOT, 'dist', path)).href);
const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const mean = (values) => values.reduce((a, b) => a + b, 0) / values.length;

/** The agent's own entry points, from the build. */
export async function loadEngine() {
  const { readMail } = await dist('mail/read-mail.js');
  const { readCalendarMessages } = await dist('agent/calendar-messages.js');
  const { senderFacts, targetUsers } = await dist('agent/process-message.js');
  const { DEFAULT_AGENT_POLICY } = await dist('agent/policy.js');
  const { schedule } = await dist('itip/schedule.js');
  return { readMail, readCalendarMessages, senderFacts, targetUsers, schedule, policy: DEFAULT_AGENT_POLICY };
}

/**
 * One message for one user, as handleForUser in src/agent/process-message.ts
 * runs it: parse the calendar parts, then schedule() each UID against what is
 * stored. Returns the outcomes (their effects hold the serialised texts).
 */
export function runCase(engine, c) {
  const calendars = engine.readCalendarMessages(c.parts, engine.policy.messageLimits);
  const outcomes = [];
  for (const message of calendars.messages) {
    for (const [uid, components] of message.units) {
      outcomes.push([uid, engine.schedule({
        method: message.method, uid, components, message: message.vcalendar, user: c.user, role: 'person', prefs: {},
        stored: c.stored.get(uid), counters: [], sender: c.sender, direction: c.direction, now: NOW_MS,
        expansionLimits: engine.policy.expansionLimits,
      })]);
    }
  }
  return outcomes;
}

/**
 * The cases of a mail stream: each mail for each user it changes, with the
 * stored objects of its UIDs as they were just before it. Labels: 'REQUEST'
 * (nothing stored yet), 'REQUEST update', 'REPLY', 'CANCEL', 'outgoing'.
 */
export async function prepareCases(engine, mails) {
  const objects = new Map();
  const cases = [];
  const outcomes = {};
  for (const item of mails) {
    const mail = await engine.readMail(item.raw, { maxCalendarBytes: engine.policy.maxCalendarBytes });
    const envelope = { recipients: [item.recipient], sender: item.sender, outgoing: item.outgoing };
    const sender = engine.senderFacts(mail, item.sender, engine.policy, {});
    for (const user of engine.targetUsers(mail, envelope)) {
      const own = objects.get(user) ?? new Map();
      objects.set(user, own);
      const uids = engine.readCalendarMessages(mail.calendars, engine.policy.messageLimits).messages.flatMap((m) => [...m.units.keys()]);
      const stored = new Map(uids.filter((uid) => own.has(uid)).map((uid) => [uid, structuredClone(own.get(uid))]));
      const c = { item, user, uids, parts: mail.calendars, sender, direction: item.outgoing ? 'outgoing' : 'incoming', stored };
      const results = runCase(engine, c);
      const method = item.method;
      c.label = item.outgoing ? 'outgoing' : method === 'REQUEST' && results.some(([uid]) => stored.has(uid)) ? 'REQUEST update' : method;
      for (const [, result] of results) {
        const key = `${c.label}: ${result.outcome}`;
        outcomes[key] = (outcomes[key] ?? 0) + 1;
        for (const effect of result.effects) {
          if (effect.type === 'put-object') own.set(effect.object.uid, effect.object);
          if (effect.type === 'delete-object') own.delete(effect.uid);
        }
      }
      cases.push(c);
    }
  }
  return { cases, outcomes };
}

/** A case with its calendar parts' VTIMEZONEs taken out. */
export function withoutTimezones(c) {
  const strip = (text) => text.replace(/BEGIN:VTIMEZONE\r?\n[\s\S]*?END:VTIMEZONE\r?\n/g, '');
  return { ...c, parts: c.parts.map((part) => ({ ...part, text: strip(part.text) })) };
}

function timeOne(engine, c) {
  const start = process.hrtime.bigint();
  runCase(engine, c);
  return Number(process.hrtime.bigint() - start) / 1e6;
}

// --- sabre -------------------------------------------------------------------

/** Where sabre is, or why it cannot run: {dir} or {missing}. */
export function sabreSetup(env = process.env) {
  const dir = env.SABRE_VOBJECT;
  if (!dir) return { missing: 'SABRE_VOBJECT is not set (see bench/README.md for how to get sabre/vobject)' };
  const lib = (name) => join(env[`SABRE_${name.toUpperCase()}`] ?? join(dir, '..', name), 'lib');
  for (const [name, path] of [['vobject', join(dir, 'lib')], ['xml', lib('xml')], ['uri', lib('uri')]]) {
    if (!existsSync(path)) return { missing: `${path} (sabre/${name}) does not exist; see bench/README.md` };
  }
  return { dir: resolve(dir) };
}

/** A PHP process running bench/sabre-broker.php --serve: load(messages), run(indices) -> ms each. */
async function startSabre(setup) {
  const child = spawn('php', [join(ROOT, 'bench/sabre-broker.php'), '--serve'], {
    env: { ...process.env, SABRE_VOBJECT: setup.dir },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const failed = new Promise((_, reject) => {
    child.once('error', (error) => reject(new Error(`php could not be started (${error.message}); install php-cli (apt-get install php-cli php-mbstring)`)));
    child.once('exit', (code) => reject(new Error(`bench/sabre-broker.php exited ${code}`)));
  });
  failed.catch(() => {});
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const ask = async (command) => {
    child.stdin.write(JSON.stringify(command) + '\n');
    const { value, done } = await Promise.race([lines.next(), failed]);
    if (done) throw new Error('bench/sabre-broker.php stopped answering');
    return JSON.parse(value);
  };
  return {
    load: (messages) => ask({ load: messages }),
    run: async (indices) => (await ask({ run: indices })).ns.map((ns) => ns / 1e6),
    close: () => child.stdin.end(),
  };
}

/** What sabre gets for a case: the message text, the stored text, the user (RFC 6638 recipient). */
const sabreMessage = (c) => ({ label: c.label, ics: c.parts[0].text, existing: c.stored.get(c.uids[0])?.ics ?? null, recipient: c.user });

// --- the benchmark -------------------------------------------------------------

const LABELS = ['REQUEST', 'REQUEST update', 'REPLY', 'CANCEL', 'outgoing'];
const TARGET_SPEEDUP = 5;

/**
 * Rows for bench/run.mjs. Per label: the mean over its messages of each one's
 * median time; beside it sabre's on the same messages, taken in alternating
 * blocks in the same rounds.
 */
export async function benchEngine({ count = 400, rounds = 12, block = 20 } = {}) {
  const engine = await loadEngine();
  const { cases, outcomes } = await prepareCases(engine, generateClientMails(count, 31));
  const setup = sabreSetup();
  const sabre = setup.dir ? await startSabre(setup) : undefined;
  // Only incoming REQUEST, REPLY and CANCEL have a sabre counterpart (Broker::processMessage).
  const compared = cases.map((c, i) => (sabre && c.label !== 'outgoing' && c.parts.length === 1 && c.uids.length === 1 ? i : -1)).filter((i) => i >= 0);
  const sabreIndex = new Map(compared.map((caseIndex, i) => [caseIndex, i]));
  let sabreOutcomes;
  if (sabre) sabreOutcomes = (await sabre.load(compared.map((i) => sabreMessage(cases[i])))).outcomes;

  const zoned = cases
    .map((c, i) => [c, i])
    .filter(([c]) => c.label === 'REQUEST' && c.parts.some((p) => p.text.includes('BEGIN:VTIMEZONE')));
  const bare = new Map(zoned.map(([c, i]) => [i, withoutTimezones(c)]));
  const ours = cases.map(() => []);
  const theirs = cases.map(() => []);
  const bareTimes = new Map(zoned.map(([, i]) => [i, []]));

  try {
    for (let round = -2; round < rounds; round++) {
      // Two untimed rounds first: V8 compiles, PHP loads its classes.
      for (let from = 0; from < cases.length; from += block) {
        const indices = cases.slice(from, from + block).map((_, j) => from + j);
        const runOurs = () => {
          for (const i of indices) {
            // With and without VTIMEZONE alternate within the block, in turns.
            const pair = bare.get(i);
            const odd = Math.abs(round % 2) === 1;
            const bareFirst = pair && odd ? timeOne(engine, pair) : undefined;
            const ms = timeOne(engine, cases[i]);
            const bareMs = pair && !odd ? timeOne(engine, pair) : bareFirst;
            if (round < 0) continue;
            ours[i].push(ms);
            if (pair) bareTimes.get(i).push(bareMs);
          }
        };
        const runTheirs = async () => {
          const mine = indices.filter((i) => sabreIndex.has(i));
          if (mine.length === 0) return;
          const ms = await sabre.run(mine.map((i) => sabreIndex.get(i)));
          if (round >= 0) mine.forEach((i, j) => theirs[i].push(ms[j]));
        };
        if ((round + from / block) % 2) {
          runOurs();
          if (sabre) await runTheirs();
        } else {
          if (sabre) await runTheirs();
          runOurs();
        }
      }
    }
  } finally {
    sabre?.close();
  }

  const rows = [];
  for (const label of LABELS) {
    const indices = cases.map((c, i) => (c.label === label ? i : -1)).filter((i) => i >= 0);
    if (indices.length === 0) continue;
    const oursMs = mean(indices.map((i) => median(ours[i])));
    const withSabre = indices.filter((i) => theirs[i].length > 0);
    const sabreMs = withSabre.length ? mean(withSabre.map((i) => median(theirs[i]))) : undefined;
    const oursSameMs = withSabre.length ? mean(withSabre.map((i) => median(ours[i]))) : undefined;
    const ratio = sabreMs ? oursSameMs / sabreMs : null;
    rows.push({
      id: `engine-${label.toLowerCase().replace(' ', '-')}`,
      name: `engine: ${label} (${indices.length} msgs)`,
      figure: `${oursMs.toFixed(3)} ms`,
      floor: sabreMs ? `${sabreMs.toFixed(3)} ms (sabre Broker)` : label === 'outgoing' ? '-' : '- (no SABRE_VOBJECT)',
      ratio,
      target: label === 'outgoing' ? '-' : `<= ${(1 / TARGET_SPEEDUP).toFixed(2)} (${TARGET_SPEEDUP}x)`,
      met: ratio === null ? null : ratio <= 1 / TARGET_SPEEDUP,
      oursMs, sabreMs, speedup: sabreMs ? sabreMs / oursSameMs : null, messages: indices.length,
    });
  }
  for (const [kind, test] of [['Olson', (c) => !/TZID:[^\r\n]*Standard Time/.test(c.parts[0].text)], ['Windows', (c) => /TZID:[^\r\n]*Standard Time/.test(c.parts[0].text)]]) {
    const picked = zoned.filter(([c]) => test(c)).map(([, i]) => i);
    if (picked.length === 0) continue;
    const withMs = mean(picked.map((i) => median(ours[i])));
    const withoutMs = mean(picked.map((i) => median(bareTimes.get(i))));
    const ratio = median(picked.map((i) => median(ours[i]) / median(bareTimes.get(i))));
    rows.push({
      id: `engine-vtimezone-${kind.toLowerCase()}`,
      name: `engine: REQUEST with VTIMEZONE, ${kind} TZID (${picked.length})`,
      figure: `${withMs.toFixed(3)} ms`, floor: `${withoutMs.toFixed(3)} ms (same, no VTIMEZONE)`,
      ratio, target: kind === 'Olson' ? '<= 1.2' : '-', met: kind === 'Olson' ? ratio <= 1.2 : null, withMs, withoutMs,
    });
  }
  // Not a row of the table: what each side made of the messages, for results.json.
  rows.push({ id: 'engine-outcomes', detail: true, outcomes, sabreOutcomes, sabre: setup.dir ?? setup.missing });
  return rows;
}

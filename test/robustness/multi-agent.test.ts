// Two `itip-agent serve` processes on one store, one SIGKILL of each along the
// way, end where one clean single-process run of the same mails ends, and
// every reply the agents send goes out once (DESIGN: several agents on one
// store; issue 19's check): on one LMDB directory, and on one PostgreSQL
// database with a restart of the database server among the faults.

import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mailAddress } from '../../src/ical/address.js';
import { outboxMessageId } from '../../src/mail/compose-outbox-item.js';
import type { OutboxItem } from '../../src/itip/model.js';
import { openStore } from '../../src/store/open-store.js';
import { newPgDatabase, restartPg } from '../support/postgres.js';
import { ROOT } from '../cli/run-cli.js';
import { runAgents, type Fault, type RunResult } from './multi-agent-cluster.js';
import { mailMix } from './multi-agent-delivery.js';
import { differences, endState, tally, type UserState } from './multi-agent-state.js';

const MAILS = Number(process.env.ITIP_AGENT_TEST_MAILS ?? 5000);
const { deliveries, rooms } = mailMix(await import(join(ROOT, 'bench/generate.mjs')), MAILS, 19, 45, 5);

const scratch = mkdtempSync(join(tmpdir(), 'itip-multi-agent-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A fresh directory under the scratch one. */
function directory(name: string): string {
  const path = join(scratch, name);
  mkdirSync(path);
  return path;
}

async function readState(spec: string): Promise<{ state: UserState[]; outbox: OutboxItem[] }> {
  const store = await openStore(spec);
  try {
    return { state: await endState(store), outbox: await store.listOutbox() };
  } finally {
    await store.close();
  }
}

let clean: { state: UserState[]; outbox: OutboxItem[]; run: RunResult };
beforeAll(async () => {
  // The reference: one agent, no faults (4 connections: the order the delivery keeps makes the end state one).
  const store = directory('clean');
  const run = await runAgents({ store, dir: directory('clean-config'), deliveries, rooms, agents: 1, connections: 4 });
  clean = { ...(await readState(store)), run };
}, 900_000);

/** What every run of the plan must show against the clean one. */
async function expectLikeClean(store: string, run: RunResult): Promise<void> {
  const { state, outbox } = await readState(store);
  // What differs, by user and part (with the texts), before the counts say how much.
  expect(differences(state, clean.state)).toEqual([]);
  expect(tally(state)).toEqual(tally(clean.state));
  for (const [i, user] of state.entries()) expect(user, user.user).toEqual(clean.state[i]);
  expect(state.length).toBe(clean.state.length);

  // Every item sent, and each of its recipients got it exactly once (the sink
  // says which agent's sender sent each copy: slot 0, 1, or the final queue run).
  expect(outbox.filter((item) => item.state !== 'processed')).toEqual([]);
  const senders = new Map<string, string[]>();
  for (const message of run.sink.accepted) {
    for (const to of message.to) senders.set(`${message.messageId} ${to}`, [...(senders.get(`${message.messageId} ${to}`) ?? []), message.slot]);
  }
  expect(Object.fromEntries([...senders].filter(([, slots]) => slots.length > 1)), 'sent more than once, by these senders').toEqual({});
  const expected = outbox.flatMap((item) => item.to.map((to) => `${outboxMessageId(item)} ${mailAddress(to).toLowerCase()}`));
  expect([...senders.keys()].sort()).toEqual(expected.sort());
}

/**
 * Two agents with 4 LMTP connections each on `store`, a SIGKILL of each (at
 * 30% and 65% of the mails) and the given further faults; `expectedErrors`:
 * the error log records those faults explain.
 */
async function twoAgents(store: string, name: string, more: Fault[] = [], expectedErrors?: RegExp): Promise<RunResult> {
  const faults: Fault[] = [{ at: Math.floor(deliveries.length * 0.3), kill: 0 }, { at: Math.floor(deliveries.length * 0.65), kill: 1 }, ...more];
  const run = await runAgents({ store, dir: directory(`${name}-config`), deliveries, rooms, agents: 2, connections: 4, faults, expectedErrors });
  console.info(`${name}, two agents: ${MAILS} mails (${deliveries.length} LMTP transactions) in ${run.seconds.toFixed(1)} s`, { transactions: run.stats.transactions, cut: run.stats.cut, deferred: run.stats.deferred }, run.happened, `sent at the end: ${run.sentAtEnd}`, `held at a kill: ${run.sink.dropped.length}`);
  expect(run.happened).toHaveLength(faults.length);
  // One user's mails reach both agents: the agents, not the delivery, keep
  // each user's commits apart (every user with 10 mails or more; all of them
  // at 5,000 mails).
  const [first, second] = run.stats.usersByHost;
  const mails = new Map<string, number>();
  for (const delivery of deliveries) for (const to of delivery.recipients) mails.set(to, (mails.get(to) ?? 0) + 1);
  const busy = clean.state.map((u) => u.user.replace(/^mailto:/, '')).filter((user) => (mails.get(user) ?? 0) >= 10);
  expect(busy.length).toBeGreaterThan(0);
  expect(busy.filter((user) => !first!.has(user) || !second!.has(user))).toEqual([]);
  return run;
}

describe('two agents on one store', () => {
  it('the clean run answers every mail and sends the rooms\' replies', () => {
    expect(clean.run.stats.cut).toBe(0);
    expect(clean.outbox.length).toBeGreaterThan(0);
    expect(clean.state.filter((u) => rooms.includes(u.user.replace(/^mailto:/, ''))).length).toBe(rooms.length);
    console.info(`clean run: ${MAILS} mails (${deliveries.length} LMTP transactions) in ${clean.run.seconds.toFixed(1)} s`, tally(clean.state));
  });

  it('on one LMDB directory, with a SIGKILL of each, end as the clean run and send each reply once', async () => {
    const store = directory('lmdb-shared');
    const run = await twoAgents(store, 'LMDB');
    await expectLikeClean(store, run);
  }, 900_000);

  it('on one PostgreSQL database, with a SIGKILL of each and a database restart, end as the clean run and send each reply once', async () => {
    const store = await newPgDatabase();
    const restart: Fault = { at: Math.floor(deliveries.length * 0.5), name: 'PostgreSQL restart', run: restartPg };
    // The restart cuts the agents' connections: the mails then in flight get
    // 451 and come again, and the agents log why.
    const run = await twoAgents(store, 'PostgreSQL', [restart], /could not commit|outbox run failed|upkeep/);
    await expectLikeClean(store, run);
  }, 900_000);
});

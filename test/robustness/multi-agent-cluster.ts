// Several `itip-agent serve` processes on one store (an LMDB directory on one
// host, or a PostgreSQL URL for several hosts), fed by the delivery of
// multi-agent-delivery.ts, with faults along the way: an agent killed with
// SIGKILL and started again, or the database restarted (a callback the test
// gives). Store-agnostic: the store is only ever a spec handed to the
// command line and to openStore.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openStore } from '../../src/store/open-store.js';
import type { Store } from '../../src/store/store.js';
import { NOW, runCliAsync } from '../cli/run-cli.js';
import { startServe, type Server } from '../cli/serve-support.js';
import { deliverAll, type Delivery, type DeliveryStats, type LmtpHost } from './multi-agent-delivery.js';
import { RelaySink } from './multi-agent-sink.js';

/** A fault, started once `at` mails were delivered: kill agent `kill` (then start it again), or run something (restart the database). */
export type Fault = { at: number; kill: number } | { at: number; name: string; run: () => Promise<void> };

export interface RunPlan {
  /** LMDB directory or postgres:// URL. */
  store: string;
  /** Scratch directory for the configuration files. */
  dir: string;
  deliveries: Delivery[];
  /** Addresses made resources (`user add --resource`) before any mail. */
  rooms: string[];
  agents: number;
  /** LMTP connections per agent. */
  connections: number;
  faults?: Fault[];
  /** Error log records that the faults explain (a database restart fails commits for a while); any other fails the run. */
  expectedErrors?: RegExp;
}

export interface RunResult {
  stats: DeliveryStats;
  sink: RelaySink;
  /** The faults as they happened, with the count of delivered mails then. */
  happened: string[];
  /** Messages sent by the final `queue run` (items a killed sender had taken and not finished). */
  sentAtEnd: number;
  seconds: number;
}

/** The clock of the final `queue run`: a day on, when every item a killed sender took is due again. */
export const LATER = new Date(Date.parse(NOW) + 86_400_000).toISOString().replace('.000Z', 'Z');

class Agent implements LmtpHost {
  server?: Server;
  private lmtpPort?: number;
  private waiting: Array<(port: number | undefined) => void> = [];
  private over = false;
  /** Set while the test itself ends the process (a SIGKILL fault, the final stop). */
  private ending = false;
  /** Called when the process ends unasked (a crash): nothing would ever start it again. */
  onCrash: (error: Error) => void = () => undefined;

  constructor(
    readonly slot: string,
    private readonly store: string,
    private readonly config: string,
  ) {}

  async start(): Promise<void> {
    const server = await startServe(this.store, ['--config', this.config, '--lmtp', '127.0.0.1:0']);
    const listening = await server.waitForLog((record) => record.protocol === 'lmtp' && typeof record.port === 'number');
    this.server = server;
    this.ending = false;
    this.lmtpPort = listening.port as number;
    void server.exited.then((code) => {
      if (this.server !== server) return;
      this.lmtpPort = undefined;
      if (this.ending) return;
      const last = [...server.stray, ...server.logs.slice(-8).map((l) => JSON.stringify(l))].join('\n');
      this.onCrash(new Error(`agent ${this.slot} ended by itself (exit ${code ?? server.child.signalCode}); its last log lines:\n${last}`));
    });
    for (const resolve of this.waiting.splice(0)) resolve(this.lmtpPort);
  }

  /** No more mail for this agent (it could not be started again): its workers stop waiting for it. */
  abandon(): void {
    this.over = true;
    for (const resolve of this.waiting.splice(0)) resolve(undefined);
  }

  port(): Promise<number | undefined> {
    if (this.over || this.lmtpPort !== undefined) return Promise.resolve(this.over ? undefined : this.lmtpPort);
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  /** Kills the process at a moment its outbox sender has no accepted message unrecorded (see multi-agent-sink.ts). */
  async kill(sink: RelaySink): Promise<void> {
    const server = this.server!;
    await sink.quiesce(this.slot);
    this.ending = true;
    this.lmtpPort = undefined;
    server.child.kill('SIGKILL');
    await server.exited;
    this.collect(server);
    sink.reopen(this.slot);
  }

  /** Stops the process as an administrator does (SIGTERM): mail in flight is finished first. */
  async stop(): Promise<number | null> {
    this.abandon();
    this.ending = true;
    const server = this.server!;
    server.child.kill('SIGTERM');
    const code = await server.exited;
    this.collect(server);
    return code;
  }

  /** Log lines the log contract forbids (not JSON) and records of level error, of every process this agent ran. */
  readonly problems: string[] = [];

  private collect(server: Server): void {
    this.problems.push(...server.stray, ...server.logs.filter((l) => l.level === 'error').map((l) => JSON.stringify(l)));
  }
}

async function writeConfig(dir: string, slot: string, relayPort: number): Promise<string> {
  const path = join(dir, `agent-${slot}.json`);
  writeFileSync(path, JSON.stringify({ localDomains: ['example.com'], relay: { host: '127.0.0.1', port: relayPort } }, null, 2));
  return path;
}

/** Resolves once `condition` holds, looking again every `everyMs`: for state only a store read can show. */
async function until(condition: () => Promise<boolean>, what: string, timeoutMs = 120_000, everyMs = 100): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** Runs the plan; the store holds the end state after it. */
export async function runAgents(plan: RunPlan): Promise<RunResult> {
  const started = Date.now();
  const sink = new RelaySink();
  const happened: string[] = [];
  for (const room of plan.rooms) {
    const added = await runCliAsync(['user', 'add', room, '--resource'], { store: plan.store });
    if (added.code !== 0) throw new Error(`user add ${room} --resource exited ${added.code}: ${added.stderr}`);
  }
  const agents: Agent[] = [];
  for (let i = 0; i < plan.agents; i++) {
    const slot = String(i);
    agents.push(new Agent(slot, plan.store, await writeConfig(plan.dir, slot, await sink.port(slot))));
  }
  // Faults one after the other, each started when its count of delivered mails is reached.
  const faults = [...(plan.faults ?? [])].sort((a, b) => a.at - b.at);
  let next = 0;
  let running: Promise<void> = Promise.resolve();
  let busy = false;
  let faultError: unknown;
  for (const agent of agents) {
    agent.onCrash = (error) => {
      faultError ??= error;
      for (const each of agents) each.abandon();
    };
  }
  await Promise.all(agents.map((agent) => agent.start()));
  const onProgress = (done: number) => {
    if (busy || next >= faults.length || done < faults[next]!.at) return;
    const fault = faults[next++]!;
    busy = true;
    running = (async () => {
      if ('kill' in fault) {
        const agent = agents[fault.kill]!;
        await agent.kill(sink);
        happened.push(`SIGKILL agent ${fault.kill} at ${done}`);
        await agent.start();
      } else {
        await fault.run();
        happened.push(`${fault.name} at ${done}`);
      }
    })()
      .catch((error: unknown) => {
        faultError ??= error;
        // No worker may wait for an agent that will not come back.
        for (const agent of agents) agent.abandon();
      })
      .finally(() => {
        busy = false;
      });
  };

  let stats: DeliveryStats | undefined;
  let failure: unknown;
  try {
    stats = await deliverAll(plan.deliveries, agents, plan.connections, onProgress);
    await running;
    if (faultError) throw faultError;
    if (next < faults.length) throw new Error(`${faults.length - next} faults never came: the mails ran out first`);

    // Every item due now is sent by the agents' own senders before they stop.
    const store: Store = await openStore(plan.store);
    try {
      await until(async () => (await store.listDueOutbox(NOW)).length === 0, 'the agents to send their outbox');
    } finally {
      await store.close();
    }
  } catch (error) {
    // A fault that went wrong says more than the delivery it cut short.
    await running;
    failure = faultError ?? error;
  }
  const codes = await Promise.all(agents.map((agent) => agent.stop()));
  const problems = agents.flatMap((agent) => agent.problems).filter((line) => !plan.expectedErrors?.test(line));
  if (failure || codes.some((code) => code !== 0) || problems.length > 0) {
    await sink.close();
    throw failure ?? new Error(`an agent did not stop cleanly (exit ${codes.join(', ')}) or logged errors:\n${problems.slice(0, 20).join('\n')}`);
  }

  // What a killed sender had taken and not finished is due again a day on.
  const before = sink.accepted.length;
  const finalConfig = await writeConfig(plan.dir, 'final', await sink.port('final'));
  const queued = await runCliAsync(['--config', finalConfig, 'queue', 'run'], { store: plan.store, env: { ITIP_AGENT_NOW: LATER } });
  if (queued.code !== 0) throw new Error(`queue run exited ${queued.code}: ${queued.stderr}`);
  await sink.close();
  return { stats: stats!, sink, happened, sentAtEnd: sink.accepted.length - before, seconds: (Date.now() - started) / 1000 };
}

// The MTA side of the multi-agent test: mails delivered over LMTP to several
// `serve` processes at once, as a site with several LMTP hosts delivers them,
// each mail re-delivered (to whichever agent is up) until every recipient got
// 250, the way an MTA retries what was answered 4xx or not answered at all.
//
// Order: two mails of the same event (UID) never travel at once, and one goes
// only after the one before it got its 250 for every recipient, so that a
// REPLY arrives after its REQUEST and an update after what it updates, as in
// the single-process run it is compared with. A room decides a booking by
// what it booked before (its free/busy), so a room's mails keep their order
// too. Everything else (a user's mails of different events) is delivered
// concurrently, over several connections to both agents: the agents must
// serialise one user's commits themselves.

import { LmtpClient } from '../../src/transport/lmtp-client.js';

export interface Delivery {
  index: number;
  raw: Buffer;
  sender: string;
  recipients: string[];
  /** Mails with a key in common are delivered in index order, one at a time. */
  keys: string[];
}

/** Where a worker delivers: an agent's LMTP port while it is up. */
export interface LmtpHost {
  /** Resolves with the port of the running agent (waiting while it restarts); undefined once delivery is over. */
  port(): Promise<number | undefined>;
}

export interface DeliveryStats {
  transactions: number;
  /** LMTP transactions that failed as a whole (connection refused or cut). */
  cut: number;
  /** Recipients answered 4xx. */
  deferred: number;
  /** Per host (in the order given), the recipients it answered 250 for at least once. */
  usersByHost: Array<Set<string>>;
}

/** Hands out deliveries whose turn has come, per key, in index order. */
class OrderedQueue {
  private readonly byKey = new Map<string, Delivery[]>();
  private readonly head = new Map<string, number>();
  private readonly ready: Delivery[] = [];
  private readonly waiting: Array<() => void> = [];
  private remaining: number;
  /** Deliveries whose every recipient got 250. */
  done = 0;

  constructor(deliveries: Delivery[]) {
    this.remaining = deliveries.length;
    for (const delivery of deliveries) {
      for (const key of delivery.keys) {
        if (!this.byKey.has(key)) this.byKey.set(key, []);
        this.byKey.get(key)!.push(delivery);
      }
    }
    for (const delivery of deliveries) if (this.isTurn(delivery)) this.ready.push(delivery);
  }

  private isTurn(delivery: Delivery): boolean {
    return delivery.keys.every((key) => this.byKey.get(key)![this.head.get(key) ?? 0] === delivery);
  }

  private stopped = false;

  /** The next delivery to make; undefined when all are done (or delivery stopped). */
  async take(): Promise<Delivery | undefined> {
    for (;;) {
      if (this.remaining === 0 || this.stopped) return undefined;
      const next = this.ready.shift();
      if (next) return next;
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
  }

  /** A delivery to make again (some recipient was not answered 250). */
  again(delivery: Delivery): void {
    this.ready.unshift(delivery);
    this.wake();
  }

  finished(delivery: Delivery): void {
    this.remaining--;
    this.done++;
    for (const key of delivery.keys) this.head.set(key, (this.head.get(key) ?? 0) + 1);
    for (const key of delivery.keys) {
      const next = this.byKey.get(key)![this.head.get(key)!];
      if (next && this.isTurn(next) && !this.ready.includes(next)) this.ready.push(next);
    }
    this.ready.sort((a, b) => a.index - b.index);
    this.wake();
  }

  stop(): void {
    this.stopped = true;
    this.wake();
  }

  private wake(): void {
    for (const resolve of this.waiting.splice(0)) resolve();
  }
}

/**
 * Delivers every mail through `connections` workers per host; resolves once
 * each recipient of each mail got 250. `onProgress` is called with the count
 * of finished mails after each one (the test's faults hang on it). A 5xx
 * answer fails the delivery: no mail of the mix may be refused for good.
 */
export async function deliverAll(
  deliveries: Delivery[],
  hosts: LmtpHost[],
  connections: number,
  onProgress: (done: number) => void = () => undefined,
): Promise<DeliveryStats> {
  const queue = new OrderedQueue(deliveries);
  const stats: DeliveryStats = { transactions: 0, cut: 0, deferred: 0, usersByHost: hosts.map(() => new Set()) };
  const pending = new Map(deliveries.map((d) => [d, [...d.recipients]]));
  const attempts = new Map<Delivery, number>();
  let failure: Error | undefined;
  const fail = (error: Error) => {
    failure ??= error;
    queue.stop();
  };

  const worker = async (host: LmtpHost, answered: Set<string>) => {
    let client: LmtpClient | undefined;
    let clientPort: number | undefined;
    try {
      for (;;) {
        if (failure) return;
        const port = await host.port();
        if (port === undefined) return;
        const delivery = await queue.take();
        if (!delivery) return;
        if (client && clientPort !== port) {
          await client.close(0);
          client = undefined;
        }
        client ??= new LmtpClient({ host: '127.0.0.1', port }, { name: 'mta.example.com', timeoutMs: 120_000 });
        clientPort = port;
        const recipients = pending.get(delivery)!;
        stats.transactions++;
        let replies;
        try {
          replies = await client.send(delivery.sender, recipients, delivery.raw);
        } catch {
          // Not answered (the agent died, or is not listening yet): nothing is known, all again.
          stats.cut++;
          await client.close(0);
          client = undefined;
          queue.again(delivery);
          continue;
        }
        const left: string[] = [];
        for (const reply of replies) {
          if (reply.ok) {
            answered.add(reply.recipient);
            continue;
          }
          if (reply.code >= 500) {
            fail(new Error(`mail ${delivery.index} to ${reply.recipient} was refused for good: ${reply.code} ${reply.text}`));
            return;
          }
          stats.deferred++;
          left.push(reply.recipient);
        }
        if (left.length === 0) {
          queue.finished(delivery);
          onProgress(queue.done);
        } else {
          // An MTA waits before it tries a deferred recipient again; so does this one, a little longer each time.
          const tries = (attempts.get(delivery) ?? 0) + 1;
          attempts.set(delivery, tries);
          pending.set(delivery, left);
          await new Promise((resolve) => setTimeout(resolve, Math.min(20 * tries, 500)));
          queue.again(delivery);
        }
      }
    } catch (error) {
      fail(error as Error);
    } finally {
      await client?.close(1000);
    }
  };

  await Promise.all(hosts.flatMap((host, i) => Array.from({ length: connections }, () => worker(host, stats.usersByHost[i]!))));
  if (failure) throw failure;
  if (queue.done !== deliveries.length) throw new Error(`only ${queue.done} of ${deliveries.length} mails were delivered`);
  return stats;
}

interface GeneratedTransaction {
  raw: Buffer;
  sender: string;
  recipients: string[];
  uid: string;
}

/**
 * The bench's real-client mix (bench/generate.mjs: Outlook, Google, Apple and
 * Thunderbird mail; invitations from outside, replies to local organizers,
 * updates, series with moved or cancelled instances, cancels, and local
 * organizers' own copies) for `people` local users and `rooms` rooms, as LMTP
 * transactions, one per mail with all its local recipients.
 */
export function mailMix(
  generate: {
    generateClientMails(count: number, seed: number, options: { localUsers: number; rooms: number }): unknown[];
    asTransactions(mails: unknown[]): GeneratedTransaction[];
  },
  count: number,
  seed: number,
  people: number,
  rooms: number,
): { deliveries: Delivery[]; rooms: string[] } {
  const transactions = generate.asTransactions(generate.generateClientMails(count, seed, { localUsers: people, rooms }));
  const roomAddresses = Array.from({ length: rooms }, (_, i) => `room-${i + 1}@example.com`);
  const isRoom = new Set(roomAddresses);
  const deliveries = transactions.map((t, index) => ({
    index,
    raw: t.raw,
    sender: t.sender,
    recipients: t.recipients,
    keys: [`uid ${t.uid}`, ...t.recipients.filter((r) => isRoom.has(r)).map((r) => `room ${r}`)],
  }));
  return { deliveries, rooms: roomAddresses };
}

// The SMTP relay of the agents' outbox senders in the multi-agent test: a real
// smtp-server on loopback that keeps every message it accepted (250 after
// DATA), with one port per agent slot so that it knows which sender is where
// in its dialogue.
//
// Why it can hold a message: the outbox sender delivers at least once (see
// src/transport/outbox-sender.ts). A sender killed after the relay's 250 and
// before it recorded the item as sent sends it again later, by design, and no
// relay or test can tell that copy from a wrong one. So before the test kills
// an agent it closes that agent's gate: a message that then arrives is read to
// its end and held, never answered; once every connection of the agent is held
// (or closed) the agent is between no 250 and its record, and the kill lands
// on a message in flight (sent over the wire, never accepted), which must be
// sent again exactly once.

import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface AcceptedMessage {
  /** The slot (agent index, or the name of a one-off sender) whose port took it. */
  slot: string;
  messageId: string;
  from: string;
  to: string[];
}

interface SlotState {
  server: SMTPServer;
  port: number;
  /** Open connections: held once their message waits unanswered behind a closed gate. */
  connections: Map<string, { held: boolean }>;
  gateClosed: boolean;
}

/** The Message-ID of a raw message, without angle brackets; '' when it has none. */
export function messageIdOf(raw: Buffer): string {
  const head = raw.toString('latin1').split(/\r?\n\r?\n/, 1)[0]!.replace(/\r?\n[ \t]+/g, ' ');
  return /^message-id:\s*<([^>]*)>/im.exec(head)?.[1] ?? '';
}

export class RelaySink {
  readonly accepted: AcceptedMessage[] = [];
  /** Messages read to their end and never answered: their sender was killed. */
  readonly dropped: AcceptedMessage[] = [];
  private readonly slots = new Map<string, SlotState>();
  private readonly watchers: Array<() => void> = [];

  /** The port of a slot, opened on first use. */
  async port(slot: string): Promise<number> {
    const known = this.slots.get(slot);
    if (known) return known.port;
    const state: SlotState = { server: undefined as unknown as SMTPServer, port: 0, connections: new Map(), gateClosed: false };
    state.server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['AUTH', 'STARTTLS'],
      logger: false,
      onConnect: (session, callback) => {
        state.connections.set(session.id, { held: false });
        this.changed();
        callback();
      },
      onClose: (session) => {
        state.connections.delete(session.id);
        this.changed();
      },
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          const message: AcceptedMessage = {
            slot,
            messageId: messageIdOf(Buffer.concat(chunks)),
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address.toLowerCase() : '',
            to: session.envelope.rcptTo.map((r) => r.address.toLowerCase()),
          };
          const connection = state.connections.get(session.id);
          if (state.gateClosed && connection) {
            // Never answered: the sender is about to be killed.
            connection.held = true;
            this.dropped.push(message);
            this.changed();
            return;
          }
          this.accepted.push(message);
          callback();
        });
      },
    });
    state.server.on('error', () => undefined);
    await new Promise<void>((resolve, reject) => {
      state.server.server.once('error', reject);
      state.server.listen(0, '127.0.0.1', () => resolve());
    });
    state.port = (state.server.server.address() as AddressInfo).port;
    this.slots.set(slot, state);
    return state.port;
  }

  /**
   * Closes the slot's gate and resolves once none of its connections is
   * between an answered message and the next one: every one is held or gone.
   */
  async quiesce(slot: string): Promise<void> {
    const state = this.slots.get(slot);
    if (!state) return;
    state.gateClosed = true;
    this.changed();
    await this.until(() => [...state.connections.values()].every((c) => c.held));
  }

  /** Opens the gate again (after the kill: the held connections died with their sender). */
  reopen(slot: string): void {
    const state = this.slots.get(slot);
    if (state) state.gateClosed = false;
  }

  /** Open connections of a slot: none once its sender has finished a run or died. */
  openConnections(slot: string): number {
    return this.slots.get(slot)?.connections.size ?? 0;
  }

  until(condition: () => boolean): Promise<void> {
    return new Promise((resolve) => {
      const look = () => (condition() ? resolve() : this.watchers.push(look));
      look();
    });
  }

  private changed(): void {
    for (const look of this.watchers.splice(0)) look();
  }

  async close(): Promise<void> {
    await Promise.all([...this.slots.values()].map((s) => new Promise<void>((resolve) => s.server.close(() => resolve()))));
  }
}

// A real SMTP server on loopback (smtp-server) for the outbox tests: it keeps
// what it receives and answers RCPT TO as a test tells it to.

import { createServer, type AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerAddress } from 'smtp-server';

export interface Received {
  from: string;
  to: string[];
  raw: Buffer;
}

/** An SMTP reply to RCPT TO: undefined accepts (250). */
export type RcptAnswer = { code: number; message: string } | undefined;

export interface TestSmtpServer {
  port: number;
  received: Received[];
  /** Every RCPT TO seen, in order, with the answer given. */
  rcpts: Array<{ address: string; code: number }>;
  /** Decides the answer to each RCPT TO; replace it per test. */
  onRcpt: (address: string, seen: number) => RcptAnswer;
  /** Runs after a message is read and before the 250 to it; replace it per test. */
  beforeAccept: (message: Received) => Promise<void> | void;
  /** Forgets what was received and seen, and accepts every recipient again. */
  reset(): void;
  close(): Promise<void>;
}

export async function startSmtpServer(): Promise<TestSmtpServer> {
  const state: TestSmtpServer = {
    port: 0,
    received: [],
    rcpts: [],
    onRcpt: () => undefined,
    beforeAccept: () => undefined,
    reset: () => undefined,
    close: async () => undefined,
  };
  const seen = new Map<string, number>();
  state.reset = () => {
    state.received.length = 0;
    state.rcpts.length = 0;
    state.onRcpt = () => undefined;
    state.beforeAccept = () => undefined;
    seen.clear();
  };
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    logger: false,
    onRcptTo(address: SMTPServerAddress, _session, callback) {
      const key = address.address.toLowerCase();
      const count = (seen.get(key) ?? 0) + 1;
      seen.set(key, count);
      const answer = state.onRcpt(key, count);
      state.rcpts.push({ address: key, code: answer?.code ?? 250 });
      if (!answer) return callback();
      const error = new Error(answer.message) as Error & { responseCode: number };
      error.responseCode = answer.code;
      callback(error);
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const message: Received = {
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address.toLowerCase()),
          raw: Buffer.concat(chunks),
        };
        state.received.push(message);
        void Promise.resolve(state.beforeAccept(message)).then(() => callback(), (error: Error) => callback(error));
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  state.port = (server.server.address() as AddressInfo).port;
  state.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return state;
}

/** A loopback port with nothing listening on it: a relay that is down. */
export async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', () => resolve()));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

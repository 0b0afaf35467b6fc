// `itip-agent serve` as a real child process, for the tests that drive it:
// started on a store with the given arguments, its JSON log lines collected.

import { spawn, type ChildProcess } from 'node:child_process';
import { BIN, NOW, ROOT } from './run-cli.js';

export interface Server {
  child: ChildProcess;
  logs: Array<Record<string, unknown>>;
  /** stderr lines that are not JSON: the log contract allows none of ours. */
  stray: string[];
  exited: Promise<number | null>;
  /** Resolves with the first log record (logged so far or later) that matches. */
  waitForLog(match: (record: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>;
}

/** Starts serve and resolves once it logged that it serves. */
export function startServe(store: string, args: string[], env: Record<string, string | undefined> = {}): Promise<Server> {
  // Global options (--config) go before the command; the rest after it.
  const global = args[0] === '--config' ? args.slice(0, 2) : [];
  const rest = args[0] === '--config' ? args.slice(2) : args;
  const child = spawn(process.execPath, [BIN, '--store', store, ...global, 'serve', ...rest], {
    cwd: ROOT,
    env: { ...process.env, ITIP_AGENT_NOW: NOW, ITIP_AGENT_STORE: undefined, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const logs: Array<Record<string, unknown>> = [];
  const stray: string[] = [];
  const watchers: Array<() => void> = [];
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const waitForLog = (match: (record: Record<string, unknown>) => boolean) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const look = () => {
        const found = logs.find(match);
        if (found) resolve(found);
        else if (child.exitCode !== null || child.signalCode !== null) reject(new Error(`serve ended without that log record: ${JSON.stringify(logs)}`));
        else watchers.push(look);
      };
      look();
    });
  child.on('exit', () => {
    for (const look of watchers.splice(0)) look();
  });
  return new Promise((resolve, reject) => {
    let buffer = '';
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => {
      buffer += chunk;
      let end;
      while ((end = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, end);
        buffer = buffer.slice(end + 1);
        let record: Record<string, unknown>;
        try {
          record = JSON.parse(line) as Record<string, unknown>;
        } catch {
          stray.push(line);
          continue;
        }
        logs.push(record);
        for (const look of watchers.splice(0)) look();
        if (record.msg === 'serving') resolve({ child, logs, stray, exited, waitForLog });
      }
    });
    void exited.then((code) => reject(new Error(`serve exited ${code} before serving: ${JSON.stringify(logs)}`)));
  });
}

export async function stopServe(server: Server): Promise<number | null> {
  server.child.kill('SIGTERM');
  return server.exited;
}


// `itip-agent serve` as a child process, the built program as an administrator
// runs it, for the tests of the web listener: resolves once it serves, with its
// log lines and the address of its web listener.

import { spawn, type ChildProcess } from 'node:child_process';
import { BIN, NOW, ROOT } from '../cli/run-cli.js';

export interface ServeChild {
  child: ChildProcess;
  logs: Array<Record<string, unknown>>;
  /** stderr lines that are not JSON: the log contract allows none. */
  stray: string[];
  exited: Promise<number | null>;
  /** The web listener's port (TCP), from its log line. */
  httpPort(): number;
  /** Resolves once the log lines so far satisfy `check` (stderr arrives after the HTTP answer it tells of). */
  waitForLogs(what: string, check: (logs: Array<Record<string, unknown>>) => boolean): Promise<void>;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
}

/** Runs `itip-agent --store STORE ARGS...` (ARGS with `serve` in them) and waits for its "serving" line. */
export function startServeChild(store: string, args: string[], env: Record<string, string | undefined> = {}): Promise<ServeChild> {
  const child = spawn(process.execPath, [BIN, '--store', store, ...args], {
    cwd: ROOT,
    env: { ...process.env, ITIP_AGENT_NOW: NOW, ITIP_AGENT_STORE: undefined, ITIP_AGENT_CONFIG: undefined, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const logs: Array<Record<string, unknown>> = [];
  const stray: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const served: ServeChild = {
    child,
    logs,
    stray,
    exited,
    httpPort: () => {
      const line = logs.find((r) => r.msg === 'listening for HTTP');
      if (!line || typeof line.port !== 'number') throw new Error(`serve logged no HTTP port: ${JSON.stringify(logs)}`);
      return line.port;
    },
    waitForLogs: async (what, check) => {
      const end = Date.now() + 15_000;
      while (!check(logs)) {
        if (Date.now() > end) throw new Error(`serve did not log ${what}: ${JSON.stringify(logs)}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    stop: () => {
      child.kill('SIGTERM');
      return exited;
    },
  };
  return new Promise((resolve, reject) => {
    let buffer = '';
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => {
      buffer += chunk;
      let end;
      while ((end = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, end);
        buffer = buffer.slice(end + 1);
        try {
          const record = JSON.parse(line) as Record<string, unknown>;
          logs.push(record);
          if (record.msg === 'serving') resolve(served);
        } catch {
          stray.push(line);
        }
      }
    });
    void exited.then((code) => reject(new Error(`serve exited ${code} before serving: ${JSON.stringify(logs)} ${stray.join('\n')}`)));
  });
}

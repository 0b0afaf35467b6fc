// serve's Prometheus endpoint, scraped over real HTTP while real LMTP mail
// flows: the counters move by what happened (checked against the journal and
// the replies the client got), the text passes a strict line check of the
// exposition format, and only this host or the token may read it. Also the
// one log line per mail, with the XFORWARD facts an MTA passes.

import { writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LmtpClient } from '../../src/transport/lmtp-client.js';
import { invitation, startSink, type Sink } from '../transport/support.js';
import { jsonAsync, ok } from './helpers.js';
import { fixture, tempDir } from './run-cli.js';
import { startServe, stopServe, type Server } from './serve-support.js';

// --- a strict reading of the text format (version 0.0.4) ---

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\["\\n])*)"/y;
// Prometheus reads a value with Go's ParseFloat, which takes NaN in any case;
// prom-client writes "Nan" (for instance the event-loop lag before its first
// sample, seen on a loaded machine).
const VALUE = /^(?:[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|[+-]Inf|[Nn][Aa][Nn])$/;

function parseValue(text: string): number {
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  if (/^nan$/i.test(text)) return NaN;
  return Number(text);
}

/** Parses the exposition text, failing the test on any line that breaks the format. */
function parseExposition(text: string): { samples: Sample[]; types: Map<string, string> } {
  expect(text.endsWith('\n'), 'the text ends with a line end').toBe(true);
  const types = new Map<string, string>();
  const helps = new Set<string>();
  const samples: Sample[] = [];
  const familyOf = (name: string) => {
    for (const suffix of ['_bucket', '_sum', '_count', '']) {
      const base = suffix ? name.slice(0, -suffix.length) : name;
      if ((!suffix || name.endsWith(suffix)) && types.has(base)) return base;
    }
    return undefined;
  };
  for (const line of text.slice(0, -1).split('\n')) {
    if (line === '') continue;
    const comment = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line);
    if (comment) {
      const [, kind, name, rest] = comment;
      expect(name, line).toMatch(METRIC_NAME);
      if (kind === 'TYPE') {
        expect(['counter', 'gauge', 'histogram', 'summary', 'untyped'], line).toContain(rest);
        expect(types.has(name!), `TYPE given twice: ${line}`).toBe(false);
        expect(samples.some((s) => familyOf(s.name) === name), `TYPE after samples: ${line}`).toBe(false);
        types.set(name!, rest!);
      } else {
        expect(helps.has(name!), `HELP given twice: ${line}`).toBe(false);
        helps.add(name!);
      }
      continue;
    }
    expect(line.startsWith('#'), `an unknown comment form: ${line}`).toBe(false);
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^]*\})? (\S+)(?: (-?\d+))?$/.exec(line);
    expect(match, `not a sample line: ${line}`).not.toBeNull();
    const [, name, braces, value] = match!;
    const labels: Record<string, string> = {};
    if (braces) {
      const inner = braces.slice(1, -1);
      let at = 0;
      while (at < inner.length) {
        LABEL.lastIndex = at;
        const label = LABEL.exec(inner);
        expect(label, `bad label in: ${line}`).not.toBeNull();
        expect(labels[label![1]!], `label given twice: ${line}`).toBeUndefined();
        labels[label![1]!] = label![2]!.replace(/\\n/g, '\n').replace(/\\(["\\])/g, '$1');
        at = LABEL.lastIndex;
        if (at < inner.length) {
          expect(inner[at], `labels are separated by commas: ${line}`).toBe(',');
          at++;
        }
      }
    }
    expect(value, line).toMatch(VALUE);
    const family = familyOf(name!);
    expect(family, `a sample without a TYPE line: ${line}`).toBeDefined();
    samples.push({ name: name!, labels, value: parseValue(value!) });
  }
  // Histograms: cumulative buckets in increasing le, ending at +Inf equal to _count.
  for (const [family, type] of types) {
    if (type !== 'histogram') continue;
    const series = new Map<string, Sample[]>();
    for (const sample of samples.filter((s) => s.name === `${family}_bucket`)) {
      const { le, ...rest } = sample.labels;
      expect(le, `a bucket without le: ${family}`).toBeDefined();
      const key = JSON.stringify(rest);
      series.set(key, [...(series.get(key) ?? []), sample]);
    }
    for (const [key, buckets] of series) {
      const bounds = buckets.map((b) => parseValue(b.labels.le!));
      expect(bounds, family).toEqual([...bounds].sort((a, b) => a - b));
      expect(bounds.at(-1)).toBe(Infinity);
      for (let i = 1; i < buckets.length; i++) expect(buckets[i]!.value).toBeGreaterThanOrEqual(buckets[i - 1]!.value);
      const count = samples.find((s) => s.name === `${family}_count` && JSON.stringify(s.labels) === key);
      expect(count?.value, `${family}_count ${key}`).toBe(buckets.at(-1)!.value);
    }
  }
  return { samples, types };
}

/** The value of one series (0 when it has not appeared yet). */
function valueOf(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  const found = samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v) && Object.keys(s.labels).length === Object.keys(labels).length);
  return found?.value ?? 0;
}

async function scrape(base: string, headers: Record<string, string> = {}): Promise<{ status: number; type: string | null; text: string }> {
  const response = await fetch(`${base}/metrics`, { headers });
  return { status: response.status, type: response.headers.get('content-type'), text: await response.text() };
}

/** One LMTP transaction on a raw connection, with XFORWARD first, as Postfix's LMTP client sends it. */
async function lmtpWithXforward(port: number, xforward: string, recipient: string, mail: Buffer): Promise<string[]> {
  const socket = connect(port, '127.0.0.1');
  socket.setEncoding('latin1');
  let buffer = '';
  const replies: string[] = [];
  const waiters: Array<() => void> = [];
  socket.on('data', (chunk: string) => {
    buffer += chunk;
    let end;
    while ((end = buffer.indexOf('\r\n')) >= 0) {
      const line = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      if (/^\d{3} /.test(line)) replies.push(line);
      for (const wake of waiters.splice(0)) wake();
    }
  });
  const reply = async (count: number) => {
    while (replies.length < count) await new Promise<void>((resolve) => waiters.push(resolve));
    return replies[count - 1]!;
  };
  const steps = ['LHLO mta.example.com', xforward, 'MAIL FROM:<boss@example.com>', `RCPT TO:<${recipient}>`, 'DATA'];
  await reply(1);
  for (const [i, command] of steps.entries()) {
    socket.write(`${command}\r\n`);
    await reply(i + 2);
  }
  socket.write(Buffer.concat([mail, Buffer.from('\r\n.\r\n')]));
  await reply(steps.length + 2);
  socket.write('QUIT\r\n');
  socket.end();
  return replies;
}

describe('serve /metrics on the web listener, with real LMTP mail', () => {
  const dir = tempDir();
  const store = join(dir.path, 'store');
  let sink: Sink;
  let server: Server;
  let lmtpPort: number;
  let base: string;

  beforeAll(async () => {
    // A resource answers on its own: its REPLY waits in the outbox (the relay refuses connections).
    ok(['user', 'add', 'room@example.com', '--resource'], { store });
    // The mailbox server: Carol's mailbox is full (452), so her onward copy fails.
    sink = await startSink();
    sink.full.add('carol@example.com');
    server = await startServe(store, ['--lmtp', '127.0.0.1:0', '--http', '127.0.0.1:0', '--deliver', `lmtp:127.0.0.1:${sink.port}`], {
      ITIP_AGENT_RELAY_HOST: '127.0.0.1',
      ITIP_AGENT_RELAY_PORT: '1',
    });
    lmtpPort = Number((await server.waitForLog((r) => r.msg === 'listening for LMTP')).port);
    base = `http://127.0.0.1:${Number((await server.waitForLog((r) => r.msg === 'listening for HTTP')).port)}`;
  }, 60_000);
  afterAll(async () => {
    if (server) await stopServe(server);
    await sink?.close();
    dir.remove();
  });

  it('counts mails, outcomes, replies, onward failures, latency and the outbox by what really happened', async () => {
    const before = parseExposition((await scrape(base)).text).samples;
    const client = new LmtpClient({ host: '127.0.0.1', port: lmtpPort }, { timeoutMs: 20_000 });
    const replies = [
      ...(await client.send('boss@example.com', ['alice@example.com', 'bob@example.com'], invitation(1, ['alice@example.com', 'bob@example.com']))),
      ...(await client.send('boss@example.com', ['alice@example.com', 'carol@example.com', 'room@example.com'], invitation(2, ['alice@example.com', 'carol@example.com', 'room@example.com']))),
      ...(await client.send('boss@example.com', ['bob@example.com'], fixture('plain.eml'))),
      // The first invitation again: a duplicate.
      ...(await client.send('boss@example.com', ['alice@example.com'], invitation(1, ['alice@example.com', 'bob@example.com']))),
    ];
    await client.close();
    expect(replies.map((r) => `${r.recipient} ${r.code}`)).toEqual([
      'alice@example.com 250', 'bob@example.com 250', 'alice@example.com 250', 'carol@example.com 451', 'room@example.com 250', 'bob@example.com 250', 'alice@example.com 250',
    ]);
    // The room's REPLY was tried against the closed relay and waits for another attempt.
    await server.waitForLog((r) => typeof r.msg === 'string' && r.msg.startsWith('outbox item not sent yet to'));

    const response = await scrape(base);
    expect(response.status).toBe(200);
    expect(response.type).toMatch(/^text\/plain; version=0\.0\.4/);
    const { samples: after, types } = parseExposition(response.text);
    const moved = (name: string, labels: Record<string, string> = {}) => valueOf(after, name, labels) - valueOf(before, name, labels);

    expect(moved('itip_agent_mails_total', { protocol: 'lmtp', calendar: 'yes' })).toBe(3);
    expect(moved('itip_agent_mails_total', { protocol: 'lmtp', calendar: 'no' })).toBe(1);
    expect(moved('itip_agent_replies_total', { protocol: 'lmtp', stage: 'data', class: '2xx' })).toBe(6);
    expect(moved('itip_agent_replies_total', { protocol: 'lmtp', stage: 'data', class: '4xx' })).toBe(1);
    expect(moved('itip_agent_onward_deliveries_total', { result: 'delivered' })).toBe(6);
    expect(moved('itip_agent_onward_deliveries_total', { result: 'failed' })).toBe(1);
    expect(moved('itip_agent_onward_failures_total')).toBe(1);
    expect(moved('itip_agent_mail_processing_seconds_count', { protocol: 'lmtp' })).toBe(4);
    expect(moved('itip_agent_store_transaction_seconds_count', { result: 'committed' })).toBeGreaterThanOrEqual(6);
    expect(valueOf(after, 'itip_agent_outbox_depth')).toBe(1);
    expect(moved('itip_agent_outbox_items_total', { result: 'retry' })).toBe(1);
    expect(moved('itip_agent_outbox_send_failures_total')).toBe(1);
    // The calendar outcomes are the journal's, method by method.
    const journal = await jsonAsync<Array<{ method: string; outcome: string }>>(['journal'], { store });
    const counted = new Map<string, number>();
    for (const entry of journal) counted.set(`${entry.method || 'none'} ${entry.outcome}`, (counted.get(`${entry.method || 'none'} ${entry.outcome}`) ?? 0) + 1);
    expect(counted.get('REQUEST duplicate')).toBe(1);
    for (const [key, count] of counted) {
      const [method, outcome] = key.split(' ');
      expect(moved('itip_agent_calendar_messages_total', { method: method!, outcome: outcome! }), key).toBe(count);
    }
    expect(types.get('itip_agent_mail_processing_seconds')).toBe('histogram');
    expect(types.get('itip_agent_outbox_depth')).toBe('gauge');
  }, 60_000);

  it('logs one line per mail with the XFORWARD queue id and client, the session, and each onward result', async () => {
    const replies = await lmtpWithXforward(lmtpPort, 'XFORWARD ADDR=203.0.113.5 IDENT=4Ab9Kz1XyQ', 'alice@example.com', invitation(3, ['alice@example.com']));
    expect(replies.at(-1)).toMatch(/^250 /);
    const line = await server.waitForLog((r) => r.msg === 'mail done' && r.queueId === '4Ab9Kz1XyQ');
    expect(line).toMatchObject({ protocol: 'lmtp', client: '203.0.113.5', peer: '127.0.0.1', messageId: 'meeting-3@example.com', answers: [{ recipient: 'alice@example.com', code: 250 }] });
    expect(typeof line.session).toBe('string');
    expect(line.onward).toEqual([{ recipient: 'alice@example.com', ok: true, to: `lmtp:127.0.0.1:${sink.port}` }]);
    // Carol's failed copy was named with its error, in a warning line.
    const failed = await server.waitForLog((r) => r.msg === 'mail not done for every recipient');
    expect(failed.onward).toContainEqual({ recipient: 'carol@example.com', ok: false, error: expect.stringContaining('refused carol@example.com: 452') });
  }, 60_000);

  it('warned at start that localDomains is empty', async () => {
    const warning = await server.waitForLog((r) => r.level === 'warn' && r.setting === 'localDomains');
    expect(String(warning.msg)).toMatch(/^localDomains is empty: .*forged/);
  });
});

describe('who may read /metrics', () => {
  const dir = tempDir();
  const store = join(dir.path, 'store');
  const tokenFile = join(dir.path, 'metrics.token');
  writeFileSync(tokenFile, 's3cret-token\n');
  afterAll(() => dir.remove());

  it('refuses a request through a trusted proxy, unless it carries the token', async () => {
    // The loopback peer is named a trusted proxy: its requests come from elsewhere.
    const server = await startServe(store, ['--http', '127.0.0.1:0'], {
      ITIP_AGENT_HTTP_TRUSTED_PROXIES: '127.0.0.1',
      ITIP_AGENT_METRICS_TOKEN_FILE: tokenFile,
      ITIP_AGENT_LOCAL_DOMAINS: 'example.com',
    });
    try {
      const base = `http://127.0.0.1:${Number((await server.waitForLog((r) => r.msg === 'listening for HTTP')).port)}`;
      expect((await scrape(base)).status).toBe(403);
      expect((await scrape(base, { Authorization: 'Bearer wrong-token!' })).status).toBe(403);
      const allowed = await scrape(base, { Authorization: 'Bearer s3cret-token' });
      expect(allowed.status).toBe(200);
      parseExposition(allowed.text);
      expect(server.logs.some((r) => r.setting === 'localDomains')).toBe(false);
    } finally {
      await stopServe(server);
    }
  }, 60_000);

  it('serves /metrics alone on --metrics when there is no web listener', async () => {
    const server = await startServe(store, ['--lmtp', join(dir.path, 'lmtp.sock'), '--metrics', '127.0.0.1:0']);
    try {
      const base = `http://127.0.0.1:${Number((await server.waitForLog((r) => r.msg === 'listening for metrics')).port)}`;
      const response = await scrape(base);
      expect(response.status).toBe(200);
      const { types } = parseExposition(response.text);
      expect(types.get('itip_agent_mails_total')).toBe('counter');
      expect((await fetch(`${base}/other`)).status).toBe(404);
    } finally {
      await stopServe(server);
    }
  }, 60_000);
});

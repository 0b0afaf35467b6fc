// The requests page of a user with 500 pending requests: server time to render
// it (the route through fastify's inject, no socket). The figure is the median
// of 21 views that find the events read by the view before (readEvent in
// src/http/event-view.ts keeps them), beside the median of 21 views that read
// every event anew, taken in turns, and the very first view (code not compiled
// yet). Target: both medians under 200 ms.
//
// The store is filled through the real mail path (processMail): 500
// invitations from a few organizers over the coming 90 days, a fifth of them
// weekly series, a fifth of them updated once (moved, so that the page
// compares versions), and 200 events of the user's own (mail the user sent)
// that give busy time for invitations to clash with.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { random } from './generate.mjs';

const USER = 'bench-web@example.com';
const DAY = 86_400_000;
const HOUR = 3_600_000;

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const stamp = (ms) => new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');

function imip(from, to, messageId, method, event) {
  const ics = ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//bench-web//EN', `METHOD:${method}`, 'BEGIN:VEVENT', ...event, 'END:VEVENT', 'END:VCALENDAR', ''].join('\r\n');
  const head = [`From: <${from}>`, `To: ${to.map((a) => `<${a}>`).join(', ')}`, 'Subject: invitation', `Message-ID: <${messageId}>`, 'Date: Sun, 01 Nov 2026 08:00:00 +0000', 'MIME-Version: 1.0', `Content-Type: text/calendar; charset=utf-8; method=${method}`];
  return Buffer.from(`${head.join('\r\n')}\r\n\r\n${ics}`, 'utf8');
}

/** Fills the store as mail would; returns how many requests wait. */
export async function seed(store, processMail, nowMs) {
  const rand = random(15);
  let n = 0;
  let at = nowMs - 30 * DAY;
  const deliver = async (raw, envelope) => {
    at += 1000;
    const result = await processMail(store, raw, envelope, at);
    const bad = result.users.flatMap((u) => u.entries).filter((e) => ['refused', 'error', 'ignored'].includes(e.outcome));
    if (bad.length) throw new Error(`seeding failed: ${bad.map((e) => e.reason).join('; ')}`);
  };
  const slot = () => nowMs + Math.floor(rand() * 90) * DAY + (8 + Math.floor(rand() * 10)) * HOUR;
  // The user's own events: busy time.
  for (let i = 0; i < 200; i++) {
    const start = slot();
    await deliver(
      imip(USER, [`guest${i % 7}@example.net`], `own-${i}@bench`, 'REQUEST', [
        `UID:own-${i}@bench`, 'DTSTAMP:20261101T080000Z', `DTSTART:${stamp(start)}`, `DTEND:${stamp(start + HOUR)}`, 'SEQUENCE:0', `SUMMARY:Own event ${i}`,
        `ORGANIZER:mailto:${USER}`, `ATTENDEE;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:guest${i % 7}@example.net`,
      ]),
      { recipients: [], sender: USER, outgoing: true },
    );
  }
  // The invitations.
  for (let i = 0; i < 500; i++) {
    const organizer = `organizer${i % 9}@example.org`;
    const start = slot();
    const weekly = i % 5 === 0;
    const event = (sequence, begin) => [
      `UID:inv-${i}@bench`, `DTSTAMP:2026110${1 + sequence}T080000Z`, `DTSTART:${stamp(begin)}`, `DTEND:${stamp(begin + HOUR)}`, `SEQUENCE:${sequence}`,
      ...(weekly ? ['RRULE:FREQ=WEEKLY;COUNT=20'] : []),
      `SUMMARY:Invitation ${i} <b>& "${i}"</b>`, `LOCATION:Room ${i % 12}`, 'DESCRIPTION:Agenda\\nFirst\\nSecond',
      `ORGANIZER;CN="Organizer ${i % 9}":mailto:${organizer}`,
      `ATTENDEE;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:${USER}`, `ATTENDEE;CN=Other;PARTSTAT=ACCEPTED:mailto:other${i % 13}@example.net`,
    ];
    await deliver(imip(organizer, [USER], `inv-${i}-0@bench`, 'REQUEST', event(0, start)), { recipients: [USER], sender: organizer });
    n++;
    if (i % 5 === 1) await deliver(imip(organizer, [USER], `inv-${i}-1@bench`, 'REQUEST', event(1, start + 2 * HOUR)), { recipients: [USER], sender: organizer });
  }
  return (await store.listRequests(`mailto:${USER}`)).length;
}

export async function benchWeb({ LmdbStore, processMail, buildWebApp, forgetReadEvents, nowMs }) {
  const dir = mkdtempSync(join(tmpdir(), 'itip-bench-web-'));
  const store = new LmdbStore(dir);
  let app;
  try {
    const pending = await seed(store, processMail, nowMs);
    app = await buildWebApp({
      settings: {
        passwordLogins: false,
        passwordFile: join(dir, 'passwords'),
        proxyUserHeader: 'X-Remote-User',
        trustedProxies: ['127.0.0.1'],
        tls: false,
        sessionIdleMinutes: 30,
        sessionMaxHours: 12,
        loginLimits: { perAddress: 20, perAccount: 5, windowMinutes: 15 },
      },
      localDomains: ['example.com'],
      log: () => {},
      store,
      now: () => nowMs,
    });
    const headers = { 'x-remote-user': USER };
    // The first view reads every event (nothing read yet in this process); later views find them read.
    const coldStart = process.hrtime.bigint();
    const first = await app.inject({ method: 'GET', url: '/', headers, remoteAddress: '127.0.0.1' });
    const coldMs = Number(process.hrtime.bigint() - coldStart) / 1e6;
    if (first.statusCode !== 200) throw new Error(`the requests page answered ${first.statusCode}`);
    const cookie = first.headers['set-cookie'];
    const cards = (first.body.match(/<article class="card"/g) ?? []).length;
    // Views in turns: one that reads every event anew, one that finds them read.
    const times = [];
    const fresh = [];
    let bytes = 0;
    const view = async () => {
      const start = process.hrtime.bigint();
      const answer = await app.inject({ method: 'GET', url: '/', headers: { ...headers, cookie }, remoteAddress: '127.0.0.1' });
      bytes = answer.body.length;
      return Number(process.hrtime.bigint() - start) / 1e6;
    };
    for (let i = 0; i < 21; i++) {
      forgetReadEvents();
      fresh.push(await view());
      times.push(await view());
    }
    const ms = median(times);
    const freshMs = median(fresh);
    return {
      id: 'web',
      name: 'web: requests page, 500 pending',
      figure: `${ms.toFixed(1)} ms`,
      floor: `every event read anew ${freshMs.toFixed(0)} ms, first view ${coldMs.toFixed(0)} ms; ${pending} requests, ${(bytes / 1024).toFixed(0)} KiB`,
      ratio: null,
      target: '< 200 ms',
      met: ms < 200 && freshMs < 200,
      ms,
      coldMs,
      freshMs,
      fresh,
      pending,
      cards,
      bytes,
      times,
    };
  } finally {
    await app?.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

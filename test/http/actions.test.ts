// The answer forms over real HTTP: POST /actions checks the token and the
// fields, hands the right action to the runner (made of the real core,
// core-runner.ts), and the page the browser is sent back to shows what the
// runner answered, once. The preferences form is checked the way
// `itip-agent prefs` checks it.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { escapeHtml } from '../../src/http/html.js';
import { outcomeFlash } from '../../src/http/pages/actions.js';
import { etagOf } from '../../src/itip/actions/action.js';
import { ALICE, NOW, ROOM, seedCalendar, snapshot, type Seeded } from './calendar-seed.js';
import { coreRunner, type RunnerCall } from './core-runner.js';
import type { Browser } from './web-client.js';
import { startWeb, type Web } from './web-support.js';

let seeded: Seeded;
let web: Web;
let calls: RunnerCall[];
let alice: Browser;
let token: string;

// A fresh store for each test: the runner is the real core, so every answer changes the calendar.
beforeEach(async () => {
  seeded = await seedCalendar();
  const runner = coreRunner(seeded.store, () => NOW);
  calls = runner.calls;
  web = await startWeb({ store: seeded.store, now: () => NOW, runAction: runner.run });
  alice = web.browser();
  expect((await alice.signIn('alice@example.com', 'wonderland')).status).toBe(303);
  token = /name="_csrf" value="([^"]+)"/.exec((await alice.get('/')).body)![1]!;
});
afterEach(async () => {
  await web?.stop();
  await seeded?.close();
});

const etag = async (uid: string, user = ALICE) => etagOf((await seeded.store.getObject(user, uid))!);

function form(fields: Record<string, string>): Record<string, string> {
  return { _csrf: token, recurrence_id: '', back: '/', ...fields };
}

describe('POST /actions', () => {
  it('refuses a form without the session token (403) and calls nothing', async () => {
    const before = await snapshot(seeded.store);
    const count = calls.length;
    const fields = { kind: 'respond', uid: 'inv-1@example.org', recurrence_id: '', if_match: await etag('inv-1@example.org'), partstat: 'ACCEPTED', back: '/' };
    expect((await alice.post('/actions', fields)).status).toBe(403);
    expect((await alice.post('/actions', { ...fields, _csrf: 'not-the-token' })).status).toBe(403);
    expect(calls.length).toBe(count);
    expect(await snapshot(seeded.store)).toBe(before);
  });

  it('hands an answer with its comment and version to the runner, and shows its outcome once', async () => {
    const seen = await etag('inv-1@example.org');
    const answer = await alice.post('/actions', form({ kind: 'respond', uid: 'inv-1@example.org', if_match: seen, partstat: 'ACCEPTED', comment: 'See you <there>' }));
    expect(answer.status).toBe(303);
    expect(answer.headers.location).toBe('/');
    const call = calls.at(-1)!;
    expect(call).toMatchObject({
      user: ALICE,
      action: { kind: 'respond', uid: 'inv-1@example.org', partstat: 'ACCEPTED', comment: 'See you <there>' },
      ifMatch: seen,
    });
    expect(call.action).not.toHaveProperty('recurrenceId');
    const page = await alice.get('/');
    expect(page.body).toContain(escapeHtml(outcomeFlash(call.report).text));
    expect(page.body).toContain(escapeHtml(call.report.reason.replace(/\.$/, '')));
    // Shown once: the next view has no notice.
    expect((await alice.get('/')).body).not.toContain(escapeHtml(outcomeFlash(call.report).text));
  });

  it('turns each button and form into its action', async () => {
    const cases: Array<[Record<string, string>, object]> = [
      [{ kind: 'respond', uid: 'moved-1@example.org', partstat: 'TENTATIVE' }, { kind: 'respond', uid: 'moved-1@example.org', partstat: 'TENTATIVE' }],
      [{ kind: 'respond', uid: 'moved-1@example.org', partstat: 'DECLINED', comment: '  ' }, { kind: 'respond', uid: 'moved-1@example.org', partstat: 'DECLINED' }],
      [{ kind: 'propose', uid: 'moved-1@example.org', start: '2026-12-04T10:00', end: '2026-12-04T11:30', comment: 'Friday?' }, { kind: 'propose', uid: 'moved-1@example.org', start: '2026-12-04T10:00:00Z', end: '2026-12-04T11:30:00Z', comment: 'Friday?' }],
      [{ kind: 'delegate', uid: 'moved-1@example.org', to: ' Dan@Example.NET ' }, { kind: 'delegate', uid: 'moved-1@example.org', to: 'mailto:dan@example.net' }],
      [{ kind: 'ask-refresh', uid: 'moved-1@example.org' }, { kind: 'ask-refresh', uid: 'moved-1@example.org' }],
      [{ kind: 'counter-accept', uid: 'budget-1@example.com', attendee: 'dan@example.net' }, { kind: 'counter-accept', uid: 'budget-1@example.com', attendee: 'mailto:dan@example.net' }],
      [{ kind: 'counter-decline', uid: 'budget-1@example.com', attendee: 'dan@example.net', comment: 'No' }, { kind: 'counter-decline', uid: 'budget-1@example.com', attendee: 'mailto:dan@example.net', comment: 'No' }],
      [{ kind: 'refresh-answer', uid: 'sync-1@example.com', attendee: 'erin@example.net' }, { kind: 'refresh-answer', uid: 'sync-1@example.com', attendee: 'mailto:erin@example.net' }],
      [{ kind: 'delete', uid: 'series-1@example.org', recurrence_id: '2026-11-30T09:00:00Z' }, { kind: 'delete', uid: 'series-1@example.org', recurrenceId: '2026-11-30T09:00:00Z' }],
    ];
    for (const [fields, action] of cases) {
      const count = calls.length;
      const answer = await alice.post('/actions', form({ if_match: await etag(fields.uid!), ...fields }));
      expect(answer.status, fields.kind).toBe(303);
      expect(calls.length, fields.kind).toBe(count + 1);
      expect(calls.at(-1)!.action, fields.kind).toEqual(action);
      await alice.get('/');
    }
  });

  it('reads a proposed time in the user\'s zone', async () => {
    await seeded.store.transact(ALICE, (tx) => tx.setPref('TZID', 'Europe/Berlin'));
    try {
      const answer = await alice.post('/actions', form({ kind: 'propose', uid: 'moved-1@example.org', if_match: await etag('moved-1@example.org'), start: '2026-12-04T10:00', end: '2026-12-04T11:00' }));
      expect(answer.status).toBe(303);
      expect(calls.at(-1)!.action).toMatchObject({ start: '2026-12-04T09:00:00Z', end: '2026-12-04T10:00:00Z' });
    } finally {
      await seeded.store.transact(ALICE, (tx) => tx.setPref('TZID', null));
    }
  });

  it('sends a form with a problem back as its page (400), says what is wrong, keeps what was typed, calls nothing', async () => {
    const count = calls.length;
    const backwards = await alice.post('/actions', form({ kind: 'propose', uid: 'inv-1@example.org', if_match: await etag('inv-1@example.org'), start: '2026-12-01T11:00', end: '2026-12-01T08:00', comment: 'a "better" time' }));
    expect(backwards.status).toBe(400);
    expect(backwards.body).toContain('The end (Tue 1 Dec 2026, 08:00) must be after the start (Tue 1 Dec 2026, 11:00).');
    expect(backwards.body).toContain('<details open>\n<summary>Propose a new time</summary>');
    expect(backwards.body).toContain('name="start" required value="2026-12-01T11:00"');
    expect(backwards.body).toContain('value="a &quot;better&quot; time"');

    const nobody = await alice.post('/actions', form({ kind: 'delegate', uid: 'inv-1@example.org', if_match: await etag('inv-1@example.org'), to: 'not an <address>', back: '/event/inv-1%40example.org' }));
    expect(nobody.status).toBe(400);
    expect(nobody.body).toContain('&quot;not an &lt;address&gt;&quot; is not a mail address');
    // The event page it came from, not the requests page.
    expect(nobody.body).toContain('<dt>Where</dt>');

    const self = await alice.post('/actions', form({ kind: 'delegate', uid: 'inv-1@example.org', if_match: await etag('inv-1@example.org'), to: 'alice@example.com' }));
    expect(self.body).toContain('You cannot delegate to yourself');
    const broken: Array<Record<string, string>> = [
      { kind: 'reboot', uid: 'inv-1@example.org', if_match: await etag('inv-1@example.org') },
      { kind: 'respond', uid: 'inv-1@example.org', if_match: await etag('inv-1@example.org'), partstat: 'MAYBE' },
      { kind: 'respond', uid: 'inv-1@example.org', partstat: 'ACCEPTED' },
      { kind: 'respond', uid: '', if_match: await etag('inv-1@example.org'), partstat: 'ACCEPTED' },
      { kind: 'respond', uid: 'inv-1@example.org', if_match: await etag('inv-1@example.org'), partstat: 'ACCEPTED', recurrence_id: 'yesterday' },
      { kind: 'respond', uid: 'inv-1@example.org', if_match: await etag('inv-1@example.org'), partstat: 'ACCEPTED', comment: 'x'.repeat(1001) },
    ];
    for (const fields of broken) {
      const answer = await alice.post('/actions', form(fields));
      expect(answer.status, JSON.stringify(fields).slice(0, 80)).toBe(400);
      expect(answer.body).toContain('class="notice error" role="alert"');
    }
    expect(calls.length).toBe(count);
  });

  it('shows the refusal of an answer to a version that changed since the page was made', async () => {
    const answer = await alice.post('/actions', form({ kind: 'respond', uid: 'inv-1@example.org', if_match: '"an-older-version"', partstat: 'DECLINED' }));
    expect(answer.status).toBe(303);
    expect(calls.at(-1)!.report.outcome).toBe('stale');
    const page = await alice.get('/');
    expect(page.body).toContain('Not done: the event changed since you looked');
    expect(page.body).toContain('decide again.');
  });

  it('goes back only to a page of this site', async () => {
    const event = await alice.post('/actions', form({ kind: 'delete', uid: 'inv-1@example.org', if_match: await etag('inv-1@example.org'), back: '/event/inv-1%40example.org' }));
    expect(event.headers.location).toBe('/event/inv-1%40example.org');
    // (inv-1 is gone now: the second form answers another invitation.)
    const elsewhere = await alice.post('/actions', form({ kind: 'respond', uid: 'moved-1@example.org', partstat: 'TENTATIVE', if_match: await etag('moved-1@example.org'), back: '//evil.example/' }));
    expect(elsewhere.headers.location).toBe('/');
  });

  it('says so when no runner is set up (503), and changes nothing', async () => {
    const bare = await startWeb({ store: seeded.store, now: () => NOW });
    try {
      const browser = bare.browser();
      await browser.signIn('alice@example.com', 'wonderland');
      const own = /name="_csrf" value="([^"]+)"/.exec((await browser.get('/')).body)![1]!;
      const before = await snapshot(seeded.store);
      const answer = await browser.post('/actions', { _csrf: own, kind: 'respond', uid: 'inv-1@example.org', recurrence_id: '', if_match: await etag('inv-1@example.org'), partstat: 'ACCEPTED', back: '/' });
      expect(answer.status).toBe(503);
      expect(answer.body).toContain('nothing was changed');
      expect(await snapshot(seeded.store)).toBe(before);
    } finally {
      await bare.stop();
    }
  });
});

describe('outcomeFlash', () => {
  it('names what was sent to whom, or why nothing was done and what to do', () => {
    expect(outcomeFlash({ outcome: 'applied', reason: 'answered ACCEPTED.', queued: [{ id: 'x', method: 'REPLY', to: ['mailto:carol@example.org'] }] })).toEqual({
      kind: 'info',
      text: 'Done: answered ACCEPTED. REPLY sent to carol@example.org.',
    });
    expect(outcomeFlash({ outcome: 'refused', reason: 'not invited', queued: [] })).toEqual({ kind: 'error', text: 'Not done: not invited.' });
    expect(outcomeFlash({ outcome: 'error', reason: 'disk full', queued: [] }).text).toMatch(/^It could not be done: disk full\. Nothing was changed; try again/);
  });
});

describe('POST /preferences', () => {
  it('saves a value checked as `prefs` checks it, refuses a bad one with the same words, removes one', async () => {
    const bad = await alice.post('/preferences', { _csrf: token, key: 'TZID', value: 'Mars/Olympus_Mons', op: 'set' });
    expect(bad.status).toBe(400);
    expect(bad.body).toContain('TZID &quot;Mars/Olympus_Mons&quot; is not a time zone we know');
    expect(bad.body).toContain('value="Mars/Olympus_Mons" spellcheck="false" autocapitalize="none" aria-invalid="true"');
    expect((await seeded.store.getPrefs(ALICE)).TZID).toBeUndefined();

    const good = await alice.post('/preferences', { _csrf: token, key: 'tzid', value: ' Europe/Berlin ', op: 'set' });
    expect(good.status).toBe(303);
    expect(good.headers.location).toBe('/preferences');
    expect((await seeded.store.getPrefs(ALICE)).TZID).toBe('Europe/Berlin');
    expect((await alice.get('/preferences')).body).toContain('Saved: TZID is now Europe/Berlin.');

    const removed = await alice.post('/preferences', { _csrf: token, key: 'TZID', op: 'unset' });
    expect(removed.status).toBe(303);
    expect((await seeded.store.getPrefs(ALICE)).TZID).toBeUndefined();

    expect((await alice.post('/preferences', { _csrf: token, key: 'no_such_key', value: '1', op: 'set' })).status).toBe(400);
    expect((await alice.post('/preferences', { key: 'TZID', value: 'UTC', op: 'set' })).status).toBe(403);
  });

  it('lets an owner change a resource\'s settings', async () => {
    const answer = await alice.post('/preferences', { _csrf: token, key: 'capacity', value: '2', op: 'set', user: 'room-1@example.com' });
    expect(answer.status).toBe(303);
    expect(answer.headers.location).toBe('/preferences?user=room-1%40example.com');
    expect((await seeded.store.getPrefs(ROOM)).capacity).toBe('2');
  });
});

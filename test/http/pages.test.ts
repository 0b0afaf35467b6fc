// The calendar pages over real HTTP on loopback, with a store filled through
// the real mail path (calendar-seed.ts): what each page shows, escaped; the
// forms and their tokens; whose data a page may show; and that looking at a
// page changes nothing.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { escapeHtml } from '../../src/http/html.js';
import { etagOf } from '../../src/itip/actions/action.js';
import { ALICE, BOB, HOSTILE_SUMMARY, NOW, seedCalendar, snapshot, type Seeded } from './calendar-seed.js';
import { coreRunner, type RunnerCall } from './core-runner.js';
import type { Browser } from './web-client.js';
import { startWeb, type Web } from './web-support.js';

let seeded: Seeded;
let web: Web;
let calls: RunnerCall[];
let alice: Browser;
let bob: Browser;

beforeAll(async () => {
  seeded = await seedCalendar();
  const runner = coreRunner(seeded.store, () => NOW);
  calls = runner.calls;
  web = await startWeb({ store: seeded.store, now: () => NOW, runAction: runner.run });
  alice = web.browser();
  expect((await alice.signIn('alice@example.com', 'wonderland')).status).toBe(303);
  bob = web.browser();
  expect((await bob.signIn('bob@example.com', 'builder')).status).toBe(303);
});
afterAll(async () => {
  await web?.stop();
  await seeded?.close();
});

/** The value of a hidden field as the page writes it (escaped). */
const field = (name: string, value: string) => `name="${name}" value="${escapeHtml(value)}"`;

describe('the requests page', () => {
  it('lists the invitations with their changes and clashes, the hostile text as text', async () => {
    const page = await alice.get('/');
    expect(page.status).toBe(200);
    expect(page.headers['content-security-policy']).toContain("default-src 'none'");
    expect(page.body).not.toContain(HOSTILE_SUMMARY);
    expect(page.body).toContain(escapeHtml(HOSTILE_SUMMARY));
    // What each invitation changes.
    expect(page.body).toContain('New invitation');
    expect(page.body).toContain('Moved: from Wed 2 Dec 2026, 10:00-11:00 to Thu 3 Dec 2026, 14:00-15:00');
    // The hostile invitation clashes with Alice's own "Budget review" (09:30-10:30); the moved one with nothing.
    const hostile = cardOf(page.body, escapeHtml(HOSTILE_SUMMARY));
    expect(hostile).toContain('Clashes with');
    expect(hostile).toContain('Budget review</a>: Tue 1 Dec 2026, 09:30-10:30 (busy)');
    expect(cardOf(page.body, 'Quarterly planning')).toContain('No clash with your calendar.');
    // The weekly series: one card, the next instance shown, its cancelled instance named.
    expect(cardOf(page.body, 'Weekly stand-up')).toContain('Mon 16 Nov 2026, 09:00-09:30');
    expect(page.body).toContain('Times are in UTC');
  });

  it('gives each answer form the session token, the event, its version and the kind', async () => {
    const page = await alice.get('/');
    const stored = (await seeded.store.getObject(ALICE, 'inv-1@example.org'))!;
    const card = cardOf(page.body, escapeHtml(HOSTILE_SUMMARY));
    const token = csrfIn(page.body);
    const forms = card.split('<form ').slice(1);
    expect(forms.length).toBe(3);
    for (const form of forms) {
      expect(form).toContain('method="post" action="/actions"');
      expect(form).toContain(field('_csrf', token));
      expect(form).toContain(field('uid', 'inv-1@example.org'));
      expect(form).toContain(field('recurrence_id', ''));
      expect(form).toContain(field('if_match', etagOf(stored)));
    }
    expect(forms[0]).toContain(field('kind', 'respond'));
    for (const answer of ['ACCEPTED', 'TENTATIVE', 'DECLINED']) expect(forms[0]).toContain(`<button type="submit" name="partstat" value="${answer}"`);
    expect(forms[0]).toMatch(/<label>Comment to the organizer \(optional\)\s*<input type="text" name="comment"/);
    expect(forms[1]).toContain(field('kind', 'propose'));
    expect(forms[1]).toContain('name="start" required value="2026-12-01T09:00"');
    expect(forms[1]).toContain('name="end" required value="2026-12-01T10:00"');
    expect(forms[2]).toContain(field('kind', 'delegate'));
    expect(forms[2]).toContain('<input type="email" name="to" required');
  });

  it('shows the proposal an attendee made, with Accept and Decline, and the refresh request', async () => {
    const page = await alice.get('/');
    const stored = (await seeded.store.getObject(ALICE, 'budget-1@example.com'))!;
    const proposal = cardOf(page.body, 'proposes another time');
    expect(proposal).toContain('Dan (dan@example.net) proposes another time');
    expect(proposal).toContain('Now: Tue 1 Dec 2026, 09:30-10:30');
    expect(proposal).toContain('Proposed: Tue 1 Dec 2026, 11:00-12:00');
    expect(proposal).toContain(`Their comment: <q class="quoted">Later &lt;please&gt;</q>`);
    expect(proposal).toContain(field('kind', 'counter-accept'));
    expect(proposal).toContain(field('kind', 'counter-decline'));
    expect(proposal).toContain(field('attendee', 'dan@example.net'));
    expect(proposal).toContain(field('if_match', etagOf(stored)));
    const refresh = cardOf(page.body, 'asks for the current version');
    expect(refresh).toContain('erin@example.net asks for the current version of this event');
    expect(refresh).toContain(field('kind', 'refresh-answer'));
    expect(refresh).toContain(field('attendee', 'erin@example.net'));
    expect(refresh).toContain('>Send the current version</button>');
  });

  it('has the navigation, a skip link, and no inline style or script anywhere', async () => {
    for (const path of ['/', '/calendar', '/calendar?month=2026-12', '/event/inv-1%40example.org', '/free-busy', '/preferences', '/bookings', '/bookings/room-1%40example.com']) {
      const page = await alice.get(path);
      expect(page.status, path).toBe(200);
      expect(page.body, path).toContain('<a class="skip" href="#main">');
      expect(page.body, path).toContain('<nav aria-label="Pages">');
      expect(page.body, path).toContain('action="/logout"');
      expect(page.body, path).not.toMatch(/<script|\sstyle=|\son[a-z]+=/i);
    }
    expect((await alice.get('/calendar')).body).toContain('<a href="/calendar" aria-current="page">Calendar</a>');
  });
});

describe('the calendar', () => {
  it('shows the week of the calendar clock by default, with the series expanded', async () => {
    const page = await alice.get('/calendar');
    expect(page.body).toContain('Week 47 of 2026');
    expect(page.body).toMatch(/Mon 16 Nov<span class="tag">today<\/span>|Mon 16 Nov <span class="tag">today<\/span>/);
    expect(page.body).toContain('<span class="time">09:00-09:30</span> Weekly stand-up');
    expect(page.body).toContain('href="/event/series-1%40example.org?rid=2026-11-16T09%3A00%3A00Z"');
  });

  it('shows a cancelled instance struck through and labelled', async () => {
    const page = await alice.get('/calendar?week=2026-W48');
    expect(page.body).toContain('<del><span class="time">09:00-09:30</span> Weekly stand-up</del>');
    expect(page.body).toContain('<span class="tag cancelled">cancelled</span>');
  });

  it('shows a month with every event of it, hostile text escaped, times in the user\'s zone', async () => {
    const page = await alice.get('/calendar?month=2026-12');
    expect(page.body).toContain('December 2026');
    expect(page.body).toContain(`<span class="time">09:00-10:00</span> ${escapeHtml(HOSTILE_SUMMARY)}`);
    expect(page.body).toContain('<span class="time">14:00-15:00</span> Quarterly planning');
    expect(page.body).not.toContain(HOSTILE_SUMMARY);
    // The series' last instance (21 December), and nothing of Bob's.
    expect(page.body).toContain('href="/event/series-1%40example.org?rid=2026-12-21T09%3A00%3A00Z"');
    expect(page.body).not.toContain('Bob private');

    await seeded.store.transact(ALICE, (tx) => tx.setPref('TZID', 'Europe/Berlin'));
    try {
      const berlin = await alice.get('/calendar?month=2026-12');
      expect(berlin.body).toContain(`<span class="time">10:00-11:00</span> ${escapeHtml(HOSTILE_SUMMARY)}`);
      expect(berlin.body).toContain('Times in Europe/Berlin');
    } finally {
      await seeded.store.transact(ALICE, (tx) => tx.setPref('TZID', null));
    }
  });

  it('says what is wrong with a week or month it cannot read', async () => {
    const week = await alice.get('/calendar?week=2026-W60');
    expect(week.status).toBe(400);
    expect(week.body).toContain('&quot;2026-W60&quot; is no week; write it like 2026-W47.');
    expect((await alice.get('/calendar?month=2026-13')).status).toBe(400);
  });
});

describe('the event page', () => {
  it('shows the event, its people and the description as escaped text, with the answer forms', async () => {
    const page = await alice.get('/event/inv-1%40example.org');
    expect(page.status).toBe(200);
    expect(page.body).toContain(`<title>${escapeHtml(HOSTILE_SUMMARY)} - itip-agent</title>`);
    expect(page.body).toContain(`<h1>${escapeHtml(HOSTILE_SUMMARY)}</h1>`);
    expect(page.body).toContain('Room &quot;A&quot; &amp; &lt;B&gt;');
    expect(page.body).toContain('Bob &quot;The Builder&quot; &lt;b&gt; (bob@example.com)');
    expect(page.body).toContain('<div class="description">Line one\nLine &lt;b&gt;two&lt;/b&gt; &amp; &quot;three&quot;</div>');
    expect(page.body).toContain('Carol (carol@example.org)');
    expect(page.body).toContain(field('kind', 'respond'));
    expect(page.body).toContain(field('kind', 'ask-refresh'));
    expect(page.body).toContain(field('kind', 'delete'));
    expect(page.body).toContain('Delete the event from the calendar');
    expect(page.body).not.toMatch(/<script|<b>|<B>/);
  });

  it('shows each attendee\'s answer and the delivery status with its meaning', async () => {
    const page = await alice.get('/event/budget-1%40example.com');
    expect(page.body).toMatch(
      /Dan \(dan@example.net\)<\/td>\s*<td data-label="Role">required participant<\/td>\s*<td data-label="Answer"><span class="partstat partstat-needs-action">has not answered<\/span><\/td>\s*<td data-label="Delivery"><span class="status"><code>1.2<\/code> delivered<\/span><\/td>/,
    );
    expect(page.body).toContain('<code>3.7</code> invalid calendar user: there is no such mailbox');
    // The organizer gets Cancel, not the attendee's answer forms.
    expect(page.body).toContain('Cancel the event');
    expect(page.body).not.toContain(field('kind', 'respond'));
  });

  it('shows a series with its instances, the cancelled one labelled, and one instance on its own', async () => {
    const page = await alice.get('/event/series-1%40example.org');
    expect(page.body).toContain('<code>FREQ=WEEKLY;COUNT=6</code>');
    expect(page.body).toMatch(/<del>Mon 23 Nov 2026, 09:00-09:30<\/del><\/a> <span class="tag cancelled">cancelled<\/span>/);
    const instance = await alice.get('/event/series-1%40example.org?rid=2026-11-23T09%3A00%3A00Z');
    expect(instance.body).toContain('<del>Mon 23 Nov 2026, 09:00-09:30</del>');
    expect(instance.body).toContain('one instance of a repeating event');
    expect(instance.body).not.toContain(field('kind', 'respond'));
  });

  it('answers 404 for an event that is not in the user\'s own calendar', async () => {
    const page = await alice.get('/event/bob-only%40example.org');
    expect(page.status).toBe(404);
    expect(page.body).not.toContain('Bob private');
    expect((await bob.get('/event/bob-only%40example.org')).status).toBe(200);
  });
});

describe('free/busy, preferences and resources', () => {
  it('lists the own busy times per day', async () => {
    const page = await alice.get('/free-busy?from=2026-12-01&weeks=1');
    expect(page.status).toBe(200);
    expect(page.body).toContain('<h3>Tue 1 Dec 2026</h3><ul class="entries"><li><span class="time">09:30-10:30</span> <span class="tag fb-busy">busy</span>');
    expect(page.body).toContain('<h3>Wed 2 Dec 2026</h3><p class="muted nothing">Free</p>');
    expect((await alice.get('/free-busy?weeks=99')).status).toBe(400);
  });

  it('shows the preferences with their value, default and meaning', async () => {
    const page = await alice.get('/preferences');
    expect(page.body).toContain('<h3 id="pref-TZID"><code>TZID</code></h3>');
    expect(page.body).toMatch(/<code>event_refreshing<\/code><\/h3>\s*<p>Answer REFRESH requests automatically: never \(default, queue them\) or always\.<\/p>/);
    expect(page.body).toMatch(/id="pref-event_refreshing"[\s\S]*?<dt>Default<\/dt><dd><code>never<\/code><\/dd>/);
    // A person is not shown the settings of resources.
    expect(page.body).not.toContain('pref-capacity');
    const room = await alice.get('/preferences?user=room-1@example.com');
    expect(room.status).toBe(200);
    expect(room.body).toMatch(/id="pref-owners"[\s\S]*?<strong class="value">alice@example.com<\/strong>/);
    expect(room.body).toContain('pref-capacity');
  });

  it('lists the resources a person manages and their bookings', async () => {
    const list = await alice.get('/bookings');
    expect(list.body).toContain('<a href="/bookings/room-1%40example.com">room-1@example.com</a>');
    const bookings = await alice.get('/bookings/room-1%40example.com?from=2026-11-16&weeks=1');
    expect(bookings.status).toBe(200);
    expect(bookings.body).toContain('Offsite prep</a> <span class="muted">booked by Carol (carol@example.org)</span>');
    expect((await bob.get('/bookings')).body).toContain('You manage no resource.');
  });
});

describe('access', () => {
  it('refuses with 403 a page that names another user\'s data, unless the user may act for it', async () => {
    for (const path of [
      '/?user=bob@example.com',
      '/calendar?user=bob@example.com',
      '/event/bob-only%40example.org?user=bob@example.com',
      '/free-busy?user=bob@example.com',
      '/preferences?user=bob@example.com',
      '/bookings/bob%40example.com',
    ]) {
      const page = await alice.get(path);
      expect(page.status, path).toBe(403);
      expect(page.body, path).not.toContain('Bob private');
    }
    for (const path of ['/bookings/room-1%40example.com', '/calendar?user=room-1@example.com', '/preferences?user=room-1@example.com']) {
      expect((await bob.get(path)).status, path).toBe(403);
      expect((await alice.get(path)).status, path).toBe(200);
    }
    // A user named in a form is checked the same way.
    const page = await alice.get('/');
    const forged = await alice.post('/actions', { _csrf: csrfIn(page.body), kind: 'delete', uid: 'bob-only@example.org', recurrence_id: '', if_match: '"x"', user: 'bob@example.com', back: '/' });
    expect(forged.status).toBe(403);
    const prefs = await alice.post('/preferences', { _csrf: csrfIn(page.body), key: 'TZID', value: 'Europe/Berlin', op: 'set', user: 'bob@example.com' });
    expect(prefs.status).toBe(403);
    expect((await seeded.store.getPrefs(BOB)).TZID).toBeUndefined();
    expect(calls.filter((c) => c.user === BOB)).toEqual([]);
  });

  it('changes nothing in the store by looking at pages', async () => {
    const before = await snapshot(seeded.store);
    for (const path of [
      '/',
      '/calendar',
      '/calendar?week=2026-W48',
      '/calendar?month=2026-12',
      '/event/inv-1%40example.org',
      '/event/budget-1%40example.com',
      '/event/series-1%40example.org?rid=2026-11-23T09%3A00%3A00Z',
      '/free-busy',
      '/preferences',
      '/preferences?user=room-1@example.com',
      '/bookings',
      '/bookings/room-1%40example.com',
      '/actions',
    ]) {
      await alice.get(path);
    }
    expect(await snapshot(seeded.store)).toBe(before);
  });
});

/** The card (article) of a page that contains `text`. */
function cardOf(page: string, text: string): string {
  const card = page.split('<article ').find((part) => part.includes(text));
  if (!card) throw new Error(`no card with ${text} in:\n${page}`);
  return card.split('</article>')[0]!;
}

/** The session's CSRF token as the sign-out form carries it. */
function csrfIn(page: string): string {
  const match = /action="\/logout"[^>]*>\s*<input type="hidden" name="_csrf" value="([^"]+)"/.exec(page);
  if (!match) throw new Error('no sign-out form with a token');
  return match[1]!;
}

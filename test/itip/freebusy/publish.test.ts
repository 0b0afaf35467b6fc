// Published free/busy (RFC 5546 section 3.3.1): who publishes, which range,
// and the VFREEBUSY the one builder makes for it.

import ICAL from 'ical.js';
import { describe, expect, it } from 'vitest';
import { publishFreeBusy, publishedRange, publishesFreeBusy } from '../../../src/itip/freebusy/vfreebusy.js';
import type { Period } from '../../../src/itip/model.js';

const NOW = Date.parse('2026-11-15T12:34:56Z');
const ALICE = 'mailto:alice@example.com';
const PUBLISHING = { freebusy_sharing: 'share', freebusy_publishing: 'publish', freebusy_window_days: '30' };

const period = (start: string, end: string, fbtype: Period['fbtype'] = 'BUSY', uid = 'e'): Period => ({ start, end, fbtype, uid, recurrenceId: null });

function parse(ics: string) {
  const vcalendar = new ICAL.Component(ICAL.parse(ics) as unknown[]);
  const vfreebusy = vcalendar.getFirstSubcomponent('vfreebusy')!;
  return {
    method: vcalendar.getFirstPropertyValue('method'),
    vfreebusy,
    busy: vfreebusy.getAllProperties('freebusy').map((p) => `${String(p.getParameter('fbtype'))} ${(p.getFirstValue() as ICAL.Period).toString()}`),
  };
}

describe('who publishes', () => {
  it('needs freebusy_publishing=publish and freebusy_sharing=share, as imip-agent does', () => {
    expect(publishesFreeBusy(PUBLISHING)).toBe(true);
    expect(publishesFreeBusy({ freebusy_publishing: 'publish' })).toBe(false);
    expect(publishesFreeBusy({ freebusy_sharing: 'share' })).toBe(false);
    expect(publishesFreeBusy({ freebusy_sharing: 'share', freebusy_publishing: 'no' })).toBe(false);
    expect(publishFreeBusy({ user: ALICE, prefs: { freebusy_sharing: 'share' }, busy: [], now: NOW })).toMatchObject({ problem: 'not-published' });
  });
});

describe('the range', () => {
  it('runs from today 00:00 UTC to the end of the free/busy window by default', () => {
    const range = publishedRange(PUBLISHING, NOW);
    expect(new Date(range.from).toISOString()).toBe('2026-11-15T00:00:00.000Z');
    expect(range.to).toBe(NOW + 30 * 86_400_000);
  });

  it('cuts an asked range to the window, and says when nothing of it is inside', () => {
    const range = publishedRange(PUBLISHING, NOW, { from: NOW - 400 * 86_400_000, to: NOW + 400 * 86_400_000 });
    expect([range.from, range.to]).toEqual([NOW - 30 * 86_400_000, NOW + 30 * 86_400_000]);
    const outside = publishFreeBusy({ user: ALICE, prefs: PUBLISHING, busy: [], now: NOW, from: NOW + 40 * 86_400_000, to: NOW + 50 * 86_400_000 });
    expect(outside).toMatchObject({ problem: 'outside-window' });
  });
});

describe('the VFREEBUSY', () => {
  it('is a PUBLISH with the user as ORGANIZER, DTSTART/DTEND in UTC, busy periods cut, joined per type and sorted', () => {
    const busy = [
      period('2026-11-20T10:00:00Z', '2026-11-20T11:00:00Z'),
      period('2026-11-20T10:30:00Z', '2026-11-20T12:00:00Z', 'BUSY', 'other'),
      period('2026-11-18T09:00:00Z', '2026-11-18T09:30:00Z', 'BUSY-TENTATIVE'),
      // Starts before the range: only its part inside is published.
      period('2026-11-14T23:00:00Z', '2026-11-15T01:00:00Z'),
    ];
    const published = publishFreeBusy({ user: ALICE, prefs: { ...PUBLISHING, CN: 'Alice A.' }, busy, now: NOW });
    if ('problem' in published) throw new Error(published.problem);
    const { method, vfreebusy, busy: shown } = parse(published.ics);
    expect(method).toBe('PUBLISH');
    expect(vfreebusy.getFirstPropertyValue('organizer')).toBe(ALICE);
    expect(vfreebusy.getFirstProperty('organizer')!.getParameter('cn')).toBe('Alice A.');
    expect(vfreebusy.getAllProperties('attendee')).toEqual([]);
    expect(String(vfreebusy.getFirstPropertyValue('dtstart'))).toBe('2026-11-15T00:00:00Z');
    expect(String(vfreebusy.getFirstPropertyValue('dtend'))).toBe('2026-12-15T12:34:56Z');
    expect(String(vfreebusy.getFirstPropertyValue('dtstamp'))).toBe('2026-11-15T12:34:56Z');
    expect(shown).toEqual([
      'BUSY 2026-11-15T00:00:00Z/2026-11-15T01:00:00Z',
      'BUSY-TENTATIVE 2026-11-18T09:00:00Z/2026-11-18T09:30:00Z',
      'BUSY 2026-11-20T10:00:00Z/2026-11-20T12:00:00Z',
    ]);
    expect(published.periods).toBe(3);
  });

  it('keeps one UID per user, so that a client fetching again replaces what it had', () => {
    const uid = (user: string, now: number) => {
      const published = publishFreeBusy({ user, prefs: PUBLISHING, busy: [], now });
      if ('problem' in published) throw new Error(published.problem);
      return parse(published.ics).vfreebusy.getFirstPropertyValue('uid');
    };
    expect(uid(ALICE, NOW)).toBe(uid(ALICE, NOW + 86_400_000));
    expect(uid(ALICE, NOW)).not.toBe(uid('mailto:bob@example.com', NOW));
  });
});

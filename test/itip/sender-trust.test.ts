// Sender binding with the MTA's word: a trusted DMARC fail, a local organizer
// arriving from outside, and the optional pass requirement for outsiders.

import { describe, expect, it } from 'vitest';
import { eventsOf, parseCalendar } from '../../src/ical/calendar.js';
import type { ItipInput, SenderTrust } from '../../src/itip/effects.js';
import { schedule } from '../../src/itip/schedule.js';

function request(organizer: string): string {
  return [
    'BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//t//EN', 'METHOD:REQUEST',
    'BEGIN:VEVENT', 'UID:u1', 'DTSTAMP:20261101T080000Z', 'DTSTART:20261201T090000Z', 'DTEND:20261201T100000Z',
    'SEQUENCE:0', 'SUMMARY:Review', `ORGANIZER:mailto:${organizer}`,
    'ATTENDEE;PARTSTAT=NEEDS-ACTION:mailto:alice@example.com', 'END:VEVENT', 'END:VCALENDAR', '',
  ].join('\r\n');
}

const TRUST: SenderTrust = { verifiedDomains: [], origin: 'external', localDomains: ['example.com'], requirePassExternal: false };

function run(organizer: string, trust: Partial<SenderTrust> | undefined) {
  const message = parseCalendar(request(organizer));
  const input: ItipInput = {
    method: 'REQUEST',
    uid: 'u1',
    components: eventsOf(message),
    message,
    user: 'mailto:alice@example.com',
    role: 'person',
    prefs: {},
    counters: [],
    sender: { addresses: [`mailto:${organizer}`], ...(trust ? { trust: { ...TRUST, ...trust } } : {}) },
    direction: 'incoming',
    now: Date.parse('2026-11-01T00:00:00Z'),
  };
  return schedule(input);
}

describe('sender binding with trust facts', () => {
  it('keeps the address-only binding when no checks are configured', () => {
    expect(run('boss@example.com', undefined).outcome).toBe('applied');
  });

  it('refuses a local organizer that arrives from outside unauthenticated', () => {
    const result = run('boss@example.com', {});
    expect(result.outcome).toBe('refused');
    expect(result.effects).toEqual([]);
    expect(result.reason).toBe(
      'the mail claims to come from the local address mailto:boss@example.com but arrived from outside without authentication',
    );
  });

  it('accepts a local organizer that came through an authenticated route or a passing check', () => {
    expect(run('boss@example.com', { origin: 'internal' }).outcome).toBe('applied');
    expect(run('boss@example.com', { verifiedDomains: ['example.com'] }).outcome).toBe('applied');
  });

  it('refuses on a trusted DMARC fail, even for an outside organizer', () => {
    const result = run('boss@example.org', { failure: 'DMARC failed for example.org (Authentication-Results of mx.example.com)' });
    expect(result.outcome).toBe('refused');
    expect(result.reason).toMatch(/^DMARC failed for example.org/);
  });

  it('keeps to the address binding when nothing tells where the mail came from', () => {
    expect(run('boss@example.com', { origin: 'unknown' }).outcome).toBe('applied');
  });

  it('lets outside senders through without a pass unless the policy requires one', () => {
    expect(run('boss@example.org', {}).outcome).toBe('applied');
    const strict = run('boss@example.org', { requirePassExternal: true });
    expect(strict.outcome).toBe('refused');
    expect(strict.reason).toMatch(/external senders must pass one/);
    expect(run('boss@example.org', { requirePassExternal: true, verifiedDomains: ['example.org'] }).outcome).toBe('applied');
  });
});

// Mails for one organizer and one UID, for the tests of concurrent delivery
// (LMTP connections, pipe runs, stores): the organizer's REQUEST to a list of
// attendees, each attendee's REPLY, and the PARTSTATs the organizer's stored
// copy ends with.

import type { Store } from '../../src/store/store.js';
import { imipMail } from '../cli/helpers.js';

export const BOSS = 'boss@example.com';
export const UID = 'planning@example.com';
export const attendees = (n: number) => Array.from({ length: n }, (_, i) => `a${i + 1}@example.com`);

function event(method: 'REQUEST' | 'REPLY', attendeeLines: string[]): string {
  return [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'PRODID:-//Example Corp//Calendar//EN',
    `METHOD:${method}`,
    'BEGIN:VEVENT',
    `UID:${UID}`,
    `DTSTAMP:${method === 'REQUEST' ? '20261101T080000Z' : '20261102T080000Z'}`,
    'DTSTART:20261210T090000Z',
    'DTEND:20261210T100000Z',
    'SEQUENCE:0',
    'SUMMARY:Planning',
    `ORGANIZER;CN=Boss:mailto:${BOSS}`,
    ...attendeeLines,
    'END:VEVENT',
    'END:VCALENDAR',
    '',
  ].join('\n');
}

export function request(people: string[]): Buffer {
  const lines = people.map((a) => `ATTENDEE;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:${a}`);
  return imipMail({ from: `Boss <${BOSS}>`, to: people, subject: 'Planning', messageId: 'planning-request@example.com', ics: event('REQUEST', lines) });
}

export function reply(attendee: string, partstat: string): Buffer {
  const ics = event('REPLY', [`ATTENDEE;PARTSTAT=${partstat}:mailto:${attendee}`]);
  return imipMail({ from: attendee, to: [BOSS], subject: `${partstat}: Planning`, messageId: `reply-${attendee}`, ics });
}

/** The PARTSTAT of each attendee in the organizer's stored copy. */
export async function partstats(store: Store): Promise<Record<string, string>> {
  const ics = (await store.getObject(`mailto:${BOSS}`, UID))!.ics.replace(/\r\n[ \t]/g, '');
  return Object.fromEntries([...ics.matchAll(/^ATTENDEE[^:\r\n]*PARTSTAT=([A-Z-]+)[^:\r\n]*:mailto:(\S+)$/gm)].map((m) => [m[2]!, m[1]!]));
}


// Calendar spam through the command line, as an MTA runs the agent: with
// `incoming=known`, `process --deliver stdout` passes a stranger's invitation
// on byte for byte, the journal says `ignored` and why, and nothing is stored,
// queued or answered; once the user has written to that person (the outgoing
// rule), their next invitation is taken in.

import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from './run-cli.js';
import { imipMail, json, ok } from './helpers.js';

function invitation(uid: string, organizer: string, attendee: string, messageId: string): Buffer {
  return imipMail({
    from: `<${organizer}>`,
    to: [`<${attendee}>`],
    subject: 'Invitation',
    messageId,
    ics: [
      'BEGIN:VCALENDAR',
      'VERSION:2.0',
      'PRODID:-//Example Corp//Calendar//EN',
      'METHOD:REQUEST',
      'BEGIN:VEVENT',
      `UID:${uid}`,
      'DTSTAMP:20261101T080000Z',
      'DTSTART:20261204T150000Z',
      'DTEND:20261204T160000Z',
      'SEQUENCE:0',
      'SUMMARY:Offer',
      `ORGANIZER:mailto:${organizer}`,
      `ATTENDEE;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:${attendee}`,
      'END:VEVENT',
      'END:VCALENDAR',
      '',
    ].join('\r\n'),
  });
}

describe('process with incoming=known', () => {
  const dir = tempDir();
  const store = join(dir.path, 'store');
  afterAll(() => dir.remove());
  const stranger = 'sales@spam.example';

  it('delivers a stranger\'s invitation unchanged and changes nothing', () => {
    ok(['prefs', 'alice@example.com', 'incoming', 'known'], { store });
    const input = invitation('spam-1@spam.example', stranger, 'alice@example.com', 'spam-1@spam.example');
    const result = ok(['process', '--recipient', 'alice@example.com', '--sender', stranger, '--deliver', 'stdout'], { store, input });
    expect(result.stdoutBytes.equals(input)).toBe(true);
    const journal = json<Array<{ outcome: string; reason: string }>>(['journal', '--user', 'alice@example.com'], { store });
    expect(journal.map((e) => e.outcome)).toEqual(['ignored']);
    expect(journal[0]!.reason).toContain('incoming=known: mailto:sales@spam.example is not local, not a correspondent and not on incoming_allow');
    expect(json(['objects', '--user', 'alice@example.com'], { store })).toEqual([]);
    expect(json(['requests', '--user', 'alice@example.com'], { store })).toEqual([]);
    expect(json(['outbox', '--user', 'alice@example.com'], { store })).toEqual([]);
  });

  it('takes in the invitation of someone the user has written to', () => {
    const sent = invitation('alice-1@example.com', 'alice@example.com', stranger, 'alice-1@example.com');
    ok(['process', '--outgoing', '--sender', 'alice@example.com', '--recipient', stranger, '--deliver', 'none'], { store, input: sent });
    const input = invitation('spam-2@spam.example', stranger, 'alice@example.com', 'spam-2@spam.example');
    ok(['process', '--recipient', 'alice@example.com', '--sender', stranger, '--deliver', 'none'], { store, input });
    const requests = json<Array<{ uid: string }>>(['requests', '--user', 'alice@example.com'], { store });
    expect(requests.map((r) => r.uid)).toEqual(['spam-2@spam.example']);
  });
});

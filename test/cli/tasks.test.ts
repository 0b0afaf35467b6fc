// A task's whole life through the command line, as an MTA and a user run it
// (RFC 5546 section 3.4): the organizer's client sends the REQUEST (the
// outgoing rule), the assignee's store takes it, the assignee reports
// progress and completion with `respond`, each REPLY goes through `process`
// to the organizer, and `objects --json` shows `component: "VTODO"` with the
// answers merged. Runs the built program.

import { afterAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { tempDir } from './run-cli.js';
import { cli, imipMail, json, ok } from './helpers.js';

const A = 'a@example.com';
const B = 'b@example.com';
const UID = 'requirements-doc@example.com';
const ENV = { ITIP_AGENT_NOW: '2026-12-10T09:00:00Z' };

const REQUEST = [
  'BEGIN:VCALENDAR',
  'VERSION:2.0',
  'PRODID:-//Example Corp//Tasks//EN',
  'METHOD:REQUEST',
  'BEGIN:VTODO',
  `UID:${UID}`,
  'DTSTAMP:20261201T080000Z',
  'DTSTART:20261205T170000Z',
  'DUE:20261226T170000Z',
  'SEQUENCE:0',
  'SUMMARY:Create the requirements document',
  'ORGANIZER:mailto:a@example.com',
  'ATTENDEE;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:b@example.com',
  'END:VTODO',
  'END:VCALENDAR',
  '',
].join('\n');

interface ObjectRow {
  uid: string;
  component: string;
  attendees: Array<{ address: string; partstat: string }>;
  start: string | null;
  end: string | null;
}
interface ActionJson {
  outcome: string;
  reason: string;
  queued: Array<{ method: string; to: string[]; ics: string }>;
}

// Each step spawns the program several times: generous on a loaded machine.
describe('a task through the command line', { timeout: 180_000 }, () => {
  const dir = tempDir();
  const store = join(dir.path, 'store');
  afterAll(() => dir.remove());
  const options = { store, env: ENV };
  let sent = 0;
  /** Hands the REPLY a respond queued to the organizer, as the MTA would. */
  const deliver = (answer: ActionJson, at = options) => {
    const reply = answer.queued.find((item) => item.method === 'REPLY')!;
    expect(reply.to).toEqual([`mailto:${A}`]);
    const mail = imipMail({ from: B, to: [A], subject: 'Task update', messageId: `task-reply-${++sent}@example.com`, ics: reply.ics });
    ok(['process', '--recipient', A, '--sender', B, '--deliver', 'none'], { ...at, input: mail });
    return reply.ics.replace(/\r\n[ \t]/g, '');
  };

  it('stores the assignment at both ends as a VTODO, blocking no time', () => {
    const assignment = imipMail({ from: A, to: [B], subject: 'Task', messageId: 'task-assign@example.com', ics: REQUEST });
    ok(['process', '--outgoing', '--sender', A, '--recipient', B, '--deliver', 'none'], { ...options, input: assignment });
    ok(['process', '--recipient', B, '--sender', A, '--deliver', 'none'], { ...options, input: assignment });
    for (const user of [A, B]) {
      const rows = json<ObjectRow[]>(['objects', '--user', user], options);
      expect(rows).toMatchObject([{ uid: UID, component: 'VTODO', start: '2026-12-05T17:00:00Z', end: '2026-12-26T17:00:00Z' }]);
      expect(json(['freebusy', '--user', user], options)).toEqual([]);
    }
    expect(json<Array<{ uid: string }>>(['requests', '--user', B], options)).toMatchObject([{ uid: UID, method: 'REQUEST' }]);
    const journal = json<Array<{ outcome: string; method: string }>>(['journal', '--user', B], options);
    expect(journal.map((entry) => entry.outcome)).toEqual(['applied']);
  });

  it('reports progress with IN-PROCESS and PERCENT-COMPLETE, which the organizer takes', () => {
    const answer = json<ActionJson>(['respond', '--user', B, UID, '--partstat', 'IN-PROCESS', '--percent-complete', '40'], options);
    expect(answer.outcome).toBe('applied');
    const ics = deliver(answer);
    expect(ics).toContain('BEGIN:VTODO');
    expect(ics).toContain('PERCENT-COMPLETE:40');
    expect(ics).toMatch(/ATTENDEE;PARTSTAT=IN-PROCESS[^\r\n]*:mailto:b@example.com/);
    expect(json<ObjectRow[]>(['objects', '--user', A], options)[0]!.attendees).toEqual([{ address: `mailto:${B}`, partstat: 'IN-PROCESS' }]);
    expect(json(['requests', '--user', B], options)).toEqual([]);
  });

  it('completes the task: COMPLETED and PERCENT-COMPLETE:100 reach the organizer\'s copy', () => {
    // Ten days later: the REPLY's DTSTAMP orders it after the first (RFC 5546 section 2.1.5).
    const later = { store, env: { ITIP_AGENT_NOW: '2026-12-20T09:00:00Z' } };
    const answer = json<ActionJson>(['respond', '--user', B, UID, '--partstat', 'completed'], later);
    const ics = deliver(answer, later);
    expect(ics).toContain('COMPLETED:20261220T090000Z');
    expect(ics).toContain('PERCENT-COMPLETE:100');
    expect(json<ObjectRow[]>(['objects', '--user', A], options)[0]!.attendees).toEqual([{ address: `mailto:${B}`, partstat: 'COMPLETED' }]);
    const stored = ok(['object', '--user', A, UID], options).stdout.replace(/\r\n[ \t]/g, '');
    expect(stored).toContain('PERCENT-COMPLETE:100');
    expect(stored).toContain('COMPLETED:20261220T090000Z');
    // The assignee's own copy says so too.
    expect(ok(['object', '--user', B, UID], options).stdout).toContain('PERCENT-COMPLETE:100');
  });

  it('refuses a task-only answer for an event, and a percentage out of range', () => {
    const event = REQUEST.replace(/VTODO/g, 'VEVENT').replace('DUE:', 'DTEND:').replace(UID, 'meeting@example.com');
    ok(['process', '--recipient', B, '--sender', A, '--deliver', 'none'], { ...options, input: imipMail({ from: A, to: [B], subject: 'Meeting', messageId: 'meeting@example.com', ics: event }) });
    const refused = cli(['respond', '--user', B, 'meeting@example.com', '--partstat', 'COMPLETED', '--json'], options);
    expect(refused.code).toBe(1);
    expect(JSON.parse(refused.stdout)).toMatchObject({ outcome: 'refused', reason: expect.stringContaining('answers a task (VTODO) only') });
    const usage = cli(['respond', '--user', B, UID, '--partstat', 'IN-PROCESS', '--percent-complete', '140'], options);
    expect(usage.code).toBe(64);
    expect(usage.stderr).toContain('--percent-complete \\"140\\" is no percentage');
  });
});

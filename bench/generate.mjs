// Seeded generator of realistic scheduling mail for the benchmarks: invitations
// with 3-8 attendees, about 30% weekly series in real time zones, then replies
// and cancels for some of them. The same seed gives the same mails, so runs
// compare.

const ZONES = ['Europe/Berlin', 'America/New_York', 'Asia/Tokyo', 'Europe/London', 'Australia/Sydney'];
const WORDS = ['Planning', 'Review', 'Standup', 'Budget', 'Design', 'Retro', 'Hiring', 'Roadmap', 'Sync', 'Demo'];

/** A small, fast, seeded PRNG (mulberry32). */
export function random(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pad = (n) => String(n).padStart(2, '0');
const local = (d) =>
  `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}T${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}00`;

function mail({ from, to, subject, messageId, method, ics }) {
  const body = ics.join('\r\n') + '\r\n';
  return Buffer.from(
    [
      `From: <${from}>`,
      `To: ${to.map((a) => `<${a}>`).join(', ')}`,
      `Subject: ${subject}`,
      `Message-ID: <${messageId}>`,
      'Date: Sun, 01 Nov 2026 08:00:00 +0000',
      'MIME-Version: 1.0',
      'Content-Type: multipart/alternative; boundary="b1"',
      '',
      '--b1',
      'Content-Type: text/plain; charset=utf-8',
      '',
      subject,
      '',
      '--b1',
      `Content-Type: text/calendar; charset=utf-8; method=${method}`,
      'Content-Transfer-Encoding: base64',
      '',
      Buffer.from(body).toString('base64').replace(/.{76}/g, '$&\r\n'),
      '--b1--',
      '',
    ].join('\r\n'),
  );
}

/**
 * `count` mails addressed to users of example.com. Each item is
 * {raw, recipient, sender}: the mail and its envelope. With `focus` (an
 * address), every mail goes to that one user: invitations that list it among
 * their attendees, and cancels of them (no replies: it organizes nothing).
 */
export function generateMails(count, seed = 1, { focus } = {}) {
  const rand = random(seed);
  const pick = (list) => list[Math.floor(rand() * list.length)];
  const users = Array.from({ length: 50 }, (_, i) => `user${i}@example.com`);
  const events = [];
  const out = [];
  for (let n = 0; out.length < count; n++) {
    const roll = rand();
    if (!focus && events.length > 5 && roll < 0.2) {
      // A reply from one attendee, to the organizer.
      const event = pick(events);
      const attendee = pick(event.attendees);
      const partstat = pick(['ACCEPTED', 'DECLINED', 'TENTATIVE']);
      out.push({
        recipient: event.organizer,
        sender: attendee,
        raw: mail({
          from: attendee,
          to: [event.organizer],
          subject: `${partstat}: ${event.summary}`,
          messageId: `reply-${n}@example.com`,
          method: 'REPLY',
          ics: [
            'BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//bench//EN', 'METHOD:REPLY', 'BEGIN:VEVENT',
            `UID:${event.uid}`, 'DTSTAMP:20261101T090000Z', `SEQUENCE:${event.sequence}`,
            `DTSTART;TZID=${event.zone}:${event.start}`, `DTEND;TZID=${event.zone}:${event.end}`,
            `ORGANIZER:mailto:${event.organizer}`, `ATTENDEE;PARTSTAT=${partstat}:mailto:${attendee}`,
            'END:VEVENT', 'END:VCALENDAR',
          ],
        }),
      });
      continue;
    }
    if (events.length > 5 && roll < 0.27) {
      // The organizer cancels an event for one of its attendees.
      const event = pick(events);
      const attendee = focus ?? pick(event.attendees);
      out.push({
        recipient: attendee,
        sender: event.organizer,
        raw: mail({
          from: event.organizer,
          to: [attendee],
          subject: `Cancelled: ${event.summary}`,
          messageId: `cancel-${n}@example.com`,
          method: 'CANCEL',
          ics: [
            'BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//bench//EN', 'METHOD:CANCEL', 'BEGIN:VEVENT',
            `UID:${event.uid}`, 'DTSTAMP:20261102T090000Z', `SEQUENCE:${event.sequence + 1}`, 'STATUS:CANCELLED',
            `DTSTART;TZID=${event.zone}:${event.start}`, `ORGANIZER:mailto:${event.organizer}`,
            ...event.attendees.map((a) => `ATTENDEE:mailto:${a}`),
            'END:VEVENT', 'END:VCALENDAR',
          ],
        }),
      });
      continue;
    }
    let organizer = pick(users);
    while (organizer === focus) organizer = pick(users);
    const attendees = focus ? [focus] : [];
    const wanted = 3 + Math.floor(rand() * 6);
    while (attendees.length < wanted) {
      const a = pick(users);
      if (a !== organizer && !attendees.includes(a)) attendees.push(a);
    }
    const zone = pick(ZONES);
    const begin = new Date(Date.UTC(2026, 11, 1 + Math.floor(rand() * 60), 8 + Math.floor(rand() * 9), rand() < 0.5 ? 0 : 30));
    const finish = new Date(begin.getTime() + (1 + Math.floor(rand() * 4)) * 30 * 60_000);
    const weekly = rand() < 0.3;
    const event = {
      uid: `event-${n}-${seed}@example.com`, organizer, attendees, zone, sequence: 0,
      summary: `${pick(WORDS)} ${pick(WORDS)}`, start: local(begin), end: local(finish),
    };
    events.push(event);
    // Each invitation goes to one attendee: a process run per recipient, as an MTA does.
    out.push({
      recipient: focus ?? pick(attendees),
      sender: organizer,
      raw: mail({
        from: organizer,
        to: attendees,
        subject: `Invitation: ${event.summary}`,
        messageId: `invite-${n}@example.com`,
        method: 'REQUEST',
        ics: [
          'BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//bench//EN', 'METHOD:REQUEST', 'BEGIN:VEVENT',
          `UID:${event.uid}`, 'DTSTAMP:20261101T080000Z', 'SEQUENCE:0', `SUMMARY:${event.summary}`,
          `DTSTART;TZID=${zone}:${event.start}`, `DTEND;TZID=${zone}:${event.end}`,
          ...(weekly ? [`RRULE:FREQ=WEEKLY;COUNT=${10 + Math.floor(rand() * 40)}`] : []),
          `ORGANIZER:mailto:${organizer}`,
          ...attendees.map((a) => `ATTENDEE;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:${a}`),
          'END:VEVENT', 'END:VCALENDAR',
        ],
      }),
    });
  }
  return out;
}

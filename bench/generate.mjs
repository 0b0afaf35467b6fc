// Seeded generators of scheduling mail for the benchmarks. The same seed gives
// the same mails, so runs compare.
//
// - generateClientMails (the default mix): mail shaped as Outlook/Exchange,
//   Google Calendar, Apple Calendar and Thunderbird write it (bench/client-ical.mjs,
//   bench/client-mail.mjs), single events and series with overrides, 1 to 20 KB,
//   REQUEST, updates (a higher SEQUENCE), REPLY and CANCEL, each delivered to
//   every local (example.com) attendee, and the organizer's own copy through the
//   outgoing rule when the organizer is local.
// - generateMails (the old mix): one small bench-shaped text/calendar per mail,
//   3-8 attendees, about 30% weekly series, replies and cancels.

import { calendarText, weekdayOf } from './client-ical.mjs';
import { renderMail } from './client-mail.mjs';
import { ZONES, formatUtc, formatWall } from './zones.mjs';

const OLD_ZONES = ['Europe/Berlin', 'America/New_York', 'Asia/Tokyo', 'Europe/London', 'Australia/Sydney'];
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
    const zone = pick(OLD_ZONES);
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

// ---------------------------------------------------------------------------
// The real-client mix.

const FIRST = ['Alice', 'Bob', 'Carol', 'David', 'Emma', 'Farid', 'Greta', 'Hiro', 'Ines', 'Jonas', 'Keiko', 'Lars', 'Maya', 'Nils', 'Olivia', 'Priya', 'Quentin', 'Rosa', 'Sven', 'Tariq'];
const LAST = ['Becker', 'Chen', 'Dubois', 'Evans', 'Fischer', 'Garcia', 'Hansen', 'Ito', 'Jensen', 'Kowalski', 'Lopez', 'Meyer', 'Novak', 'Okafor', 'Petrov', 'Rossi'];
const PLACES = ['Room 4.12', 'Raum Südflügel 2', 'https://meet.google.com/abc-defg-hij', 'Microsoft Teams Meeting', 'Café de Flore', 'Building 7, 3rd floor', 'Zoom'];
const PROSE = (
  'the agenda covers the quarterly numbers, open hiring, the release plan and a short retro; please bring the ' +
  'figures for your team and read the notes from last time before we meet. Bitte die Zahlen für Oktober ' +
  'mitbringen, danach Planung für die nächsten Wochen. We will also go through the risks, the budget and the ' +
  'dependencies on other teams, and agree who follows up on what.'
).split(' ');
// The organizer's client decides the shape of a REQUEST or CANCEL, the attendee's that of a REPLY.
const EXTERNAL = [['gmail.com', 'google'], ['contoso.example.net', 'outlook'], ['outlook.com', 'outlook'], ['icloud.com', 'apple'], ['posteo.de', 'thunderbird']];
// Local users send through this MTA, so not from Google's servers.
const LOCAL_CLIENTS = ['outlook', 'outlook', 'outlook', 'thunderbird', 'thunderbird', 'apple', 'apple'];
const OLSON = Object.keys(ZONES);
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** RFC 5322 date text of an instant. */
const mailDate = (ms) => new Date(ms).toUTCString().replace('GMT', '+0000');

function people(rand, pick, localCount) {
  const person = (first, last, domain, client, i) => {
    const email = `${first}.${last}${i >= 20 ? i : ''}@${domain}`.toLowerCase();
    const variant = client === 'outlook' ? pick(['exchange', 'exchange', 'exchange', 'desktop', 'desktop', 'desktop-notz']) : client;
    return { email, name: `${first} ${last}`, client, variant, zone: pick(OLSON), local: domain === 'example.com' };
  };
  const local = Array.from({ length: localCount }, (_, i) => person(FIRST[i % 20], LAST[(i * 7) % 16], 'example.com', pick(LOCAL_CLIENTS), i));
  const external = Array.from({ length: 60 }, (_, i) => {
    const [domain, client] = EXTERNAL[Math.floor(rand() * rand() * EXTERNAL.length)];
    return person(FIRST[(i * 3) % 20], LAST[(i * 5) % 16], domain, client, i);
  });
  return { local, external };
}

/**
 * `count` mails of the real-client mix. Each item is {raw, sender, recipient,
 * user, outgoing, uid, method, kind, client, recurring}: the mail, its envelope
 * (one recipient), the calendar user whose store it changes (the recipient;
 * the sender for an `outgoing` item, the copy the outgoing rule sees), and what
 * it is: kind 'request' (new), 'update', 'reply' or 'cancel'.
 *
 * Options: `localUsers` (default 40) people of example.com; `rooms` (default
 * 0) rooms of example.com (room-N@example.com, to be made resources), one of
 * which a quarter of the events book as an attendee. The defaults give the
 * benchmarks' mix unchanged.
 */
export function generateClientMails(count, seed = 1, { localUsers = 40, rooms: roomCount = 0 } = {}) {
  const rand = random(seed * 7919 + 13);
  const pick = (list) => list[Math.floor(rand() * list.length)];
  const between = (lo, hi) => lo + Math.floor(rand() * (hi - lo + 1));
  const hex = (n) => Array.from({ length: n }, () => Math.floor(rand() * 16).toString(16)).join('');
  const { local, external } = people(rand, pick, localUsers);
  // Rooms answer by themselves (the agent's resource rules): they never send mail of their own.
  const rooms = Array.from({ length: roomCount }, (_, i) => ({
    email: `room-${i + 1}@example.com`, name: `Room ${i + 1}`, client: 'outlook', variant: 'exchange', zone: 'Europe/Berlin', local: true, room: true,
  }));
  const out = [];
  const events = [];
  let clock = Date.parse('2026-10-20T07:00:00Z');

  const newEvent = (n) => {
    const organizer = rand() < 0.4 ? pick(local) : pick(external);
    const size = rand() < 0.8 ? between(2, 8) : rand() < 0.75 ? between(9, 20) : between(21, 40);
    const attendees = [];
    const add = (p) => p !== organizer && !attendees.includes(p) && attendees.push(p);
    // A few local attendees (each gets the mail delivered), the rest elsewhere.
    for (let i = organizer.local ? between(0, 2) : between(1, 3); i > 0; i--) add(pick(local));
    while (attendees.length < size) add(pick(external));
    if (rooms.length > 0 && rand() < 0.25) add(pick(rooms));
    const day = Date.UTC(2026, 10, 1) + between(0, 110) * 86_400_000;
    const recurring = rand() < 0.4;
    const allDay = !recurring && rand() < 0.08 && organizer.variant !== 'desktop-notz';
    const startWall = allDay ? day : day + between(16, 35) * 1_800_000;
    let rule = null;
    if (recurring) {
      const freq = pick(['WEEKLY', 'WEEKLY', 'WEEKLY', 'WEEKLY', 'DAILY', 'MONTHLY', 'MONTHLY']);
      const ending = rand();
      rule = {
        freq, interval: freq === 'WEEKLY' && rand() < 0.2 ? 2 : 1, byday: weekdayOf(startWall), bymonthday: new Date(startWall).getUTCDate(),
        count: ending < 0.4 ? between(4, 30) : null, until: ending >= 0.4 && ending < 0.7 ? between(4, 30) : null,
      };
      if (freq === 'MONTHLY' && rule.bymonthday > 28) rule.bymonthday = 28;
    }
    const event = {
      uid: {
        outlook: `040000008200E00074C5B7101A82E00800000000${hex(16).toUpperCase()}000000000000000010000000${hex(32).toUpperCase()}`,
        google: `${hex(26)}@google.com`,
        apple: `${hex(8)}-${hex(4)}-${hex(4)}-${hex(4)}-${hex(12)}`.toUpperCase(),
        thunderbird: `${hex(8)}-${hex(4)}-${hex(4)}-${hex(4)}-${hex(12)}`,
      }[organizer.client] + (organizer.client === 'google' ? '' : `-${seed}-${n}`),
      client: organizer.client, variant: organizer.variant, organizer,
      attendees: attendees.map((p, i) => ({ ...p, role: i % 5 === 4 ? 'OPT-PARTICIPANT' : 'REQ-PARTICIPANT' })),
      summary: `${pick(WORDS)} ${pick(WORDS).toLowerCase()}`, location: pick(PLACES), zone: organizer.zone, allDay, startWall,
      minutes: pick([30, 45, 60, 60, 90, 120]), rule, sequence: 0, created: clock - between(1, 30) * 60_000,
      overrides: new Map(), outlookId: between(1, 2 ** 31 - 1), alarmUid: `${hex(8)}-${hex(4)}-${hex(4)}-${hex(4)}-${hex(12)}`.toUpperCase(),
      description: '',
    };
    if (recurring && rand() < 0.2) for (let i = between(1, 2); i > 0; i--) event.overrides.set(between(1, 6), { shift: pick([-60, 60, 120, 1440]) });
    return event;
  };

  /** Instances a message may name: the first few of a series. */
  const instanceOf = (event) => between(1, Math.min(8, (event.rule.count ?? event.rule.until ?? 12) - 1));

  /** Text the size of the message, so that the whole mail comes out near `target` bytes. */
  const prose = (length) => {
    let text = '';
    for (let i = 0; text.length < length; i++) text += `${PROSE[(i + length) % PROSE.length]}${i % 23 === 22 ? '.\n' : ' '}`;
    return text.slice(0, length);
  };

  /** Renders one message with `agenda` text in it: its body, and the calendar's DESCRIPTION where the client puts it. */
  const render = (event, m, sender, to, agenda) => {
    const boiler = {
      outlook: '________________________________________________________________________________\nMicrosoft Teams meeting\nJoin on your computer, mobile app or room device\nClick here to join the meeting<https://teams.microsoft.com/l/meetup-join/19%3ameeting_NjA4ZTc5>\nMeeting ID: 312 456 789 012\nPasscode: x7Kq2a\n________________________________________________________________________________\n',
      google: '-::~:~::~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~::~:~::-\nInvitation from Google Calendar: https://calendar.google.com/calendar/\n\nYou are receiving this email because you are an attendee on the event. To stop receiving future updates for this event, decline this event.\n\nForwarding this invitation could allow any recipient to send a response to the organizer, be added to the guest list, invite others regardless of their own invitation status, or modify your RSVP.\n-::~:~::~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~::~:~::-',
      apple: '',
      thunderbird: '',
    }[event.client];
    // A REPLY that carries the description (Google's, Thunderbird's) carries the start of it.
    const copy = { ...event, description: m.method === 'REPLY' ? event.description.slice(0, 1500) : `${agenda}${agenda ? '\n' : ''}${boiler}` };
    // What a REPLY (Google's carries it) later says of the event.
    if (m.method !== 'REPLY') event.description = copy.description;
    const ics = calendarText(copy, m);
    const when = `${formatWall(event.startWall).slice(0, 8)} ${event.zone}`;
    const plain = `When: ${when}\r\nWhere: ${event.location}\r\n\r\n*~*~*~*~*~*~*~*~*~*\r\n\r\n${agenda.replace(/\n/g, '\r\n')}\r\n`;
    const html = `<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8"></head><body lang="EN-US"><div class="WordSection1">${agenda
      .split('\n')
      .map((p) => `<p class="MsoNormal">${p}<o:p></o:p></p>`)
      .join('\r\n')}</div></body></html>`;
    const prefix = { REQUEST: m.sequence > 0 ? 'Updated invitation' : 'Invitation', CANCEL: 'Canceled event', REPLY: { ACCEPTED: 'Accepted', DECLINED: 'Declined', TENTATIVE: 'Tentative' }[m.replier?.partstat] }[m.method];
    const d = new Date(event.startWall);
    const subject = `${prefix}: ${event.summary} @ ${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()}`;
    return renderMail({
      ...m, from: sender, to, subject, topic: event.summary, date: mailDate(m.stamp), ids: hex(40), ics, plain, html,
      stampText: formatUtc(m.stamp).slice(0, 15).replace('T', '-'),
    });
  };

  /** The mail of one message near the target size, and its items (one per local recipient, and the outgoing copy). */
  const send = (event, m, sender, to, kind, target) => {
    let small = render(event, m, sender, to, '');
    // A long guest list can make the mail larger than the mix's 20 KB: fewer remote guests then.
    while (Buffer.byteLength(small.text) > 19_000 && event.attendees.length > 1 && event.attendees.some((p) => !p.local)) {
      event.attendees.splice(event.attendees.findLastIndex((p) => !p.local), 1);
      small = render(event, m, sender, to, '');
    }
    const probe = render(event, m, sender, to, prose(400));
    const perChar = (Buffer.byteLength(probe.text) - Buffer.byteLength(small.text)) / 400;
    let wanted = perChar > 0.5 ? Math.max(0, Math.round((target - Buffer.byteLength(small.text)) / perChar)) : 0;
    let mail = wanted > 0 ? render(event, m, sender, to, prose(wanted)) : small;
    while (wanted > 0 && Buffer.byteLength(mail.text) > 20_480) {
      wanted = Math.floor(wanted * 0.8);
      mail = render(event, m, sender, to, prose(wanted));
    }
    const raw = Buffer.from(mail.text, 'utf8');
    const base = { raw, uid: event.uid, method: m.method, kind, client: m.variant === 'exchange' || m.client !== 'outlook' ? m.client : `outlook-${m.variant}`, recurring: !!event.rule };
    for (const person of to) if (person.local) out.push({ ...base, sender: mail.sender, recipient: person.email, user: person.email, outgoing: false });
    if (sender.local) {
      // The outgoing rule: the MTA hands the sender's own mail over too (RCPT: a remote recipient).
      const remote = to.find((p) => !p.local)?.email ?? 'someone@partner.example.net';
      out.push({ ...base, sender: sender.email, recipient: remote, user: sender.email, outgoing: true });
    }
  };

  const size = (lo, hi) => Math.round(Math.exp(Math.log(lo) + rand() * (Math.log(hi) - Math.log(lo))));

  for (let n = 0; out.length < count; n++) {
    clock += between(1, 6) * 60_000;
    const roll = rand();
    const live = events.filter((e) => !e.cancelled);
    const organizerMessage = (event, method, kind, instances) => {
      const sequence = instances.length === 1 && instances[0] !== null ? (event.overrides.get(instances[0])?.sequence ?? event.sequence) : event.sequence;
      const m = { client: event.client, variant: event.variant, method, sequence, stamp: clock, instances };
      send(event, m, event.organizer, event.attendees, kind, size(3_000, 20_000));
    };
    if (live.length < 8 || roll < 0.34) {
      const event = newEvent(n);
      events.push(event);
      organizerMessage(event, 'REQUEST', 'request', [null, ...[...event.overrides.keys()].sort((a, b) => a - b)]);
    } else if (roll < 0.48) {
      const event = pick(live);
      if (event.rule && rand() < 0.5) {
        // One instance moved: Outlook sends only that instance, the others the whole series.
        const k = instanceOf(event);
        event.overrides.set(k, { shift: pick([-60, 60, 120, 1440]), sequence: event.sequence + 1 });
        const instances = event.client === 'outlook' ? [k] : [null, ...[...event.overrides.keys()].sort((a, b) => a - b)];
        organizerMessage(event, 'REQUEST', 'update', instances);
      } else {
        event.sequence++;
        event.startWall += pick([30, 60, 1440]) * 60_000;
        if (rand() < 0.5) event.location = pick(PLACES);
        event.overrides.clear();
        organizerMessage(event, 'REQUEST', 'update', [null]);
      }
    } else if (roll < 0.9) {
      // A reply from one attendee, in the attendee's client's shape; mostly to a
      // local organizer (incoming), else a local attendee's own (outgoing).
      const ours = live.filter((e) => e.organizer.local);
      const event = ours.length > 0 && rand() < 0.75 ? pick(ours) : pick(live);
      const replier = pick(event.attendees.filter((p) => !p.room));
      const k = event.rule && rand() < 0.3 ? instanceOf(event) : null;
      const partstat = pick(['ACCEPTED', 'ACCEPTED', 'DECLINED', 'TENTATIVE']);
      const sequence = k === null ? event.sequence : (event.overrides.get(k)?.sequence ?? event.sequence);
      const m = { client: replier.client, variant: replier.variant, method: 'REPLY', sequence, stamp: clock, instances: [k], replier: { ...replier, partstat } };
      const shaped = { ...event, client: replier.client, variant: replier.variant };
      send(shaped, m, replier, [event.organizer], 'reply', size(1_000, 8_000));
    } else {
      const event = pick(live);
      if (event.rule && rand() < 0.5) {
        const k = instanceOf(event);
        event.overrides.set(k, { shift: event.overrides.get(k)?.shift ?? 0, sequence: event.sequence + 1 });
        organizerMessage(event, 'CANCEL', 'cancel', [k]);
      } else {
        event.sequence++;
        event.cancelled = true;
        organizerMessage(event, 'CANCEL', 'cancel', [null]);
      }
    }
  }
  return out.slice(0, count);
}

/**
 * The mails as an MTA hands them over: one transaction per mail with every
 * recipient the items of that mail name ({raw, sender, recipients}, and the
 * event's uid when the items carry it).
 */
export function asTransactions(mails) {
  const out = [];
  for (const m of mails) {
    const last = out[out.length - 1];
    if (last && last.raw === m.raw) {
      if (!last.recipients.includes(m.recipient)) last.recipients.push(m.recipient);
      // A local sender's own copy goes with its mail; its envelope sender is the sender's.
      if (m.outgoing) last.sender = m.sender;
    } else {
      out.push({ raw: m.raw, sender: m.sender, recipients: [m.recipient], ...(m.uid ? { uid: m.uid } : {}) });
    }
  }
  return out;
}

/** Counts by method/kind, client and size, for the report. */
export function describeMix(mails) {
  const tally = (key) => mails.reduce((acc, m) => ((acc[key(m)] = (acc[key(m)] ?? 0) + 1), acc), {});
  const sizes = mails.map((m) => m.raw.length).sort((a, b) => a - b);
  return {
    kinds: tally((m) => `${m.outgoing ? 'outgoing ' : ''}${m.kind}`),
    clients: tally((m) => m.client),
    recurring: mails.filter((m) => m.recurring).length,
    bytes: { min: sizes[0], median: sizes[sizes.length >> 1], max: sizes[sizes.length - 1] },
  };
}

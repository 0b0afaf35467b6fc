// Mail in and out for the integration tests: SMTP from the host's side, a
// sink standing for "the Internet", maildirs read through the root's folder,
// and iMIP messages as a calendar client writes them.

import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import { SMTPServer } from 'smtp-server';
import { freePort } from './host.js';

/** Where an MTA takes mail: the sandbox's address and a port there. */
export interface SmtpDoor {
  host: string;
  port: number;
}

export async function sendMail(door: SmtpDoor, from: string, to: string[], raw: string | Buffer, auth?: { user: string; pass: string }): Promise<string> {
  const transport = nodemailer.createTransport({ host: door.host, port: door.port, secure: false, ignoreTLS: true, connectionTimeout: 10_000, auth });
  try {
    const info = await transport.sendMail({ envelope: { from, to }, raw });
    return String(info.response);
  } finally {
    transport.close();
  }
}

export interface SunkMail {
  from: string;
  to: string[];
  raw: Buffer;
}

/** The domain where "the Internet" has no mailboxes: the sink refuses its recipients (550 5.1.1), so an MTA bounces mail for it. */
export const NOWHERE_DOMAIN = 'nowhere.test';

/**
 * A tiny SMTP server on the host's side (`host`: the veth address the sandbox
 * reaches) standing for "the Internet": it keeps whatever it is given, except
 * mail for NOWHERE_DOMAIN, whose recipients it refuses as unknown.
 */
export async function startSink(host: string): Promise<{ port: number; mails: SunkMail[]; stop(): Promise<void> }> {
  const mails: SunkMail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onRcptTo(address, _session, callback) {
      if (address.address.toLowerCase().endsWith(`@${NOWHERE_DOMAIN}`)) {
        const refused = Object.assign(new Error(`5.1.1 <${address.address}>: Recipient address rejected: mailbox unknown`), { responseCode: 550 });
        callback(refused);
        return;
      }
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
        mails.push({ from, to: session.envelope.rcptTo.map((r) => r.address), raw: Buffer.concat(chunks) });
        callback();
      });
    },
  });
  const port = await freePort(host);
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolveListen());
  });
  return { port, mails, stop: () => new Promise<void>((r) => server.close(() => r())) };
}

/** The messages in a maildir (new/ and cur/), or [] when it does not exist yet. */
export function maildirMessages(maildir: string): Buffer[] {
  const out: Buffer[] = [];
  for (const sub of ['new', 'cur']) {
    const dir = join(maildir, sub);
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir).sort()) out.push(readFileSync(join(dir, name)));
  }
  return out;
}

/** The body and the headers of the original, as they must arrive: the MTA and the mailbox may only add header lines on top. */
export function arrivedUnchanged(original: string, arrived: Buffer): boolean {
  const text = arrived.toString('utf8').replace(/\r\n/g, '\n');
  return text.endsWith(original.replace(/\r\n/g, '\n'));
}

// ---------------------------------------------------------------------------
// Test mail: iMIP messages as a calendar client writes them

export interface EventMail {
  uid: string;
  from: string;
  to: string;
  organizer: string;
  attendees: Array<[address: string, partstat: string]>;
  method: 'REQUEST' | 'REPLY' | 'CANCEL';
  summary?: string;
  start?: string;
  sequence?: number;
  messageId: string;
}

export function imip(mail: EventMail): string {
  const start = mail.start ?? '20270115T090000Z';
  const end = start.replace(/T(\d\d)/, (_, h: string) => `T${String(Number(h) + 1).padStart(2, '0')}`);
  const lines = [
    `From: <${mail.from}>`,
    `To: <${mail.to}>`,
    `Subject: ${mail.method === 'REPLY' ? 'Accepted' : 'Invitation'}: ${mail.summary ?? 'Planning'}`,
    `Message-ID: <${mail.messageId}>`,
    'Date: Fri, 01 Jan 2027 08:00:00 +0000',
    'MIME-Version: 1.0',
    `Content-Type: text/calendar; charset=utf-8; method=${mail.method}`,
    'Content-Transfer-Encoding: 8bit',
    '',
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'PRODID:-//itip-agent tests//EN',
    `METHOD:${mail.method}`,
    'BEGIN:VEVENT',
    `UID:${mail.uid}`,
    'DTSTAMP:20270101T080000Z',
    `DTSTART:${start}`,
    `DTEND:${end}`,
    `SEQUENCE:${mail.sequence ?? 0}`,
    `SUMMARY:${mail.summary ?? 'Planning'}`,
    `ORGANIZER:mailto:${mail.organizer}`,
    ...mail.attendees.map(([address, partstat]) => `ATTENDEE;PARTSTAT=${partstat}:mailto:${address}`),
    'END:VEVENT',
    'END:VCALENDAR',
    '',
  ];
  return lines.join('\r\n');
}

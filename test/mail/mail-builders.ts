// Messages built by hand for the readMail tests: a small iTIP calendar and
// the MIME framing around it, with CRLF line ends as mail has them.

export const CRLF = '\r\n';

/** A small but complete iTIP calendar (RFC 5546) with the given summary and method. */
export function calendar(summary: string, method = 'REQUEST', uid = 'read-mail-1@example.com', eol = CRLF): string {
  return [
    'BEGIN:VCALENDAR',
    'PRODID:-//Example Corp//Test//EN',
    'VERSION:2.0',
    `METHOD:${method}`,
    'BEGIN:VEVENT',
    `UID:${uid}`,
    'DTSTAMP:20261101T080000Z',
    'DTSTART:20261201T090000Z',
    'DTEND:20261201T100000Z',
    `SUMMARY:${summary}`,
    'ORGANIZER:mailto:boss@example.com',
    'ATTENDEE;RSVP=TRUE;PARTSTAT=NEEDS-ACTION:mailto:alice@example.com',
    'END:VEVENT',
    'END:VCALENDAR',
    '',
  ].join(eol);
}

/** Base64 in 76-character lines, as MIME writes it (RFC 2045 section 6.8). */
export function base64(bytes: Buffer | string): string {
  const encoded = Buffer.from(bytes).toString('base64');
  return encoded.replace(/.{76}/g, `$&${CRLF}`).replace(/\r\n$/, '');
}

/** A message from header lines and body pieces; strings are joined with CRLF, Buffers kept as bytes. */
export function message(...pieces: (string | Buffer)[]): Buffer {
  return Buffer.concat(pieces.map((piece) => (typeof piece === 'string' ? Buffer.from(piece + CRLF, 'utf8') : piece)));
}

export const HEAD = [
  'From: Boss <boss@example.com>',
  'To: alice@example.com',
  'Subject: Invitation',
  'Date: Tue, 03 Nov 2026 10:00:00 +0100',
  'Message-ID: <read-mail-test@example.com>',
  'MIME-Version: 1.0',
].join(CRLF);

/** A message with HEAD whose body is multipart/mixed, one array of lines per part. */
export function mixed(...parts: (string | Buffer)[][]): Buffer {
  return message(HEAD, 'Content-Type: multipart/mixed; boundary=mix', '', ...parts.flatMap((part) => ['--mix', ...part]), '--mix--');
}

export const SUMMARY = 'Besprechung über Öl';

/** A calendar part readMail must find. */
export interface ExpectedPart {
  contentType: string;
  methodParam?: string;
  filename?: string;
  /** Substrings the decoded text must contain. */
  contains?: string[];
}

/** A message, the calendar parts read from it, and the warnings. */
export interface Case {
  name: string;
  raw: () => Buffer | Promise<Buffer>;
  parts: ExpectedPart[];
  warnings?: RegExp[];
  limit?: number;
}

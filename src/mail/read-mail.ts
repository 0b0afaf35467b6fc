// Reading one RFC 5322 message into the calendar parts it carries and the facts the
// scheduling core needs about it (RFC 6047, iMIP).
//
// mailsplit does the MIME work (structure, transfer encodings), libmime decodes
// header values. Calendar parts come as transfer-decoded bytes, so their charset
// conversion is done here, from the part's own Content-Type charset parameter.

import { createHash } from 'node:crypto';
import type { EventEmitter } from 'node:events';
import type { Transform } from 'node:stream';
import { domainToUnicode } from 'node:url';
import { Splitter } from '@zone-eu/mailsplit';
import type { HeaderLine as SplitterHeaderLine, MimeNode as SplitterNode, SplitterChunk } from '@zone-eu/mailsplit/lib/types.js';
import libmime from 'libmime';
import addressparser from 'nodemailer/lib/addressparser/index.js';
import { normalizeAddress } from '../ical/address.js';
import { formatUtcSeconds } from '../ical/times.js';
import type { CalendarPart, MailFacts, ParsedMail } from './mail-facts.js';
import { deliveryReportOf, isDeliveryReportType, reportPartKind, reportPartLimit, type ReportParts } from './read-dsn.js';
import { bytesLookLikeCalendar, canonicalCalendarText, decodeCalendarBytes } from './calendar-text.js';

export { canonicalCalendarText };

export interface ReadMailLimits {
  /** Calendar parts larger than this (after transfer decoding) are skipped with a warning. */
  maxCalendarBytes?: number;
}

/** Default bound on one calendar part; real invitations are a few kilobytes. */
export const DEFAULT_MAX_CALENDAR_BYTES = 10 * 1024 * 1024;

/**
 * Media types that announce a calendar. RFC 6047 section 2.4 uses text/calendar;
 * application/ics is what clients put on the attached copy (invite.ics), and
 * application/x-ics is its older spelling.
 */
const CALENDAR_TYPES = new Set(['text/calendar', 'application/ics', 'application/x-ics']);

/** File names of iCalendar files (RFC 5545 section 8.1: .ics, and .ifb for free/busy). */
const CALENDAR_FILENAME = /\.(ics|ical|icalendar|ifb)$/i;

/** Types that say nothing about the content: such a part is a calendar if its bytes are one. */
const GENERIC_TYPES = new Set([
  'application/octet-stream',
  'application/download',
  'application/x-download',
  'application/force-download',
  'application/binary',
  'text/plain',
]);

/**
 * Attached messages: their calendar parts belong to another mail, a forward or the
 * original quoted in a bounce (multipart/report), and must not be applied again.
 */
const MESSAGE_TYPES = new Set(['message/rfc822', 'message/global']);

/**
 * Reads a raw message. Broken MIME never throws: whatever could be read is returned,
 * with warnings. Only a non-Buffer input is an error (a programming mistake).
 */
export async function readMail(raw: Buffer, limits: ReadMailLimits = {}): Promise<ParsedMail> {
  if (!Buffer.isBuffer(raw)) throw new TypeError('readMail expects the raw message as a Buffer');
  const maxBytes = limits.maxCalendarBytes ?? DEFAULT_MAX_CALENDAR_BYTES;
  const warnings: string[] = [];

  const result = await splitMessage(raw, maxBytes, warnings);
  if (result.error) {
    warnings.push(`the mail could not be read completely: ${errorText(result.error)}`);
  }

  const calendars: CalendarPart[] = [];
  // The canonical text of each kept calendar, for the duplicate check and the method check.
  const canonical: string[] = [];
  const skipped: string[] = [];
  const seen = new Map<string, number>();
  for (const part of result.parts) {
    // A part of a generic type (application/octet-stream, ...) is a calendar only if its
    // bytes are one; anything else is some other attachment and none of our business.
    if (!part.announced && !bytesLookLikeCalendar(part.content)) continue;
    const label = describePart(part);
    if (part.size > maxBytes) {
      const why = `calendar part ${label} skipped: ${part.size} bytes, over the limit of ${maxBytes}`;
      warnings.push(why);
      skipped.push(why);
      continue;
    }
    const text = decodeCalendarBytes(part.content, part.charset, label, warnings);

    const calendar: CalendarPart = { text, contentType: part.contentType };
    if (part.methodParam) calendar.methodParam = part.methodParam;
    if (part.filename) calendar.filename = part.filename;

    // Outlook and Google send one calendar twice: inline in multipart/alternative and
    // again as invite.ics, often in another transfer encoding or line ending. The copy
    // that carries the iMIP method parameter (RFC 6047 section 2.4) is the one to keep.
    const key = canonicalCalendarText(text);
    const index = seen.get(key);
    if (index !== undefined) {
      if (!calendars[index].methodParam && calendar.methodParam) calendars[index] = calendar;
      continue;
    }
    seen.set(key, calendars.length);
    calendars.push(calendar);
    canonical.push(key);
  }

  calendars.forEach((calendar, index) => checkMethodParam(calendar, canonical[index]!, warnings));

  const mail: ParsedMail = { facts: readFacts(raw, result.headerLines), calendars, warnings, skipped };
  const lines = result.headerLines.length > 0 ? result.headerLines : fallbackHeaderLines(raw);
  const report = deliveryReportOf(result.report, (key) => lines.filter((l) => l.key === key).map((l) => headerValue(l.line)));
  if (report) mail.report = report;
  return mail;
}

// ---------------------------------------------------------------------------
// MIME: walking the parts with mailsplit
//
// mailsplit is the MIME splitter mailparser is built on. The agent reads it
// directly: mailparser also decodes every text body, parses every address
// header and builds HTML for them, work that was most of the cost of reading
// a mail and that nothing here uses.

type HeaderLine = SplitterHeaderLine;

/** A part that may be a calendar, with its bytes transfer-decoded but not charset-decoded. */
interface RawPart {
  contentType: string;
  /** True when the media type says it is a calendar; otherwise the content decides. */
  announced: boolean;
  methodParam?: string;
  charset?: string;
  filename?: string;
  content: Buffer;
  /** Decoded size in bytes, counted even when the content was not kept. */
  size: number;
  /** Where the part starts among the mail's parts: decoders may end out of order. */
  position: number;
}

interface SplitResult {
  headerLines: HeaderLine[];
  parts: RawPart[];
  /** The parts of a delivery report (RFC 3464), collected when the mail is one. */
  report?: ReportParts;
  error?: unknown;
}

/**
 * Bodies read as text, not as attachments, when they are inline: a calendar
 * among them is found only when it is an attachment (mailparser's rule, which
 * this module followed since it was written).
 */
const TEXT_TYPES = new Set(['text/plain', 'text/html', 'message/delivery-status']);

function splitMessage(raw: Buffer, maxBytes: number, warnings: string[]): Promise<SplitResult> {
  const result: SplitResult = { headerLines: [], parts: [] };
  return new Promise((resolve) => {
    let settled = false;
    let splitterEnded = false;
    let open = 0;
    const finish = (error?: unknown): void => {
      if (settled) return;
      if (error === undefined && (!splitterEnded || open > 0)) return;
      settled = true;
      if (error !== undefined) result.error = error;
      result.parts.sort((a, b) => a.position - b.position);
      resolve(result);
    };

    let splitter: Splitter;
    try {
      // Attached messages (message/rfc822) stay opaque: a forwarded invitation is not a
      // scheduling message of this mail, and must not change anyone's calendar.
      splitter = new Splitter({ ignoreEmbedded: true });
    } catch (error) {
      finish(error);
      return;
    }

    let position = 0;
    // The decoders of the leaf part being read: a part we keep, a report part, or both.
    let current: Transform[] = [];
    const endCurrent = (): void => {
      for (const decoder of current) decoder.end();
      current = [];
    };
    const partDone = (): void => {
      open--;
      finish();
    };

    splitter.on('data', (data: SplitterChunk) => {
      if (data.type === 'node') {
        endCurrent();
        const node = data as SplitterNode;
        if (node.root && node.headers) {
          result.headerLines = node.headers.getList();
          if (isDeliveryReportType(node.headers.getFirst('content-type'))) result.report = {};
        }
        if (node.multipart) return;
        const decoder = takePart(node, position++, maxBytes, result.parts, warnings, partDone);
        if (decoder) current.push(decoder);
        const reportDecoder = result.report && takeReportPart(node, result.report, partDone);
        if (reportDecoder) current.push(reportDecoder);
        open += current.length;
      } else if (data.type === 'body') {
        for (const decoder of current) decoder.write((data as { value: Buffer }).value);
      } else {
        // Multipart framing: the leaf before it has ended.
        endCurrent();
      }
    });
    // Its declared types know only 'data'; a Transform stream has these too.
    const stream = splitter as unknown as EventEmitter;
    stream.on('error', (error: unknown) => finish(error));
    stream.on('end', () => {
      endCurrent();
      splitterEnded = true;
      finish();
    });

    try {
      splitter.end(raw);
    } catch (error) {
      finish(error);
    }
  });
}

/**
 * Starts reading a leaf part that may be a calendar: returns the decoder its
 * body goes into, which calls `done` once the part is in `parts` (or failed).
 * Undefined for a part that is none of our business.
 */
function takePart(
  node: SplitterNode,
  position: number,
  maxBytes: number,
  parts: RawPart[],
  warnings: string[],
  done: () => void,
): Transform | undefined {
  // Lower-case; without a Content-Type, mailsplit takes it from the file name's extension (invite.ics).
  const declared = node.contentType || 'text/plain';
  const inline = !node.disposition || node.disposition === 'inline';
  if (TEXT_TYPES.has(declared) && inline) return undefined;
  const filename = node.filename || undefined;

  if (MESSAGE_TYPES.has(declared)) {
    const name = filename ? ` (${filename})` : '';
    warnings.push(`attached message${name} not searched for calendar parts: it is not part of this mail's scheduling`);
  }

  const announced = CALENDAR_TYPES.has(declared);
  const candidate =
    announced || GENERIC_TYPES.has(declared) || (filename !== undefined && CALENDAR_FILENAME.test(filename));
  if (!candidate) return undefined;

  const params = contentTypeParams(node.headers ? node.headers.getFirst('content-type') : '');
  const decoder = node.getDecoder();
  const chunks: Buffer[] = [];
  let size = 0;
  let ended = false;
  decoder.on('data', (chunk: Buffer) => {
    size += chunk.length;
    // Past the limit the bytes are counted but not kept: the part will be skipped.
    if (size <= maxBytes) chunks.push(chunk);
  });
  decoder.once('end', () => {
    if (ended) return;
    ended = true;
    const part: RawPart = { contentType: declared, announced, content: Buffer.concat(chunks), size, position };
    const method = params.method?.trim();
    if (method) part.methodParam = method.toUpperCase();
    const charset = params.charset?.trim();
    if (charset) part.charset = charset;
    if (filename) part.filename = filename;
    parts.push(part);
    done();
  });
  decoder.once('error', (error: unknown) => {
    warnings.push(`part ${declared}${filename ? ` (${filename})` : ''} could not be decoded: ${errorText(error)}`);
    if (ended) return;
    ended = true;
    done();
  });
  return decoder;
}

/**
 * Starts reading a leaf of a delivery report that the report needs (the
 * first delivery-status part, the first returned message or header), kept
 * up to its bound; `done` is called once it is in `report`.
 */
function takeReportPart(node: SplitterNode, report: ReportParts, done: () => void): Transform | undefined {
  const kind = reportPartKind(node.contentType || 'text/plain');
  if (kind === undefined || report[kind] !== undefined) return undefined;
  const limit = reportPartLimit(kind);
  const decoder = node.getDecoder();
  const chunks: Buffer[] = [];
  let size = 0;
  let ended = false;
  decoder.on('data', (chunk: Buffer) => {
    if (size < limit) chunks.push(chunk);
    size += chunk.length;
  });
  const end = (text?: string): void => {
    if (ended) return;
    ended = true;
    // A broken report part is no part: the report is read from what was found.
    if (text !== undefined) report[kind] ??= text;
    done();
  };
  decoder.once('end', () => end(Buffer.concat(chunks).subarray(0, limit).toString('utf8')));
  decoder.once('error', () => end());
  return decoder;
}

/** The parameters of a Content-Type value, names in lower case (RFC 2045 section 5.1, RFC 2231). */
function contentTypeParams(value: string): Record<string, string | undefined> {
  const params: Record<string, string | undefined> = {};
  if (!value) return params;
  for (const [key, param] of Object.entries(libmime.parseHeaderValue(value).params ?? {})) {
    // Parameter names are case-insensitive: METHOD=, Method=.
    if (typeof param === 'string') params[key.toLowerCase()] = param;
  }
  return params;
}

function describePart(part: RawPart): string {
  return part.filename ? `${part.contentType} (${part.filename})` : part.contentType;
}

// ---------------------------------------------------------------------------
// Calendar text: charset, BOM, sameness (calendar-text.ts), then the METHOD parameter.

/** RFC 6047 section 2.4: the method parameter must equal the calendar's METHOD. */
function checkMethodParam(calendar: CalendarPart, canonicalText: string, warnings: string[]): void {
  if (!calendar.methodParam) return;
  const match = /^METHOD(?:;[^:\n]*)?:(.*)$/im.exec(canonicalText);
  const method = match ? match[1].trim().toUpperCase() : undefined;
  if (method === calendar.methodParam) return;
  const where = calendar.filename ? `${calendar.contentType} (${calendar.filename})` : calendar.contentType;
  warnings.push(
    method
      ? `calendar part ${where}: method parameter ${calendar.methodParam} does not match METHOD:${method} (RFC 6047 section 2.4)`
      : `calendar part ${where}: method parameter ${calendar.methodParam} but no METHOD property (RFC 6047 section 2.4)`,
  );
}

// ---------------------------------------------------------------------------
// Facts from the top-level header

function readFacts(raw: Buffer, headerLines: HeaderLine[]): MailFacts {
  const digest = createHash('sha256').update(raw).digest('hex');
  const lines = headerLines.length > 0 ? headerLines : fallbackHeaderLines(raw);
  const addresses = (key: string): string[] =>
    addressesOf(lines.filter((line) => line.key === key).map((line) => addressparser(headerValue(line.line))));
  const facts: MailFacts = {
    messageId: messageIdOf(lines) ?? `sha256:${digest}`,
    digest,
    to: addresses('to'),
    cc: addresses('cc'),
    authenticationResults: lines
      .filter((line) => line.key === 'authentication-results')
      .map((line) => headerValue(line.line)),
  };
  const from = addresses('from')[0];
  if (from) facts.from = from;
  const sender = addresses('sender')[0];
  if (sender) facts.sender = sender;
  const replyTo = addresses('reply-to')[0];
  if (replyTo) facts.replyTo = replyTo;
  const subject = subjectOf(lines);
  if (subject !== undefined) facts.subject = subject;
  const date = dateOf(lines);
  if (date) facts.date = date;
  return facts;
}

/** The Subject, its encoded words decoded (RFC 2047); as written when they cannot be. */
function subjectOf(lines: HeaderLine[]): string | undefined {
  const line = lines.find((entry) => entry.key === 'subject');
  if (!line) return undefined;
  const value = headerValue(line.line);
  try {
    return libmime.decodeWords(value);
  } catch {
    return value;
  }
}

/** The value of a raw header line, unfolded (RFC 5322 section 2.2.3). */
function headerValue(line: string): string {
  const colon = line.indexOf(':');
  return line
    .slice(colon + 1)
    .replace(/\r?\n(?=[ \t])/g, '')
    .trim();
}

function messageIdOf(lines: HeaderLine[]): string | undefined {
  const line = lines.find((entry) => entry.key === 'message-id');
  if (!line) return undefined;
  const value = headerValue(line.line);
  const bracketed = /<([^<>]+)>/.exec(value);
  const id = (bracketed ? bracketed[1] : value).trim();
  return id || undefined;
}

/**
 * The Date header as ISO 8601 UTC. A date that does not parse is left out: the
 * current time in its place (what some mail readers do) would be a made-up fact.
 */
function dateOf(lines: HeaderLine[]): string | undefined {
  const line = lines.find((entry) => entry.key === 'date');
  if (!line) return undefined;
  const time = Date.parse(headerValue(line.line).replace(/\([^)]*\)/g, ' ').trim());
  if (Number.isNaN(time)) return undefined;
  return formatUtcSeconds(time);
}

interface AddressEntry {
  address?: unknown;
  group?: unknown;
}

/**
 * Addresses of an address header, groups flattened, as lower-case mailto: URIs.
 * RFC 2047 section 5 allows no encoded word in an addr-spec: an address with one
 * counts only if it decodes to a plain local@domain. A domain in punycode is
 * read as Unicode, as it is displayed.
 */
function addressesOf(value: unknown): string[] {
  const out: string[] = [];
  const visit = (entry: unknown): void => {
    if (Array.isArray(entry)) {
      entry.forEach(visit);
      return;
    }
    if (!entry || typeof entry !== 'object') return;
    const object = entry as AddressEntry;
    if (Array.isArray(object.group)) object.group.forEach(visit);
    if (typeof object.address === 'string' && object.address !== '') {
      const address = normalizeAddress(plainAddress(object.address));
      if (address && !out.includes(address)) out.push(address);
    }
  };
  visit(value);
  return out;
}

function plainAddress(address: string): string {
  let plain = address;
  if (/=\?[^?]+\?[BbQq]\?[^?]*\?=/.test(plain)) {
    try {
      plain = libmime.decodeWords(plain);
    } catch {
      return '';
    }
    if (!/^[^\s@]+@[^\s@]+$/.test(plain) || plain.includes('=?')) return '';
  }
  const at = plain.lastIndexOf('@');
  if (at >= 0 && /(^|\.)xn--/i.test(plain.slice(at + 1))) {
    const domain = domainToUnicode(plain.slice(at + 1));
    if (domain) plain = `${plain.slice(0, at + 1)}${domain}`;
  }
  return plain;
}

/** When the splitter gave up before the header was read: split the header block by hand. */
function fallbackHeaderLines(raw: Buffer): HeaderLine[] {
  const crlf = raw.indexOf('\r\n\r\n');
  const lf = raw.indexOf('\n\n');
  const ends = [crlf, lf].filter((index) => index >= 0);
  const end = ends.length > 0 ? Math.min(...ends) : raw.length;
  const lines: HeaderLine[] = [];
  for (const line of raw.subarray(0, end).toString('latin1').split(/\r?\n(?![ \t])/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const key = line.slice(0, colon).trim().toLowerCase();
    // A field name is printable ASCII without a colon (RFC 5322 section 3.6.8).
    if (/^[\x21-\x39\x3b-\x7e]+$/.test(key)) lines.push({ key, line });
  }
  return lines;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

// Reading a delivery status notification (DSN, RFC 3464): the report an MTA
// sends back to the sender of a mail it could not deliver, or delivered late.
// It is a multipart/report; report-type=delivery-status mail (RFC 6522, which
// replaced RFC 3462) whose parts are a human-readable text, a
// message/delivery-status part with the machine-readable fields, and the
// returned message (message/rfc822) or its header alone (text/rfc822-headers).
// Postfix's bounce(8) and Exim both write this form.
//
// What the agent needs of it: which message it returns (the original's
// Message-ID) and, per recipient, the Action and Status the MTA reports.

import libmime from 'libmime';
import { normalizeAddress } from '../ical/address.js';

/** RFC 3464 section 2.3.3: what the reporting MTA did for one recipient. */
export type DsnAction = 'failed' | 'delayed' | 'delivered' | 'relayed' | 'expanded';

export interface DsnRecipient {
  /** Final-Recipient as a lower-case mailto: URI (an rfc822 address type only). */
  finalRecipient: string;
  /** Original-Recipient (the address the sender gave), when the MTA kept it. */
  originalRecipient?: string;
  action: DsnAction;
  /** The RFC 3463 status code, e.g. 5.1.1. */
  status: string;
  /** Diagnostic-Code, unfolded, if given: e.g. "smtp; 550 5.1.1 User unknown". */
  diagnostic?: string;
}

export interface DeliveryReport {
  /** Reporting-MTA, without its type ("dns; "). */
  reportingMta?: string;
  /**
   * The Message-IDs (without angle brackets) the report may be about: that of
   * the returned message or header first, then the report's own References
   * and In-Reply-To (Exim names the original there).
   */
  originalMessageIds: string[];
  recipients: DsnRecipient[];
}

/** Bounds: a report is small; the returned message may be large and only its header matters. */
const MAX_STATUS_BYTES = 256 * 1024;
const MAX_RETURNED_HEADER_BYTES = 256 * 1024;

const STATUS_TYPES = new Set(['message/delivery-status', 'message/global-delivery-status']);
const RETURNED_TYPES = new Set(['message/rfc822', 'message/global', 'text/rfc822-headers', 'message/global-headers']);
const ACTIONS = new Set<DsnAction>(['failed', 'delayed', 'delivered', 'relayed', 'expanded']);

/** Is this top-level Content-Type value that of a delivery status notification (RFC 3464 section 2)? */
export function isDeliveryReportType(contentType: string | undefined): boolean {
  if (!contentType) return false;
  const parsed = libmime.parseHeaderValue(contentType);
  if (String(parsed.value ?? '').trim().toLowerCase() !== 'multipart/report') return false;
  const params = Object.entries(parsed.params ?? {}).map(([k, v]) => [k.toLowerCase(), String(v).trim().toLowerCase()]);
  return params.some(([k, v]) => k === 'report-type' && (v === 'delivery-status' || v === 'global-delivery-status'));
}

/** The parts of a delivery report that matter, as read-mail's one pass over the MIME tree collects them. */
export interface ReportParts {
  /** The text of the first message/delivery-status part. */
  status?: string;
  /** The text of the returned message or header (its header is what is read). */
  returned?: string;
}

/** Which report part a leaf of this media type is, if any. */
export function reportPartKind(contentType: string): keyof ReportParts | undefined {
  return STATUS_TYPES.has(contentType) ? 'status' : RETURNED_TYPES.has(contentType) ? 'returned' : undefined;
}

/** How many decoded bytes of a report part are kept: a report is small, and of the returned message only its header matters. */
export function reportPartLimit(kind: keyof ReportParts): number {
  return kind === 'status' ? MAX_STATUS_BYTES : MAX_RETURNED_HEADER_BYTES;
}

/**
 * The report of a multipart/report mail from its collected parts; undefined
 * when it has no message/delivery-status part with at least one recipient
 * that can be read. `headerIds`: the Message-IDs the mail's own References
 * and In-Reply-To name.
 */
export function readDeliveryReport(parts: ReportParts, headerIds: string[] = []): DeliveryReport | undefined {
  if (parts.status === undefined) return undefined;
  const blocks = fieldBlocks(parts.status);
  const [perMessage, ...perRecipient] = blocks;
  const recipients = perRecipient.map(recipientOf).filter((r): r is DsnRecipient => r !== undefined);
  if (recipients.length === 0) return undefined;
  const ids: string[] = [];
  const returnedId = parts.returned ? messageIdOfHeader(parts.returned) : undefined;
  if (returnedId) ids.push(returnedId);
  for (const id of headerIds) if (!ids.includes(id)) ids.push(id);
  const report: DeliveryReport = { originalMessageIds: ids, recipients };
  const mta = perMessage?.get('reporting-mta');
  if (mta) report.reportingMta = typedValue(mta);
  return report;
}

/**
 * The report of a mail whose top-level type is a delivery report (RFC 3464),
 * else undefined; `header` gives the values of a top-level header field.
 */
export function deliveryReportOf(parts: ReportParts | undefined, header: (key: string) => string[]): DeliveryReport | undefined {
  if (parts === undefined || !isDeliveryReportType(header('content-type')[0])) return undefined;
  return readDeliveryReport(parts, [...header('references'), ...header('in-reply-to')].flatMap(messageIdsIn));
}

/** The Message-IDs a References or In-Reply-To value names, without angle brackets. */
export function messageIdsIn(value: string | undefined): string[] {
  return [...(value ?? '').matchAll(/<([^<>\s]+)>/g)].map((m) => m[1]);
}

/**
 * The groups of header-style fields of a delivery-status body (RFC 3464
 * section 2.1): the per-message fields, then one group per recipient, each
 * ended by a blank line. Field names lower-case, folded lines unfolded.
 */
function fieldBlocks(text: string): Array<Map<string, string>> {
  const blocks: Array<Map<string, string>> = [];
  for (const chunk of text.replace(/\r\n?/g, '\n').split(/\n[ \t]*\n/)) {
    const fields = new Map<string, string>();
    for (const line of chunk.replace(/\n(?=[ \t])/g, '').split('\n')) {
      const colon = line.indexOf(':');
      if (colon <= 0) continue;
      const name = line.slice(0, colon).trim().toLowerCase();
      if (!fields.has(name)) fields.set(name, line.slice(colon + 1).replace(/\s+/g, ' ').trim());
    }
    if (fields.size > 0) blocks.push(fields);
  }
  // Exim writes a blank line after Reporting-MTA; a block without a recipient
  // field before the first one that has it is still per-message.
  const first = blocks.findIndex((b) => b.has('final-recipient') || b.has('original-recipient'));
  if (first <= 0) return first === 0 ? [new Map(), ...blocks] : blocks;
  const perMessage = new Map<string, string>();
  for (const block of blocks.slice(0, first)) for (const [k, v] of block) if (!perMessage.has(k)) perMessage.set(k, v);
  return [perMessage, ...blocks.slice(first)];
}

/** "rfc822; bob@example.org" -> "bob@example.org" (RFC 3464 section 2.1.2: address-type ";" generic-address). */
function typedValue(value: string): string {
  const semicolon = value.indexOf(';');
  return (semicolon >= 0 ? value.slice(semicolon + 1) : value).trim();
}

function rfc822Address(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const semicolon = value.indexOf(';');
  const type = semicolon >= 0 ? value.slice(0, semicolon).trim().toLowerCase() : 'rfc822';
  if (type !== 'rfc822' && type !== 'utf-8') return undefined;
  const address = typedValue(value).replace(/^<|>$/g, '');
  return /^[^\s@<>]+@[^\s@<>]+$/.test(address) ? normalizeAddress(address) : undefined;
}

function recipientOf(fields: Map<string, string>): DsnRecipient | undefined {
  const finalRecipient = rfc822Address(fields.get('final-recipient')) ?? rfc822Address(fields.get('original-recipient'));
  const action = fields.get('action')?.split(/[\s(]/)[0]?.toLowerCase() as DsnAction | undefined;
  const status = /^([245])\.\d{1,3}\.\d{1,3}\b/.exec(fields.get('status') ?? '')?.[0];
  if (!finalRecipient || !action || !ACTIONS.has(action) || !status) return undefined;
  const recipient: DsnRecipient = { finalRecipient, action, status };
  const original = rfc822Address(fields.get('original-recipient'));
  if (original) recipient.originalRecipient = original;
  const diagnostic = fields.get('diagnostic-code');
  if (diagnostic) recipient.diagnostic = diagnostic;
  return recipient;
}

/** The Message-ID of a returned message or header block. */
function messageIdOfHeader(text: string): string | undefined {
  const normal = text.replace(/\r\n?/g, '\n');
  const end = normal.search(/\n[ \t]*\n/);
  const header = (end >= 0 ? normal.slice(0, end) : normal).replace(/\n(?=[ \t])/g, ' ');
  const line = header.split('\n').find((l) => /^message-id\s*:/i.test(l));
  if (!line) return undefined;
  return messageIdsIn(line)[0] ?? (line.slice(line.indexOf(':') + 1).trim() || undefined);
}

// Answers in WebDAV's forms: 207 Multi-Status (RFC 4918 section 13) and the
// error body of a failed precondition (RFC 4918 section 16, with the names
// CalDAV gives its preconditions in RFC 4791 section 1.3).

import type { FastifyReply } from 'fastify';
import { propertyValue, type PropertyContext, type Resource } from './properties.js';
import { DAV, documentOf, el, escapeXml, qname, textEl } from './xml.js';

const REASONS: Record<number, string> = { 200: 'OK', 403: 'Forbidden', 404: 'Not Found', 507: 'Insufficient Storage' };

export const statusLine = (status: number): string => `HTTP/1.1 ${status} ${REASONS[status] ?? ''}`.trimEnd();

/** The response of one resource with the asked properties: found ones with 200, others with 404. */
export async function propResponse(context: PropertyContext, resource: Resource, props: Array<[string, string]>, namesOnly = false): Promise<string> {
  const found: string[] = [];
  const missing: string[] = [];
  for (const [ns, name] of props) {
    const value = await propertyValue(context, resource, ns, name);
    if (value === undefined) missing.push(el(ns, name));
    else found.push(namesOnly ? el(ns, name) : el(ns, name, value));
  }
  let inner = textEl(DAV, 'href', resource.href);
  if (found.length > 0) inner += el(DAV, 'propstat', el(DAV, 'prop', found.join('')) + textEl(DAV, 'status', statusLine(200)));
  if (missing.length > 0) inner += el(DAV, 'propstat', el(DAV, 'prop', missing.join('')) + textEl(DAV, 'status', statusLine(404)));
  return el(DAV, 'response', inner);
}

/** A response that is a status alone (a missing href, a removed member). */
export function statusResponse(href: string, status: number): string {
  return el(DAV, 'response', textEl(DAV, 'href', href) + textEl(DAV, 'status', statusLine(status)));
}

export function sendMultistatus(reply: FastifyReply, responses: string[], extra = ''): FastifyReply {
  return reply
    .code(207)
    .type('application/xml; charset=utf-8')
    .send(documentOf(DAV, 'multistatus', responses.join('') + extra));
}

/** A failed precondition or postcondition, named as the RFC names it, with a sentence for people. */
export function sendDavError(reply: FastifyReply, status: number, ns: string, name: string, text: string, inner = ''): FastifyReply {
  const q = qname(ns, name);
  const condition = inner === '' ? `<${q.open}/>` : `<${q.open}>${inner}</${q.close}>`;
  return reply
    .code(status)
    .type('application/xml; charset=utf-8')
    .send(documentOf(DAV, 'error', condition + `<d:responsedescription>${escapeXml(text)}</d:responsedescription>`));
}

export function sendText(reply: FastifyReply, status: number, text: string): FastifyReply {
  return reply.code(status).type('text/plain; charset=utf-8').send(`${text}\n`);
}

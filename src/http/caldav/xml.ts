// WebDAV XML in and out. Requests are read with fast-xml-parser with entity
// expansion off, and a body with a DOCTYPE is refused outright: a DTD is the
// door to entity expansion ("billion laughs") and to external entities, and no
// CalDAV client sends one. Namespaces are resolved here (the parser keeps the
// prefixes as written), so that every element is known by namespace and local
// name (RFC 4918 section 17: prefixes mean nothing).
//
// Answers are written as text with every value escaped.

import { createRequire } from 'node:module';

export const DAV = 'DAV:';
export const CALDAV = 'urn:ietf:params:xml:ns:caldav';
export const CS = 'http://calendarserver.org/ns/';

/** The prefixes of our answers; any other namespace is declared where it is used. */
const PREFIXES: Record<string, string> = { [DAV]: 'd', [CALDAV]: 'c', [CS]: 'cs' };

export interface Element {
  ns: string;
  name: string;
  attrs: Record<string, string>;
  children: Element[];
  text: string;
}

export class XmlError extends Error {
  override name = 'XmlError';
}

type Ordered = Array<Record<string, unknown>>;

/** Parses a request body; undefined for an empty one. Throws XmlError for what is not well-formed XML. */
export function parseXml(body: string): Element | undefined {
  if (body.trim() === '') return undefined;
  if (/<!DOCTYPE/i.test(body)) throw new XmlError('a document type declaration is not accepted');
  const require = createRequire(import.meta.url);
  const { XMLParser, XMLValidator } = require('fast-xml-parser') as typeof import('fast-xml-parser');
  const valid = XMLValidator.validate(body);
  if (valid !== true) throw new XmlError(`the XML is not well-formed: ${valid.err.msg} (line ${valid.err.line})`);
  const parser = new XMLParser({
    preserveOrder: true,
    ignoreAttributes: false,
    attributeNamePrefix: '',
    processEntities: false,
    htmlEntities: false,
    parseTagValue: false,
    parseAttributeValue: false,
    trimValues: false,
    ignoreDeclaration: true,
    ignorePiTags: true,
  });
  const tree = parser.parse(body) as Ordered;
  const roots = convert(tree, {});
  if (roots.length !== 1) throw new XmlError('the XML body must have one root element');
  return roots[0];
}

/** The five predefined entities, which processEntities: false leaves as written. */
function unescapeText(text: string): string {
  return text.replace(/&(lt|gt|amp|quot|apos|#x[0-9a-fA-F]+|#[0-9]+);/g, (_, name: string) => {
    if (name === 'lt') return '<';
    if (name === 'gt') return '>';
    if (name === 'amp') return '&';
    if (name === 'quot') return '"';
    if (name === 'apos') return "'";
    const code = name.startsWith('#x') ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
    return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : '';
  });
}

function convert(nodes: Ordered, scope: Record<string, string>): Element[] {
  const out: Element[] = [];
  for (const node of nodes) {
    const attrs = (node[':@'] ?? {}) as Record<string, string>;
    const tag = Object.keys(node).find((key) => key !== ':@');
    if (tag === undefined || tag === '#text' || tag.startsWith('?') || tag === '#comment') continue;
    const inner: Record<string, string> = { ...scope };
    const plain: Record<string, string> = {};
    for (const [key, value] of Object.entries(attrs)) {
      if (key === 'xmlns') inner[''] = unescapeText(value);
      else if (key.startsWith('xmlns:')) inner[key.slice(6)] = unescapeText(value);
      else plain[key] = unescapeText(value);
    }
    const colon = tag.indexOf(':');
    const prefix = colon >= 0 ? tag.slice(0, colon) : '';
    const name = colon >= 0 ? tag.slice(colon + 1) : tag;
    const ns = inner[prefix];
    if (ns === undefined && prefix !== '') throw new XmlError(`the prefix ${prefix} is not declared`);
    const body = (node[tag] ?? []) as Ordered;
    const text = body
      .filter((child) => '#text' in child)
      .map((child) => String(child['#text']))
      .join('');
    out.push({ ns: ns ?? '', name, attrs: plain, children: convert(body, inner), text: unescapeText(text) });
  }
  return out;
}

export function child(element: Element | undefined, ns: string, name: string): Element | undefined {
  return element?.children.find((c) => c.ns === ns && c.name === name);
}

export function childrenOf(element: Element | undefined, ns: string, name: string): Element[] {
  return element?.children.filter((c) => c.ns === ns && c.name === name) ?? [];
}

/** Escapes text for content and attributes; CR as a reference, since an XML reader turns a bare CR LF into LF (XML 1.0 section 2.11) and calendar data keeps its CRLF. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"'\r]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;', '\r': '&#13;' })[c]!);
}

/** A property or element name as written in our answers: d:, c:, cs: or with its own xmlns. */
export function qname(ns: string, name: string): { open: string; close: string } {
  const prefix = PREFIXES[ns];
  if (prefix) return { open: `${prefix}:${name}`, close: `${prefix}:${name}` };
  return { open: `x:${name} xmlns:x="${escapeXml(ns)}"`, close: `x:${name}` };
}

/** An element with XML content already written (escaped by the caller). */
export function el(ns: string, name: string, inner = ''): string {
  const q = qname(ns, name);
  return inner === '' ? `<${q.open}/>` : `<${q.open}>${inner}</${q.close}>`;
}

/** An element with text content. */
export function textEl(ns: string, name: string, text: string): string {
  return el(ns, name, escapeXml(text));
}

export const XML_HEAD = '<?xml version="1.0" encoding="utf-8"?>\n';
export const NAMESPACES = `xmlns:d="${DAV}" xmlns:c="${CALDAV}" xmlns:cs="${CS}"`;

/** A whole document whose root is d:, c: or cs:. */
export function documentOf(ns: string, name: string, inner: string): string {
  const q = qname(ns, name);
  return `${XML_HEAD}<${q.open} ${NAMESPACES}>${inner}</${q.close}>`;
}

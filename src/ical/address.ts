// Calendar user addresses (RFC 5545 section 3.3.3, CAL-ADDRESS) are compared and
// stored as lower-case `mailto:` URIs, whatever case or form a client wrote.

/** `MAILTO:Alice@Example.COM`, `alice@example.com`, `<alice@example.com>` -> `mailto:alice@example.com`. */
export function normalizeAddress(value: string | null | undefined): string | undefined {
  if (value == null) return undefined;
  let text = String(value).trim();
  if (text.startsWith('<') && text.endsWith('>')) text = text.slice(1, -1).trim();
  text = text.replace(/^mailto:/i, '').trim();
  if (!text) return undefined;
  return `mailto:${text.toLowerCase()}`;
}

/** The bare mail address of a calendar user address: `mailto:a@b` -> `a@b`. */
export function mailAddress(address: string): string {
  return address.replace(/^mailto:/i, '');
}

/** The domain part of an address, lower-case, or '' if there is none. */
export function addressDomain(address: string): string {
  const at = address.lastIndexOf('@');
  return at < 0 ? '' : address.slice(at + 1).toLowerCase();
}

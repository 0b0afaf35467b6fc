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

/**
 * RFC 5321 section 4.5.3.1.2 and 4.5.3.1.3, in octets. The 64 octets of a
 * local part (4.5.3.1.1) are not enforced: Postfix and Dovecot deliver longer
 * ones, and a real mailbox must not have its mail bounced here; the length of
 * the whole address is what keeps a maildir name within the file system's 255.
 */
const MAX_DOMAIN = 255;
/** A path is the address in angle brackets, which count: 256 - 2. */
const MAX_ADDRESS = 254;

/**
 * Why a mail address is longer than SMTP allows, or undefined. Such an address
 * reaches no mailbox, and it would become a folder name (maildir {user}) that
 * the file system refuses (ENAMETOOLONG, 255 octets a name): it is refused at
 * the door, before anything is stored.
 */
export function addressLengthProblem(address: string): string | undefined {
  const bare = mailAddress(address);
  const at = bare.lastIndexOf('@');
  const octets = (text: string) => Buffer.byteLength(text, 'utf8');
  const domain = at < 0 ? '' : bare.slice(at + 1);
  if (octets(domain) > MAX_DOMAIN) return `its domain has ${octets(domain)} octets, RFC 5321 allows ${MAX_DOMAIN}`;
  if (octets(bare) > MAX_ADDRESS) return `it has ${octets(bare)} octets, RFC 5321 allows ${MAX_ADDRESS} (a path of 256 with its angle brackets)`;
  return undefined;
}

/** An address as a message may quote it: at most `max` characters of it. */
export function shortAddress(address: string, max = 80): string {
  return address.length <= max ? address : `${address.slice(0, max)}...`;
}

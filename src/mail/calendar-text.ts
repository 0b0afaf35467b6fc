// Calendar text as bytes arrive in mail: the charset (the part's label, a byte
// order mark, or a guess where both are missing), whether bytes look like a
// calendar at all, and the form two copies of one calendar share. Read by
// read-mail.ts, which gets transfer-decoded bytes from mailsplit.

import iconv from 'iconv-lite';

/**
 * Bytes to text with the part's charset. RFC 5545 section 8.1 and RFC 6047 section 2.4
 * make UTF-8 the default; a byte order mark wins over the label, as browsers do.
 */
export function decodeCalendarBytes(bytes: Buffer, charset: string | undefined, label: string, warnings: string[]): string {
  const name = (charset ?? '').replace(/^["']|["']$/g, '').trim().toLowerCase();
  let text: string;
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
    text = decodeUtf8(bytes.subarray(3), label, warnings);
  } else if (bytes[0] === 0xff && bytes[1] === 0xfe) {
    text = new TextDecoder('utf-16le').decode(bytes.subarray(2));
  } else if (bytes[0] === 0xfe && bytes[1] === 0xff) {
    text = new TextDecoder('utf-16be').decode(bytes.subarray(2));
  } else if (/^(utf-?16|ucs-?2)$/.test(name)) {
    text = new TextDecoder(guessUtf16Order(bytes)).decode(bytes);
  } else if (name === '' || /^(utf-?8|us-ascii|ascii|ansi_x3\.4-1968)$/.test(name)) {
    // US-ASCII labels on UTF-8 bytes are common; ASCII is a subset of UTF-8 anyway.
    text = decodeUtf8(bytes, label, warnings);
  } else {
    text = decodeNamedCharset(bytes, name, label, warnings);
  }
  return text.replace(/^\uFEFF/, '');
}

function decodeUtf8(bytes: Buffer, label: string, warnings: string[]): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    // Mislabelled Latin-1 is the usual cause; windows-1252 is its superset.
    warnings.push(`calendar part ${label} is not valid UTF-8: read as windows-1252`);
    return iconv.decode(bytes, 'windows-1252');
  }
}

/**
 * Labels that mail software writes for what is in practice windows-1252: the WHATWG
 * Encoding Standard maps them the same way, so 0x80-0x9F read as curly quotes and euro.
 */
const WINDOWS_1252_LABELS = /^(iso[-_]?8859-?1|latin-?1|l1|cp819|iso-ir-100|ibm819|cp1252|x-cp1252)$/;

function decodeNamedCharset(bytes: Buffer, name: string, label: string, warnings: string[]): string {
  const charset = WINDOWS_1252_LABELS.test(name) ? 'windows-1252' : name;
  // iconv-lite (which libmime uses too) first: Node 20's TextDecoder reads the
  // windows-1252 family as ISO-8859-1 (0x80 becomes U+0080, not the euro sign).
  if (iconv.encodingExists(charset)) return iconv.decode(bytes, charset);
  try {
    // What iconv-lite lacks (iso-2022-jp, ...) Node with full ICU may still know.
    return new TextDecoder(charset).decode(bytes);
  } catch {
    warnings.push(`calendar part ${label} has an unknown charset "${name}": read as UTF-8`);
    return decodeUtf8(bytes, label, warnings);
  }
}

/** UTF-16 without a byte order mark: ASCII-heavy text shows where the zero bytes are. */
function guessUtf16Order(bytes: Buffer): 'utf-16le' | 'utf-16be' {
  let evenZeros = 0;
  let oddZeros = 0;
  const end = Math.min(bytes.length, 512);
  for (let i = 0; i < end; i++) {
    if (bytes[i] !== 0) continue;
    if (i % 2 === 0) evenZeros++;
    else oddZeros++;
  }
  // RFC 2781 section 4.3 says big-endian when unmarked; only the evidence overrides it.
  return oddZeros > evenZeros ? 'utf-16le' : 'utf-16be';
}

/** Whether the bytes start like an iCalendar stream, in an ASCII-compatible charset or UTF-16. */
export function bytesLookLikeCalendar(bytes: Buffer): boolean {
  let head = bytes.subarray(0, 256);
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) head = head.subarray(3);
  const zeros = head.filter((byte) => byte === 0).length;
  const text =
    zeros > head.length / 4
      ? new TextDecoder(guessUtf16Order(head)).decode(head).replace(/^\uFEFF/, '')
      : head.toString('latin1');
  return /^\s*BEGIN:VCALENDAR\b/i.test(text);
}

/**
 * The text that two copies of one calendar share: line endings made LF, folded lines
 * joined (RFC 5545 section 3.1), trailing white space and blank lines dropped.
 */
export function canonicalCalendarText(text: string): string {
  return text
    .replace(/^\uFEFF/, '')
    .replace(/\r\n?/g, '\n')
    .replace(/\n[ \t]/g, '')
    .split('\n')
    .map((line) => line.replace(/[ \t]+$/, ''))
    .filter((line) => line !== '')
    .join('\n');
}

// Line folding (RFC 5545 section 3.1) for ical.js's writer, same output, less
// time. ical.js folds every content line it writes by walking the line code
// point by code point, slicing and concatenating strings as it goes, and on
// an unfolded line it keeps stepping past the end until its byte count runs
// over the limit. A profile of the engine put 12% of handling an invitation in
// that one function (most lines are short and ASCII). ical.js's writer looks
// its property writer up on `ICAL.stringify` for every line, so it is wrapped
// here: the line comes unfolded from ical.js and is folded by foldLine, which
// gives exactly what ical.js's own folding gives (a test compares the two).

import ICAL from 'ical.js';

/** Printable ASCII and tab only: one UTF-8 byte per UTF-16 unit. */
const ASCII = /^[\x00-\x7f]*$/;

/**
 * ical.js's folding: chunks of at most `ICAL.foldLength` UTF-8 bytes (the
 * leading space of a continuation not counted), never splitting a code
 * point, joined by the newline and a space.
 */
export function foldLine(line: string): string {
  const limit = ICAL.foldLength;
  const join = `${ICAL.newLineChar} `;
  if (ASCII.test(line)) {
    if (line.length <= limit) return line;
    let out = line.slice(0, limit);
    for (let at = limit; at < line.length; at += limit) out += join + line.slice(at, at + limit);
    return out;
  }
  let out = '';
  let chunkStart = 0;
  let bytes = 0;
  for (let pos = 0; pos < line.length; ) {
    const cp = line.codePointAt(pos)!;
    const size = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    if (bytes + size > limit && pos > chunkStart) {
      out += (chunkStart === 0 ? '' : join) + line.slice(chunkStart, pos);
      chunkStart = pos;
      bytes = 0;
    }
    bytes += size;
    pos += cp > 0xffff ? 2 : 1;
  }
  return line.length === 0 ? '' : out + (chunkStart === 0 ? '' : join) + line.slice(chunkStart);
}

type PropertyWriter = (property: unknown, designSet?: unknown, noFold?: boolean) => string;

const stringify = ICAL.stringify as unknown as { property: PropertyWriter & { folded?: true } };
if (!stringify.property.folded) {
  const unfolded = stringify.property;
  const property: PropertyWriter & { folded?: true } = function (this: unknown, prop, designSet, noFold) {
    const line = unfolded.call(this, prop, designSet, true);
    return noFold ? line : foldLine(line);
  };
  property.folded = true;
  stringify.property = property;
}

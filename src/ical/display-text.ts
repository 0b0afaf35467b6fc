// Calendar text in the mail the agent writes. A SUMMARY, LOCATION, CN or
// TZID comes from whoever sent the calendar, and the agent copies it into the
// Subject, the From name and the lines of the text part. A line break in such
// a value would start a line of the sender's choosing there (a fake
// "Bcc: victim@example.net" under "Organizer:"), and bidi overrides would
// show the text in another order than it is read. So every such value passes
// through `oneLine` on its way into a mail.
//
// Line breaks reach a value in three ways, and all arrive here decoded:
// TEXT escapes (`\n` in SUMMARY, RFC 5545 section 3.3.11) and RFC 6868 in
// parameter values (`^n` newline, `^'` double quote, `^^` caret, in CN or
// TZID) are decoded by ical.js when it parses the calendar; a raw CR, LF or
// U+2028 can also stand in a value as written. Decoding once more here would
// turn a CN written as `^^n` (a caret and an n) into a line break.

/**
 * Characters that end a line in one reader or another: TAB, LF, VT, FF, CR,
 * NEL (U+0085), LINE SEPARATOR and PARAGRAPH SEPARATOR (U+2028, U+2029).
 * They become a space, so that words on two lines stay two words.
 */
const BREAKS = /[\t\n\v\f\r\u0085\u2028\u2029]/g;

/**
 * Other characters that have no place in a one-line value: the rest of C0,
 * DEL and C1 (U+0000-U+001F, U+007F-U+009F), the bidi embeddings and
 * overrides (U+202A-U+202E) and the bidi isolates (U+2066-U+2069)
 * (Unicode Standard Annex 9, "explicit directional formatting characters").
 * They are removed: they print nothing by themselves.
 */
const HIDDEN = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/**
 * A value from a calendar as one line of plain text: line breaks become
 * spaces, control and bidi formatting characters are removed, runs of white
 * space become one space, and the ends are trimmed. '' for null or undefined.
 */
export function oneLine(value: unknown): string {
  if (value === null || value === undefined) return '';
  return String(value).replace(BREAKS, ' ').replace(HIDDEN, '').replace(/\s+/g, ' ').trim();
}

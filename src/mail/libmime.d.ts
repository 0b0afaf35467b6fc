// The part of libmime (a CommonJS module without its own types) this project uses.
declare module 'libmime' {
  interface StructuredHeaderValue {
    value: string;
    params: Record<string, string>;
  }
  interface Libmime {
    /** Decodes RFC 2047 encoded words; throws on a charset it cannot convert. */
    decodeWords(text: string): string;
    /** A header value and its parameters, RFC 2231 continuations joined and decoded. */
    parseHeaderValue(text: string): StructuredHeaderValue;
  }
  const libmime: Libmime;
  export default libmime;
}

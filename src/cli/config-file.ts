// Reading the configuration file with the line of every key, so that each
// problem in it is reported as FILE:LINE, as compilers report theirs.
//
// JSON.parse gives no positions (and for some syntax errors not even an
// offset), so a small scanner walks the text first: it checks the syntax of
// RFC 8259 and notes, for every object member, the line its key is on, under
// its dotted path ("relay.port"; array items by index). The values themselves
// still come from JSON.parse.

/** A syntax error in the file, with where it is. */
export class JsonSyntaxError extends Error {
  override name = 'JsonSyntaxError';
  constructor(
    message: string,
    readonly line: number,
    readonly column: number,
  ) {
    super(message);
  }
}

export interface LocatedJson {
  value: unknown;
  /** Dotted key path -> the line (1-based) of its key. A key given twice keeps its last line, as JSON.parse keeps its last value. */
  lines: Map<string, number>;
  /** Keys written more than once in one object, with the lines of each. */
  repeated: Array<{ path: string; lines: number[] }>;
}

const WHITESPACE = new Set([' ', '\t', '\n', '\r']);

class Scanner {
  private at = 0;
  readonly lines = new Map<string, number>();
  readonly repeated: LocatedJson['repeated'] = [];

  constructor(private readonly text: string) {}

  scan(): void {
    this.skipSpace();
    this.value('');
    this.skipSpace();
    if (this.at < this.text.length) this.fail('unexpected text after the end of the JSON value');
  }

  private position(offset: number): { line: number; column: number } {
    const before = this.text.slice(0, offset);
    const line = before.split('\n').length;
    return { line, column: offset - before.lastIndexOf('\n') };
  }

  private fail(message: string, offset = this.at): never {
    const { line, column } = this.position(offset);
    const found = offset < this.text.length ? ` (found ${JSON.stringify(this.text[offset])})` : '';
    throw new JsonSyntaxError(`${message}${found}`, line, column);
  }

  private skipSpace(): void {
    while (this.at < this.text.length && WHITESPACE.has(this.text[this.at]!)) this.at++;
  }

  private value(path: string): void {
    const char = this.text[this.at];
    if (char === '{') return this.object(path);
    if (char === '[') return this.array(path);
    if (char === '"') {
      this.string();
      return;
    }
    const literal = /^(?:true|false|null|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?)/.exec(this.text.slice(this.at, this.at + 400));
    if (!literal) this.fail(this.at >= this.text.length ? 'the file ends where a value should be' : 'expected a value (a string in double quotes, a number, true, false, null, an object or a list)');
    this.at += literal[0].length;
  }

  private string(): string {
    const start = this.at;
    this.at++;
    while (this.at < this.text.length) {
      const char = this.text[this.at]!;
      if (char === '"') {
        this.at++;
        return JSON.parse(this.text.slice(start, this.at)) as string;
      }
      if (char === '\\') {
        const escape = this.text[this.at + 1];
        if (escape === 'u' && /^[0-9a-fA-F]{4}$/.test(this.text.slice(this.at + 2, this.at + 6))) this.at += 6;
        else if (escape !== undefined && '"\\/bfnrt'.includes(escape)) this.at += 2;
        else this.fail('a backslash in a string must start an escape such as \\" or \\\\');
        continue;
      }
      if (char < ' ') this.fail('a string must end on the line it starts (write a line break as \\n)');
      this.at++;
    }
    return this.fail('a string is not closed with a double quote', start);
  }

  private object(path: string): void {
    this.at++;
    this.skipSpace();
    if (this.text[this.at] === '}') {
      this.at++;
      return;
    }
    const seen = new Map<string, number[]>();
    for (;;) {
      this.skipSpace();
      if (this.text[this.at] !== '"') this.fail('expected a setting name in double quotes (no comma after the last member)');
      const keyAt = this.at;
      const key = this.string();
      const member = path ? `${path}.${key}` : key;
      const { line } = this.position(keyAt);
      seen.set(key, [...(seen.get(key) ?? []), line]);
      this.lines.set(member, line);
      this.skipSpace();
      if (this.text[this.at] !== ':') this.fail(`expected ':' after "${key}"`);
      this.at++;
      this.skipSpace();
      this.value(member);
      this.skipSpace();
      const next = this.text[this.at];
      if (next === ',') {
        this.at++;
        continue;
      }
      if (next === '}') {
        this.at++;
        break;
      }
      this.fail(`expected ',' or '}' after the value of "${key}"`);
    }
    for (const [key, lines] of seen) if (lines.length > 1) this.repeated.push({ path: path ? `${path}.${key}` : key, lines });
  }

  private array(path: string): void {
    this.at++;
    this.skipSpace();
    if (this.text[this.at] === ']') {
      this.at++;
      return;
    }
    for (let index = 0; ; index++) {
      this.skipSpace();
      this.value(path ? `${path}.${index}` : String(index));
      this.skipSpace();
      const next = this.text[this.at];
      if (next === ',') {
        this.at++;
        continue;
      }
      if (next === ']') {
        this.at++;
        return;
      }
      this.fail("expected ',' or ']' in a list");
    }
  }
}

/** Parses JSON text, noting the line of every key; a syntax error is a JsonSyntaxError with its line and column. */
export function parseJsonWithLines(text: string): LocatedJson {
  // A byte order mark is no JSON, but editors on some systems write one.
  const body = text.startsWith('\uFEFF') ? ` ${text.slice(1)}` : text;
  const scanner = new Scanner(body);
  scanner.scan();
  return { value: JSON.parse(body.trimStart()) as unknown, lines: scanner.lines, repeated: scanner.repeated };
}

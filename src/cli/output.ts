// What the command line prints: JSON on stdout (pretty, two spaces, nothing
// else), readable tables for people, and the errors a person sees, each with an
// exit code from sysexits(3) so that an MTA knows whether to retry.

/** Exit codes (sysexits.h). An MTA retries on 75 and bounces on the others. */
export const EXIT = {
  OK: 0,
  /** Not found and similar failures of an inspection command. */
  FAILURE: 1,
  USAGE: 64,
  DATAERR: 65,
  NOINPUT: 66,
  /** The recipient is no calendar user; only where `unknownUsers` is `refuse` (the MTA bounces). */
  NOUSER: 67,
  SOFTWARE: 70,
  IOERR: 74,
  TEMPFAIL: 75,
  /** A configuration problem; MTAs defer the mail (Postfix: 4.3.5) rather than bounce it. */
  CONFIG: 78,
} as const;

/** An error meant for a person: says what happened and what to do; carries its exit code. */
export class CliError extends Error {
  override name = 'CliError';
  constructor(
    message: string,
    readonly exitCode: number = EXIT.FAILURE,
    readonly fields: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export function usageError(message: string): CliError {
  return new CliError(message, EXIT.USAGE);
}

/**
 * The reader of stdout went away before the output ended, as `itip-agent
 * journal --json | head` does: it wants no more, so the command ends quietly.
 */
export class StdoutClosedError extends Error {
  override name = 'StdoutClosedError';
}

let watchingOutput = false;

/**
 * A closed stdout or stderr must not end the process: Node throws a stream's
 * unhandled 'error' event (EPIPE) as an uncaught exception, with a stack on
 * stderr. With a listener, each write's callback gets the error instead.
 */
export function watchOutputStreams(): void {
  if (watchingOutput) return;
  watchingOutput = true;
  process.stdout.on('error', () => undefined);
  // Nowhere to report a closed stderr: the log records are dropped.
  process.stderr.on('error', () => undefined);
}

function readerGone(error: Error): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  // EPIPE for the write that met the closed pipe, ERR_STREAM_DESTROYED for those after it.
  return code === 'EPIPE' || code === 'ERR_STREAM_DESTROYED';
}

/** Writes to stdout and resolves once the bytes are handed to the OS, so exiting loses nothing. */
export function writeStdout(data: string | Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => {
    process.stdout.write(data, (error) => {
      if (!error) resolve();
      else reject(readerGone(error) ? new StdoutClosedError(`stdout was closed by its reader (${errorText(error)})`) : error);
    });
  });
}

export function printJson(value: unknown): Promise<void> {
  return writeStdout(`${JSON.stringify(value, null, 2)}\n`);
}

export interface Column<T> {
  title: string;
  value: (row: T) => unknown;
}

function cellText(value: unknown): string {
  if (value === null || value === undefined || value === '') return '-';
  if (Array.isArray(value)) return value.length ? value.map(cellText).join(',') : '-';
  if (typeof value === 'object') return JSON.stringify(value);
  // Tables are one line per row: fold any line breaks a value carries.
  return String(value).replace(/\s*[\r\n]+\s*/g, ' ');
}

/** A table with a title line and one line per row; columns padded, the last one not. */
export function formatTable<T>(rows: T[], columns: Array<Column<T>>): string {
  const cells = [columns.map((c) => c.title), ...rows.map((row) => columns.map((c) => cellText(c.value(row))))];
  const widths = columns.map((_, i) => Math.max(...cells.map((line) => line[i].length)));
  return cells
    .map((line) => line.map((cell, i) => (i === line.length - 1 ? cell : cell.padEnd(widths[i]))).join('  ').trimEnd())
    .join('\n');
}

export function printTable<T>(rows: T[], columns: Array<Column<T>>): Promise<void> {
  return writeStdout(`${formatTable(rows, columns)}\n`);
}

export function printLines(lines: string[]): Promise<void> {
  return lines.length ? writeStdout(`${lines.join('\n')}\n`) : Promise.resolve();
}

/** The message of anything thrown, for logs and errors. */
export function errorText(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

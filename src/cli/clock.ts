// The one clock of the command line. ITIP_AGENT_NOW (ISO 8601 UTC) replaces the
// real time everywhere (recurrence windows, DTSTAMPs, queue times, log lines),
// so that tests and documented examples give the same output on every run.

/** A full ISO 8601 date-time with a zone: 2026-12-01T09:00:00Z, 2026-12-01T10:00:00.5+01:00. */
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/i;

/** Parses an ISO 8601 instant that carries its zone; NaN if it is not one. */
export function parseIsoInstant(text: string): number {
  const trimmed = text.trim();
  if (!ISO_INSTANT.test(trimmed)) return Number.NaN;
  return Date.parse(trimmed.toUpperCase());
}


let fixed: number | undefined;
let checked = false;

/** Why ITIP_AGENT_NOW cannot be used, or undefined when it is unset or fine. */
export function clockProblem(): string | undefined {
  const text = process.env.ITIP_AGENT_NOW;
  if (text === undefined || text.trim() === '') return undefined;
  if (Number.isNaN(parseIsoInstant(text))) {
    return `ITIP_AGENT_NOW=${JSON.stringify(text)} is not an ISO 8601 time; write it like 2026-12-01T09:00:00Z, or unset it to use the real clock`;
  }
  return undefined;
}

/** Now, in epoch milliseconds: ITIP_AGENT_NOW when set, else the real clock. */
export function now(): number {
  if (!checked) {
    checked = true;
    const text = process.env.ITIP_AGENT_NOW;
    if (text !== undefined && text.trim() !== '') {
      const ms = parseIsoInstant(text);
      // main() refuses a bad value before any command runs; this only guards callers
      // that skip it, and they get the real clock rather than NaN.
      if (!Number.isNaN(ms)) fixed = ms;
    }
  }
  return fixed ?? Date.now();
}

// What the benchmark modules share: where things are, the clock, medians.

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const BIN = join(ROOT, 'bin/itip-agent');
export const NOW = '2026-11-15T12:00:00Z';
export const NOW_MS = Date.parse(NOW);
export const DAY = 86_400_000;

export const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/** A module of the build (the benchmarks measure dist/, what bin/itip-agent runs). */
export const dist = (path) => import(pathToFileURL(join(ROOT, 'dist', path)).href);

export const scratch = (name) => mkdtempSync(join(tmpdir(), `itip-bench-${name}-`));

/** The envelope of a generated mail: one recipient, or the sender's own copy (the outgoing rule). */
export const envelopeOf = (m) => ({ recipients: [m.recipient], sender: m.sender, ...(m.outgoing ? { outgoing: true } : {}) });

/** The store a generated mail changes. */
export const userOf = (m) => `mailto:${m.user ?? m.recipient}`;

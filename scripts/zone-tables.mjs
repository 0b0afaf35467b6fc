// Writes dist/zones/: the UTC offset changes of every Olson zone this Node
// knows, from 2000 to 2040, as Node's own time zone database (Intl) gives them.
//
// Why: a TZID that comes without its VTIMEZONE is read from the Olson database
// (src/ical/zones.ts). Asking Intl costs about 10 ms the first time in a
// process (ICU loads its zone data), and an MTA starts `itip-agent process`
// once per mail. A table read from one small file per zone costs a fraction of
// a millisecond. Times outside the table's years still go to Intl.
//
// dist/zones/index.json maps each zone name (aliases too) to the name of its
// table; dist/zones/<Area>/<Location>.json is
// {from, to, first: [offsetMs, name], changes: [[atMs, offsetMs, name], ...]}:
// the offset and its short name (CET, EST, GMT+5:30) from `from`, then each
// change at the first minute of the new offset.

import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(root, 'dist/zones');
const FROM = Date.UTC(2000, 0, 1);
const TO = Date.UTC(2040, 0, 1);

// The zone code itself, as tsc built it, finds the changes through Intl (a
// week's step and bisection to the minute): the tables hold what it would
// compute at run time. No tables exist while this runs (the folder is made anew).
const { OlsonZone } = await import(pathToFileURL(join(root, 'dist/ical/zones.js')).href);
// The same test of a name that the reader applies: none can leave the folder.
const { isTableName } = await import(pathToFileURL(join(root, 'dist/ical/zone-tables.js')).href);

function tableOf(name) {
  const zone = new OlsonZone(name, name);
  const changes = zone.changesBetween(FROM, TO).map((at) => [at, zone.offsetAtInstant(at), zone.shortNameAt(at)]);
  return { from: FROM, to: TO, first: [zone.offsetAtInstant(FROM), zone.shortNameAt(FROM)], changes };
}

/** Every zone name Intl accepts that we know of: its own list (canonical names) and CLDR's aliases. */
function knownNames() {
  const names = new Set([...Intl.supportedValuesOf('timeZone'), 'UTC']);
  const require = createRequire(import.meta.url);
  for (const entry of require('windows-iana').IANA_ALIAS_MAP) for (const alias of entry.alias) names.add(alias);
  return [...names];
}

rmSync(outdir, { recursive: true, force: true });
/** name as written -> the name of its table (Intl's canonical name). */
const index = {};
const made = new Set();
for (const name of knownNames()) {
  let canonical;
  try {
    canonical = new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions().timeZone;
  } catch {
    continue; // a name this Node does not know
  }
  if (!isTableName(name) || !isTableName(canonical)) continue;
  if (!made.has(canonical)) {
    const file = join(outdir, `${canonical}.json`);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify(tableOf(canonical)));
    made.add(canonical);
  }
  index[name] = canonical;
}
writeFileSync(join(outdir, 'index.json'), JSON.stringify(index));

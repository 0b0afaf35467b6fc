// Offset tables of Olson zones, made at build time from Node's own time zone
// database (scripts/zone-tables.mjs writes dist/zones/). Reading one small
// file per zone spares a process the first use of Intl's time zones, which
// costs about 10 ms (ICU loads its zone data); `process` runs once per mail.
// A zone or a time the tables do not cover is asked of Intl, as before.

import { existsSync, readFileSync } from 'node:fs';

/** One zone from `from` to `to` (epoch ms): the offset and its short name at `from`, then each change. */
export interface ZoneTable {
  from: number;
  to: number;
  first: [offsetMs: number, name: string];
  /** [first minute of the new offset, offset ms, short name], in time order. */
  changes: Array<[atMs: number, offsetMs: number, name: string]>;
}

/** Names the tables could have: no path can leave their folder. */
const SAFE_NAME = /^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+){0,2}$/;

/** Whether a zone name can name a table file (the build writes only such names). */
export function isTableName(name: string): boolean {
  return SAFE_NAME.test(name);
}

let folder: URL | null | undefined;
let index: Record<string, string> = {};
const tables = new Map<string, ZoneTable | null>();

/**
 * The folder of the tables: dist/zones beside the built program (tsc's output
 * and the bundle both sit one level below dist/), or, when the sources run
 * directly (the tests), the one the build made.
 */
function tablesFolder(): URL | null {
  if (folder !== undefined) return folder;
  folder = null;
  for (const candidate of [new URL('../zones/', import.meta.url), new URL('../../dist/zones/', import.meta.url)]) {
    try {
      if (!existsSync(new URL('index.json', candidate))) continue;
      index = JSON.parse(readFileSync(new URL('index.json', candidate), 'utf8')) as Record<string, string>;
      folder = candidate;
      break;
    } catch {
      // An unreadable index: no tables, Intl answers everything.
    }
  }
  return folder;
}

/** The table of an Olson zone (or alias) by its exact name, if the build made one. */
export function zoneTable(name: string): ZoneTable | undefined {
  const dir = tablesFolder();
  if (!dir || !Object.hasOwn(index, name)) return undefined;
  const file = index[name]!;
  if (!isTableName(file)) return undefined;
  let table = tables.get(file);
  if (table === undefined) {
    try {
      table = JSON.parse(readFileSync(new URL(`${file}.json`, dir), 'utf8')) as ZoneTable;
    } catch {
      table = null;
    }
    tables.set(file, table);
  }
  return table ?? undefined;
}

/** The offset and short name in force at a minute inside the table's years. */
export function tableEntryAt(table: ZoneTable, minute: number): [offsetMs: number, name: string] {
  const { changes } = table;
  let low = 0;
  let high = changes.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (changes[middle]![0] <= minute) low = middle + 1;
    else high = middle;
  }
  if (low === 0) return table.first;
  const change = changes[low - 1]!;
  return [change[1], change[2]];
}

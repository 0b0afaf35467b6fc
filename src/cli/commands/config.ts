// `itip-agent config show`: every setting, its effective value and where it
// came from, so that an administrator sees what the agent will really do.

import { KEYS, showValue } from '../config.js';
import type { CommandContext } from '../main.js';
import { printJson, printTable } from '../output.js';

export async function runConfigShow(context: CommandContext, options: { json?: boolean }): Promise<void> {
  const { entries, file } = context.config();
  if (options.json) {
    const settings: Record<string, { value: unknown; source: string }> = {};
    for (const entry of entries) settings[entry.name] = { value: entry.value ?? null, source: entry.source };
    await printJson({ file: { path: file.path, read: file.read, source: file.source }, settings });
    return;
  }
  const help = new Map(KEYS.map((k) => [k.name, k]));
  const fileNote = file.read ? `read (${file.source})` : 'not found, not used';
  await printTable(
    [{ name: 'config file', value: file.path, source: fileNote, env: 'ITIP_AGENT_CONFIG' }, ...entries.map((e) => ({
      name: e.name,
      value: showValue(e.name, e.value),
      source: e.source,
      env: help.get(e.name)?.env ?? '',
    }))],
    [
      { title: 'SETTING', value: (row) => row.name },
      { title: 'VALUE', value: (row) => row.value },
      { title: 'SOURCE', value: (row) => row.source },
      { title: 'ENV', value: (row) => row.env },
    ],
  );
}

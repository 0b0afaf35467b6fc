// `itip-agent config show`: every setting, its effective value and where it
// came from, so that an administrator sees what the agent will really do.
// `itip-agent config check`: the same reading of the settings (a file that
// cannot be used stops it with exit 78, as it stops every command), then the
// warnings about settings that are allowed but probably wrong (configWarnings).
// Warnings are JSON log lines on stderr and, for a person, lines on stdout;
// they leave the exit code 0, so that a check in a deployment script fails on
// errors only.

import { KEYS, configWarnings, showValue } from '../config.js';
import { log } from '../log.js';
import type { CommandContext } from '../main.js';
import { printJson, printLines, printTable } from '../output.js';

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

export async function runConfigCheck(context: CommandContext, options: { json?: boolean }): Promise<void> {
  const resolved = context.config();
  const warnings = configWarnings(resolved);
  // Written whatever logLevel says: asking for a check is asking for its warnings.
  for (const warning of warnings) log('warn', warning.message, { setting: warning.setting });
  const { file } = resolved;
  if (options.json) {
    await printJson({ file: { path: file.path, read: file.read, source: file.source }, warnings });
    return;
  }
  const read = file.read ? `${file.path} read` : `${file.path} not found: environment and defaults only`;
  const verdict = warnings.length === 0 ? 'no problems found' : `${warnings.length} warning${warnings.length === 1 ? '' : 's'}`;
  await printLines([`${read}; ${verdict}`, ...warnings.map((w) => `warning: ${w.setting}: ${w.message}`)]);
}

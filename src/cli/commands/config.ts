// `itip-agent config show`: every setting, its effective value and where it
// came from, so that an administrator sees what the agent will really do.
// `itip-agent config check`: the same reading and checking of the settings as
// every command makes (so that a check that passes means the commands take
// them), with ALL errors at once, each with the file and line of its key,
// then the warnings about settings that are allowed but probably wrong
// (config-checks.ts). Errors and warnings are JSON log lines on stderr and,
// for a person, lines on stdout (with --json, one JSON object). Errors end
// with exit 78 (EX_CONFIG), as every command ends on them; warnings leave the
// exit code 0, so that a check in a deployment script fails on errors only.

import type { PgHealth } from '../../store/pg-health.js';
import { PG_RETRY_ADVICE } from '../../store/pg-errors.js';
import { isPgUrl, maskStoreLocation } from '../../store/store-url.js';
import { KEYS, problemAt, showValue, type Resolved } from '../config.js';
import { configFailure, configWarnings, problemFields, unreadableFiles } from '../config-checks.js';
import { log } from '../log.js';
import type { CommandContext } from '../main.js';
import { EXIT, printJson, printLines, printTable } from '../output.js';

export async function runConfigShow(context: CommandContext, options: { json?: boolean }): Promise<void> {
  const { entries, file } = context.config();
  if (options.json) {
    const settings: Record<string, { value: unknown; source: string }> = {};
    for (const entry of entries) {
      // A PostgreSQL URL's password is never printed.
      const value = entry.name === 'store' && typeof entry.value === 'string' ? maskStoreLocation(entry.value) : entry.value;
      settings[entry.name] = { value: value ?? null, source: entry.source };
    }
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
  // Every error at once: what the commands refuse, and the files serve could not read.
  const errors = [...resolved.problems, ...unreadableFiles(resolved)];
  const warnings = configWarnings(resolved);
  // A database store is tried: reachable from here, and with a schema this version reads.
  const health = await storeHealth(resolved);
  if (health?.error) {
    errors.push(problemAt(resolved, 'store', `the store ${health.location} cannot be used: ${health.error}${health.reachable ? '' : `; ${PG_RETRY_ADVICE}`}`));
  }
  // Written whatever logLevel says: asking for a check is asking for its warnings.
  for (const warning of warnings) log('warn', warning.message, { setting: warning.setting, file: warning.file, line: warning.line });
  const { file } = resolved;
  if (options.json) {
    await printJson({
      file: { path: file.path, read: file.read, source: file.source },
      errors: errors.map((problem) => ({ ...problemFields(problem), message: problem.message })),
      warnings,
      ...(health ? { store: health } : {}),
    });
  } else {
    const read = file.read ? `${file.path} read` : file.source === 'default' ? `${file.path} not found: environment and defaults only` : `${file.path} not read`;
    const counted = [errors.length && plural(errors.length, 'error'), warnings.length && plural(warnings.length, 'warning')].filter(Boolean);
    await printLines([
      `${read}; ${counted.length ? counted.join(', ') : 'no problems found'}`,
      ...errors.map((problem) => `error: ${problem.message}`),
      ...warnings.map((w) => `warning: ${w.setting}: ${w.message}`),
      ...(health ? healthLines(health) : []),
    ]);
  }
  if (errors.length) throw configFailure(errors, EXIT.CONFIG);
}

/** The health of a PostgreSQL store named by the settings (none for a directory, or a store setting that is wrong already). */
async function storeHealth(resolved: Resolved): Promise<PgHealth | undefined> {
  const location = resolved.settings.store;
  if (!isPgUrl(location) || resolved.problems.some((problem) => problem.setting === 'store')) return undefined;
  const { checkPgStore } = await import('../../store/pg-health.js');
  return checkPgStore(location);
}

/** The store's lines for a person. */
function healthLines(health: PgHealth): string[] {
  if (!health.reachable) return [`store: ${health.location}: not reachable`];
  const schema = health.schemaVersion === null || health.schemaVersion === undefined ? 'no schema yet' : `schema version ${health.schemaVersion}`;
  return [
    `store: ${health.location}: reachable, PostgreSQL ${health.serverVersion ?? '?'}, connect ${health.connectMs} ms, round trip ${health.latencyMs} ms; ` +
      `${schema} (this version reads ${health.supportedSchemaVersion})`,
    ...(health.note ? [`note: store: ${health.note}`] : []),
  ];
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

// `itip-agent prefs ADDR [KEY [VALUE]] [--unset]`: show or change preferences.
// Values are checked against the table in src/agent/preferences.ts, so that a
// misspelt key or value is refused here instead of silently doing nothing.

import { PreferenceError, findPreference, knownPreferenceKeys, refusedPreference, validatePreference } from '../../agent/preferences.js';
import type { Store } from '../../store/store.js';
import type { CommandContext } from '../main.js';
import { logger } from '../log.js';
import { printJson, printLines, printTable, usageError } from '../output.js';
import { unknownUserNote, userAddress } from './inspect.js';

interface PrefsOptions {
  unset?: boolean;
  json?: boolean;
}

/** The key as stored: the known spelling, or a stored key of any spelling (an old one can be read and removed). */
function storedKey(key: string, stored: Record<string, string>): string {
  const spec = findPreference(key);
  if (spec) return spec.key;
  const existing = Object.keys(stored).find((k) => k.toLowerCase() === key.trim().toLowerCase());
  if (existing) return existing;
  const refused = refusedPreference(key);
  if (refused) throw usageError(refused);
  throw usageError(`unknown preference ${JSON.stringify(key)}; known keys: ${knownPreferenceKeys().join(', ')} (see: itip-agent prefs --help)`);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A user the store has: with a role, or listed (a store of an older version may list one without). */
async function isKnown(store: Store, user: string): Promise<boolean> {
  return (await store.getRole(user)) !== undefined || (await store.listUsers()).includes(user);
}

async function show(store: Store | undefined, user: string, key: string | undefined, options: PrefsOptions): Promise<void> {
  const known = store !== undefined && (await isKnown(store, user));
  if (!known) logger.warn(unknownUserNote(user), { user });
  const prefs: Record<string, string> = known ? await store.getPrefs(user) : {};
  if (key === undefined) {
    const rows = Object.entries(prefs)
      .map(([k, value]) => ({ key: k, value }))
      .sort((a, b) => compare(a.key, b.key));
    if (options.json) return printJson(rows);
    if (rows.length === 0) {
      if (known) logger.info(`${user} has no preferences set; the defaults apply (see: itip-agent prefs --help)`);
      return;
    }
    return printTable(rows, [
      { title: 'KEY', value: (r) => r.key },
      { title: 'VALUE', value: (r) => r.value },
    ]);
  }
  const name = storedKey(key, prefs);
  const value = prefs[name];
  if (options.json) return printJson(value === undefined ? [] : [{ key: name, value }]);
  if (value === undefined) {
    if (known) logger.info(`${name} is not set for ${user}; the default applies. Set it with: itip-agent prefs ${user.slice(7)} ${name} VALUE`);
    return;
  }
  return printLines([value]);
}

export async function runPrefs(
  context: CommandContext,
  addr: string,
  key: string | undefined,
  value: string | undefined,
  options: PrefsOptions,
): Promise<void> {
  const user = userAddress(addr, 'ADDR');
  if (options.unset && key === undefined) throw usageError('--unset needs the KEY to remove, e.g. itip-agent prefs alice@example.com TZID --unset');
  if (options.unset && value !== undefined) throw usageError('give either a VALUE to set or --unset to remove, not both');

  if (value === undefined && !options.unset) {
    const store = context.storeExists() ? await context.store() : undefined;
    return show(store, user, key, options);
  }

  // A wrong key or value is refused before the store is opened: a usage error
  // must not create the store (or the user) as a side effect.
  let setting: { key: string; value: string } | undefined;
  if (!options.unset) {
    try {
      setting = validatePreference(key!, value!);
    } catch (error) {
      if (error instanceof PreferenceError) throw usageError(`${error.message} (see: itip-agent prefs --help)`);
      throw error;
    }
  } else if (!context.storeExists()) {
    storedKey(key!, {});
    logger.warn(unknownUserNote(user), { user });
    return options.json ? printJson([]) : undefined;
  }
  const store = await context.store();
  const name = setting ? setting.key : storedKey(key!, await store.getPrefs(user));
  const stored = setting ? setting.value : null;
  if (!setting && !(await isKnown(store, user))) {
    // Removing from nobody changes nothing; it must not create a user either.
    logger.warn(unknownUserNote(user), { user });
    return options.json ? printJson([]) : undefined;
  }
  const created = await store.transact(user, (tx) => {
    // Setting a preference of an unknown user makes it a person, as a first mail would.
    const isNew = tx.getRole() === undefined;
    if (isNew) tx.setRole('person');
    tx.setPref(name, stored);
    return isNew;
  });
  if (created) logger.info(`added ${user} as a person`, { user });
  if (options.json) return printJson(stored === null ? [] : [{ key: name, value: stored }]);
  await printLines([stored === null ? `removed ${name} for ${user}` : `set ${name}=${stored} for ${user}`]);
}

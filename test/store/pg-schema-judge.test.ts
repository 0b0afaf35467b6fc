// One judge of the itip_schema rows serves both the opening of a PostgreSQL
// store (which refuses or migrates) and `config check` (which reports): the
// verdicts and the problems a person reads are checked here on plain values;
// pg-store.test.ts and test/cli/config-check-store.test.ts check them on a
// real database.

import { describe, expect, it } from 'vitest';
import { judgeSchema, SCHEMA_VERSION } from '../../src/store/pg-schema.js';

describe('judgeSchema', () => {
  it('tells a database without the table, an older, the current and a newer version apart', () => {
    expect(judgeSchema(undefined)).toStrictEqual({ state: 'none' });
    expect(judgeSchema([SCHEMA_VERSION - 1])).toStrictEqual({ state: 'older', version: SCHEMA_VERSION - 1 });
    expect(judgeSchema([SCHEMA_VERSION])).toStrictEqual({ state: 'current', version: SCHEMA_VERSION });
    const newer = judgeSchema([SCHEMA_VERSION + 1], 'postgres://itip:***@db/itip');
    expect(newer).toMatchObject({ state: 'refused', version: SCHEMA_VERSION + 1 });
    expect((newer as { problem: string }).problem).toBe(
      `the database postgres://itip:***@db/itip has schema version ${SCHEMA_VERSION + 1}, and this version of itip-agent reads version ${SCHEMA_VERSION}: ` +
        'a newer itip-agent wrote it, and nothing in it was changed; install that newer version of itip-agent here too and run that version again ' +
        '(every agent on one database must run a version that reads its schema)',
    );
  });

  it('refuses a table changed by hand (no row, or several), naming the database only when told', () => {
    expect(judgeSchema([])).toStrictEqual({
      state: 'refused',
      version: null,
      problem: 'the database holds 0 rows in its table itip_schema instead of one: it was changed by hand; restore it from a backup',
    });
    expect(judgeSchema([SCHEMA_VERSION, SCHEMA_VERSION], 'postgres://db/itip')).toStrictEqual({
      state: 'refused',
      version: null,
      problem: 'the database postgres://db/itip holds 2 rows in its table itip_schema instead of one: it was changed by hand; restore it from a backup',
    });
  });
});

// Placeholder until the PostgreSQL store's schema module lands: the version
// of the schema this build writes (table itip_schema, one row), which the
// health check of `config check` compares with the database's.

/** The schema this version writes; a database at a later version is refused. */
export const SCHEMA_VERSION = 1;

// Placeholder until the PostgreSQL store lands: the command line can already
// select it by URL (open-store.ts). Opening connects once, so that an
// unreachable server is reported as such, then says the store is not built yet.

import pg from 'pg';
import type { Store } from './store.js';

export class PgStore {
  static async open(url: string): Promise<Store> {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.end();
    throw new Error('not yet: this build has no PostgreSQL store');
  }
}

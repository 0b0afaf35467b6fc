// `itip-agent store copy FROM TO`: the commander definition only, so that
// `itip-agent process` does not pay for it; the work is in
// src/cli/commands/store.ts, loaded when the command runs.

import type { Command } from 'commander';
import type { CommandContext } from './main.js';
import { examples, jsonOption } from './options.js';

type Runner = (load: () => Promise<(ctx: CommandContext, ...args: any[]) => Promise<number | void>>) => (...args: unknown[]) => Promise<void>;

const COPY_HELP =
  '\nFROM and TO are each a store directory (LMDB) or a postgres://USER@HOST:PORT/DB URL. Every user of\n' +
  'FROM is copied with everything kept for it: role, preferences, calendar objects under their CalDAV\n' +
  'names, own and others\' free/busy, requests, counters, inbox, outbox items in every state, the\n' +
  'journal, the marks of mails seen (a mail delivered again after the move stays a no-op) and the\n' +
  'records of mail sent. Each user is one transaction on TO, and ends equal to FROM: objects, requests,\n' +
  'counters and inbox items TO has and FROM has not are removed (outbox items, seen marks and sent\n' +
  'records of TO\'s own are kept, with a warning). Running it again changes nothing, so an interrupted\n' +
  'copy is finished by running it again. The journal is only appended to: a user whose journal in TO is\n' +
  'not a beginning of the one in FROM is refused (logged; the other users are copied; exit 65).\n' +
  'Not copied: the CalDAV change log and its sync tokens. CalDAV clients find their token unknown on\n' +
  'the new store and sync the calendar in full once (RFC 6578 section 3.7).\n' +
  'Stop the agents that write to FROM (serve, the MTA\'s process) while copying: a user that keeps\n' +
  'changing is refused. Progress is logged on stderr, one JSON line per user ({user, users, total,\n' +
  'objects, outcome}). With --json the summary is {users, copied, unchanged, refused: [{user, reason}],\n' +
  'objects, counts: {objects, ownPeriods, othersPeriods, requests, counters, inbox, outbox, journal,\n' +
  'seen, sent, prefs}}.\n' +
  'Exit codes: 0 every user copied or already equal, 64 usage error (FROM and TO the same store),\n' +
  '65 some users refused, 66 FROM does not exist, 75 a store cannot be opened or written: run it again.\n';

export function addStoreCommands(program: Command, run: Runner): void {
  const store = program
    .command('store')
    .description('work on whole stores: copy every user\'s data between LMDB and PostgreSQL')
    .addHelpText('after', examples('itip-agent store copy /var/lib/itip-agent postgres://itip@db.example.com:5432/itip'));
  store
    .command('copy')
    .description('copy every user\'s data from one store to another (LMDB directory or postgres:// URL)')
    .argument('<from>', 'the store to copy from: a directory or a postgres:// URL')
    .argument('<to>', 'the store to copy into (created if needed): a directory or a postgres:// URL')
    .addOption(jsonOption())
    .addHelpText(
      'after',
      COPY_HELP +
        examples(
          'itip-agent store copy /var/lib/itip-agent postgres://itip@db.example.com:5432/itip',
          'itip-agent store copy postgres://itip@db.example.com/itip /var/lib/itip-agent.new --json',
        ),
    )
    .action(run(async () => (await import('./commands/store.js')).runStoreCopy));
}

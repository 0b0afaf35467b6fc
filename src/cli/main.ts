// The itip-agent command line. An MTA runs `itip-agent process` once per mail,
// so start-up time matters: this file imports only commander and a few tiny
// modules; each command loads its own module (and the store, mail parser and
// iCalendar library it needs) with import() inside its action.

import { existsSync, readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { StoreCommitError, type Store } from '../store/store.js';
import { isTemporaryPgError, PG_RETRY_ADVICE } from '../store/pg-errors.js';
import { isPgUrl, maskStoreLocation } from '../store/store-url.js';
import { clockProblem } from './clock.js';
import { SETTINGS_HELP, inspectConfig, type Resolved } from './config.js';
import { configFailure } from './config-checks.js';
import { captureConsole, logger, setLogLevel } from './log.js';
import { addActionCommands } from './action-commands.js';
import { addStoreCommands } from './store-commands.js';
import { examples, jsonOption, userOption } from './options.js';
import { CliError, EXIT, StdoutClosedError, errorText, watchOutputStreams } from './output.js';
export { preload } from './preload.js'; // for the pipe-mode trial's start-up snapshot (bench/snapshot-entry.cjs)

export const DEFAULT_STORE = './var/itip-agent';

/** What every command gets from the program: where the store is, and a way to open it once. */
export interface CommandContext {
  /** Where the store is, as it may be shown: a directory, or a PostgreSQL URL with its password masked. */
  storeDir: string;
  /** Opens the store (once); failure is a CliError with EX_TEMPFAIL. */
  store(): Promise<Store>;
  /** Whether the store exists; read-only commands treat a missing store as empty. A database is taken to exist. */
  storeExists(): boolean;
  /** The effective settings (flags > ITIP_AGENT_* env > config file > defaults) and their sources. */
  config(): Resolved;
}

class Context implements CommandContext {
  private opened?: Store;
  readonly storeDir: string;
  private readonly location: string;
  constructor(private readonly resolved: Resolved) {
    this.location = resolved.settings.store;
    this.storeDir = maskStoreLocation(this.location);
  }

  config(): Resolved {
    return this.resolved;
  }

  storeExists(): boolean {
    // A database is there or not reachable; opening it tells which (and creates the schema).
    return isPgUrl(this.location) || existsSync(this.location);
  }

  async store(): Promise<Store> {
    if (this.opened) return this.opened;
    let openStore: (location: string) => Promise<Store>;
    let storeFailure: (error: unknown, location: string) => { message: string; hint: string };
    try {
      ({ openStore } = await import('../store/open-store.js'));
      ({ storeFailure } = await import('./store-failure.js'));
    } catch (error) {
      throw new CliError(`the store module cannot be loaded: ${errorText(error)}; rebuild with: npm run build`, EXIT.SOFTWARE);
    }
    try {
      this.opened = await openStore(this.location);
    } catch (error) {
      const { message, hint } = storeFailure(error, this.location);
      throw new CliError(`the store at ${this.storeDir} cannot be opened: ${message}${hint}`, EXIT.TEMPFAIL, { store: this.storeDir });
    }
    return this.opened;
  }

  async close(): Promise<void> {
    const store = this.opened;
    this.opened = undefined;
    if (store) await store.close().catch((error: unknown) => logger.warn('closing the store failed', { error }));
  }
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

function packageVersion(): string {
  try {
    const text = readFileSync(new URL('../../package.json', import.meta.url), 'utf8');
    return (JSON.parse(text) as { version?: string }).version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

export function buildProgram(context: { get(): Context }): Command {
  const program = new Command();
  program
    .name('itip-agent')
    .description(
      'Mail-side calendaring agent: keeps the calendars, free/busy and scheduling queues of calendar users ' +
        'up to date from the iTIP (RFC 5546) messages in the mail that reaches or leaves them (iMIP, RFC 6047).',
    )
    .version(packageVersion(), '-V, --version')
    .addOption(
      new Option('--store <dir|url>', 'the store: a directory (LMDB), or a PostgreSQL URL postgres://USER@HOST:PORT/DB').env('ITIP_AGENT_STORE').default(DEFAULT_STORE),
    )
    .addOption(new Option('--config <file>', 'the configuration file (JSON; env ITIP_AGENT_CONFIG, default /etc/itip-agent/config.json)'))
    .exitOverride()
    .configureOutput({
      // Logs on stderr are JSON lines; commander's own complaints are logs too.
      outputError: (text) => logger.error(`${text.trim().replace(/^error:\s*/i, '')}; see --help for usage`, { usage: true }),
      // Commander prints help on stderr when a command is missing (`itip-agent`,
      // `itip-agent user`). That text is not a log line: a person reads it on
      // stdout, and main() logs the usage error itself.
      writeErr: (text) => process.stdout.write(text),
    })
    .addHelpText(
      'after',
      SETTINGS_HELP +
        '\nThe clock: set ITIP_AGENT_NOW (ISO 8601 UTC, e.g. 2026-12-01T09:00:00Z) for repeatable output.\n' +
        'Logs go to stderr as JSON lines; --json output on stdout is JSON alone.\n' +
        examples(
          'itip-agent process --recipient alice@example.com --deliver stdout < invitation.eml',
          'itip-agent objects --user alice@example.com --json',
          'itip-agent --store /var/lib/itip-agent journal',
        ),
    );

  /**
   * `forMail`: a command an MTA runs per mail. `ownChecks`: the command reports
   * the settings' problems itself (config check) instead of being stopped by them.
   */
  const run = (load: () => Promise<(ctx: Context, ...args: any[]) => Promise<number | void>>, forMail = false, ownChecks = false) =>
    async (...args: unknown[]) => {
      const command = await load();
      const ctx = context.get();
      const { problems } = ctx.config();
      // A command an MTA runs per mail defers on a broken configuration (75):
      // Postfix's pipe bounces on 78, and a typo must not bounce every mail.
      if (problems.length > 0 && !ownChecks) throw configFailure(problems, forMail ? EXIT.TEMPFAIL : EXIT.CONFIG);
      const code = await command(ctx, ...args);
      if (typeof code === 'number') process.exitCode = code;
    };

  program
    .command('process')
    .description('read one mail on stdin (as an MTA pipe transport runs it), update the calendars, deliver it onward')
    .option('--recipient <addr>', 'an envelope recipient (repeat for several); required unless --outgoing', collect)
    .option('--sender <addr>', 'the envelope sender (MAIL FROM); empty, <> or MAILER-DAEMON for a bounce')
    .option('--client-address <ip>', 'the client that gave the MTA this mail (Postfix ${client_address}); empty: submitted on this host')
    .option('--authenticated-user <login>', 'the SASL login it was submitted with (Postfix ${sasl_username}), if any')
    .option('--queue-id <id>', 'the MTA\'s queue id of the mail (Postfix ${queue_id}, Exim $message_exim_id), for the log line')
    .option('--outgoing', 'the sender sent this mail: its effects go to the sender\'s store')
    .option('--deliver <target>', 'where the untouched mail goes: none, stdout, maildir:DIR (DIR may hold {user}, {local}, {domain}), lmtp:HOST:PORT, lmtp:/socket or sendmail (default: the deliver setting, else none)')
    .addOption(jsonOption())
    .addHelpText(
      'after',
      '\nThe original bytes go on untouched for each recipient, whatever the calendar part holds.\n' +
        'The default target is none, for incoming and outgoing mail alike: the MTA delivers the mail itself.\n' +
        'lmtp: hands the mail to Dovecot or Cyrus (MAIL FROM = --sender, RCPT TO = each recipient);\n' +
        'sendmail re-injects it with `sendmail -i -f SENDER -- RCPT...` (the sendmail setting names the program).\n' +
        'Without --json nothing is printed on stdout (an MTA may bounce on output), except the mail\n' +
        'itself with --deliver stdout; --json cannot be combined with --deliver stdout.\n' +
        '\nExit codes (sysexits): 0 done (also for mail whose calendar part is broken or missing),\n' +
        '64 usage error, 65 empty input, 74 stdin unreadable, 75 store or onward delivery failed: try again later.\n' +
        examples(
          'itip-agent process --recipient alice@example.com --deliver stdout < invitation.eml',
          'itip-agent process --recipient alice@example.com --deliver \'maildir:/var/mail/{user}/Maildir\' < mail.eml',
          'itip-agent process --outgoing --sender boss@example.com --recipient alice@example.com --json < sent.eml',
        ),
    )
    .action(run(async () => (await import('./commands/process.js')).runProcess, true));

  program
    .command('replay')
    .description('process stored mail again, in order: .eml files, mbox files or maildir folders')
    .argument('<files...>', '.eml files, mbox files or maildir folders (cur/ and new/, by name)')
    .option('--recipient <addr>', 'treat every mail as addressed to this user (repeat for several)', collect)
    .option('--sender <addr>', 'the envelope sender of every mail')
    .option('--outgoing', 'the mails were sent by their sender: effects go to the sender\'s store')
    .addOption(jsonOption())
    .addHelpText(
      'after',
      '\nRecipients: --recipient if given; else each mail\'s Delivered-To, X-Original-To or Envelope-To\n' +
        'header; else its To and Cc addresses that are already known calendar users. A mail with\n' +
        'no recipient is skipped and counted. Nothing is delivered onward. A redelivered mail\n' +
        'is a no-op (journalled as duplicate), so replaying twice is harmless.\n' +
        'With --json the summary is {messages, skipped, outcomes: {applied: n, ...}}.\n' +
        examples(
          'itip-agent replay ~/Maildir --recipient alice@example.com',
          'itip-agent replay archive.mbox --json',
          'itip-agent replay sent/*.eml --outgoing',
        ),
    )
    .action(run(async () => (await import('./commands/replay.js')).runReplay));

  const user = program
    .command('user')
    .description('add and list calendar users, set their web passwords')
    .addHelpText('after', examples('itip-agent user add alice@example.com', 'itip-agent user add room-1@example.com --resource', 'itip-agent user list --json', 'itip-agent user passwd alice@example.com'));
  user
    .command('add')
    .description('add a calendar user, or change its role')
    .argument('<addr>', 'the user\'s mail address')
    .option('--resource', 'a resource (room, projector) that answers invitations itself; default: a person')
    .addHelpText('after', examples('itip-agent user add alice@example.com', 'itip-agent user add room-1@example.com --resource'))
    .action(run(async () => (await import('./commands/user.js')).runUserAdd));
  user
    .command('list')
    .description('list calendar users and their roles ({address, role} with --json)')
    .addOption(jsonOption())
    .addHelpText('after', examples('itip-agent user list', 'itip-agent user list --json'))
    .action(run(async () => (await import('./commands/user.js')).runUserList));
  user
    .command('passwd')
    .description('set the password a user signs in to the web pages with (read from stdin)')
    .argument('<addr>', 'the user\'s mail address')
    .option('--remove', 'remove the user\'s password: no more sign-in with the password file')
    .addHelpText(
      'after',
      '\nThe password is the first line of stdin (at a terminal it is asked for, without echo); an empty\n' +
        'one is refused. It is stored as a salted scrypt hash in the password file (setting\n' +
        'http.passwordFile, default: passwords in the store directory; mode 0600), one line per user;\n' +
        'a second passwd for the same user replaces the line. serve reads the file at each sign-in.\n' +
        examples('printf \'%s\\n\' "$PASSWORD" | itip-agent user passwd alice@example.com', 'itip-agent user passwd alice@example.com --remove'),
    )
    .action(run(async () => (await import('./commands/user.js')).runUserPasswd));

  program
    .command('prefs')
    .description('show or change a calendar user\'s preferences')
    .argument('<addr>', 'the calendar user')
    .argument('[key]', 'a preference; without it, all are listed')
    .argument('[value]', 'the new value; without it, the current one is printed')
    .option('--unset', 'remove the preference KEY')
    .addOption(jsonOption())
    .addHelpText('after', () => prefsHelp())
    .action(run(async () => (await import('./commands/prefs.js')).runPrefs));

  const queue = program
    .command('queue')
    .description('the outbox: messages the agent generated, waiting to be sent')
    .addHelpText('after', examples('itip-agent queue run --relay 127.0.0.1:25'));
  queue
    .command('run')
    .description('send what the outbox holds, once, through an SMTP relay')
    .option('--relay <host:port>', 'the SMTP relay; default: ITIP_AGENT_RELAY, else relay.* of the configuration')
    .addOption(jsonOption())
    .addHelpText(
      'after',
      '\nSends every unprocessed item that is due. Per recipient: a 2xx reply records 1.2 (delivered),\n' +
        'a 5xx reply 5.1 (refused), a 4xx reply or an unreachable relay 1.0 (pending: retried later,\n' +
        'waiting 1, 2, 4 ... minutes, at most 2 hours, 20 attempts in all). The organizer\'s stored\n' +
        'event gets the same codes as ATTENDEE;SCHEDULE-STATUS (RFC 6638). See them with: itip-agent outbox\n' +
        'With --json the summary is {sent, failed, retry} (items now processed, given up, waiting).\n' +
        examples('itip-agent queue run --relay 127.0.0.1:25', 'ITIP_AGENT_RELAY=mail.example.com:587 itip-agent queue run --json'),
    )
    .action(run(async () => (await import('./commands/queue.js')).runQueueRun));

  program
    .command('serve')
    .description('run LMTP and/or SMTP listeners that process mail and deliver it onward, the web listener, and the outbox sender')
    .option('--lmtp <address>', 'LMTP listener: HOST:PORT or /path/socket (setting listen.lmtp)')
    .option('--smtp <address>', 'SMTP listener, e.g. for a content filter: HOST:PORT or /path/socket (setting listen.smtp)')
    .option('--http <address>', 'web listener (sign-in, web pages): HOST:PORT or /path/socket (setting listen.http)')
    .option('--deliver <target>', 'onward delivery after processing: none, maildir:DIR, lmtp:HOST:PORT, lmtp:/socket or sendmail (setting deliver)')
    .option('--metrics <address>', 'a listener for the Prometheus /metrics alone when there is no --http: HOST:PORT or /path/socket (setting listen.metrics)')
    .addHelpText(
      'after',
      '\nLMTP answers each recipient after its calendar store committed and its copy was delivered\n' +
        'onward; a store or delivery failure is 451 for that recipient (the MTA retries; the journal\n' +
        'makes the retry harmless). SMTP answers once per mail: 250 only if every recipient was done.\n' +
        'With relay.host set, the outbox sender runs too. SIGTERM or SIGINT stops: no new mail is\n' +
        'taken, mail in flight is finished (up to limits.shutdownSeconds), the store is closed.\n' +
        'The web listener (--http) signs people in with the password file (itip-agent user passwd),\n' +
        'Dovecot (http.dovecotAuth) or a trusted reverse proxy\'s header (http.proxyUserHeader).\n' +
        'Metrics (Prometheus text format) are at /metrics on the web listener, or on --metrics without one;\n' +
        'they answer peers on this host (not through a trusted proxy), or the bearer token of metrics.tokenFile.\n' +
        'Each mail gets one log line: queue id (XFORWARD IDENT) or session, client, onward result per recipient.\n' +
        SETTINGS_HELP +
        examples(
          'itip-agent serve --lmtp 127.0.0.1:10024 --deliver lmtp:/run/dovecot/lmtp',
          'itip-agent serve --lmtp 127.0.0.1:10024 --http 127.0.0.1:8080',
          'itip-agent serve --config /etc/itip-agent/config.json',
        ),
    )
    .action(run(async () => (await import('./commands/serve.js')).runServe));

  const config = program.command('config').description('show or check the effective settings');
  config
    .command('show')
    .description('print every setting with its value and where it came from (flag, env, file, default)')
    .addOption(jsonOption())
    .addHelpText('after', SETTINGS_HELP + examples('itip-agent config show', 'itip-agent --config ./config.json config show --json'))
    .action(run(async () => (await import('./commands/config.js')).runConfigShow));
  config
    .command('check')
    .description('check the settings: exit 78 if they cannot be used, warnings (exit 0) for what is probably wrong')
    .addOption(jsonOption())
    .addHelpText(
      'after',
      '\nIt checks every setting as the commands use it and lists ALL errors at once, each at FILE:LINE of\n' +
        'its key (or the name of its variable): a file that is not JSON, an unknown setting, a bad value, a\n' +
        'delivery target or listener address the commands would refuse, a file serve reads at start that\n' +
        'cannot be read. Errors end with exit 78, as every command ends on them (process: 75, the MTA\n' +
        'keeps the mail). Warnings leave the exit code 0: localDomains empty (mail from outside can then\n' +
        'claim to come from your users), auth.trustedAuthservIds set but auth.forgedHeadersRemoved not (see\n' +
        'mta-configs/postfix/README.md and mta-configs/exim/README.md), web sign-in that cannot work.\n' +
        'A PostgreSQL store is tried: an error when unreachable or its schema is newer than this version reads.\n' +
        'With --json: {file, errors: [{setting, source, file, line, message}], warnings: [{setting, message, file?, line?}],\n' +
        'store?: {location, reachable, connectMs, latencyMs, serverVersion, schemaVersion, supportedSchemaVersion, error?, note?}}.\n' +
        SETTINGS_HELP +
        examples('itip-agent --config /etc/itip-agent/config.json config check', 'itip-agent config check --json'),
    )
    .action(run(async () => (await import('./commands/config.js')).runConfigCheck, false, true));

  addActionCommands(program, run);
  addStoreCommands(program, run);
  addInspection(program, run);
  return program;
}

type Runner = (load: () => Promise<(ctx: Context, ...args: any[]) => Promise<number | void>>) => (...args: unknown[]) => Promise<void>;

function addInspection(program: Command, run: Runner): void {
  const inspect = () => import('./commands/inspect.js');
  const unknownNote = '\nAn unknown user gives empty output ([] with --json) and a note on stderr.\n';

  program
    .command('objects')
    .description('list the stored calendar objects of a user, one line per component (master and overrides)')
    .addOption(userOption(true))
    .addOption(jsonOption())
    .addHelpText(
      'after',
      '\nJSON: [{uid, recurrenceId, component, sequence, status, summary, organizer, attendees: [{address, partstat}],\n' +
        '  start, end, rrule, exdates, etag}], sorted by uid, then recurrenceId (the master first).\n' +
        'etag names the stored version of the whole object (the same on all its components): give it to\n' +
        'an action (respond, put, delete, ...) as --if-match, and the action is refused if the event changed since.\n' +
        unknownNote +
        examples('itip-agent objects --user alice@example.com', 'itip-agent objects --user alice@example.com --json'),
    )
    .action(run(async () => (await inspect()).runObjects));

  program
    .command('object')
    .description('print one stored calendar object (VCALENDAR text, or jCal with --json)')
    .argument('<uid>', 'the UID of the event')
    .addOption(userOption(true))
    .addOption(jsonOption())
    .addHelpText('after', '\nAn unknown UID is an error (exit 1).\n' + examples('itip-agent object --user alice@example.com planning-2026-12-01@example.com'))
    .action(run(async () => (await inspect()).runObject));

  program
    .command('freebusy')
    .description('list busy periods of a user (own, or with --others those learned of other people)')
    .addOption(userOption(true))
    .option('--others', 'periods of organizers and attendees learned from messages')
    .option('--from <time>', 'only periods ending after this ISO 8601 time (e.g. 2026-12-01T00:00:00Z)')
    .option('--to <time>', 'only periods starting before this ISO 8601 time')
    .addOption(jsonOption())
    .addHelpText(
      'after',
      '\nJSON: [{start, end, fbtype, uid, recurrenceId}] (with --others also participant), sorted by start.\n' +
        unknownNote +
        examples(
          'itip-agent freebusy --user alice@example.com',
          'itip-agent freebusy --user alice@example.com --others --from 2026-12-01T00:00:00Z --to 2026-12-08T00:00:00Z --json',
        ),
    )
    .action(run(async () => (await inspect()).runFreeBusy));

  program
    .command('requests')
    .description('list the messages waiting for the user\'s decision')
    .addOption(userOption(true))
    .addOption(jsonOption())
    .addHelpText('after', '\nJSON: [{uid, recurrenceId, method, from, received}].\n' + unknownNote + examples('itip-agent requests --user alice@example.com --json'))
    .action(run(async () => (await inspect()).runRequests));

  program
    .command('inbox')
    .description('list the scheduling messages a user received (RFC 6638 scheduling inbox)')
    .addOption(userOption(true))
    .addOption(jsonOption())
    .addHelpText('after', '\nJSON: [{id, method, uid, from, received, messageId, ics}].\n' + unknownNote + examples('itip-agent inbox --user alice@example.com'))
    .action(run(async () => (await inspect()).runInbox));

  program
    .command('outbox')
    .description('list the messages the agent has queued to send, of one user or of all')
    .addOption(userOption(false))
    .addOption(jsonOption())
    .addHelpText(
      'after',
      '\nJSON: [{id, method, uid, from, to, state, attempts, ics, created, status?}], oldest first.\n' + examples('itip-agent outbox', 'itip-agent outbox --user room-1@example.com --json'),
    )
    .action(run(async () => (await inspect()).runOutbox));

  program
    .command('journal')
    .description('list what happened to each message, per recipient and UID')
    .addOption(userOption(false))
    .addOption(jsonOption())
    .addHelpText(
      'after',
      '\nJSON: [{messageId, recipient, method, uid, outcome, reason, at}], in the order written.\n' +
        'Outcomes: applied, stale, duplicate, refused, ignored, error.\n' +
        examples('itip-agent journal', 'itip-agent journal --user alice@example.com --json'),
    )
    .action(run(async () => (await inspect()).runJournal));
}

/** The key table of `prefs --help`; filled in by main() before parsing when prefs is asked for. */
let prefsTable = '';

function prefsHelp(): string {
  return (
    '\nWithout KEY all preferences are listed; with KEY its value is printed; KEY VALUE sets it;\n' +
    'KEY --unset removes it. Setting a preference of an unknown user creates it as a person.\n' +
    (prefsTable ? `\nKnown keys:\n${prefsTable}\n` : '') +
    examples(
      'itip-agent prefs alice@example.com',
      'itip-agent prefs alice@example.com TZID Europe/Berlin',
      'itip-agent prefs alice@example.com add_method_response --unset',
    )
  );
}

async function loadPrefsTable(): Promise<void> {
  const { PREFERENCES } = await import('../agent/preferences.js');
  const width = Math.max(...PREFERENCES.map((p) => p.key.length));
  prefsTable = PREFERENCES.map((p) => `  ${p.key.padEnd(width)}  ${p.description}`).join('\n');
}

/**
 * The settings for this run, with every problem they have (inspectConfig):
 * the command runner refuses to run a command on settings with problems
 * (configFailure), except `config check`, which reports them itself.
 */
function loadSettings(program: Command): Resolved {
  const options = program.opts<{ store?: string; config?: string }>();
  // Commander fills --store from ITIP_AGENT_STORE too; only a real flag counts as one here.
  const store = program.getOptionValueSource('store') === 'cli' ? options.store : undefined;
  const resolved = inspectConfig({ flags: { store }, configFile: options.config });
  if (!resolved.problems.some((problem) => problem.setting === 'logLevel')) setLogLevel(resolved.settings.logLevel);
  return resolved;
}

/** Runs the program on argv; resolves with the exit code. */
export async function main(argv: string[] = process.argv): Promise<number> {
  process.exitCode = 0;
  watchOutputStreams();
  captureConsole();
  let context: Context | undefined;
  const program = buildProgram({
    // An empty ITIP_AGENT_STORE (or --store '') means "not set", as an unset one does.
    get: () => (context ??= new Context(loadSettings(program))),
  });
  try {
    const problem = clockProblem();
    if (problem) throw new CliError(problem, EXIT.USAGE);
    // The key table needs the time zone code; load it only when prefs is used.
    if (argv.slice(2).includes('prefs')) await loadPrefsTable();
    await program.parseAsync(argv);
    return Number(process.exitCode ?? 0);
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version end with exitCode 0; everything else commander stops is a usage error.
      if (error.exitCode === 0) return EXIT.OK;
      if (error.code === 'commander.help') {
        logger.error('a command is missing; the commands are listed above (itip-agent --help tells more)', { usage: true });
      }
      return EXIT.USAGE;
    }
    if (error instanceof StdoutClosedError) {
      // What a shell pipeline's reader asks for (`| head`): no error, no stack.
      logger.debug(`${error.message}; the rest of the output is dropped`);
      return EXIT.OK;
    }
    if (error instanceof CliError) {
      logger.error(error.message, { exitCode: error.exitCode, ...error.fields });
      return error.exitCode;
    }
    if (error instanceof StoreCommitError || isTemporaryPgError(error)) {
      // The store failed outside a transaction (a database server gone in the middle): nothing half-written, try again.
      // A StoreCommitError says itself what to do; a bare connection error gets the advice.
      const store = context?.storeDir;
      const advice = error instanceof StoreCommitError ? '' : `; ${PG_RETRY_ADVICE}`;
      logger.error(`the store${store ? ` at ${store}` : ''} failed: ${errorText(error) || String((error as { code?: unknown }).code)}${advice}; try again later (an MTA retries a mail by itself)`, {
        exitCode: EXIT.TEMPFAIL,
        store,
        error,
      });
      return EXIT.TEMPFAIL;
    }
    logger.error(`unexpected failure: ${errorText(error)}; please report it with the log line above`, { error });
    return EXIT.SOFTWARE;
  } finally {
    await context?.close();
  }
}

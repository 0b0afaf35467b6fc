// The user's own actions on the command line (DESIGN: respond, delegate,
// counter, refresh, put, delete; RFC 6638 section 3.2 implicit scheduling).
// Only the commander definitions live here, so that `itip-agent process` does
// not pay for them; each action loads src/cli/commands/actions.ts when it runs.

import { type Command, Option } from 'commander';
import type { CommandContext } from './main.js';
import { examples, jsonOption, userOption } from './options.js';

type Runner = (load: () => Promise<(ctx: CommandContext, ...args: any[]) => Promise<number | void>>) => (...args: unknown[]) => Promise<void>;

const OUTCOME_HELP =
  '\n--if-match ETAG names the version you looked at: the etag that `itip-agent objects --json` shows\n' +
  '(quotes included; they may be left out). If the event changed since (an update arrived), nothing is\n' +
  'done and the outcome is stale: look at the event again and decide anew.\n' +
  'The messages it takes go to the outbox (`itip-agent queue run` or serve sends them). Recipients that\n' +
  'are calendar users here (with a store; in localDomains when that is set) get their copy processed\n' +
  'at once as well.\n' +
  'JSON: {outcome, reason, queued: [{id, method, uid, from, to, state, attempts, ics, created}]}, the\n' +
  'queued items as `itip-agent outbox --json` shows them; printed whatever the outcome.\n' +
  'Exit codes: 0 applied (or nothing left to change), 1 refused, stale or ignored (stderr says why and\n' +
  'what to do; nothing was changed), 64 usage error, 75 the store could not commit: nothing was\n' +
  'changed, try again.\n';

function ifMatchOption(): Option {
  return new Option('--if-match <etag>', 'act only if the stored event is still this version (the etag of objects --json)');
}

function recurrenceIdOption(what: string): Option {
  return new Option('--recurrence-id <time>', `${what} one instance: its original start, e.g. 2026-12-08T09:00:00Z (a date for all-day events)`);
}

/** The options every action has, added after its own. */
function common(command: Command): Command {
  return command.addOption(userOption(true)).addOption(ifMatchOption()).addOption(jsonOption());
}

export function addActionCommands(program: Command, run: Runner): void {
  const actions = () => import('./commands/actions.js');

  common(
    program
      .command('respond')
      .description('answer an invitation as attendee (ACCEPTED, TENTATIVE, DECLINED; for a task also IN-PROCESS, COMPLETED), for the event or one instance')
      .argument('<uid>', 'the UID of the event or task')
      .addOption(new Option('--partstat <answer>', 'ACCEPTED, TENTATIVE or DECLINED; for a task also IN-PROCESS or COMPLETED').makeOptionMandatory())
      .addOption(recurrenceIdOption('answer for'))
      .option('--comment <text>', 'a note to the organizer (COMMENT)')
      .option('--percent-complete <n>', 'for a task: how far the work is, 0 to 100 (PERCENT-COMPLETE; COMPLETED means 100)'),
  )
    .addHelpText(
      'after',
      '\nStores your answer (free/busy follows: ACCEPTED busy, TENTATIVE tentative, DECLINED free), clears the\n' +
        'request waiting in `itip-agent requests`, and queues a REPLY to the organizer (RFC 5546 section 3.2.3).\n' +
        OUTCOME_HELP +
        examples(
          'itip-agent respond --user bob@example.com planning-2026-12-01@example.com --partstat ACCEPTED',
          'itip-agent respond --user bob@example.com weekly@example.com --recurrence-id 2026-12-08T09:00:00Z --partstat DECLINED --comment "on leave" --json',
        ),
    )
    .action(run(async () => (await actions()).runRespond));

  common(
    program
      .command('delegate')
      .description('hand an invitation on to someone else, as attendee (RFC 5546 section 4.2.5)')
      .argument('<uid>', 'the UID of the event')
      .addOption(new Option('--to <addr>', 'the delegate').makeOptionMandatory())
      .addOption(recurrenceIdOption('delegate')),
  )
    .addHelpText(
      'after',
      '\nQueues a REPLY with DELEGATED-TO to the organizer and the REQUEST to the delegate.\n' +
        OUTCOME_HELP +
        examples('itip-agent delegate --user bob@example.com planning-2026-12-01@example.com --to carol@example.com'),
    )
    .action(run(async () => (await actions()).runDelegate));

  const counter = program
    .command('counter')
    .description('proposals of another time: answer one as organizer (accept, decline), or make one as attendee (propose)')
    .addHelpText('after', examples(
      'itip-agent counter accept --user alice@example.com planning-2026-12-01@example.com --attendee bob@example.com',
      'itip-agent counter propose --user bob@example.com planning-2026-12-01@example.com --start 2026-12-01T14:00:00Z --end 2026-12-01T15:00:00Z',
    ));
  common(
    counter
      .command('accept')
      .description('take an attendee\'s proposal, as organizer: the event moves and everyone gets the update')
      .argument('<uid>', 'the UID of the event')
      .addOption(new Option('--attendee <addr>', 'whose proposal (see itip-agent requests)').makeOptionMandatory())
      .addOption(recurrenceIdOption('the proposal for')),
  )
    .addHelpText(
      'after',
      '\nQueues the updated REQUEST to every attendee (RFC 5546 section 3.2.7).\n' +
        OUTCOME_HELP +
        examples('itip-agent counter accept --user alice@example.com planning-2026-12-01@example.com --attendee bob@example.com'),
    )
    .action(run(async () => (await actions()).runCounterAccept));
  common(
    counter
      .command('decline')
      .description('turn an attendee\'s proposal down, as organizer (DECLINECOUNTER)')
      .argument('<uid>', 'the UID of the event')
      .addOption(new Option('--attendee <addr>', 'whose proposal (see itip-agent requests)').makeOptionMandatory())
      .addOption(recurrenceIdOption('the proposal for'))
      .option('--comment <text>', 'a note to the attendee (COMMENT)'),
  )
    .addHelpText(
      'after',
      '\nQueues a DECLINECOUNTER to that attendee (RFC 5546 section 3.2.8); the event stays as it is.\n' +
        OUTCOME_HELP +
        examples('itip-agent counter decline --user alice@example.com planning-2026-12-01@example.com --attendee bob@example.com'),
    )
    .action(run(async () => (await actions()).runCounterDecline));
  common(
    counter
      .command('propose')
      .description('propose another time to the organizer, as attendee (COUNTER)')
      .argument('<uid>', 'the UID of the event')
      .addOption(new Option('--start <time>', 'the proposed start, ISO 8601 (2026-12-01T14:00:00Z)').makeOptionMandatory())
      .addOption(new Option('--end <time>', 'the proposed end, after the start').makeOptionMandatory())
      .addOption(recurrenceIdOption('propose for'))
      .option('--comment <text>', 'a note to the organizer (COMMENT)'),
  )
    .addHelpText(
      'after',
      '\nQueues a COUNTER to the organizer (RFC 5546 section 3.2.7); your calendar keeps the event as it is\n' +
        'until the organizer answers.\n' +
        OUTCOME_HELP +
        examples('itip-agent counter propose --user bob@example.com planning-2026-12-01@example.com --start 2026-12-01T14:00:00Z --end 2026-12-01T15:00:00Z'),
    )
    .action(run(async () => (await actions()).runCounterPropose));

  const refresh = program
    .command('refresh')
    .description('the current version of an event: send it to an attendee who asked (answer), or ask the organizer for it (ask)')
    .addHelpText('after', examples(
      'itip-agent refresh answer --user alice@example.com planning-2026-12-01@example.com --attendee bob@example.com',
      'itip-agent refresh ask --user bob@example.com planning-2026-12-01@example.com',
    ));
  common(
    refresh
      .command('answer')
      .description('answer a REFRESH waiting in the requests, as organizer: the attendee gets the current REQUEST')
      .argument('<uid>', 'the UID of the event')
      .addOption(new Option('--attendee <addr>', 'who asked (see itip-agent requests)').makeOptionMandatory()),
  )
    .addHelpText('after', OUTCOME_HELP + examples('itip-agent refresh answer --user alice@example.com planning-2026-12-01@example.com --attendee bob@example.com'))
    .action(run(async () => (await actions()).runRefreshAnswer));
  common(
    refresh
      .command('ask')
      .description('ask the organizer for the current version of an event, as attendee (REFRESH)')
      .argument('<uid>', 'the UID of the event')
      .addOption(recurrenceIdOption('ask about')),
  )
    .addHelpText('after', '\nQueues a REFRESH to the organizer (RFC 5546 section 3.2.6).\n' + OUTCOME_HELP + examples('itip-agent refresh ask --user bob@example.com planning-2026-12-01@example.com'))
    .action(run(async () => (await actions()).runRefreshAsk));

  common(
    program
      .command('put')
      .description('store your new version of a calendar object (read on stdin) and schedule it, as a CalDAV PUT would'),
  )
    .addHelpText(
      'after',
      '\nThe object is one VCALENDAR (master and overrides of one UID) without METHOD. As organizer (or for an\n' +
        'event that names no organizer), it is compared with the stored one: attendees get a REQUEST (with\n' +
        'SEQUENCE raised when the change is significant, RFC 5546 section 2.1.4), added ones a REQUEST,\n' +
        'removed ones a CANCEL. As attendee, a changed answer of yours goes to the organizer as a REPLY.\n' +
        'An empty stdin is refused (exit 65), as is a terminal (exit 64).\n' +
        OUTCOME_HELP +
        examples(
          'itip-agent put --user alice@example.com < planning.ics',
          'itip-agent put --user alice@example.com --if-match \'"Yb3...Q"\' --json < planning.ics',
        ),
    )
    .action(run(async () => (await actions()).runPut));

  common(
    program
      .command('delete')
      .description('remove an event or one instance: as organizer the attendees get a CANCEL, as attendee the organizer a DECLINED REPLY')
      .argument('<uid>', 'the UID of the event')
      .addOption(recurrenceIdOption('remove only')),
  )
    .addHelpText(
      'after',
      OUTCOME_HELP +
        examples(
          'itip-agent delete --user alice@example.com planning-2026-12-01@example.com',
          'itip-agent delete --user alice@example.com weekly@example.com --recurrence-id 2026-12-08T09:00:00Z --json',
        ),
    )
    .action(run(async () => (await actions()).runDelete));
}

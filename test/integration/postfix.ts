// Postfix inside a sandbox: its own config_directory, queue and log under
// /srv/itip-test/postfix in the root; the shipped master.cf and main.cf pieces
// from mta-configs/postfix with the sandbox's paths. Port 25 (mail from the
// world) and 587 (local users) on loopback and on the sandbox's address.

import { chownSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { alive, tail, waitFor } from './host.js';
import { NOWHERE_DOMAIN, type SmtpDoor } from './mail.js';
import { shippedText, type MtaOptions } from './shipped.js';

export interface Postfix {
  /** The "port 25" smtpd: mail from the world. */
  smtp: SmtpDoor;
  /** A submission smtpd (mail from local users), wired to itip-cleanup as the README says. */
  submission: SmtpDoor;
  /** The port 25 smtpd's port (the same inside the sandbox, on loopback). */
  smtpPort: number;
  configDir: string;
  log(): string;
  /** Replaces a map file by new text, rebuilds it (postmap) and reloads Postfix. */
  setMap(name: string, text: string): void;
  /** Sets itip_transport to `shipped` (a shipped transport map) plus the test's routes (external.test, nowhere.test). */
  setTransport(shipped: string): void;
  /** How mail for nowhere.test ends: held in the queue (deferred), or refused by the sink with 5.1.1, which Postfix bounces. */
  routeNowhere(how: 'defer' | 'fail'): void;
  /** postqueue -p */
  queue(): string;
  /** postqueue -f: try the deferred mail again now. */
  flush(): void;
  stop(): Promise<void>;
}


/** master.cf entries (a first line and its indented continuation lines), by service name. */
export function masterEntries(text: string): Map<string, string> {
  const entries = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const line of text.split('\n')) {
    if (/^\s*#/.test(line) || line.trim() === '') {
      current = undefined;
    } else if (/^\S/.test(line)) {
      current = [line];
      entries.set(line.split(/\s+/)[0], current);
    } else if (current) {
      current.push(line);
    }
  }
  return new Map([...entries].map(([name, lines]) => [name, lines.join('\n')]));
}

/** main.cf `name = value` lines (no continuations in the shipped files). */
export function mainSettings(text: string): Array<[string, string]> {
  return text
    .split('\n')
    .filter((line) => /^[a-z]/i.test(line))
    .map((line) => {
      const at = line.indexOf('=');
      return [line.slice(0, at).trim(), line.slice(at + 1).trim()] as [string, string];
    });
}

const POSTFIX_BASE_MASTER = `# Postfix's own services, without chroot (the queue is in the test's own folder).
pickup    unix  n       -       n       60      1       pickup
  -o cleanup_service_name=itip-cleanup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
`;

export async function startPostfix(options: MtaOptions): Promise<Postfix> {
  const { box, dir } = options;
  const conf = join(dir, 'conf');
  const spool = join(dir, 'spool');
  const data = join(dir, 'data');
  const logFile = join(dir, 'postfix.log');
  for (const d of [conf, spool, data]) mkdirSync(box.at(d), { recursive: true });
  chownSync(box.at(data), box.user('postfix').uid, 0);
  const [smtpPort, submissionPort] = [25, 587];
  const shipped = (name: string) => shippedText('postfix', name, options).split('/etc/postfix/').join(`${conf}/`);
  const write = (inside: string, text: string) => writeFileSync(box.at(inside), text);
  const run = (command: string, args: string[], opts: { allowFail?: boolean; daemonLog?: string } = {}) => box.run([command, ...args], { ...opts, daemonLog: opts.daemonLog && box.at(opts.daemonLog) });

  // main.cf: a site like the README's (virtual mailboxes in Dovecot), then the shipped settings.
  write(join(conf, 'vmailbox'), ['alice@example.com x', 'bob@example.com x', 'carol@example.com x', 'room-1@example.com x', ''].join('\n'));
  const main: Array<[string, string]> = [
    ['compatibility_level', '3.6'],
    ['queue_directory', spool],
    ['data_directory', data],
    ['maillog_file_prefixes', `/var, /dev/stdout, ${dir}`],
    ['maillog_file', logFile],
    ['myhostname', 'mx.example.com'],
    ['mydomain', 'example.com'],
    ['myorigin', '$mydomain'],
    ['mydestination', ''],
    ['inet_interfaces', `127.0.0.1, ${box.address}`],
    ['inet_protocols', 'ipv4'],
    // As before the sandbox, the tests' own client may relay (it was on loopback then).
    ['mynetworks', `127.0.0.0/8, ${box.hostAddress}/32`],
    ['alias_maps', ''],
    ['alias_database', ''],
    ['virtual_mailbox_domains', 'example.com'],
    ['virtual_mailbox_maps', `texthash:${conf}/vmailbox`],
    ['virtual_transport', `lmtp:unix:${options.dovecot.socket}`],
    // Retries come fast: the deferral test flushes the queue itself anyway.
    ['minimal_backoff_time', '10s'],
    ['maximal_backoff_time', '20s'],
    ['queue_run_delay', '10s'],
    ...mainSettings(shipped('main.cf')),
  ];
  write(join(conf, 'main.cf'), main.map(([k, v]) => `${k} = ${v}`).join('\n') + '\n');

  // master.cf: Postfix's own services, the two smtpd ports, and the shipped itip services.
  const entries = masterEntries(shipped('master.cf'));
  const wanted = ['itip', 'itip-resource', 'itip-outgoing', 'itip-cleanup', 'itip-lmtp'];
  const itipServices = wanted.map((name) => {
    const entry = entries.get(name);
    if (!entry) throw new Error(`mta-configs/postfix/master.cf has no ${name} service`);
    // No chroot: the queue is in the test's own folder. Column 5 becomes n.
    return entry.replace(/^(\S+\s+\S+\s+\S+\s+\S+\s+)\S+/, '$1n');
  });
  write(
    join(conf, 'master.cf'),
    POSTFIX_BASE_MASTER +
      `${smtpPort} inet n - n - - smtpd\n` +
      `${submissionPort} inet n - n - - smtpd\n  -o syslog_name=postfix/submission\n  -o cleanup_service_name=itip-cleanup\n` +
      itipServices.join('\n') +
      '\n',
  );

  // The maps: the shipped ones, plus the way to "the Internet" (the sink),
  // also for nowhere.test, whose recipients the sink refuses, so that
  // Postfix's smtp(8) and bounce(8) return the mail. (An error(8) route would
  // be refused at RCPT time already, and no bounce written.) Held: a port
  // where nothing listens, so the mail waits in the deferred queue.
  let transportBase = shipped('itip_transport');
  let nowhere: 'defer' | 'fail' = 'fail';
  const transport = () =>
    transportBase +
    `\nexternal.test smtp:[${box.hostAddress}]:${options.sinkPort}\n` +
    `${NOWHERE_DOMAIN} smtp:[${box.hostAddress}]:${nowhere === 'fail' ? options.sinkPort : 1}\n`;
  const maps = new Map<string, string>([
    ['itip_transport', transport()],
    ['itip_outgoing', shipped('itip_outgoing')],
  ]);
  for (const [name, text] of maps) {
    write(join(conf, name), text);
    run('postmap', ['-c', conf, `hash:${join(conf, name)}`]);
  }
  // The header_checks table the shipped main.cf names (a regexp table: no postmap).
  write(join(conf, 'itip_header_checks'), shipped('itip_header_checks'));

  const log = () => tail(box.at(logFile), 60);
  const postfix = (args: string[], allowFail = false) => run('postfix', ['-c', conf, ...args], { allowFail, daemonLog: join(dir, 'postfix.out') });
  const check = postfix(['check'], true);
  if (check.status !== 0) throw new Error(`postfix check failed: ${check.stdout}${check.stderr}\n${log()}`);
  const start = postfix(['start'], true);
  const pidFile = box.at(join(spool, 'pid/master.pid'));
  if (start.status !== 0) throw new Error(`postfix start failed: ${start.stdout}${start.stderr}\n${log()}`);
  await waitFor('Postfix to listen', () => existsSync(pidFile) && readFileSync(box.at(logFile), 'utf8').includes('daemon started'), log, 20_000);

  const unused = readFileSync(box.at(logFile), 'utf8').match(/.*unused parameter.*/g);
  if (unused) throw new Error(`Postfix ignored settings of the shipped main.cf:\n${unused.join('\n')}`);

  const setMap = (name: string, text: string): void => {
    write(join(conf, name), text);
    run('postmap', ['-c', conf, `hash:${join(conf, name)}`]);
    postfix(['reload']);
  };

  return {
    smtp: { host: box.address, port: smtpPort },
    submission: { host: box.address, port: submissionPort },
    smtpPort,
    configDir: conf,
    log,
    setMap,
    setTransport(text) {
      transportBase = text;
      setMap('itip_transport', transport());
    },
    routeNowhere(how) {
      nowhere = how;
      setMap('itip_transport', transport());
    },
    queue: () => run('postqueue', ['-c', conf, '-p'], { allowFail: true }).stdout,
    flush: () => void run('postqueue', ['-c', conf, '-f'], { allowFail: true }),
    async stop() {
      const pid = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').trim()) : undefined;
      postfix(['stop'], true);
      if (pid) await waitFor('Postfix to stop', () => !alive(pid), log, 20_000);
    },
  };
}


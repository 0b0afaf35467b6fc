// Exim inside a sandbox: a single-file configuration with the test's main
// section and ACL, and the shipped routers and transports
// (mta-configs/exim/conf.d) pasted in as the README says for a single-file
// setup. Its files are under the MTA's folder in the root.

import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { alive, tail, waitFor } from './host.js';
import type { SmtpDoor } from './mail.js';
import { shippedText, type MtaOptions } from './shipped.js';

export interface Exim {
  /** The daemon's SMTP door: mail from the world, and authenticated submission (alice@example.com / secret). */
  smtp: SmtpDoor;
  smtpPort: number;
  /** The configuration file, inside the root. */
  config: string;
  log(): string;
  /** exim -qff: deliver everything in the queue now, retry times or not. */
  flush(): void;
  /** exim -bp */
  queue(): string;
  /** How mail for nowhere.test ends: deferred by its router (:defer:), or failed (:fail:), which Exim bounces. */
  routeNowhere(how: 'defer' | 'fail'): void;
  stop(): Promise<void>;
}

export const EXIM_SUBMISSION_AUTH = { user: 'alice@example.com', pass: 'secret' };
const TRUSTED_CONFIGS = '/etc/exim4/trusted_configs';

export async function startExim(options: MtaOptions): Promise<Exim> {
  const { box, dir, dovecot } = options;
  const at = box.at;
  const spool = join(dir, 'spool');
  const logDir = join(dir, 'log');
  const lists = join(dir, 'itip-agent');
  const { uid, gid } = box.user('Debian-exim');
  for (const d of [spool, logDir, lists]) {
    mkdirSync(at(d), { recursive: true });
    if (d !== lists) chownSync(at(d), uid, gid);
  }
  const smtpPort = options.smtpPort ?? 25;
  let shipped = (name: string) => shippedText('exim', name, options).split('/etc/exim4/itip-agent/').join(`${lists}/`);
  if (options.serveLmtp) {
    // The LMTP variant, as its README says: itip_people uses itip_person_lmtp, on serve's port.
    const [, servePort] = options.serveLmtp.split(':');
    const plain = shipped;
    shipped = (name: string) =>
      plain(name)
        .replace(/(itip_people:[\s\S]*?transport = )itip_person\n/, '$1itip_person_lmtp\n')
        .replace(/(itip_person_lmtp:[\s\S]*?port = )10024\n/, `$1${servePort}\n`);
  }
  for (const name of ['people', 'resources', 'senders', 'acl_check_data']) writeFileSync(at(join(lists, name)), shipped(`itip-agent/${name}`));

  // What the router for nowhere.test answers: read at each routing, so a test can switch it.
  const nowhereRoute = join(dir, 'nowhere-route');
  const routeNowhere = (how: 'defer' | 'fail') =>
    writeFileSync(at(nowhereRoute), how === 'fail' ? ':fail: mailbox unknown at nowhere.test' : ':defer: held by the test', { mode: 0o644 });
  routeNowhere('fail');

  const config = join(dir, 'exim.conf');
  writeFileSync(
    at(config),
    `# Exim for the itip-agent integration tests (loopback only).
# The hook of Debian's DATA ACL, as mta-configs/exim/README.md sets it.
CHECK_DATA_LOCAL_ACL_FILE = ${lists}/acl_check_data
primary_hostname = mx.example.com
qualify_domain = example.com
domainlist local_domains = example.com
hostlist relay_from_hosts = 127.0.0.1
spool_directory = ${spool}
log_file_path = ${logDir}/%slog
pid_file_path = ${dir}/exim.pid
daemon_smtp_ports = ${smtpPort}
local_interfaces = 127.0.0.1 : ${box.address}
host_lookup =
rfc1413_hosts =
tls_advertise_hosts =
never_users = root
keep_environment =
acl_smtp_rcpt = acl_check_rcpt
acl_smtp_data = acl_check_data

begin acl

acl_check_rcpt:
  accept hosts = :
  accept domains = +local_domains
         verify = recipient
  accept authenticated = *
  # As Debian's default: the host itself may relay (the agent's outbox sender does).
  accept hosts = +relay_from_hosts
  deny   message = relay not permitted

# As Debian's acl/40_exim4-config_check_data: the file CHECK_DATA_LOCAL_ACL_FILE
# names (the shipped itip-agent/acl_check_data), then the final accept.
acl_check_data:
  .include CHECK_DATA_LOCAL_ACL_FILE
  accept

begin routers

${shipped('conf.d/router/050_itip-agent')}

# "The Internet": the sink.
external:
  driver = manualroute
  domains = external.test
  route_list = * ${box.hostAddress}
  self = send
  transport = remote_smtp

# A domain whose mail fails in routing: Exim bounces it (or defers it, as the file says).
nowhere:
  driver = redirect
  domains = nowhere.test
  data = \${readfile{${nowhereRoute}}}
  allow_fail
  allow_defer

# Everyone else at example.com: straight into Dovecot.
dovecot:
  driver = accept
  domains = +local_domains
  transport = dovecot_lmtp

begin transports

${shipped('conf.d/transport/30_itip-agent')}

remote_smtp:
  driver = smtp
  port = ${options.sinkPort}
  allow_localhost
  hosts_avoid_tls = *

dovecot_lmtp:
  driver = lmtp
  socket = ${dovecot.socket}
  batch_max = 200

begin retry

*  *  F,1h,10s

begin authenticators

plain:
  driver = plaintext
  public_name = PLAIN
  server_prompts = :
  server_condition = \${if and{{eq{$auth2}{${EXIM_SUBMISSION_AUTH.user}}}{eq{$auth3}{${EXIM_SUBMISSION_AUTH.pass}}}}}
  server_set_id = $auth2
  server_advertise_condition = true
`,
  );
  chmodSync(at(config), 0o644);
  // Exim keeps root privileges for deliveries only with a configuration it trusts (the root is the test's own).
  const trusted = existsSync(at(TRUSTED_CONFIGS)) ? readFileSync(at(TRUSTED_CONFIGS), 'utf8') : '';
  if (!trusted.split('\n').includes(config)) writeFileSync(at(TRUSTED_CONFIGS), trusted + (trusted && !trusted.endsWith('\n') ? '\n' : '') + config + '\n', { mode: 0o644 });

  const mainlog = join(logDir, 'mainlog');
  const log = () => [tail(at(mainlog), 60), tail(at(join(logDir, 'paniclog')), 20)].join('\n');
  const exim = (args: string[], daemon = false) => box.run(['exim4', '-C', config, ...args], { allowFail: true, daemonLog: daemon ? at(join(dir, 'exim.out')) : undefined });
  const check = exim(['-bV']);
  if (check.status !== 0) throw new Error(`exim4 -bV rejects the configuration:\n${check.stdout}${check.stderr}`);
  exim(['-bd', '-q10s'], true);
  const pidFile = at(join(dir, 'exim.pid'));
  await waitFor('Exim to listen', () => existsSync(at(mainlog)) && readFileSync(at(mainlog), 'utf8').includes('daemon started'), log, 20_000);
  return {
    smtp: { host: box.address, port: smtpPort },
    smtpPort,
    config,
    log,
    flush: () => void exim(['-qff']),
    queue: () => exim(['-bp']).stdout,
    routeNowhere,
    async stop() {
      const pid = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').trim()) : undefined;
      if (pid && alive(pid)) {
        process.kill(pid, 'SIGTERM');
        await waitFor('Exim to stop', () => !alive(pid), log, 20_000);
      }
    },
  };
}


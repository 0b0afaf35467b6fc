// `itip-agent queue run`: send what the outbox holds, once, through an SMTP
// relay. `serve` does the same every few seconds; this command is for a cron
// job, or for sending at once after fixing a relay.
//
// The relay: --relay HOST:PORT, else ITIP_AGENT_RELAY (HOST:PORT), else the
// settings (ITIP_AGENT_RELAY_HOST and friends, or relay.* in the file), the
// same relay `serve` uses.

import type { RelayOptions } from '../../transport/outbox-sender.js';
import { now } from '../clock.js';
import { ConfigError, readRelayPassword } from '../config.js';
import { logger } from '../log.js';
import type { CommandContext } from '../main.js';
import { CliError, EXIT, errorText, printJson, printLines, usageError } from '../output.js';

export interface QueueRunOptions {
  relay?: string;
  json?: boolean;
}

/** HOST:PORT, [IPv6]:PORT, or HOST alone (port 25, RFC 5321 section 4.5.4). */
export function parseRelay(text: string, where: string): RelayOptions {
  const value = text.trim();
  const match = /^\[([^\]]+)\](?::(\d+))?$/.exec(value) ?? /^([^:\s]+)(?::(\d+))?$/.exec(value);
  const port = match?.[2] === undefined ? 25 : Number(match[2]);
  if (!match || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw usageError(`${where} ${JSON.stringify(text)} is not HOST:PORT; write it like 127.0.0.1:25 or mail.example.com:587`);
  }
  return { host: match[1], port };
}

/** relay.* of the settings (ITIP_AGENT_RELAY_HOST and friends, or the configuration file). */
function relayFromConfig(context: CommandContext): RelayOptions | undefined {
  const relay = context.config().settings.relay;
  if (!relay) return undefined;
  const options: RelayOptions = { host: relay.host, port: relay.port, secure: relay.secure };
  try {
    const pass = readRelayPassword(relay);
    if (relay.user) options.auth = { user: relay.user, pass: pass ?? '' };
  } catch (error) {
    if (error instanceof ConfigError) throw new CliError(error.message, EXIT.CONFIG);
    throw error;
  }
  return options;
}

function relayOf(context: CommandContext, options: QueueRunOptions): RelayOptions {
  if (options.relay !== undefined && options.relay.trim() !== '') return parseRelay(options.relay, '--relay');
  const env = process.env.ITIP_AGENT_RELAY;
  if (env !== undefined && env.trim() !== '') return parseRelay(env, 'ITIP_AGENT_RELAY');
  const configured = relayFromConfig(context);
  if (configured) return configured;
  throw usageError('no SMTP relay to send through: give --relay HOST:PORT, set ITIP_AGENT_RELAY, or set relay.host in the configuration file');
}

/** localDomains of the settings: a relay's 2xx for them counts as delivered (1.2) rather than sent (1.1). */
function localDomainsOf(context: CommandContext): string[] {
  try {
    return context.config().settings.localDomains;
  } catch (error) {
    if (error instanceof ConfigError) throw new CliError(error.message, EXIT.CONFIG);
    throw error;
  }
}

export async function runQueueRun(context: CommandContext, options: QueueRunOptions): Promise<number | void> {
  const relay = relayOf(context, options);
  const summary = { sent: 0, failed: 0, retry: 0 };
  if (context.storeExists()) {
    const store = await context.store();
    const { runOutboxOnce } = await import('../../transport/outbox-sender.js');
    let result;
    try {
      const localDomains = localDomainsOf(context);
      const onStoreRetry = (error: unknown) => logger.warn('the store failed for a passing reason while sending the outbox; trying again', { error });
      result = await runOutboxOnce(store, { relay, now, localDomains, onStoreRetry });
    } catch (error) {
      throw new CliError(`the outbox could not be updated: ${errorText(error)}; nothing is lost, run again later`, EXIT.TEMPFAIL);
    }
    for (const item of result.items) {
      // Whom it went to: every recipient has a delivery code in status (RFC 6638 section 3.2.9).
      const to = Object.keys(item.status);
      const fields = { id: item.id, user: item.user, method: item.method, uid: item.uid, to, attempts: item.attempts, status: item.status };
      if (item.state === 'failed') logger.error(`gave up sending ${item.method} for ${item.uid}: ${item.lastError ?? 'no reason known'}`, fields);
      else if (item.state === 'unprocessed') logger.warn(`${item.method} for ${item.uid} not sent yet, next attempt at ${item.nextAttempt}: ${item.lastError ?? ''}`, fields);
      else if (item.lastError) logger.warn(`${item.method} for ${item.uid} sent, but some recipients refused it: ${item.lastError}`, fields);
      else logger.info(`sent ${item.method} for ${item.uid} to ${to.join(', ')}`, fields);
    }
    summary.sent = result.sent;
    summary.failed = result.failed;
    summary.retry = result.retry;
  }
  if (options.json) return printJson(summary);
  await printLines([`sent ${summary.sent}, failed ${summary.failed}, waiting for retry ${summary.retry} (relay ${relay.host}:${relay.port})`]);
}

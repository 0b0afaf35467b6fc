// The shipped MTA configurations (mta-configs/) as the tests use them: read
// from the checkout, with the paths of a real installation replaced where the
// test's sandbox differs, and the test's configuration file named.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CHECKOUT, INSTALLED } from './agent.js';
import type { Dovecot } from './dovecot.js';
import type { Sandbox } from './sandbox.js';

export const CONFIGS = join(CHECKOUT, 'mta-configs');

/** The paths the shipped configuration may name, which the tests replace by the sandbox's own. */
export const SHIPPED = {
  /** An older layout installed by hand; the package installs /usr/bin/itip-agent. */
  bin: '/usr/local/bin/itip-agent',
  store: '/var/lib/itip-agent',
  dovecotLmtp: '/run/dovecot/lmtp',
  serveLmtp: '127.0.0.1:10024',
} as const;

export interface MtaOptions {
  box: Sandbox;
  /** The MTA's own folder inside the root. */
  dir: string;
  /** The agent's store inside the root. */
  store: string;
  dovecot: Dovecot;
  /** Where mail for external.test goes (the sink, on the host's side of the veth pair). */
  sinkPort: number;
  /** host:port of `itip-agent serve --lmtp` inside the sandbox, for the LMTP variant's map. */
  serveLmtp?: string;
  /** The port of the MTA's SMTP daemon inside the sandbox (default 25). */
  smtpPort?: number;
  /** The agent's configuration file (inside the root), named with --config in every shipped agent command. */
  config?: string;
}

/**
 * Names the test's configuration file in the shipped agent commands: the MTA
 * runs them without an environment, so neither ITIP_AGENT_CONFIG nor the
 * settings' variables reach the agent. A command that already names a
 * --config keeps it.
 */
function withConfig(text: string, config: string | undefined): string {
  if (!config || text.includes('--config')) return text;
  return text.split(`--store ${SHIPPED.store}`).join(`--config ${config} --store ${SHIPPED.store}`);
}

/** Replaces the paths of the shipped configuration by the test's own. */
export function localise(text: string, paths: Partial<Record<keyof typeof SHIPPED, string>>): string {
  let out = text;
  for (const [key, value] of Object.entries(paths)) {
    if (value !== undefined) out = out.split(SHIPPED[key as keyof typeof SHIPPED]).join(value);
  }
  return out;
}

/** A shipped file of mta-configs/MTA with the sandbox's paths and the test's configuration file. */
export function shippedText(mta: 'postfix' | 'exim', name: string, options: Pick<MtaOptions, 'store' | 'dovecot' | 'serveLmtp' | 'config'>): string {
  const paths = { bin: INSTALLED.bin, store: options.store, dovecotLmtp: options.dovecot.socket, serveLmtp: options.serveLmtp };
  return localise(withConfig(readFileSync(join(CONFIGS, mta, name), 'utf8'), options.config), paths);
}

/** Shipped Postfix text with the test's paths, for tests that build another variant of a map. */
export function shippedPostfix(name: string, paths: Partial<Record<keyof typeof SHIPPED, string>>): string {
  return localise(readFileSync(join(CONFIGS, 'postfix', name), 'utf8'), { bin: INSTALLED.bin, ...paths });
}

// `itip-agent user add|list`: the calendar users and their roles. A person's
// store is also made on the first mail to them (DESIGN); resources must be
// added here, because a resource answers invitations on its own.

import type { Role } from '../../itip/model.js';
import type { CommandContext } from '../main.js';
import { printJson, printLines, printTable } from '../output.js';
import { logger } from '../log.js';
import { userAddress } from './inspect.js';

export async function runUserAdd(context: CommandContext, addr: string, options: { resource?: boolean }): Promise<void> {
  const user = userAddress(addr, 'ADDR');
  const role: Role = options.resource ? 'resource' : 'person';
  const store = await context.store();
  const before = store.getRole(user);
  if (before === role) {
    await printLines([`${user} is already a ${role}; nothing changed`]);
    return;
  }
  await store.transact(user, (tx) => tx.setRole(role));
  await printLines([before ? `${user} was a ${before} and is now a ${role}` : `added ${user} as a ${role}`]);
}

export async function runUserList(context: CommandContext, options: { json?: boolean }): Promise<void> {
  if (!context.storeExists()) {
    logger.warn(`there is no store at ${context.storeDir} yet; add a user with: itip-agent user add ADDR`, { store: context.storeDir });
  }
  const store = context.storeExists() ? await context.store() : undefined;
  const rows = (store?.listUsers() ?? [])
    .map((address) => ({ address, role: store!.getRole(address) ?? 'person' }))
    .sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
  if (options.json) return printJson(rows);
  if (rows.length === 0) {
    logger.info('no calendar users yet; add one with: itip-agent user add ADDR');
    return;
  }
  return printTable(rows, [
    { title: 'ADDRESS', value: (r) => r.address },
    { title: 'ROLE', value: (r) => r.role },
  ]);
}

// Finding the resource a target names, and the members of a collection.

import type { Store } from '../../store/store.js';
import type { Resource } from './properties.js';
import { hrefOf, hrefs, type Target } from './paths.js';

/** The resource, or undefined when there is none (an unknown name, a user without a calendar). */
export async function findResource(store: Store, target: Target): Promise<Resource | undefined> {
  if (target.kind !== 'root' && (await store.getRole(target.owner)) === undefined) return undefined;
  const href = hrefOf(target);
  if (href === undefined) return undefined;
  if (target.kind === 'object') {
    const uid = await store.objectNamed(target.owner, target.name);
    const object = uid === undefined ? undefined : await store.getObject(target.owner, uid);
    return object ? { target, href, object } : undefined;
  }
  if (target.kind === 'inbox-item') {
    const item = (await store.listInbox(target.owner)).find((i) => i.id === target.id);
    return item ? { target, href, inboxItem: item } : undefined;
  }
  return { target, href };
}

/** The members of a collection (Depth: 1). */
export async function membersOf(store: Store, resource: Resource): Promise<Resource[]> {
  const { target } = resource;
  switch (target.kind) {
    case 'home':
      return (['calendar', 'inbox', 'outbox'] as const).map((kind) => {
        const member: Target = { kind, owner: target.owner };
        return { target: member, href: hrefOf(member)! };
      });
    case 'calendar': {
      const members: Resource[] = [];
      for (const object of await store.listObjects(target.owner)) {
        const name = await store.objectName(target.owner, object.uid);
        const href = name === undefined ? undefined : hrefs.object(target.owner, name);
        if (href) members.push({ target: { kind: 'object', owner: target.owner, name: name! }, href, object });
      }
      return members;
    }
    case 'inbox': {
      const members: Resource[] = [];
      for (const item of await store.listInbox(target.owner)) {
        const href = hrefs.inboxItem(target.owner, item.id);
        if (href) members.push({ target: { kind: 'inbox-item', owner: target.owner, id: item.id }, href, inboxItem: item });
      }
      return members;
    }
    default:
      return [];
  }
}

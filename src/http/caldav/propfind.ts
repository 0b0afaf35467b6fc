// PROPFIND (RFC 4918 section 9.1): the asked properties of a resource and,
// with Depth: 1, of its members. Depth: infinity is answered as 1: the tree
// is two levels deep below a home, and a client gets the same members.

import { ALLPROP, type PropertyContext, type Resource } from './properties.js';
import { propResponse } from './multistatus.js';
import { membersOf } from './resources.js';
import { DAV, child, type Element } from './xml.js';
import type { Store } from '../../store/store.js';

export interface PropRequest {
  props: Array<[string, string]>;
  namesOnly: boolean;
}

/** What a PROPFIND body asks for (no body: allprop). */
export function propRequest(body: Element | undefined): PropRequest | undefined {
  if (body === undefined) return { props: ALLPROP, namesOnly: false };
  if (body.ns !== DAV || body.name !== 'propfind') return undefined;
  const prop = child(body, DAV, 'prop');
  if (prop) return { props: prop.children.map((c) => [c.ns, c.name]), namesOnly: false };
  if (child(body, DAV, 'propname')) return { props: ALLPROP, namesOnly: true };
  return { props: ALLPROP, namesOnly: false };
}

export async function propfindResponses(context: PropertyContext & { store: Store }, resource: Resource, depth: string, asked: PropRequest): Promise<string[]> {
  const responses = [await propResponse(context, resource, asked.props, asked.namesOnly)];
  if (depth !== '0') {
    for (const member of await membersOf(context.store, resource)) responses.push(await propResponse(context, member, asked.props, asked.namesOnly));
  }
  return responses;
}

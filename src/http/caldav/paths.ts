// The URL layout of CalDAV (everything under /dav/), with the calendar user's
// mail address as the owner segment:
//   /dav/                                   root (discovery starts here, RFC 6764)
//   /dav/principals/{address}/              the principal (RFC 3744, RFC 4791 section 6)
//   /dav/calendars/{address}/               the calendar home
//   /dav/calendars/{address}/calendar/      the one calendar collection
//   /dav/calendars/{address}/calendar/{name}      one object per UID
//   /dav/calendars/{address}/inbox/[{id}.ics]     the scheduling inbox (RFC 6638 section 2.2)
//   /dav/calendars/{address}/outbox/        the scheduling outbox (RFC 6638 section 2.1)
// An object's name is the one the client gave it when it made it (any name,
// most often a UUID.ics), or for an object that came by mail one made from
// its UID; the store keeps the names (src/store/lmdb-names.ts). Names are
// compared as decoded text, so "a%40b.ics" and "a@b.ics" are one resource,
// and written in hrefs with every reserved character escaped.

import { mailAddress, normalizeAddress } from '../../ical/address.js';

export const DAV_ROOT = '/dav/';

export type Target =
  | { kind: 'root' }
  | { kind: 'principal'; owner: string }
  | { kind: 'home'; owner: string }
  | { kind: 'calendar'; owner: string }
  | { kind: 'object'; owner: string; name: string }
  | { kind: 'inbox'; owner: string }
  | { kind: 'inbox-item'; owner: string; id: string }
  | { kind: 'outbox'; owner: string };

const segment = (text: string): string => encodeURIComponent(text);

/** Longest object name taken from a URL; the ones the store makes are far shorter. */
export const MAX_NAME_LENGTH = 400;

/** A name as a path segment; undefined when it cannot be written (a lone surrogate). */
function escapedName(name: string): string | undefined {
  try {
    return segment(name);
  } catch {
    return undefined;
  }
}

/** An inbox item's id as a path segment with ".ics". */
export function resourceName(id: string): string | undefined {
  const escaped = escapedName(id);
  return escaped === undefined ? undefined : `${escaped}.ics`;
}

const ownerPart = (owner: string): string => segment(mailAddress(owner));

export const hrefs = {
  principal: (owner: string) => `${DAV_ROOT}principals/${ownerPart(owner)}/`,
  home: (owner: string) => `${DAV_ROOT}calendars/${ownerPart(owner)}/`,
  calendar: (owner: string) => `${hrefs.home(owner)}calendar/`,
  inbox: (owner: string) => `${hrefs.home(owner)}inbox/`,
  outbox: (owner: string) => `${hrefs.home(owner)}outbox/`,
  object: (owner: string, name: string) => {
    const escaped = escapedName(name);
    return escaped === undefined ? undefined : `${hrefs.calendar(owner)}${escaped}`;
  },
  inboxItem: (owner: string, id: string) => {
    const name = resourceName(id);
    return name === undefined ? undefined : `${hrefs.inbox(owner)}${name}`;
  },
};

function decode(part: string): string | undefined {
  try {
    return decodeURIComponent(part);
  } catch {
    return undefined;
  }
}

/** The target of a path (an href, or a request URL without its query); undefined: nothing of ours. */
export function parseTarget(href: string): Target | undefined {
  let path = href;
  // An href may be a full URL (RFC 4918 section 8.3).
  const scheme = /^https?:\/\/[^/]+/i.exec(path);
  if (scheme) path = path.slice(scheme[0].length);
  path = path.split('?')[0]!;
  if (path === '/' || path === '/dav' || path === DAV_ROOT) return { kind: 'root' };
  if (!path.startsWith(DAV_ROOT)) return undefined;
  const parts = path.slice(DAV_ROOT.length).split('/');
  if (parts[parts.length - 1] === '') parts.pop();
  const [area, rawOwner, collection, name, ...rest] = parts;
  if (rawOwner === undefined || rest.length > 0) return undefined;
  const decoded = decode(rawOwner);
  const owner = decoded === undefined ? undefined : normalizeAddress(decoded);
  if (!owner) return undefined;
  if (area === 'principals') return collection === undefined ? { kind: 'principal', owner } : undefined;
  if (area !== 'calendars') return undefined;
  if (collection === undefined) return { kind: 'home', owner };
  if (collection === 'calendar') {
    if (name === undefined) return { kind: 'calendar', owner };
    const decodedName = decode(name);
    return decodedName && decodedName.length <= MAX_NAME_LENGTH ? { kind: 'object', owner, name: decodedName } : undefined;
  }
  const id = name === undefined ? undefined : name.endsWith('.ics') ? decode(name.slice(0, -4)) : undefined;
  if (name !== undefined && (id === undefined || id === '')) return undefined;
  if (collection === 'inbox') return id === undefined ? { kind: 'inbox', owner } : { kind: 'inbox-item', owner, id };
  if (collection === 'outbox' && name === undefined) return { kind: 'outbox', owner };
  return undefined;
}

/** The href of a target (for the resource itself). */
export function hrefOf(target: Target): string | undefined {
  switch (target.kind) {
    case 'root':
      return DAV_ROOT;
    case 'principal':
      return hrefs.principal(target.owner);
    case 'home':
      return hrefs.home(target.owner);
    case 'calendar':
      return hrefs.calendar(target.owner);
    case 'inbox':
      return hrefs.inbox(target.owner);
    case 'outbox':
      return hrefs.outbox(target.owner);
    case 'object':
      return hrefs.object(target.owner, target.name);
    case 'inbox-item':
      return hrefs.inboxItem(target.owner, target.id);
  }
}

// The URL layout of CalDAV (everything under /dav/), with the calendar user's
// mail address as the owner segment:
//   /dav/                                   root (discovery starts here, RFC 6764)
//   /dav/principals/{address}/              the principal (RFC 3744, RFC 4791 section 6)
//   /dav/calendars/{address}/               the calendar home
//   /dav/calendars/{address}/calendar/      the one calendar collection
//   /dav/calendars/{address}/calendar/{UID}.ics   one object per UID
//   /dav/calendars/{address}/inbox/[{id}.ics]     the scheduling inbox (RFC 6638 section 2.2)
//   /dav/calendars/{address}/outbox/        the scheduling outbox (RFC 6638 section 2.1)
// An object's name is its UID, URL-encoded, with ".ics": the store keeps one
// object per UID, so the name is the key and needs no index.

import { mailAddress, normalizeAddress } from '../../ical/address.js';

export const DAV_ROOT = '/dav/';

export type Target =
  | { kind: 'root' }
  | { kind: 'principal'; owner: string }
  | { kind: 'home'; owner: string }
  | { kind: 'calendar'; owner: string }
  | { kind: 'object'; owner: string; uid: string }
  | { kind: 'inbox'; owner: string }
  | { kind: 'inbox-item'; owner: string; id: string }
  | { kind: 'outbox'; owner: string };

const segment = (text: string): string => encodeURIComponent(text);

/** The name of a UID or id as a path segment with ".ics"; undefined when it cannot be written (a lone surrogate). */
export function resourceName(id: string): string | undefined {
  try {
    return `${segment(id)}.ics`;
  } catch {
    return undefined;
  }
}

const ownerPart = (owner: string): string => segment(mailAddress(owner));

export const hrefs = {
  principal: (owner: string) => `${DAV_ROOT}principals/${ownerPart(owner)}/`,
  home: (owner: string) => `${DAV_ROOT}calendars/${ownerPart(owner)}/`,
  calendar: (owner: string) => `${hrefs.home(owner)}calendar/`,
  inbox: (owner: string) => `${hrefs.home(owner)}inbox/`,
  outbox: (owner: string) => `${hrefs.home(owner)}outbox/`,
  object: (owner: string, uid: string) => {
    const name = resourceName(uid);
    return name === undefined ? undefined : `${hrefs.calendar(owner)}${name}`;
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
  const id = name === undefined ? undefined : name.endsWith('.ics') ? decode(name.slice(0, -4)) : undefined;
  if (name !== undefined && (id === undefined || id === '')) return undefined;
  if (collection === 'calendar') return id === undefined ? { kind: 'calendar', owner } : { kind: 'object', owner, uid: id };
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
      return hrefs.object(target.owner, target.uid);
    case 'inbox-item':
      return hrefs.inboxItem(target.owner, target.id);
  }
}

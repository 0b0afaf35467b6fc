// The WebDAV properties of each kind of resource (RFC 4918 section 15, RFC
// 3744 for principals and privileges, RFC 4791 section 5.2 and 6 for
// calendars, RFC 6638 section 2 and 9 for scheduling, RFC 6578 for the sync
// token, and Apple's getctag, which is the same token under another name).

import type { InboxItem, StoredObject } from '../../itip/model.js';
import { etagOf } from '../../itip/actions/action.js';
import { senderAliases } from '../../itip/preferences.js';
import type { Store } from '../../store/store.js';
import { hrefOf, hrefs, type Target } from './paths.js';
import { CALDAV, CS, DAV, el, escapeXml, textEl } from './xml.js';

export interface Resource {
  target: Target;
  href: string;
  object?: StoredObject;
  inboxItem?: InboxItem;
}

export interface PropertyContext {
  user: string;
  store: Store;
  /** calendar-data of an object, when the request asks for a changed form (expand). */
  calendarData?: (resource: Resource) => string | undefined;
}

/** The largest object a client may PUT (RFC 4791 section 5.2.5). */
export const MAX_RESOURCE_SIZE = 1024 * 1024;

/** Sync tokens are URIs (RFC 6578 section 3.2). */
const TOKEN_PREFIX = 'urn:itip-agent:sync:';

export function syncToken(seq: number): string {
  return `${TOKEN_PREFIX}${seq}`;
}

/** The seq of a token of ours; undefined for anything else. */
export function tokenSeq(token: string): number | undefined {
  if (!token.startsWith(TOKEN_PREFIX)) return undefined;
  const text = token.slice(TOKEN_PREFIX.length);
  return /^\d{1,15}$/.test(text) ? Number(text) : undefined;
}

export async function latestToken(store: Store, owner: string): Promise<string> {
  return syncToken((await store.objectChanges(owner, Number.MAX_SAFE_INTEGER)).latest);
}

const hrefEl = (href: string) => textEl(DAV, 'href', href);

function privileges(target: Target): string {
  const names = target.kind === 'outbox' ? ['read', 'schedule-send'] : target.kind === 'inbox' ? ['read', 'write-content', 'unbind', 'schedule-deliver'] : ['read', 'write', 'write-content', 'write-properties', 'bind', 'unbind'];
  return names.map((name) => el(DAV, 'privilege', name.startsWith('schedule-') ? el(CALDAV, name) : el(DAV, name))).join('');
}

function owned(target: Target): string | undefined {
  return 'owner' in target ? target.owner : undefined;
}

const REPORTS: Array<[string, string]> = [
  [CALDAV, 'calendar-query'],
  [CALDAV, 'calendar-multiget'],
  [CALDAV, 'free-busy-query'],
  [DAV, 'sync-collection'],
];

/** The inner XML of a property, or undefined when the resource has none of that name. */
export async function propertyValue(context: PropertyContext, resource: Resource, ns: string, name: string): Promise<string | undefined> {
  const { target } = resource;
  const owner = owned(target);
  const key = `${ns}|${name}`;
  // Every resource.
  switch (key) {
    case `${DAV}|current-user-principal`:
      return hrefEl(hrefs.principal(context.user));
    case `${DAV}|principal-collection-set`:
      return hrefEl('/dav/principals/');
    case `${DAV}|current-user-privilege-set`:
      return privileges(target);
    case `${DAV}|owner`:
      return owner ? hrefEl(hrefs.principal(owner)) : undefined;
    case `${DAV}|supported-report-set`:
      if (target.kind !== 'calendar') return undefined;
      return REPORTS.map(([rns, rname]) => el(DAV, 'supported-report', el(DAV, 'report', el(rns, rname)))).join('');
  }
  switch (target.kind) {
    case 'root':
      if (key === `${DAV}|resourcetype`) return el(DAV, 'collection');
      return undefined;
    case 'principal':
      switch (key) {
        case `${DAV}|resourcetype`:
          return el(DAV, 'principal');
        case `${DAV}|displayname`:
          return escapeXml((await context.store.getPrefs(target.owner)).CN ?? target.owner.replace(/^mailto:/, ''));
        case `${DAV}|principal-URL`:
          return hrefEl(hrefs.principal(target.owner));
        case `${CALDAV}|calendar-home-set`:
          return hrefEl(hrefs.home(target.owner));
        case `${CALDAV}|calendar-user-address-set`:
          // Every address of the principal (RFC 6638 section 2.4.1): a client
          // finds the user among ATTENDEEs and the ORGANIZER by them. The agent
          // knows a user's other addresses from their sender_aliases
          // preference (aliases that may speak for the user's address).
          return (await addressesOf(context.store, target.owner)).map(hrefEl).join('') + hrefEl(hrefs.principal(target.owner));
        case `${CALDAV}|schedule-inbox-URL`:
          return hrefEl(hrefs.inbox(target.owner));
        case `${CALDAV}|schedule-outbox-URL`:
          return hrefEl(hrefs.outbox(target.owner));
        case `${CALDAV}|calendar-user-type`:
          return (await context.store.getRole(target.owner)) === 'resource' ? 'ROOM' : 'INDIVIDUAL';
      }
      return undefined;
    case 'home':
      if (key === `${DAV}|resourcetype`) return el(DAV, 'collection');
      if (key === `${DAV}|displayname`) return 'Calendars';
      return undefined;
    case 'calendar':
      switch (key) {
        case `${DAV}|resourcetype`:
          return el(DAV, 'collection') + el(CALDAV, 'calendar');
        case `${DAV}|displayname`:
          return 'Calendar';
        case `${CS}|getctag`:
        case `${DAV}|sync-token`:
          return escapeXml(await latestToken(context.store, target.owner));
        case `${CALDAV}|supported-calendar-component-set`:
          // Events and to-dos are both scheduled (RFC 5546 sections 3.2 and 3.4).
          return `<c:comp name="VEVENT"/><c:comp name="VTODO"/>`;
        case `${CALDAV}|supported-calendar-data`:
          return `<c:calendar-data content-type="text/calendar" version="2.0"/>`;
        case `${CALDAV}|max-resource-size`:
          return String(MAX_RESOURCE_SIZE);
        case `${CALDAV}|schedule-calendar-transp`:
          return el(CALDAV, 'opaque');
      }
      return undefined;
    case 'inbox':
    case 'outbox':
      if (key === `${DAV}|resourcetype`) return el(DAV, 'collection') + el(CALDAV, target.kind === 'inbox' ? 'schedule-inbox' : 'schedule-outbox');
      if (key === `${DAV}|displayname`) return target.kind === 'inbox' ? 'Scheduling inbox' : 'Scheduling outbox';
      if (key === `${CS}|getctag` && target.kind === 'inbox') return escapeXml(inboxTag(await context.store.listInbox(target.owner)));
      return undefined;
    case 'object':
    case 'inbox-item': {
      const ics = resource.object?.ics ?? resource.inboxItem?.ics;
      if (ics === undefined) return undefined;
      switch (key) {
        case `${DAV}|resourcetype`:
          return '';
        case `${DAV}|getetag`:
          return escapeXml(resource.object ? etagOf(resource.object) : itemTag(resource.inboxItem!));
        case `${DAV}|getcontenttype`:
          return `text/calendar; charset=utf-8; component=${componentKind(ics)}`;
        case `${DAV}|getcontentlength`:
          return String(Buffer.byteLength(ics));
        case `${CALDAV}|calendar-data`:
          return escapeXml(context.calendarData?.(resource) ?? ics);
      }
      return undefined;
    }
  }
}

/** The user's address first, then the aliases their preferences name for it. */
export async function addressesOf(store: Store, owner: string): Promise<string[]> {
  return [...new Set([owner, ...senderAliases(await store.getPrefs(owner), owner)])];
}

/** The entity tag of an inbox item (its text does not change). */
export function itemTag(item: InboxItem): string {
  return etagOf({ uid: item.id, ics: item.ics });
}

function inboxTag(items: InboxItem[]): string {
  return etagOf({ uid: '', ics: items.map((item) => item.id).join('\n') }).replace(/"/g, '');
}

/** The properties of allprop (RFC 4918 section 14.2: the live ones a client may want; never calendar-data). */
export const ALLPROP: Array<[string, string]> = [
  [DAV, 'resourcetype'],
  [DAV, 'displayname'],
  [DAV, 'getetag'],
  [DAV, 'getcontenttype'],
  [DAV, 'getcontentlength'],
  [CS, 'getctag'],
  [DAV, 'sync-token'],
  [DAV, 'owner'],
];

export { hrefOf };

/**
 * The kind of component an object holds (RFC 4791 section 4.1: one kind per
 * resource): its first VEVENT, VTODO or VFREEBUSY. Read from the text, as
 * queries ask it of every object and parsing each would cost more.
 */
export function componentKind(ics: string): 'VEVENT' | 'VTODO' | 'VFREEBUSY' {
  const match = /^BEGIN:(VEVENT|VTODO|VFREEBUSY)\r?$/im.exec(ics);
  return (match?.[1]?.toUpperCase() as 'VEVENT' | 'VTODO' | 'VFREEBUSY' | undefined) ?? 'VEVENT';
}

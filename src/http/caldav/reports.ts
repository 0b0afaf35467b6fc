// REPORTs on the calendar collection: calendar-multiget and calendar-query
// (RFC 4791 sections 7.8 and 7.9), free-busy-query (section 7.10), and
// sync-collection (RFC 6578 section 3.2). Every answer is bounded: a query
// that would list more than reportLimits.maxResults resources is answered 507 with
// DAV:number-of-matches-within-limits (RFC 4918 section 16) instead.

import type { FastifyReply } from 'fastify';
import { textOf } from '../../ical/calendar.js';
import { parseCalendar } from '../../ical/calendar.js';
import type { Preferences } from '../../itip/model.js';
import type { Store } from '../../store/store.js';
import { freeBusyText } from './freebusy.js';
import { parseTarget, hrefs } from './paths.js';
import { componentKind, latestToken, syncToken, tokenSeq, type PropertyContext, type Resource } from './properties.js';
import { propResponse, sendDavError, sendMultistatus, statusResponse } from './multistatus.js';
import { findResource, membersOf } from './resources.js';
import { overlaps, rangeOf, type Range } from './time-range.js';
import { readDataRequest, shapedCalendarData } from './calendar-data.js';
import { CALDAV, DAV, child, childrenOf, el, escapeXml, textEl, type Element } from './xml.js';

/**
 * maxResults: more than any calendar a person keeps; a larger answer is
 * refused, not cut silently. An object so that a test can lower it.
 */
export const reportLimits = { maxResults: 50_000 };

interface ReportContext extends PropertyContext {
  store: Store;
  owner: string;
  now: number;
}

function askedProps(body: Element): Array<[string, string]> {
  return (child(body, DAV, 'prop')?.children ?? []).map((c) => [c.ns, c.name]);
}

/** calendar-data with expand, limit-recurrence-set or a selection of components and properties (calendar-data.ts). */
async function withExpansion(context: ReportContext, body: Element): Promise<ReportContext | 'bad'> {
  const request = readDataRequest(child(child(body, DAV, 'prop'), CALDAV, 'calendar-data'));
  if (request === 'bad') return 'bad';
  if (!request) return context;
  const prefs = await context.store.getPrefs(context.owner);
  return { ...context, calendarData: (resource: Resource) => (resource.object ? shapedCalendarData(resource.object, prefs, request) : undefined) };
}

function badData(reply: FastifyReply): FastifyReply {
  return reply.code(400).type('text/plain; charset=utf-8').send('The calendar-data element cannot be read: expand and limit-recurrence-set need a start and an end in UTC (20260101T000000Z), start before end; comp and prop need a name, the outer comp VCALENDAR.\n');
}

function tooMany(reply: FastifyReply): FastifyReply {
  return sendDavError(reply, 507, DAV, 'number-of-matches-within-limits', `The answer would list more than ${reportLimits.maxResults} events; ask for a shorter time range.`);
}

export async function multiget(reply: FastifyReply, context: ReportContext, body: Element): Promise<FastifyReply> {
  const expanded = await withExpansion(context, body);
  if (expanded === 'bad') return badData(reply);
  const props = askedProps(body);
  const hrefList = childrenOf(body, DAV, 'href').map((h) => h.text.trim());
  if (hrefList.length > reportLimits.maxResults) return tooMany(reply);
  const responses: string[] = [];
  for (const href of hrefList) {
    const target = parseTarget(href);
    const resource = target && target.kind === 'object' && target.owner === context.owner ? await findResource(context.store, target) : undefined;
    responses.push(resource ? await propResponse(expanded, { ...resource, href }, props) : statusResponse(href, 404));
  }
  return sendMultistatus(reply, responses);
}

/**
 * A filter on the VEVENTs or VTODOs of an object: time-range and prop-filters
 * (text-match, is-not-defined). `kind` absent: every object; `absent`: the
 * objects without that kind (a comp-filter with is-not-defined, RFC 4791
 * section 9.7.1), which are those of the other kind.
 */
interface EventFilter {
  kind?: 'VEVENT' | 'VTODO';
  absent?: boolean;
  range?: Range;
  props: Array<{ name: string; notDefined: boolean; match?: { text: string; negate: boolean } }>;
}

/** The filter of a calendar-query; 'none' when it asks for components we never hold (VJOURNAL, ...). */
function readFilter(filter: Element | undefined): EventFilter | 'none' | 'bad' {
  const vcalendar = child(filter, CALDAV, 'comp-filter');
  if (!vcalendar || vcalendar.attrs.name?.toUpperCase() !== 'VCALENDAR') return 'bad';
  const inner = childrenOf(vcalendar, CALDAV, 'comp-filter');
  if (inner.length === 0) return { props: [] };
  const event = inner[0]!;
  const kind = event.attrs.name?.toUpperCase();
  if (kind !== 'VEVENT' && kind !== 'VTODO') return child(event, CALDAV, 'is-not-defined') ? { props: [] } : 'none';
  if (child(event, CALDAV, 'is-not-defined')) return { kind, absent: true, props: [] };
  const result: EventFilter = { kind, props: [] };
  const time = child(event, CALDAV, 'time-range');
  if (time) {
    const range = rangeOf(time.attrs);
    if (!range) return 'bad';
    result.range = range;
  }
  for (const prop of childrenOf(event, CALDAV, 'prop-filter')) {
    const name = prop.attrs.name;
    if (!name) return 'bad';
    const match = child(prop, CALDAV, 'text-match');
    result.props.push({
      name,
      notDefined: !!child(prop, CALDAV, 'is-not-defined'),
      ...(match ? { match: { text: match.text, negate: match.attrs['negate-condition'] === 'yes' } } : {}),
    });
  }
  return result;
}

function passes(resource: Resource, filter: EventFilter, prefs: Preferences): boolean {
  const object = resource.object!;
  if (filter.kind !== undefined && componentKind(object.ics) !== filter.kind) return filter.absent === true;
  if (filter.absent) return false;
  if (filter.props.length > 0) {
    const events = parseCalendar(object.ics).getAllSubcomponents((filter.kind ?? componentKind(object.ics)).toLowerCase());
    for (const prop of filter.props) {
      const values = events.map((e) => textOf(e, prop.name.toLowerCase())).filter((v): v is string => v !== undefined);
      if (prop.notDefined ? values.length > 0 : values.length === 0) return false;
      if (prop.match) {
        // i;ascii-casemap substring match, the default collation (RFC 4791 section 9.7.5).
        const hit = values.some((v) => v.toLowerCase().includes(prop.match!.text.toLowerCase()));
        if (hit === prop.match.negate) return false;
      }
    }
  }
  return !filter.range || overlaps(object, prefs, filter.range);
}

export async function calendarQuery(reply: FastifyReply, context: ReportContext, body: Element, collection: Resource): Promise<FastifyReply> {
  const filter = readFilter(child(body, CALDAV, 'filter'));
  if (filter === 'bad') return sendDavError(reply, 403, CALDAV, 'valid-filter', 'The filter must be a comp-filter on VCALENDAR, with VEVENT or VTODO inside; times in UTC (20260101T000000Z).');
  const expanded = await withExpansion(context, body);
  if (expanded === 'bad') return badData(reply);
  if (filter === 'none') return sendMultistatus(reply, []);
  const props = askedProps(body);
  const prefs = await context.store.getPrefs(context.owner);
  const responses: string[] = [];
  for (const member of await membersOf(context.store, collection)) {
    let keep: boolean;
    try {
      keep = passes(member, filter, prefs);
    } catch {
      keep = false; // an object that cannot be read matches no filter
    }
    if (!keep) continue;
    if (responses.length >= reportLimits.maxResults) return tooMany(reply);
    responses.push(await propResponse(expanded, member, props));
  }
  return sendMultistatus(reply, responses);
}

export async function freeBusyQuery(reply: FastifyReply, context: ReportContext, body: Element): Promise<FastifyReply> {
  const time = child(body, CALDAV, 'time-range');
  const range = time && time.attrs.start !== undefined ? rangeOf(time.attrs) : undefined;
  if (!range) return sendDavError(reply, 403, CALDAV, 'valid-filter', 'free-busy-query needs a time-range with a start, in UTC (20260101T000000Z).');
  const text = await freeBusyText(context.store, context.owner, range, { organizer: context.user, now: context.now });
  return reply.code(200).type('text/calendar; charset=utf-8').send(text);
}

/**
 * sync-collection: without a token, every member and the current token; with
 * one, only what the change log has after it, removals as 404 (RFC 6578
 * section 3.5). Depth is always 1 (sync-level 1).
 */
export async function syncCollection(reply: FastifyReply, context: ReportContext, body: Element): Promise<FastifyReply> {
  const tokenText = child(body, DAV, 'sync-token')?.text.trim() ?? '';
  const level = child(body, DAV, 'sync-level')?.text.trim() ?? '1';
  if (level !== '1') return sendDavError(reply, 403, DAV, 'supported-report', 'Only sync-level 1 is supported: the calendar has no sub-collections.');
  const props = askedProps(body);
  const shaped = await withExpansion(context, body);
  if (shaped === 'bad') return badData(reply);
  context = shaped;
  const { store, owner } = context;
  const responses: string[] = [];
  let token: string;
  if (tokenText === '') {
    token = await latestToken(store, owner);
    const calendar = await findResource(store, { kind: 'calendar', owner });
    const members = calendar ? await membersOf(store, calendar) : [];
    if (members.length > reportLimits.maxResults) return tooMany(reply);
    for (const member of members) responses.push(await propResponse(context, member, props));
  } else {
    const since = tokenSeq(tokenText);
    const { latest, floor, changes } = since === undefined ? { latest: -1, floor: 0, changes: [] } : await store.objectChanges(owner, since);
    // A token from the future (another store, a restored backup) is no valid
    // token of this collection; one older than the removals the log still
    // remembers might miss one (RFC 6578 section 3.7).
    if (since === undefined || since > latest || since < floor) return sendDavError(reply, 403, DAV, 'valid-sync-token', 'The sync token is not valid (any more); sync again without a token.');
    if (changes.length > reportLimits.maxResults) return tooMany(reply);
    token = syncToken(latest);
    for (const change of changes) {
      const href = hrefs.object(owner, change.name);
      if (!href) continue;
      const object = change.deleted ? undefined : await store.getObject(owner, change.uid);
      responses.push(object ? await propResponse(context, { target: { kind: 'object', owner, name: change.name }, href, object }, props) : statusResponse(href, 404));
    }
  }
  return sendMultistatus(reply, responses, textEl(DAV, 'sync-token', token));
}

export { el, escapeXml };

// GET, PUT and DELETE of calendar object resources (RFC 4791 section 5.3, RFC
// 7232 for the conditions). A PUT or DELETE is the user's own action, run by
// the transaction service (src/agent/user-action.ts): the core schedules it
// by role (RFC 6638 section 3.2, implicit scheduling: REQUEST and CANCEL from
// an organizer, REPLY from an attendee, SCHEDULE-AGENT honoured,
// SCHEDULE-STATUS written back), and the object, the free/busy and the outbox
// change in one transaction. The ETag is the one the core checks (etagOf):
// a client's If-Match that names an older version is refused with 412 by the
// core itself, inside the transaction, so no lost update slips in between
// our check and the write.

import type { FastifyReply, FastifyRequest } from 'fastify';
import { etagOf } from '../../itip/actions/action.js';
import { actionUid } from '../../agent/user-action.js';
import type { ActionResult } from '../../agent/user-action.js';
import type { Store } from '../../store/store.js';
import { MAX_RESOURCE_SIZE, itemTag, type Resource } from './properties.js';
import { sendDavError, sendText } from './multistatus.js';
import { hrefs } from './paths.js';
import { CALDAV, DAV, textEl } from './xml.js';

export function getResource(reply: FastifyReply, resource: Resource): FastifyReply {
  const ics = resource.object?.ics ?? resource.inboxItem?.ics;
  if (ics === undefined) return sendText(reply, 405, 'A collection has no calendar text of its own; ask for its members with PROPFIND or REPORT.');
  const etag = resource.object ? etagOf(resource.object) : itemTag(resource.inboxItem!);
  return reply.code(200).header('ETag', etag).type('text/calendar; charset=utf-8').send(ics);
}

/** The values of If-Match / If-None-Match: '*' or a list of tags. */
function tagsOf(header: string | string[] | undefined): string[] | undefined {
  if (header === undefined) return undefined;
  const text = Array.isArray(header) ? header.join(',') : header;
  return text
    .split(',')
    .map((tag) => tag.trim().replace(/^W\//, ''))
    .filter(Boolean);
}

/** 412 when the conditions fail for the current version (undefined: none); undefined when they hold. */
export function preconditionFails(request: FastifyRequest, currentTag: string | undefined): boolean {
  const ifMatch = tagsOf(request.headers['if-match']);
  const ifNoneMatch = tagsOf(request.headers['if-none-match']);
  if (ifMatch && !(currentTag !== undefined && (ifMatch.includes('*') || ifMatch.includes(currentTag)))) return true;
  if (ifNoneMatch && currentTag !== undefined && (ifNoneMatch.includes('*') || ifNoneMatch.includes(currentTag))) return true;
  return false;
}

/** The tag the core must check against: the client's If-Match tag, when it named one. */
function ifMatchTag(request: FastifyRequest): string | undefined {
  const tags = tagsOf(request.headers['if-match']);
  return tags && tags.length === 1 && tags[0] !== '*' ? tags[0] : undefined;
}

type Run = (work: {
  kind: 'action';
  user: string;
  action: { kind: 'put'; ics: string } | { kind: 'delete'; uid: string; noReply?: boolean };
  ifMatch?: string;
  name?: string;
}) => Promise<ActionResult>;

function actionFailed(reply: FastifyReply, result: ActionResult, what: string): FastifyReply {
  if (result.failure) return reply.header('Retry-After', '30').code(503).type('text/plain; charset=utf-8').send(`${result.reason}\n`);
  if (result.outcome === 'stale') return sendText(reply, 412, `The event changed since your client last read it, so the ${what} was not made: ${result.reason}. Refresh the calendar and try again.`);
  if (result.outcome === 'error') return sendText(reply, 500, result.reason);
  return sendDavError(reply, 403, CALDAV, 'valid-calendar-object-resource', `The ${what} was not accepted: ${result.reason}`);
}

/**
 * PUT to a name (RFC 4791 section 5.3.2). A new name may hold any new UID;
 * a UID that lives under another name already is refused with
 * no-uid-conflict and that name's href (section 5.3.2.1), and the object under
 * a name keeps its UID (section 4.1).
 */
export async function putObject(request: FastifyRequest, reply: FastifyReply, options: { store: Store; owner: string; name: string; run: Run }): Promise<FastifyReply> {
  const { store, owner, name, run } = options;
  const type = String(request.headers['content-type'] ?? '');
  if (!/^text\/calendar\b/i.test(type)) return sendDavError(reply, 415, CALDAV, 'supported-calendar-data', 'Send the event as text/calendar.');
  const ics = typeof request.body === 'string' ? request.body : '';
  if (Buffer.byteLength(ics) > MAX_RESOURCE_SIZE) return sendDavError(reply, 403, CALDAV, 'max-resource-size', `An event may have at most ${MAX_RESOURCE_SIZE} bytes.`);
  const uid = actionUid({ kind: 'put', ics });
  if (uid === '') return sendDavError(reply, 403, CALDAV, 'valid-calendar-object-resource', 'The calendar cannot be read, or its VEVENT or VTODO has no UID.');
  const uidHere = await store.objectNamed(owner, name);
  const nameOfUid = await store.objectName(owner, uid);
  if (nameOfUid !== undefined && nameOfUid !== name) {
    const href = hrefs.object(owner, nameOfUid) ?? '';
    return sendDavError(reply, 403, CALDAV, 'no-uid-conflict', `An event with the UID ${JSON.stringify(uid)} is in the calendar already, at ${href}; change it there.`, textEl(DAV, 'href', href));
  }
  if (uidHere !== undefined && uidHere !== uid) {
    return sendDavError(reply, 403, CALDAV, 'valid-calendar-object-resource', `This event has the UID ${JSON.stringify(uidHere)}, which cannot change; store an event with another UID under a new name.`);
  }
  const before = uidHere === undefined ? undefined : await store.getObject(owner, uid);
  if (preconditionFails(request, before ? etagOf(before) : undefined)) {
    return sendText(reply, 412, before ? 'The event changed since your client last read it (or already exists); refresh and try again.' : 'There is no such event (any more); refresh and try again.');
  }
  const tag = ifMatchTag(request);
  const result = await run({ kind: 'action', user: owner, action: { kind: 'put', ics }, ...(tag ? { ifMatch: tag } : {}), ...(before ? {} : { name }) });
  if (result.outcome !== 'applied' && result.outcome !== 'duplicate' && result.outcome !== 'queued') return actionFailed(reply, result, 'change');
  const after = await store.getObject(owner, uid);
  if (after) reply.header('ETag', etagOf(after));
  return reply.code(before ? 204 : 201).send();
}

export async function deleteObject(request: FastifyRequest, reply: FastifyReply, options: { store: Store; owner: string; name: string; run: Run }): Promise<FastifyReply> {
  const { store, owner, name, run } = options;
  const uid = await store.objectNamed(owner, name);
  const before = uid === undefined ? undefined : await store.getObject(owner, uid);
  if (uid === undefined || !before) return sendText(reply, 404, 'There is no such event (any more).');
  if (preconditionFails(request, etagOf(before))) return sendText(reply, 412, 'The event changed since your client last read it; refresh and try again.');
  const tag = ifMatchTag(request);
  // Schedule-Reply: F (RFC 6638 section 8.1): an attendee's removal sends no REPLY.
  const noReply = String(request.headers['schedule-reply'] ?? '').trim().toUpperCase() === 'F';
  const result = await run({ kind: 'action', user: owner, action: { kind: 'delete', uid, ...(noReply ? { noReply } : {}) }, ...(tag ? { ifMatch: tag } : {}) });
  if (result.outcome !== 'applied' && result.outcome !== 'duplicate') return actionFailed(reply, result, 'removal');
  return reply.code(204).send();
}

export { DAV };

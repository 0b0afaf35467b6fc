// CalDAV (RFC 4791) with scheduling (RFC 6638) and sync (RFC 6578) on the web
// listener: a person's own calendar client shows what the agent keeps, and
// what they change there is scheduled by the agent. Registered in server.ts's
// PAGES. The requests are signed in with HTTP Basic (basic-auth.ts), so the
// routes are `public` to the cookie sign-in and carry no CSRF token; a person
// reaches only their own collections (mayActFor).
//
// Discovery (RFC 6764 section 5): /.well-known/caldav redirects to /dav/,
// whose current-user-principal leads to the principal, and from there to the
// calendar home, the calendar and the scheduling inbox and outbox.

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { mayActFor } from '../access.js';
import { authenticate } from './basic-auth.js';
import { deleteObject, getResource, preconditionFails, putObject } from './objects.js';
import { postFreeBusy } from './outbox-post.js';
import { propRequest, propfindResponses } from './propfind.js';
import { DAV_ROOT, parseTarget } from './paths.js';
import { MAX_RESOURCE_SIZE, itemTag } from './properties.js';
import { propResponse, sendDavError, sendMultistatus, sendText, statusLine } from './multistatus.js';
import { calendarQuery, freeBusyQuery, multiget, syncCollection } from './reports.js';
import { findResource } from './resources.js';
import { CALDAV, DAV, XmlError, el, parseXml, textEl, type Element } from './xml.js';

/** Request bodies: an event (MAX_RESOURCE_SIZE) or an XML request, with room to spare. */
const MAX_BODY = MAX_RESOURCE_SIZE + 64 * 1024;

const DAV_METHODS = ['PROPFIND', 'PROPPATCH', 'REPORT', 'MKCALENDAR', 'MKCOL'] as const;
const METHODS = ['GET', 'PUT', 'DELETE', 'POST', 'OPTIONS', ...DAV_METHODS];
const ALLOW = 'OPTIONS, GET, HEAD, PUT, DELETE, POST, PROPFIND, PROPPATCH, REPORT';
/** RFC 4918 section 10.1, RFC 4791 section 5.1, RFC 6638 section 2. */
const DAV_CLASSES = '1, 3, access-control, calendar-access, calendar-auto-schedule';

export async function caldav(app: FastifyInstance): Promise<void> {
  const known = new Set(app.supportedMethods);
  for (const method of DAV_METHODS) if (!known.has(method)) app.addHttpMethod(method, { hasBody: true });
  // Bodies are read as text whatever their type (clients label XML in several ways, or not at all).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string', bodyLimit: MAX_BODY }, (_request, body, done) => done(null, body));
  app.setErrorHandler((error: Error & { statusCode?: number }, request, reply) => {
    const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 600 ? error.statusCode : 500;
    if (status >= 500) app.web.log('error', `a CalDAV request failed: ${error.message}`, { path: request.url, method: request.method, user: request.user, error });
    return sendText(reply, status, status === 413 ? `The request is too large: at most ${MAX_BODY} bytes.` : status >= 500 ? 'Something went wrong here; the agent\'s log says what.' : error.message);
  });

  app.route({
    method: ['GET'],
    url: '/.well-known/caldav',
    config: { public: true, csrf: false },
    handler: (_request, reply) => reply.redirect(DAV_ROOT, 301),
  });
  const config = { public: true, csrf: false };
  const onRequest = async (request: FastifyRequest, reply: FastifyReply) => {
    if (!(await authenticate(request, reply))) return reply;
    return undefined;
  };
  for (const url of ['/dav', '/dav/*']) app.route({ method: METHODS, url, config, onRequest, handler: (request, reply) => handle(app, request, reply) });
  // Clients given only the server's address ask its root for current-user-principal (RFC 6764 section 6).
  app.route({ method: ['PROPFIND', 'OPTIONS'], url: '/', config, onRequest, handler: (request, reply) => handle(app, request, reply) });
}

function readBody(request: FastifyRequest, reply: FastifyReply): Element | undefined | 'answered' {
  try {
    return parseXml(typeof request.body === 'string' ? request.body : '');
  } catch (error) {
    if (!(error instanceof XmlError)) throw error;
    void sendText(reply, 400, `The request body cannot be read: ${error.message}.`);
    return 'answered';
  }
}

async function handle(app: FastifyInstance, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const { store, actions, now } = app.web;
  const user = request.user!;
  if (!store) return sendText(reply, 503, 'The calendar store is not open in this process; CalDAV is not available.');
  const target = parseTarget(request.url);
  if (!target) return sendText(reply, 404, 'There is nothing here. Point your client at /dav/ or at this server\'s address.');
  if (target.kind !== 'root' && !mayActFor(user, target.owner)) return sendText(reply, 403, 'These are another person\'s calendars.');
  const method = request.method;
  if (method === 'OPTIONS') return reply.code(200).header('DAV', DAV_CLASSES).header('Allow', ALLOW).send();
  const resource = await findResource(store, target);
  const context = { user, store };

  switch (method) {
    case 'PROPFIND': {
      if (!resource) return sendText(reply, 404, 'There is no such calendar or event.');
      const body = readBody(request, reply);
      if (body === 'answered') return reply;
      const asked = propRequest(body);
      if (!asked) return sendText(reply, 400, 'A PROPFIND body is a DAV:propfind element.');
      return sendMultistatus(reply, await propfindResponses(context, resource, String(request.headers.depth ?? 'infinity'), asked));
    }
    case 'REPORT': {
      if (!resource) return sendText(reply, 404, 'There is no such calendar.');
      const body = readBody(request, reply);
      if (body === 'answered') return reply;
      if (!body) return sendText(reply, 400, 'A REPORT needs a body that names the report.');
      if (target.kind !== 'calendar') return sendDavError(reply, 403, DAV, 'supported-report', 'Reports are answered on the calendar collection.');
      const reportContext = { ...context, owner: target.owner, now: now() };
      const name = `${body.ns}|${body.name}`;
      if (name === `${CALDAV}|calendar-multiget`) return multiget(reply, reportContext, body);
      if (name === `${CALDAV}|calendar-query`) return calendarQuery(reply, reportContext, body, resource);
      if (name === `${CALDAV}|free-busy-query`) return freeBusyQuery(reply, reportContext, body);
      if (name === `${DAV}|sync-collection`) return syncCollection(reply, reportContext, body);
      return sendDavError(reply, 403, DAV, 'supported-report', `The report ${body.name} is not supported here.`);
    }
    case 'GET':
      if (!resource) return sendText(reply, 404, 'There is no such event.');
      if (target.kind === 'object' || target.kind === 'inbox-item') return getResource(reply, resource);
      return reply.code(200).type('text/plain; charset=utf-8').send('This is a CalDAV collection: open it with a calendar client.\n');
    case 'PUT':
      if (target.kind !== 'object') return sendText(reply, 405, 'Events are stored in the calendar collection.');
      if (!actions) return sendText(reply, 503, 'Changes cannot be made through this listener.');
      return putObject(request, reply, { store, owner: target.owner, name: target.name, run: actions });
    case 'DELETE':
      if (target.kind === 'object') {
        if (!actions) return sendText(reply, 503, 'Changes cannot be made through this listener.');
        return deleteObject(request, reply, { store, owner: target.owner, name: target.name, run: actions });
      }
      if (target.kind === 'inbox-item') {
        // A client removes a scheduling message it has dealt with (RFC 6638 section 4.2); the event stays.
        if (!resource) return sendText(reply, 404, 'There is no such message in the inbox.');
        if (preconditionFails(request, itemTag(resource.inboxItem!))) return sendText(reply, 412, 'The message is not the one your client read.');
        await store.transact(target.owner, (tx) => tx.removeInbox(target.id));
        return reply.code(204).send();
      }
      return sendText(reply, 403, 'Only events and inbox messages can be removed.');
    case 'POST':
      if (target.kind !== 'outbox') return sendText(reply, 405, 'Only the scheduling outbox takes a POST.');
      return postFreeBusy(reply, { store, user: target.owner, body: typeof request.body === 'string' ? request.body : '', now: now(), localDomains: app.web.localDomains, ...(app.web.outboxQueued ? { queued: app.web.outboxQueued } : {}) });
    case 'PROPPATCH': {
      // Nothing is writable: each property is refused (RFC 4918 section 9.2), so that a client knows.
      if (!resource) return sendText(reply, 404, 'There is no such resource.');
      const body = readBody(request, reply);
      if (body === 'answered') return reply;
      const names = (body?.children ?? []).flatMap((action) => action.children.flatMap((prop) => prop.children));
      const refused = names.map((prop) => el(prop.ns, prop.name)).join('');
      return sendMultistatus(reply, [
        el(DAV, 'response', textEl(DAV, 'href', resource.href) + el(DAV, 'propstat', el(DAV, 'prop', refused) + textEl(DAV, 'status', statusLine(403)))),
      ]);
    }
    default:
      return sendDavError(reply, 403, DAV, 'resource-must-be-null', 'This server keeps one calendar per person; no collections can be made.');
  }
}

export { propResponse };

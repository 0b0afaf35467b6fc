// Published free/busy: `GET /freebusy/ADDRESS.ifb` answers with the user's own
// busy time as a VFREEBUSY (RFC 5546 section 3.3.1, METHOD:PUBLISH), for mail
// programs that fetch free/busy over HTTP rather than asking by mail. Public,
// no sign-in, as imip-agent publishes it.
//
// Only for a user who publishes (freebusy_publishing=publish, which, as in
// imip-agent, needs freebusy_sharing=share). Everyone else, and every address
// that is no user, gets the same 404: the URL tells no one who has a calendar
// here. ADDRESS is the mail address, also written as a URL-encoded mailto: URI
// (imip-agent's form) or, with localDomains set, a bare name.
//
// The range: from today (00:00 UTC) to the end of the free/busy window, or
// ?start=&end= (ISO 8601 UTC date-times or dates), cut to the window. The ETag
// is a digest of what the answer says (range, CN and periods, not DTSTAMP), so a
// client that asks again with If-None-Match gets 304 while nothing changed; a
// minute of caching keeps a busy client from asking on every view.

import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Period } from '../itip/model.js';
import { publishFreeBusy, publishedRange, publishesFreeBusy } from '../itip/freebusy/vfreebusy.js';
import { formatUtc } from '../ical/times.js';
import { loginAddress } from './access.js';
import type {} from './context.js';
import { html, notice } from './html.js';
import { errorPage, sendPage } from './respond.js';

const DATE_TIME = /^(\d{4})-?(\d{2})-?(\d{2})(?:T(\d{2}):?(\d{2}):?(\d{2})Z)?$/;

/** An instant of ?start= or ?end=: 2026-12-01T09:00:00Z, 20261201T090000Z, or a date (its 00:00 UTC). */
export function parseRangeTime(text: string): number | undefined {
  const match = DATE_TIME.exec(text.trim());
  if (!match) return undefined;
  const [, y, mo, d, h = '00', mi = '00', s = '00'] = match;
  const ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  // Date.UTC rolls 2026-02-31 over to March: such a date is a typo, not a wish.
  return formatUtc(ms).replace(/[-:]/g, '').startsWith(`${y}${mo}${d}T${h}${mi}${s}`) ? ms : undefined;
}

function etagOf(from: number, to: number, cn: string | undefined, periods: Period[]): string {
  const hash = createHash('sha256').update(JSON.stringify([from, to, cn ?? null, periods.map((p) => [p.start, p.end, p.fbtype])]));
  return `"${hash.digest('base64url').slice(0, 22)}"`;
}

export async function publishedFreeBusy(app: FastifyInstance): Promise<void> {
  app.get<{ Params: { file: string }; Querystring: { start?: string; end?: string } }>(
    '/freebusy/:file',
    { config: { public: true } },
    async (request, reply) => {
      const web = request.server.web;
      const file = request.params.file;
      if (!file.toLowerCase().endsWith('.ifb') || !web.store) return errorPage(reply, 404);
      const user = loginAddress(file.slice(0, -'.ifb'.length), web.localDomains);
      const prefs = user && (await web.store.getRole(user)) !== undefined ? await web.store.getPrefs(user) : undefined;
      if (!user || !prefs || !publishesFreeBusy(prefs)) return errorPage(reply, 404);

      const asked: { from?: number; to?: number } = {};
      for (const [name, key] of [['start', 'from'], ['end', 'to']] as const) {
        const text = request.query[name];
        if (text === undefined) continue;
        const ms = typeof text === 'string' ? parseRangeTime(text) : undefined;
        if (ms === undefined) {
          return sendPage(reply, 400, {
            title: 'The range cannot be read',
            body: html`${notice('error', `?${name}= must be a UTC date-time such as 2026-12-01T09:00:00Z, or a date such as 2026-12-01.`)}`,
          });
        }
        asked[key] = ms;
      }
      const now = web.now();
      const range = publishedRange(prefs, now, asked);
      if (range.from >= range.to) {
        return sendPage(reply, 400, {
          title: 'Nothing is published for that range',
          body: html`${notice('error', `Free/busy is published from ${formatUtc(range.window.from)} to ${formatUtc(range.window.to)}; ask for a range that ends after it starts, within those times.`)}`,
        });
      }
      // Busy time, not events (RFC 5546 section 3.3.1): a read per day of the range, however many events.
      const busy: Period[] = (await web.store.busyTime(user, { from: formatUtc(range.from), to: formatUtc(range.to) })).map((b) => ({ ...b, uid: '', recurrenceId: null }));
      const etag = etagOf(range.from, range.to, prefs.CN, busy);
      reply.header('ETag', etag);
      reply.header('Cache-Control', 'public, max-age=60');
      const ifNoneMatch = request.headers['if-none-match'];
      if (typeof ifNoneMatch === 'string' && ifNoneMatch.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag)) {
        return reply.code(304).send();
      }
      const published = publishFreeBusy({ user, prefs, busy, now, ...asked });
      // Checked above; a core that disagrees is a fault, and it shows nothing.
      if ('problem' in published) return errorPage(reply, 404);
      return reply
        .code(200)
        .type('text/calendar; charset=utf-8; method=PUBLISH')
        .header('Content-Disposition', 'inline; filename="freebusy.ifb"')
        .send(published.ics);
    },
  );
}

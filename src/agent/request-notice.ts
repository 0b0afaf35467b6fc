// The notice a user asked for (`notify_requests=yes`): when an invitation (a
// REQUEST) waits in the request queue for their answer, the agent queues a
// short plain-text mail to the user, with links that answer it without a
// sign-in (signed answer links, src/http/signed-links.ts) and a link to the
// web manager. The invitation itself goes on to the mailbox unchanged: the
// notice is a second mail beside it, never an edit of it.
//
// Queued in the same store transaction as the request entry it tells of, so
// that it exists exactly when the entry does: a mail whose transaction fails
// queues no notice, and its redelivery (a duplicate, no effects) queues none
// a second time. Nothing here may fail that transaction: a notice that cannot
// be made is left out and logged, the request stays queued.

import ICAL from 'ical.js';
import { mailAddress } from '../ical/address.js';
import { scheduledComponentsOf, organizerOf, parseCalendar, recurrenceKey, textOf } from '../ical/calendar.js';
import { oneLine } from '../ical/display-text.js';
import { ZoneResolver, userZone } from '../ical/zones.js';
import { etagOf } from '../itip/actions/action.js';
import type { Effect } from '../itip/effects.js';
import type { OutboxItem, RequestEntry } from '../itip/model.js';
import { notifiesRequests, zoneOf } from '../itip/preferences.js';
import { whenText } from '../mail/compose-imip.js';
import { type Texts, textsFor } from '../mail/language.js';
import type { UserTx } from '../store/store.js';
import { itemId } from './apply-effects.js';

/** The links a notice carries: one per answer, and the web manager's page of waiting requests. */
export interface NoticeLinks {
  accept: string;
  tentative: string;
  decline: string;
  requests: string;
  /** When the answer links stop working (ISO 8601 UTC). */
  expires: string;
}

/** What the agent needs to write notices; given by the command line (src/cli/notices.ts). */
export interface RequestNotices {
  /** The From of notices (notify.from); default: the user's own address. */
  from?: string;
  /**
   * The links for one waiting request, bound to the stored copy's version
   * (`etag`); undefined where the web manager has no public address
   * (http.publicUrl): the notice then says to answer in the calendar program.
   */
  links?(request: { user: string; uid: string; recurrenceId: string | null; etag: string; now: number }): NoticeLinks | undefined;
  log?(level: 'warn', msg: string, fields?: Record<string, unknown>): void;
}

export interface NoticeOrigin {
  messageKey: string;
  /** The transaction's time, ISO 8601 UTC, as the other items of the message carry it. */
  received: string;
  now: number;
}

/**
 * Hook after the effects of one message are applied (src/agent/process-message.ts):
 * one notice per REQUEST the effects queued, for a user with notify_requests=yes.
 */
export function queueRequestNotices(
  tx: UserTx,
  effects: readonly Effect[],
  notices: RequestNotices | undefined,
  origin: NoticeOrigin,
  sequence: { next: number },
): void {
  if (!notices) return;
  const waiting = effects.flatMap((effect) => (effect.type === 'put-request' && effect.entry.method === 'REQUEST' ? [effect.entry] : []));
  if (waiting.length === 0 || !notifiesRequests(tx.getPrefs())) return;
  for (const entry of waiting) {
    try {
      const item = noticeItem(tx, entry, notices, origin, sequence);
      if (item) tx.addOutbox(item);
    } catch (error) {
      notices.log?.('warn', 'no notice was queued for a waiting request; the request itself waits as always', {
        user: tx.user,
        uid: entry.uid,
        error: (error as Error).message,
      });
    }
  }
}

function noticeItem(tx: UserTx, entry: RequestEntry, notices: RequestNotices, origin: NoticeOrigin, sequence: { next: number }): OutboxItem | undefined {
  const stored = tx.getObject(entry.uid);
  if (!stored) return undefined;
  const links = notices.links?.({ user: tx.user, uid: entry.uid, recurrenceId: entry.recurrenceId, etag: etagOf(stored), now: origin.now });
  const prefs = tx.getPrefs();
  // The user's own language (LANG), as for every mail the agent writes.
  const texts = textsFor(prefs.LANG);
  const facts = eventFacts(stored.ics, entry.recurrenceId, zoneOf(prefs), texts);
  const from = notices.from ?? tx.user;
  return {
    id: itemId(origin.received, origin.messageKey, tx.user, 'notice', String(sequence.next++)),
    user: tx.user,
    method: entry.method,
    uid: entry.uid,
    from,
    to: [tx.user],
    state: 'unprocessed',
    attempts: 0,
    created: origin.received,
    ics: '',
    notice: { subject: texts.notice.subject(facts.summary), text: noticeText(facts, entry, links, texts) },
  };
}

interface EventFacts {
  summary: string;
  when?: string;
  where?: string;
  organizer?: string;
}

/** What the notice says of the event; every value from the calendar passes oneLine (src/ical/display-text.ts). */
function eventFacts(ics: string, recurrenceId: string | null, tzid: string | undefined, texts: Texts): EventFacts {
  const vcalendar = parseCalendar(ics);
  const zones = new ZoneResolver(vcalendar, userZone(tzid));
  const events = scheduledComponentsOf(vcalendar);
  const event = (recurrenceId !== null ? events.find((e) => recurrenceKey(e, zones) === recurrenceId) : undefined) ?? events.find((e) => !e.hasProperty('recurrence-id')) ?? events[0];
  if (!event) return { summary: texts.notice.noTitle };
  const organizer = organizerOf(event);
  const cn = event.getFirstProperty('organizer')?.getParameter('cn');
  const name = typeof cn === 'string' ? oneLine(cn) : '';
  const facts: EventFacts = { summary: oneLine(textOf(event, 'summary')) || texts.notice.noTitle };
  const when = whenText(event, zones, texts);
  if (when) facts.when = when;
  const where = oneLine(textOf(event, 'location'));
  if (where) facts.where = where;
  if (organizer) facts.organizer = name ? `${name} <${oneLine(mailAddress(organizer))}>` : oneLine(mailAddress(organizer));
  if (event.getFirstPropertyValue('rrule') instanceof ICAL.Recur && facts.when) facts.when += ` (${texts.notice.repeating})`;
  return facts;
}

function noticeText(facts: EventFacts, entry: RequestEntry, links: NoticeLinks | undefined, texts: Texts): string {
  const { label, notice } = texts;
  const lines = [notice.invites(facts.organizer ?? mailAddress(entry.from)), '', `${label.event}${facts.summary}`];
  if (facts.when) lines.push(`${label.when}${facts.when}`);
  if (facts.where) lines.push(`${label.where}${facts.where}`);
  if (entry.recurrenceId) lines.push(`${label.instance}${entry.recurrenceId}`);
  lines.push('');
  if (links) {
    lines.push(
      notice.linksIntro,
      `  ${notice.accept}${links.accept}`,
      `  ${notice.tentative}${links.tentative}`,
      `  ${notice.decline}${links.decline}`,
      '',
      notice.linksUntil(links.expires.slice(0, 16).replace('T', ' ')),
      notice.allWaiting(links.requests),
    );
  } else {
    lines.push(notice.noLinks);
  }
  lines.push('', notice.inMailbox, notice.why);
  return lines.join('\r\n') + '\r\n';
}

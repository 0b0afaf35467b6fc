// A CalDAV client's PUT of the attendee's copy (RFC 6638 section 3.2.2.3,
// Modify): compared with the stored copy instance by instance. The
// attendee's own changes (RFC 6638 section 3.2.2.1: their PARTSTAT, alarms,
// TRANSP, EXDATEs they add, overrides made for those) are stored; a changed
// PARTSTAT, or an instance removed by an EXDATE (a DECLINED answer), goes to
// the organizer as a REPLY. What belongs to the organizer (times, summary,
// attendees, the recurrence) is not taken from the attendee: the organizer's
// version stays, and the reason names what was left. With SCHEDULE-AGENT=
// CLIENT or NONE on the ORGANIZER (section 7.1) the server does no
// scheduling: the copy is stored as the program wrote it and nothing is sent.
// SCHEDULE-FORCE-SEND=REPLY (section 7.2) sends a REPLY although nothing
// changed.

import type ICAL from 'ical.js';
import { cloneComponent, scheduledComponentsOf, findAttendee, parseCalendar, recurrenceKey, timeKey, timeProperty, uidOf } from '../../ical/calendar.js';
import { tzidOf } from '../../ical/times.js';
import { CalendarObject, organizerOfObject } from '../calendar-object.js';
import { type Effect, type ItipResult, result } from '../effects.js';
import type { ActionInput, UserAction } from './action.js';
import { exdateKeys, hasOwnChanges, organizerChanges, ownChanges, takeOwnChanges } from './attendee-put-compare.js';
import { clientSchedulesReason, organizerProperty, replyComponent, replySend } from './attendee-reply.js';
import { instanceAt, isCancelled, partstatIn } from './attendee-target.js';
import { floatingZone, storeObject, storedObject } from './record-as-sent.js';
import { forcesSend, scheduleAgentOf, withoutForceSend } from './scheduling-parameters.js';

type Put = Extract<UserAction, { kind: 'put' }>;

/** An answer the REPLY carries: the component it is about and the PARTSTAT. */
interface Answer {
  source: ICAL.Component;
  partstat: string;
}

function label(key: string): string {
  return key === '' ? 'the event' : `instance ${key}`;
}

/** The PUT's calendar as one object, or why it cannot be one. */
function readPut(input: ActionInput, action: Put): CalendarObject | string {
  const vcalendar = parseCalendar(action.ics);
  const events = scheduledComponentsOf(vcalendar);
  if (events.length === 0) return 'the calendar holds no VEVENT or VTODO';
  const uids = new Set(events.map(uidOf));
  if (uids.has(undefined)) return 'a component of the calendar has no UID';
  if (new Set(events.map((event) => event.name)).size > 1) return 'the calendar mixes VEVENT and VTODO; a calendar object holds one kind (RFC 4791 section 4.1)';
  if (uids.size > 1) return `a calendar object holds one UID (RFC 4791 section 4.1), this one holds ${[...uids].join(', ')}`;
  const uid = [...uids][0]!;
  if (input.stored && input.stored.uid !== uid) return `the calendar is about ${uid}, the stored copy about ${input.stored.uid}`;
  const object = new CalendarObject(uid, floatingZone(input));
  object.addTimezones(vcalendar);
  for (const event of events) {
    const key = recurrenceKey(event, object.zones);
    if (object.has(key)) return `the calendar holds ${label(key)} of ${uid} twice`;
    object.set(key, cloneComponent(event));
  }
  return object;
}

/** Whether the PUT asks for a REPLY for this component (on the ORGANIZER, section 7.2, or on the user's ATTENDEE). */
function forced(component: ICAL.Component, user: string): boolean {
  return forcesSend(component.getFirstProperty('organizer'), 'REPLY') || forcesSend(findAttendee(component, user)?.prop, 'REPLY');
}

/** The REPLY for the answers, and the words for the reason. */
function replyEffects(input: ActionInput, object: CalendarObject, answers: Map<string, Answer>): { effects: Effect[]; said: string } {
  if (answers.size === 0) return { effects: [], said: '' };
  const organizer = organizerOfObject(object)!;
  const keys = [...answers.keys()].sort();
  const components = keys.map((key) => replyComponent(object, answers.get(key)!.source, input.user, answers.get(key)!.partstat, input.now));
  const what = keys.map((key) => `${answers.get(key)!.partstat} for ${label(key)}`).join(', ');
  return {
    effects: [{ type: 'remove-requests', uid: object.uid }, replySend(object, organizer, object.toMessage('REPLY', components))],
    said: `a REPLY to ${organizer} is queued (${what})`,
  };
}

function stored(input: ActionInput, object: CalendarObject): { effects: Effect[]; notes: string } {
  const done = storeObject(input, object);
  return { effects: done.effects, notes: done.notes.length > 0 ? `; ${done.notes.join('; ')}` : '' };
}

/** SCHEDULE-AGENT=CLIENT or NONE: the copy as the program wrote it, no scheduling. */
function asWritten(input: ActionInput, put: CalendarObject, agent: string): ItipResult {
  for (const component of put.list()) withoutForceSend(component);
  const before = storedObject(input);
  if (before && before.toStored().ics === put.toStored().ics) return result('duplicate', 'the copy is the one stored already; nothing to do');
  const done = stored(input, put);
  return result('applied', `stored ${put.uid} as the calendar program wrote it; ${clientSchedulesReason(agent)}, so nothing is queued${done.notes}`, done.effects);
}

/** Nothing stored yet (RFC 6638 section 3.2.2.2, Create): the copy as written, and the answers it holds. */
function created(input: ActionInput, put: CalendarObject): ItipResult {
  const answers = new Map<string, Answer>();
  for (const key of put.keys()) {
    const component = put.get(key)!;
    const asked = forced(component, input.user);
    withoutForceSend(component);
    const partstat = partstatIn(component, input.user);
    if (partstat === undefined || isCancelled(component)) continue;
    const answered = partstat === 'ACCEPTED' || partstat === 'TENTATIVE' || partstat === 'DECLINED';
    if (answered || asked) answers.set(key, { source: component, partstat });
  }
  const done = stored(input, put);
  const reply = replyEffects(input, put, answers);
  const said = reply.said || 'nothing is answered in it, so nothing is queued';
  return result('applied', `stored ${put.uid}, which was not in the calendar; ${said}${done.notes}`, [...done.effects, ...reply.effects]);
}

export function putAsAttendee(input: ActionInput, action: Put): ItipResult {
  const put = readPut(input, action);
  if (typeof put === 'string') return result('refused', `the calendar cannot be stored: ${put}`);
  const agent = scheduleAgentOf(organizerProperty(put, put.master ?? put.list()[0]!));
  if (agent !== 'SERVER') return asWritten(input, put, agent);
  if (!input.stored) return created(input, put);
  return modified(input, put);
}

/** The stored copy compared with the attendee's, instance by instance. */
function modified(input: ActionInput, put: CalendarObject): ItipResult {
  const { user } = input;
  const before = storedObject(input)!;
  const after = CalendarObject.fromStored(before.toStored(), floatingZone(input));
  const taken: string[] = [];
  const left: string[] = [];
  const answers = new Map<string, Answer>();

  for (const key of put.keys()) {
    const mine = put.get(key)!;
    const base = key === '' ? before.master : instanceAt(before, key)?.component;
    if (!base) {
      left.push(key === '' ? 'a master for a series of single instances' : `${label(key)}, which the series does not have`);
      continue;
    }
    const theirs = organizerChanges(base, mine, before.zones, put.zones, user);
    if (theirs.length > 0) left.push(`${theirs.join(', ')} of ${label(key)}`);
    const own = ownChanges(base, mine, before.zones, put.zones, user);
    if (own.partstat === 'DELEGATED') {
      left.push(`PARTSTAT=DELEGATED of ${label(key)} (a delegation names the delegate: use delegate)`);
      delete own.partstat;
    }
    let target = after.get(key);
    if (hasOwnChanges(own)) {
      // An override the attendee made for their own changes (section 3.2.2.1, item 11).
      target ??= cloneComponent(base);
      takeOwnChanges(target, mine, user, own);
      after.set(key, target);
      if (own.partstat) taken.push(`PARTSTAT ${own.partstat} for ${label(key)}`);
      if (own.alarms) taken.push(`the alarms of ${label(key)}`);
      if (own.properties.length > 0) taken.push(`${own.properties.map((n) => n.toUpperCase()).join(', ')} of ${label(key)}`);
    }
    const partstat = partstatIn(target ?? base, user);
    if (partstat !== undefined && !isCancelled(base) && (own.partstat || forced(mine, user))) {
      answers.set(key, { source: target ?? base, partstat });
    }
  }

  // Instances the attendee removed with an EXDATE (item 8) are declined (section 3.2.2.3).
  const putMaster = put.master;
  const storedMaster = before.master;
  if (putMaster && storedMaster) {
    const had = exdateKeys(storedMaster, before.zones);
    const has = exdateKeys(putMaster, put.zones);
    if ([...had].some((key) => !has.has(key))) left.push('the removal of an EXDATE of the event');
    for (const prop of putMaster.getAllProperties('exdate')) {
      for (const value of prop.getValues() as ICAL.Time[]) {
        const key = timeKey(value, tzidOf(prop), put.zones);
        if (had.has(key)) continue;
        const instance = instanceAt(before, key);
        if (!instance) continue;
        after.delete(key);
        after.master!.addProperty(timeProperty('exdate', value, tzidOf(prop)));
        taken.push(`the removal of ${label(key)}`);
        answers.delete(key);
        const partstat = partstatIn(instance.component, user);
        if (partstat !== undefined && partstat !== 'DECLINED' && !isCancelled(instance.component)) {
          answers.set(key, { source: instance.component, partstat: 'DECLINED' });
        }
      }
    }
  }
  for (const key of before.keys()) {
    if (!put.has(key) && after.has(key)) left.push(`the absence of ${label(key)}`);
  }

  const notTaken = left.length > 0 ? `; not taken: ${left.join('; ')} (only the organizer changes these, RFC 6638 section 3.2.2.1; the organizer's version stays)` : '';
  if (taken.length === 0 && answers.size === 0) {
    if (left.length === 0) return result('duplicate', 'the copy is the same as the one stored; nothing to do');
    return result('refused', `only the organizer changes ${left.join('; ')} (RFC 6638 section 3.2.2.1); the organizer's version stays and nothing changed`);
  }
  const done = taken.length > 0 ? stored(input, after) : { effects: [], notes: '' };
  const reply = replyEffects(input, after, answers);
  const parts = [taken.length > 0 ? `stored ${taken.join(', ')}` : 'nothing of the copy to store', reply.said || 'nothing to answer, so nothing is queued'];
  return result('applied', `${parts.join('; ')}${notTaken}${done.notes}`, [...done.effects, ...reply.effects]);
}

// The forms of calendar-data a REPORT may ask for (RFC 4791 section 9.6):
// - expand (9.6.5): each instance in the range as its own VEVENT (VTODO) in UTC, with
//   a RECURRENCE-ID, and no recurrence rules (time-range.ts expandedText);
// - limit-recurrence-set (9.6.6): the master and only the overridden
//   instances that overlap the range;
// - comp and prop (9.6.1 to 9.6.4): only the named components and properties
//   (allcomp, allprop; novalue="yes" keeps a property without its value).
// Expansion or limiting comes first, the selection is made on its result.

import ICAL from 'ical.js';
import { parseCalendar, scheduledComponentsOf } from '../../ical/calendar.js';
import type { Preferences, StoredObject } from '../../itip/model.js';
import { expandedText, instancesOf, rangeOf, type Range } from './time-range.js';
import { CALDAV, child, childrenOf, type Element } from './xml.js';

/** What one comp element keeps (RFC 4791 section 9.6.1). */
interface CompSelection {
  name: string;
  allProps: boolean;
  /** Property names (upper case) with whether to leave out the value. */
  props: Map<string, { noValue: boolean }>;
  allComps: boolean;
  comps: CompSelection[];
}

export interface DataRequest {
  expand?: Range;
  limitRecurrence?: Range;
  select?: CompSelection;
}

function readComp(element: Element): CompSelection | undefined {
  const name = element.attrs.name?.toUpperCase();
  if (!name) return undefined;
  const props = new Map<string, { noValue: boolean }>();
  for (const prop of childrenOf(element, CALDAV, 'prop')) {
    const propName = prop.attrs.name?.toUpperCase();
    if (!propName) return undefined;
    props.set(propName, { noValue: prop.attrs.novalue === 'yes' });
  }
  const comps: CompSelection[] = [];
  for (const comp of childrenOf(element, CALDAV, 'comp')) {
    const inner = readComp(comp);
    if (!inner) return undefined;
    comps.push(inner);
  }
  return { name, allProps: !!child(element, CALDAV, 'allprop'), props, allComps: !!child(element, CALDAV, 'allcomp'), comps };
}

/** The calendar-data element of a REPORT's prop; undefined: plain; 'bad': a range or name that cannot be read. */
export function readDataRequest(data: Element | undefined): DataRequest | undefined | 'bad' {
  if (!data) return undefined;
  const request: DataRequest = {};
  const expand = child(data, CALDAV, 'expand');
  const limit = child(data, CALDAV, 'limit-recurrence-set');
  for (const [element, field] of [[expand, 'expand'], [limit, 'limitRecurrence']] as const) {
    if (!element) continue;
    // Both ends are required, in UTC (RFC 4791 sections 9.6.5 and 9.6.6).
    const range = element.attrs.start !== undefined && element.attrs.end !== undefined ? rangeOf(element.attrs) : undefined;
    if (!range || range.to <= range.from) return 'bad';
    request[field] = range;
  }
  const comp = child(data, CALDAV, 'comp');
  if (comp) {
    const select = readComp(comp);
    if (!select || select.name !== 'VCALENDAR') return 'bad';
    request.select = select;
  }
  return request.expand || request.limitRecurrence || request.select ? request : undefined;
}

/** The object's calendar-data in the asked form. */
export function shapedCalendarData(stored: StoredObject, prefs: Preferences, request: DataRequest): string {
  let text = stored.ics;
  if (request.expand) text = expandedText(stored, prefs, request.expand);
  else if (request.limitRecurrence) text = limitedText(stored, prefs, request.limitRecurrence);
  if (!request.select) return text;
  const jcal = selectComponent(parseCalendar(text).toJSON() as Jcal, request.select);
  return jcal ? new ICAL.Component(jcal).toString() + '\r\n' : '';
}

type Jcal = [string, unknown[][], Jcal[]];

/** The component reduced to the selection; undefined when the selection does not name it. */
function selectComponent(jcal: Jcal, selection: CompSelection): Jcal | undefined {
  const [name, props, comps] = jcal;
  if (name.toUpperCase() !== selection.name) return undefined;
  const keptProps = selection.allProps
    ? props
    : props
        .filter((prop) => selection.props.has(String(prop[0]).toUpperCase()))
        .map((prop) => (selection.props.get(String(prop[0]).toUpperCase())!.noValue ? [prop[0], prop[1], 'text', ''] : prop));
  const keptComps = selection.allComps
    ? comps
    : comps.flatMap((comp) => {
        const inner = selection.comps.find((c) => c.name === comp[0].toUpperCase());
        const kept = inner ? selectComponent(comp, inner) : undefined;
        return kept ? [kept] : [];
      });
  return [name, keptProps, keptComps];
}

/**
 * The stored object with only the overridden instances (components with a
 * RECURRENCE-ID) whose original or actual time overlaps the range; the
 * master and the time zones stay (RFC 4791 section 9.6.6).
 */
function limitedText(stored: StoredObject, prefs: Preferences, range: Range): string {
  const vcalendar = parseCalendar(stored.ics);
  const keep = new Set<ICAL.Component>();
  for (const instance of instancesOf(stored, prefs, range)) keep.add(instance.component);
  for (const event of scheduledComponentsOf(vcalendar)) {
    if (!event.hasProperty('recurrence-id')) continue;
    const original = event.getFirstPropertyValue('recurrence-id');
    const at = original instanceof ICAL.Time ? original.toJSDate().getTime() : Number.NaN;
    const overlapping = [...keep].some((kept) => sameOverride(kept, event)) || (at >= range.from && at < range.to);
    if (!overlapping) vcalendar.removeSubcomponent(event);
  }
  return vcalendar.toString() + '\r\n';
}

function sameOverride(a: ICAL.Component, b: ICAL.Component): boolean {
  return String(a.getFirstPropertyValue('recurrence-id')) === String(b.getFirstPropertyValue('recurrence-id')) && a.hasProperty('recurrence-id');
}

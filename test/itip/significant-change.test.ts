// The significant-change rule (RFC 5546 section 2.1.4) on its own: which
// differences count, compared by meaning rather than by how they are written.

import ICAL from 'ical.js';
import { describe, expect, it } from 'vitest';
import { parseCalendar } from '../../src/ical/calendar.js';
import { ZoneResolver } from '../../src/ical/zones.js';
import { changedProperties, significantChanges, SIGNIFICANT_PROPERTIES } from '../../src/itip/rules/significant-change.js';

function side(lines: string[], component = 'VEVENT') {
  const vcalendar = parseCalendar(['BEGIN:VCALENDAR', 'VERSION:2.0', `BEGIN:${component}`, 'UID:x', ...lines, `END:${component}`, 'END:VCALENDAR'].join('\r\n'));
  return { component: vcalendar.getFirstSubcomponent(component.toLowerCase()) as ICAL.Component, zones: new ZoneResolver(vcalendar, null) };
}

const START = 'DTSTART:20261201T090000Z';

const CASES: Array<{ name: string; before: string[]; after: string[]; component?: string; significant: string[]; changed?: string[] }> = [
  { name: 'DUE of a to-do', component: 'VTODO', before: [START, 'DUE:20261205T170000Z'], after: [START, 'DUE:20261206T170000Z'], significant: ['DUE'] },
  { name: 'DUE written in a zone at the same instant', component: 'VTODO', before: [START, 'DUE:20261205T170000Z'], after: [START, 'DUE;TZID=Europe/Berlin:20261205T180000'], significant: [] },
  { name: 'RRULE parts in another order, INTERVAL=1 written out', before: [START, 'RRULE:FREQ=WEEKLY;BYDAY=TU,TH'], after: [START, 'RRULE:BYDAY=TH,TU;INTERVAL=1;FREQ=WEEKLY'], significant: [] },
  { name: 'RRULE UNTIL in UTC and as a floating time in the zone of DTSTART', before: ['DTSTART;TZID=Europe/Berlin:20261201T100000', 'RRULE:FREQ=DAILY;UNTIL=20261210T090000Z'], after: ['DTSTART;TZID=Europe/Berlin:20261201T100000', 'RRULE:FREQ=DAILY;UNTIL=20261210T100000'], significant: [] },
  { name: 'RRULE with another COUNT', before: [START, 'RRULE:FREQ=DAILY;COUNT=3'], after: [START, 'RRULE:FREQ=DAILY;COUNT=4'], significant: ['RRULE'] },
  { name: 'EXDATEs as one line or two, in a zone or UTC', before: [START, 'RRULE:FREQ=DAILY', 'EXDATE:20261202T090000Z,20261203T090000Z'], after: [START, 'RRULE:FREQ=DAILY', 'EXDATE;TZID=Europe/Berlin:20261203T100000', 'EXDATE:20261202T090000Z'], significant: [] },
  { name: 'DTEND written as DURATION', before: [START, 'DTEND:20261201T100000Z'], after: [START, 'DURATION:PT1H'], significant: [] },
  { name: 'an all-day DTEND written as DURATION', before: ['DTSTART;VALUE=DATE:20261201', 'DTEND;VALUE=DATE:20261203'], after: ['DTSTART;VALUE=DATE:20261201', 'DURATION:P2D'], significant: [] },
  { name: 'a longer DURATION', before: [START, 'DURATION:PT1H'], after: [START, 'DURATION:PT90M'], significant: ['DURATION'] },
  { name: 'STATUS in other case', before: [START, 'STATUS:confirmed'], after: [START, 'STATUS:CONFIRMED'], significant: [] },
  { name: 'LOCATION given', before: [START], after: [START, 'LOCATION:Room 1'], significant: ['LOCATION'] },
  { name: 'RDATE as a period', before: [START, 'RDATE;VALUE=PERIOD:20261205T090000Z/PT1H'], after: [START, 'RDATE;VALUE=PERIOD:20261205T090000Z/20261205T100000Z'], significant: [] },
  {
    name: 'attendees in another order and address case are no change at all',
    before: [START, 'ATTENDEE;PARTSTAT=ACCEPTED:mailto:bob@example.com', 'ATTENDEE:mailto:carol@example.com'],
    after: [START, 'ATTENDEE:MAILTO:Carol@Example.com', 'ATTENDEE;PARTSTAT=accepted:mailto:bob@example.com'],
    significant: [],
    changed: [],
  },
  { name: 'SUMMARY and DESCRIPTION are changes, not significant ones', before: [START, 'SUMMARY:A'], after: [START, 'SUMMARY:B', 'DESCRIPTION:C'], significant: [], changed: ['DESCRIPTION', 'SUMMARY'] },
  { name: 'DTSTAMP, LAST-MODIFIED and SCHEDULE-STATUS are no change', before: [START, 'DTSTAMP:20261101T000000Z', 'ATTENDEE;SCHEDULE-STATUS=1.2:mailto:bob@example.com'], after: [START, 'DTSTAMP:20261102T000000Z', 'LAST-MODIFIED:20261102T000000Z', 'ATTENDEE:mailto:bob@example.com'], significant: [], changed: [] },
];

describe('significant change (RFC 5546 section 2.1.4)', () => {
  it('lists the RFC properties and LOCATION, in one place', () => {
    expect(SIGNIFICANT_PROPERTIES).toEqual(['DTSTART', 'DTEND', 'DURATION', 'DUE', 'RRULE', 'RDATE', 'EXDATE', 'STATUS', 'LOCATION']);
  });
  for (const testCase of CASES) {
    it(testCase.name, () => {
      const before = side(testCase.before, testCase.component);
      const after = side(testCase.after, testCase.component);
      expect(significantChanges(before, after)).toEqual(testCase.significant);
      if (testCase.changed) expect(changedProperties(before, after)).toEqual(testCase.changed);
    });
  }
});

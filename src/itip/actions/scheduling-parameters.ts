// The parameters by which a CalDAV client steers implicit scheduling (RFC 6638
// section 7): SCHEDULE-AGENT says who sends the messages, SCHEDULE-FORCE-SEND
// asks for one although nothing changed, SCHEDULE-STATUS records how the last
// one fared. They belong to the stored resource, never to a message: "Servers
// MUST NOT include this parameter in any scheduling messages" (sections 7.1,
// 7.2, 7.3), and SCHEDULE-FORCE-SEND is not kept in the resource either.

import type ICAL from 'ical.js';

const SCHEDULING = ['schedule-agent', 'schedule-status', 'schedule-force-send'];

/** Removes the scheduling parameters from the ORGANIZER and every ATTENDEE of a component. */
export function withoutSchedulingParameters(component: ICAL.Component): ICAL.Component {
  for (const prop of [...component.getAllProperties('organizer'), ...component.getAllProperties('attendee')]) {
    for (const name of SCHEDULING) prop.removeParameter(name);
  }
  return component;
}

/** Removes SCHEDULE-FORCE-SEND, which asks once and is not kept (section 7.2). */
export function withoutForceSend(component: ICAL.Component): ICAL.Component {
  for (const prop of [...component.getAllProperties('organizer'), ...component.getAllProperties('attendee')]) {
    prop.removeParameter('schedule-force-send');
  }
  return component;
}

/**
 * The SCHEDULE-AGENT of a property, upper case: SERVER when absent (section
 * 7.1). Values this agent does not know count as NONE, as the section says.
 */
export function scheduleAgentOf(prop: ICAL.Property | null | undefined): 'SERVER' | 'CLIENT' | 'NONE' {
  const value = prop?.getParameter('schedule-agent');
  if (value === undefined || value === null || value === '') return 'SERVER';
  const agent = String(value).toUpperCase();
  return agent === 'SERVER' || agent === 'CLIENT' ? agent : 'NONE';
}

/** Whether a property asks for a message of this method although nothing changed (section 7.2). */
export function forcesSend(prop: ICAL.Property | null | undefined, method: 'REQUEST' | 'REPLY'): boolean {
  const value = prop?.getParameter('schedule-force-send');
  return typeof value === 'string' && value.toUpperCase() === method;
}

// Message ordering (RFC 5546 section 2.1.5): a higher SEQUENCE is newer; with
// equal SEQUENCE, a later DTSTAMP is newer. Compared per instance.

import type ICAL from 'ical.js';
import { dtstampOf, sequenceOf } from '../../ical/calendar.js';
import type { ZoneResolver } from '../../ical/zones.js';

export interface Version {
  sequence: number;
  dtstamp: number;
}

export function versionOf(component: ICAL.Component, zones: ZoneResolver): Version {
  return { sequence: sequenceOf(component), dtstamp: dtstampOf(component, zones) };
}

/** Negative if a is older than b, 0 if the same version, positive if newer. */
export function compareVersions(a: Version, b: Version): number {
  return a.sequence - b.sequence || a.dtstamp - b.dtstamp;
}

export function describeVersion(version: Version): string {
  const stamp = version.dtstamp ? new Date(version.dtstamp).toISOString().replace(/\.\d{3}Z$/, 'Z') : 'none';
  return `SEQUENCE ${version.sequence}, DTSTAMP ${stamp}`;
}

// Message ordering (RFC 5546 section 2.1.5), the one rule every method uses:
// a higher SEQUENCE is newer; with equal SEQUENCE, a later DTSTAMP is newer.
// Versions are compared per instance (per RECURRENCE-ID): a message component
// against the stored component of the same instance, or, for an instance that
// has no override of its own, against the master it is an instance of.
// Replies (and counter-proposals) answer a version of the event: one to an
// older SEQUENCE than the stored instance's changes nothing; replies are in
// addition ordered per attendee, against the last reply taken from that
// attendee for that instance.

import type ICAL from 'ical.js';
import { dtstampOf, sequenceOf } from '../../ical/calendar.js';
import { formatUtc, formatUtcSeconds } from '../../ical/times.js';
import type { ZoneResolver } from '../../ical/zones.js';
import type { CalendarObject } from '../calendar-object.js';
import type { ReplyMarks } from '../model.js';

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
  const stamp = version.dtstamp ? formatUtcSeconds(version.dtstamp) : 'none';
  return `SEQUENCE ${version.sequence}, DTSTAMP ${stamp}`;
}

/** How one component of a message compares with what is stored for its instance. */
export interface InstanceOrder {
  /** The message component's version. */
  version: Version;
  /**
   * Negative: older than what is stored for the instance; 0: the same version;
   * positive: newer, or nothing is stored to compare with.
   */
  order: number;
  /** The stored version compared with, if any. */
  stored?: Version;
  /** The stored version is the instance's own component, not the master standing for it. */
  exact: boolean;
}

/**
 * Orders the message's component of `key` ('' for the master) against the
 * stored object. `by` is `version` for what the organizer sends (SEQUENCE,
 * then DTSTAMP) and `sequence` for what answers a version (REPLY, COUNTER:
 * only an older SEQUENCE makes it stale; the DTSTAMP is the answer's own).
 */
export function orderInstance(
  message: CalendarObject,
  key: string,
  stored: CalendarObject | undefined,
  by: 'version' | 'sequence' = 'version',
): InstanceOrder {
  const version = versionOf(message.get(key)!, message.zones);
  const reference = storedInstance(stored, key);
  if (!reference) return { version, order: 1, exact: false };
  const storedVersion = versionOf(reference, stored!.zones);
  const order = by === 'sequence' ? version.sequence - storedVersion.sequence : compareVersions(version, storedVersion);
  return { version, order, stored: storedVersion, exact: stored!.has(key) };
}

/** What is stored for an instance: its own component, else the master it is an instance of. */
export function storedInstance(stored: CalendarObject | undefined, key: string): ICAL.Component | undefined {
  return stored?.get(key) ?? (key !== '' ? stored?.master : undefined);
}

/** The journal's words for an instance found older than what is stored. */
export function describeStale(key: string, ordered: InstanceOrder): string {
  return `${key || 'master'} (${describeVersion(ordered.stored!)} stored)`;
}

/**
 * Orders a REPLY's component against the last reply taken from the same
 * attendee for the same instance (RFC 5546 section 2.1.5: replies are ordered
 * per attendee). Positive (newer) when none was taken yet.
 */
export function orderReply(version: Version, marks: ReplyMarks, key: string, attendee: string): { order: number; stored?: Version } {
  const mark = marks[key]?.[attendee];
  if (!mark) return { order: 1 };
  const stored = { sequence: mark.sequence, dtstamp: Date.parse(mark.dtstamp) || 0 };
  return { order: compareVersions(version, stored), stored };
}

/** What a reply mark keeps of the version of the reply taken. */
export function replyMark(version: Version): { sequence: number; dtstamp: string } {
  return { sequence: version.sequence, dtstamp: formatUtc(version.dtstamp) };
}

/**
 * The stored overrides a new master replaces: those the message no longer
 * carries, unless one is newer than the master (an instance update that came
 * after it). SEQUENCE alone decides here: a master that is not older than the
 * stored one and leaves out an override of the same SEQUENCE is the
 * organizer's later word on the whole series, which no longer has it.
 */
export function overridesReplacedBy(master: ICAL.Component, message: CalendarObject, stored: CalendarObject): string[] {
  return stored.keys().filter((key) => key !== '' && !message.has(key) && sequenceOf(stored.get(key)!) <= sequenceOf(master));
}

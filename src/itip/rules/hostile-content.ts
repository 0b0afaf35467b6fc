// Content of others made harmless before it is stored. A calendar object from
// another organizer (or an attendee's COUNTER) is stored and then shown and
// acted on by the user's own clients, which trust their calendar more than
// their mail: an alarm runs when the time comes, an attachment is fetched
// when the event opens. So, of what others send (never the user's own copy:
// the recipient's alarms are kept by the merge, src/itip/attendee/request.ts):
//
// - VALARMs with ACTION:EMAIL (RFC 5545 section 3.6.6: the alarm mails its
//   ATTENDEEs, a spammer's relay) or ACTION:PROCEDURE (RFC 2445's alarm that
//   runs a program, dropped in RFC 5545 but still read by some) are dropped;
// - an AUDIO alarm keeps its ATTACH only for http(s): Outlook's
//   CVE-2023-23397 set a UNC path (\\host\share\sound.wav) as the reminder
//   sound, and Windows sent the user's NTLM hash to that host;
// - ATTACH with a file: URI or a UNC path (\\host, //host, smb:) is dropped
//   anywhere: the same leak on opening, or a local file named by a stranger;
// - X- properties (RFC 5545 section 3.8.8.2) are kept only from an allow-list
//   of what clients need to show the event right (below);
// - DESCRIPTION and X-ALT-DESC longer than MAX_TEXT characters are cut.
//
// What was removed is listed for the journal reason. The mail itself is never
// changed: the door delivers the original bytes.

import ICAL from 'ical.js';

/** Longest DESCRIPTION or X-ALT-DESC kept, in characters: Outlook's HTML bodies of real invitations stay well under it. */
export const MAX_TEXT = 32_768;

/**
 * The X- properties kept, by exact name or by prefix (ending in "-"):
 * - X-MICROSOFT-CDO-*: Outlook's busy status, intended status, all-day flag,
 *   importance and instance type, which Outlook reads for free/busy display;
 * - X-MICROSOFT-DISALLOW-COUNTER, X-MICROSOFT-DONOTFORWARDMEETING: the
 *   organizer's wishes Outlook enforces in its answer buttons;
 * - X-MS-OLK-*: Outlook's appointment flags (conference type, sender as CN);
 * - X-ALT-DESC: the HTML body Outlook and Thunderbird show (size-limited below);
 * - X-APPLE-STRUCTURED-LOCATION, X-APPLE-TRAVEL-ADVISORY-BEHAVIOR: the map
 *   place and travel time of Apple Calendar;
 * - X-MOZ-GENERATION, X-MOZ-SEND-INVITATIONS*: Thunderbird's version counter
 *   and its invitation flags (its snooze and acknowledge times are the
 *   user's own alarm state, never a stranger's to set);
 * - X-GOOGLE-CONFERENCE: the video meeting link of Google Calendar.
 * Anything else (X-LIC-*, vendor scripts, tracking ids) is dropped.
 */
const KEPT_X = [
  'x-microsoft-cdo-',
  'x-microsoft-disallow-counter',
  'x-microsoft-donotforwardmeeting',
  'x-ms-olk-',
  'x-alt-desc',
  'x-apple-structured-location',
  'x-apple-travel-advisory-behavior',
  'x-moz-generation',
  'x-moz-send-invitations',
  'x-google-conference',
];

function keptX(name: string): boolean {
  return KEPT_X.some((kept) => (kept.endsWith('-') ? name.startsWith(kept) : name === kept || name.startsWith(`${kept}-`)));
}

/** file:, smb: and UNC paths (\\host\share, //host/share): fetched on open, they leak credentials or name local files. */
function isLocalOrUnc(uri: string): boolean {
  const text = uri.trim().toLowerCase();
  return text.startsWith('file:') || text.startsWith('smb:') || text.startsWith('\\\\') || text.startsWith('//');
}

function isHttp(uri: string): boolean {
  return /^https?:\/\//i.test(uri.trim());
}

/** The ATTACH's URI, or undefined for inline data (VALUE=BINARY, RFC 5545 section 3.8.1.1). */
function attachUri(prop: ICAL.Property): string | undefined {
  const value = String(prop.getParameter('value') ?? '').toUpperCase();
  const encoding = String(prop.getParameter('encoding') ?? '').toUpperCase();
  if (value === 'BINARY' || encoding === 'BASE64') return undefined;
  return String(prop.getFirstValue() ?? '');
}

function shown(uri: string): string {
  const text = uri.replace(/[\r\n]+/g, ' ');
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** Cleans one component and its alarms in place; returns what was removed. */
function cleanComponent(component: ICAL.Component, removed: string[]): void {
  for (const alarm of [...component.getAllSubcomponents('valarm')]) {
    const action = String(alarm.getFirstPropertyValue('action') ?? '').toUpperCase();
    if (action === 'EMAIL' || action === 'PROCEDURE') {
      component.removeSubcomponent(alarm);
      removed.push(`a VALARM with ACTION:${action}`);
      continue;
    }
    for (const attach of [...alarm.getAllProperties('attach')]) {
      const uri = attachUri(attach);
      // RFC 5545 section 3.6.6: an AUDIO alarm's sound is fetched when it fires; only from the web.
      const keep = action === 'AUDIO' ? uri !== undefined && isHttp(uri) : uri === undefined || !isLocalOrUnc(uri);
      if (!keep) {
        alarm.removeProperty(attach);
        removed.push(`the ATTACH ${uri === undefined ? '(inline data)' : shown(uri)} of an alarm with ACTION:${action || '(none)'}`);
      }
    }
    cleanX(alarm, removed);
  }
  for (const attach of [...component.getAllProperties('attach')]) {
    const uri = attachUri(attach);
    if (uri !== undefined && isLocalOrUnc(uri)) {
      component.removeProperty(attach);
      removed.push(`the ATTACH ${shown(uri)}`);
    }
  }
  cleanX(component, removed);
  for (const name of ['description', 'x-alt-desc']) {
    for (const prop of component.getAllProperties(name)) {
      const value = prop.getFirstValue();
      if (typeof value === 'string' && value.length > MAX_TEXT) {
        prop.setValue(value.slice(0, MAX_TEXT));
        removed.push(`${name.toUpperCase()} cut from ${value.length} to ${MAX_TEXT} characters`);
      }
    }
  }
}

function cleanX(component: ICAL.Component, removed: string[]): void {
  const dropped = new Set<string>();
  for (const prop of [...component.getAllProperties()]) {
    const name = prop.name.toLowerCase();
    if (name.startsWith('x-') && !keptX(name)) {
      component.removeProperty(prop);
      dropped.add(name.toUpperCase());
    }
  }
  if (dropped.size > 0) removed.push(`the X- propert${dropped.size > 1 ? 'ies' : 'y'} ${[...dropped].sort().join(', ')}`);
}

/**
 * Removes from the components (copies the core made of the message: the
 * mail itself is never changed) what others must not store in the user's
 * calendar; returns what was removed, empty when nothing was.
 */
export function cleanForeignContent(components: readonly ICAL.Component[]): string[] {
  const removed: string[] = [];
  for (const component of components) cleanComponent(component, removed);
  return removed;
}

/** The journal's words for what was removed. */
export function describeRemoved(removed: string[]): string | undefined {
  if (removed.length === 0) return undefined;
  const counts = new Map<string, number>();
  for (const item of removed) counts.set(item, (counts.get(item) ?? 0) + 1);
  const items = [...counts].map(([item, n]) => (n > 1 ? `${item} (${n} times)` : item));
  const listed = items.length > 8 ? [...items.slice(0, 8), `and ${items.length - 8} more`] : items;
  return `removed from the sender's content before storing: ${listed.join('; ')}`;
}

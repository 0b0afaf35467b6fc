// The organizer's record of how the scheduling messages it sent fared: the
// SCHEDULE-STATUS parameter on each ATTENDEE of its stored copy (RFC 6638
// sections 3.2.9 and 7.3). The outbox sender learns the codes from the relay;
// the change to the stored copy is made as every other change is: an effect
// applied by apply-effects.ts in the user's store transaction, and a journal
// entry for each attendee whose status changed, so that `journal` shows why
// the stored copy changed without any mail coming in.

import { normalizeAddress } from '../ical/address.js';
import { parseCalendar } from '../ical/calendar.js';
import { formatUtc } from '../ical/times.js';
import type { JournalEntry, OutboxItem, StoredObject } from '../itip/model.js';
import { SCHEDULE_STATUS, withScheduleStatus } from '../itip/schedule-status.js';
import type { Store } from '../store/store.js';
import { applyEffects } from './apply-effects.js';

/** What each code says, for the journal (RFC 6638 section 3.2.9). */
const MEANING: Record<string, string> = {
  [SCHEDULE_STATUS.PENDING]: 'pending: the sender is still trying',
  [SCHEDULE_STATUS.SENT]: 'sent',
  [SCHEDULE_STATUS.DELIVERED]: 'delivered',
  [SCHEDULE_STATUS.INVALID_USER]: 'not a valid calendar user',
  [SCHEDULE_STATUS.NOT_DELIVERED]: 'could not be delivered',
};

/**
 * Writes the per-recipient codes of a sent outbox item on the ORGANIZER's
 * stored copy, in one transaction of the item's user; resolves with the
 * journal entries written (none when nothing changed: the user is not the
 * organizer, the object is gone, or the codes were there already).
 * `messageId` is the Message-ID the item went out with.
 */
export async function recordScheduleStatus(
  store: Store,
  item: OutboxItem,
  statuses: Record<string, string>,
  messageId: string,
  now: number,
): Promise<JournalEntry[]> {
  return store.transact(item.user, (tx) => {
    const stored = tx.getObject(item.uid);
    if (!stored) return [];
    const next = withScheduleStatus(stored, item.user, item.ics, statuses);
    if (!next) return [];
    const at = formatUtc(now);
    applyEffects(tx, [{ type: 'put-object', object: next }], { messageId, messageKey: `schedule-status:${item.id}`, received: at }, { next: 0 });
    const entries = changedAttendees(stored, next, statuses).map(
      ([attendee, code]): JournalEntry => ({
        messageId,
        recipient: tx.user,
        method: item.method,
        uid: item.uid,
        outcome: 'applied',
        reason: `SCHEDULE-STATUS ${code} (${MEANING[code] ?? 'delivery status'}) for ATTENDEE ${attendee}, after sending the ${item.method} (RFC 6638 section 3.2.9)`,
        at,
      }),
    );
    for (const entry of entries) tx.addJournal(entry);
    return entries;
  });
}

/** The attendees (of `statuses`) whose SCHEDULE-STATUS differs between the two versions, with the new code. */
function changedAttendees(before: StoredObject, after: StoredObject, statuses: Record<string, string>): Array<[string, string]> {
  const old = statusesOf(before);
  const now = statusesOf(after);
  const changed = new Set<string>();
  for (const [key, code] of now) {
    if (old.get(key) !== code) changed.add(key.slice(key.lastIndexOf('\u0000') + 1));
  }
  const out: Array<[string, string]> = [];
  for (const [recipient, code] of Object.entries(statuses)) {
    const attendee = normalizeAddress(recipient);
    if (attendee && changed.has(attendee) && !out.some(([a]) => a === attendee)) out.push([attendee, code]);
  }
  return out;
}

/** SCHEDULE-STATUS per component (by RECURRENCE-ID) and attendee address. */
function statusesOf(object: StoredObject): Map<string, string> {
  const statuses = new Map<string, string>();
  for (const component of parseCalendar(object.ics).getAllSubcomponents()) {
    const instance = String(component.getFirstProperty('recurrence-id')?.toICALString() ?? '');
    for (const prop of component.getAllProperties('attendee')) {
      const address = normalizeAddress(String(prop.getFirstValue() ?? ''));
      const code = prop.getParameter('schedule-status');
      if (address && typeof code === 'string') statuses.set(`${component.name}\u0000${instance}\u0000${address}`, code);
    }
  }
  return statuses;
}

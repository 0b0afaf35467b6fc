// Applies the core's effects to one user's store transaction. The only place
// where effects become writes, so every handler writes the same way.

import { createHash } from 'node:crypto';
import type { Effect } from '../itip/effects.js';
import type { OutboxItem } from '../itip/model.js';
import type { UserTx } from '../store/store.js';
import { recordCorrespondents } from './correspondents.js';

export interface EffectOrigin {
  /** Message-ID of the mail that caused the effects. */
  messageId: string;
  /** A key unique to this mail and user, to derive stable item ids from. */
  messageKey: string;
  received: string;
}

/** Stable, sortable ids: the time, then a digest of where the item came from. */
export function itemId(at: string, ...parts: string[]): string {
  const digest = createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 12);
  return `${at.replace(/[-:]/g, '')}-${digest}`;
}

/**
 * Applies the effects; returns the outbox items marked for handoff (a resource
 * group's REQUEST to its member), which the caller hands over after commit.
 * `queued`, when given, collects every outbox item made (a user's action
 * reports what it queued).
 */
export function applyEffects(
  tx: UserTx,
  effects: Effect[],
  origin: EffectOrigin,
  sequence: { next: number },
  queued?: OutboxItem[],
): OutboxItem[] {
  const handoffs: OutboxItem[] = [];
  for (const effect of effects) {
    switch (effect.type) {
      case 'put-object':
        tx.putObject(effect.object);
        break;
      case 'delete-object':
        tx.deleteObject(effect.uid);
        break;
      case 'own-periods':
        tx.setOwnPeriods(effect.uid, effect.periods);
        break;
      case 'others-periods':
        if (effect.participant === undefined) tx.replaceOthersPeriods(effect.uid, effect.periods);
        else tx.setOthersPeriods(effect.uid, effect.participant, effect.periods);
        break;
      case 'remove-others-periods':
        tx.removeOthersPeriods(effect.uid, effect.participant);
        break;
      case 'put-request':
        tx.putRequest(effect.entry);
        break;
      case 'remove-requests':
        tx.removeRequests(effect.uid, effect.recurrenceId);
        break;
      case 'put-counter':
        tx.putCounter(effect.entry);
        break;
      case 'remove-counters':
        tx.removeCounters(effect.uid, effect.recurrenceId, effect.attendee);
        break;
      case 'inbox':
        tx.addInbox({
          id: itemId(origin.received, origin.messageKey, tx.user, 'inbox', String(sequence.next++)),
          method: effect.method,
          uid: effect.uid,
          from: effect.from,
          received: origin.received,
          messageId: origin.messageId,
          ics: effect.ics,
        });
        break;
      case 'send': {
        const item: OutboxItem = {
          id: itemId(origin.received, origin.messageKey, tx.user, 'outbox', String(sequence.next++)),
          user: tx.user,
          method: effect.method,
          uid: effect.uid,
          from: tx.user,
          to: effect.to,
          state: 'unprocessed',
          attempts: 0,
          created: origin.received,
          ics: effect.ics,
        };
        tx.addOutbox(item);
        // Whom the user writes to is known to them (the incoming=known tier).
        if (!effect.handoff) recordCorrespondents(tx, effect.to, origin.received);
        queued?.push(item);
        if (effect.handoff) handoffs.push(item);
        break;
      }
      default: {
        const unknown: never = effect;
        throw new Error(`unknown effect ${JSON.stringify(unknown)}`);
      }
    }
  }
  return handoffs;
}

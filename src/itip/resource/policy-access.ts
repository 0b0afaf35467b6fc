// `access`: allow and deny lists of addresses and domains (`access_allow`,
// `access_deny`). A match in the deny list refuses; with an allow list, only
// organizers on it may book.

import { NO_AUTHORITY, type Policy } from './policy.js';
import { matchesAccess } from './settings.js';

export const accessPolicy: Policy = {
  name: 'access',
  check(judgement) {
    const { organizer, settings } = judgement;
    if (matchesAccess(organizer, settings.deny)) {
      return { reason: `${organizer} is on the resource's deny list`, ...NO_AUTHORITY, retimable: false };
    }
    if (settings.allow.length > 0 && !matchesAccess(organizer, settings.allow)) {
      return { reason: `${organizer} is not on the resource's allow list`, ...NO_AUTHORITY, retimable: false };
    }
    return undefined;
  },
};

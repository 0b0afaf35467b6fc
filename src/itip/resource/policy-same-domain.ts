// `same_domain` (imip-agent's same_domain_only): only organizers of the
// resource's own mail domain, or of a domain in `allowed_domains`, may book it.

import { NO_AUTHORITY, type Policy } from './policy.js';
import { addressDomain } from '../../ical/address.js';

export const sameDomainPolicy: Policy = {
  name: 'same_domain',
  check(judgement) {
    const domain = addressDomain(judgement.organizer);
    const allowed = [addressDomain(judgement.user), ...judgement.settings.allowedDomains];
    if (allowed.includes(domain)) return undefined;
    return { reason: `organizers from ${domain || 'no domain'} may not book this resource (only ${allowed.join(', ')})`, ...NO_AUTHORITY, retimable: false };
  },
};

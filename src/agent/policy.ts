// What an administrator decides about every message, gathered for the
// handlers: whom to believe about a sender (SECURITY.md) and how much calendar
// data one mail may carry. The command line fills it from the settings.

import { DEFAULT_EXPANSION_LIMITS, type ExpansionLimits } from '../ical/expand.js';
import { DEFAULT_AUTHENTICATION_POLICY, type ArrivalFacts, type AuthenticationPolicy } from '../mail/authentication.js';
import { verifyDkim, type DnsResolver } from '../mail/dkim.js';
import { DEFAULT_MAX_CALENDAR_BYTES } from '../mail/read-mail.js';
import { DEFAULT_MESSAGE_LIMITS, type MessageLimits } from '../itip/rules/message-acceptance.js';
import type { RequestNotices } from './request-notice.js';

export interface AgentPolicy {
  authentication: AuthenticationPolicy;
  /** Verify DKIM signatures here, not only read the MTA's verdicts (auth.verifyDkim). */
  verifyDkim: boolean;
  /** The DNS lookups of the DKIM check; the system resolver when absent (tests inject one). */
  dkimResolver?: DnsResolver;
  /** Largest mail read at all; a larger one is refused with a journal entry and handed on. */
  maxMessageBytes: number;
  /** Largest calendar part read; a larger one is refused with a journal entry. */
  maxCalendarBytes: number;
  messageLimits: MessageLimits;
  expansionLimits: ExpansionLimits;
  /** Notices of waiting requests (notify_requests); none are queued when absent. */
  notices?: RequestNotices;
}

export const DEFAULT_AGENT_POLICY: AgentPolicy = {
  authentication: DEFAULT_AUTHENTICATION_POLICY,
  verifyDkim: false,
  maxMessageBytes: 50 * 1024 * 1024,
  maxCalendarBytes: DEFAULT_MAX_CALENDAR_BYTES,
  messageLimits: DEFAULT_MESSAGE_LIMITS,
  expansionLimits: DEFAULT_EXPANSION_LIMITS,
};

/** The settings' view of the same things (src/cli/config.ts), as plain data. */
export interface PolicySettings {
  localDomains: string[];
  maxMessageBytes: number;
  auth: {
    trustedAuthservIds: string[];
    trustedNetworks: string[];
    refuseDmarcFail: boolean;
    requirePassExternal: boolean;
    verifyDkim: boolean;
    markRefused: boolean;
  };
  calendarLimits: {
    maxCalendarBytes: number;
    maxComponents: number;
    maxAttendees: number;
    maxInstances: number;
    expansionCandidates: number;
  };
}

export function policyFromSettings(settings: PolicySettings): AgentPolicy {
  const limits = settings.calendarLimits;
  return {
    authentication: {
      trustedAuthservIds: settings.auth.trustedAuthservIds,
      trustedNetworks: settings.auth.trustedNetworks,
      refuseDmarcFail: settings.auth.refuseDmarcFail,
      requirePassExternal: settings.auth.requirePassExternal,
      localDomains: settings.localDomains,
    },
    verifyDkim: settings.auth.verifyDkim,
    maxMessageBytes: settings.maxMessageBytes,
    maxCalendarBytes: limits.maxCalendarBytes,
    messageLimits: { maxComponents: limits.maxComponents, maxAttendees: limits.maxAttendees },
    expansionLimits: {
      ...DEFAULT_EXPANSION_LIMITS,
      maxInstances: limits.maxInstances,
      maxCandidates: limits.expansionCandidates,
    },
  };
}

/**
 * The arrival facts of a mail, completed by the agent's own DKIM check when
 * the policy asks for it. Runs before any store transaction: DNS must not hold
 * a write lock.
 */
export async function establishArrival(raw: Buffer, arrival: ArrivalFacts, policy: AgentPolicy, now: number): Promise<ArrivalFacts> {
  if (!policy.verifyDkim) return arrival;
  const verdict = await verifyDkim(raw, { now, ...(policy.dkimResolver ? { resolver: policy.dkimResolver } : {}) });
  return { ...arrival, dkimPass: verdict.passed };
}

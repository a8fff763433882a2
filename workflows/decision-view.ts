import type { PublicDecision } from '../domain/action';
import type { PolicyDecision } from '../domain/decision';

/** The part of a policy decision the Action shows: who may decide, how many, until when, and why. */
export function publicDecision(p: PolicyDecision, expiresAt: string | null, executeHash: string | undefined): PublicDecision {
  return {
    outcome: p.outcome,
    ruleId: p.ruleId,
    policyVersion: p.policyVersion,
    approvers: { groups: [...p.approvers.groups], principals: [...p.approvers.principals] },
    quorum: p.quorum,
    distinctGroups: p.distinctGroups,
    escalationLevel: 0,
    escalation: p.escalation,
    expiresAt,
    risk: p.risk,
    controls: p.controls,
    reason: p.reason,
    breakGlass: p.breakGlassGroups.length > 0,
    requireJustification: p.requireJustification,
    ...(p.notify ? { notify: { ...p.notify } } : { slackChannel: (p as { slackChannel?: string | null }).slackChannel ?? null }), // decisions recorded before `notify`: passed on for Slack
    ...(executeHash ? { executeHash } : {}),
    ...(p.stepUpMaxAgeSeconds ? { stepUp: { maxAgeSeconds: p.stepUpMaxAgeSeconds } } : {}),
  };
}

export function union(a: string[], b: string[]): string[] {
  return [...new Set([...a, ...b])];
}

import type { DecisionOutcome } from './status';

/** Who may decide: named groups and/or named principals. */
export interface ApproverSet {
  groups: string[];
  principals: string[];
}

/** One step of an escalation ladder: after `afterSeconds` the approver set widens by these. */
export interface EscalationTier extends ApproverSet {
  afterSeconds: number;
}

/**
 * What the policy says about one submission. Produced by `policy/`, carried unchanged by the workflow,
 * so an action keeps the decision (and version) it was given even when the policy is reloaded.
 */
export interface PolicyDecision {
  outcome: DecisionOutcome;
  /** null when no rule matched and the default applied. */
  ruleId: string | null;
  policyVersion: string;
  approvers: ApproverSet;
  quorum: number;
  /** Each counted approval must come from a different one of `approvers.groups`. */
  distinctGroups: boolean;
  timeoutSeconds: number;
  escalation: EscalationTier[];
  risk: string | null;
  controls: string[];
  /** Where each channel announces the request: channel name (`slack`) -> target; a channel not named uses its default. */
  notify: Record<string, string>;
  requireJustification: boolean;
  maxParamsBytes: number | null;
  /** Gate mode: how long an approval stays usable for the caller to run the operation. */
  grantSeconds: number | null;
  /** Groups allowed to approve their own request when it is submitted with `breakGlass: true`. */
  breakGlassGroups: string[];
  /** Step-up: an approval counts only with an IdP sign-in at most this many seconds old. Absent in decisions recorded before it. */
  stepUpMaxAgeSeconds?: number | null;
  /** One line for a person: why this outcome. */
  reason: string;
}
